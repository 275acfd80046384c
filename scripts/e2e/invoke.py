"""Run the real orchestrator Lambda handler once, as Lambda would: a fresh process, the function's environment.

Usage (the harness calls it): python -m scripts.e2e.invoke '<event json>'; the environment must hold the
function's variables (read from the Terraform state), AWS_LAMBDA_FUNCTION_NAME, AWS_REGION and
AWS_ENDPOINT_URL (the emulator). Prints the handler's result as one JSON line on stdout.
"""

from __future__ import annotations

import json
import sys
import uuid


class _Context:
    """The two attributes of the Lambda context object the handler reads."""

    def __init__(self, timeout_seconds: int) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._timeout_ms = timeout_seconds * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


def main(argv: list[str]) -> int:
    """Invoke the handler with the event in argv[0]; a 900 s budget like the deployed function."""
    from dr_failover.handler import handler

    result = handler(json.loads(argv[0]), _Context(900))
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
