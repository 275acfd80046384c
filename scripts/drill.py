"""Run the local failover drill (moto + stubbed RDS, simulated clock): ``python scripts/drill.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_src"))

from dr_failover.drill import main  # noqa: E402 - after the path set-up above

if __name__ == "__main__":
    sys.exit(main())
