"""Run the real orchestrator Lambda handler once, as Lambda would: a fresh process, the function's environment.

Usage (the harness calls it): python -m scripts.e2e.invoke '<event json>' [module.function [timeout_seconds]];
the environment must hold the function's variables (read from the Terraform state), AWS_LAMBDA_FUNCTION_NAME,
AWS_REGION and AWS_ENDPOINT_URL (the emulator). The handler is the function's own (its ``handler`` attribute:
the orchestrator's by default, the keeper's or the probe's). Prints the handler's result as one JSON line.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid

# The handler string the stack sets (lambda_src is on this process's path, as in the Lambda zip).
from dr_contract import ORCHESTRATOR_HANDLER


class _Context:
    """The two attributes of the Lambda context object the handler reads."""

    def __init__(self, timeout_seconds: int) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._timeout_ms = timeout_seconds * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


def main(argv: list[str]) -> int:
    """Invoke the handler named in argv[1] (default the orchestrator's) with the event in argv[0] and the
    function's timeout (argv[2], default 900 s, the orchestrator's)."""
    module_name, _, function_name = (argv[1] if len(argv) > 1 else ORCHESTRATOR_HANDLER).rpartition(".")
    handler = getattr(importlib.import_module(module_name), function_name)
    timeout = int(argv[2]) if len(argv) > 2 else 900
    result = handler(json.loads(argv[0]), _Context(timeout))
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
