"""Run the local failover drill (moto + stubbed RDS, simulated clock): ``python scripts/drill.py``.

The drill engine and the test doubles live in ``__tests__/support`` (never in the Lambda package).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda_src"), str(ROOT / "constructs"), str(ROOT / "__tests__")]

from dr_stack.binding import install  # noqa: E402 - after the path set-up above

install()  # the drill builds the orchestrators' environment with the stack's code: the binding's fast import
from support.drill import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
