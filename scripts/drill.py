"""Run the local failover drill (moto + stubbed RDS, simulated clock): ``python scripts/drill.py``.

The drill engine and the test doubles live in ``__tests__/support`` (never in the Lambda package).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda_src"), str(ROOT / "__tests__")]

from support.drill import main  # noqa: E402 - after the path set-up above

if __name__ == "__main__":
    sys.exit(main())
