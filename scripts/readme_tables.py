"""Print the README's generated tables, or rewrite them in place with --write (tests check they are current)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))

from dr_stack.budget import budget_summary, budget_table  # noqa: E402
from dr_stack.settings import load_settings, settings_table  # noqa: E402

# The production profile with automatic failover (the budget does not depend on the domain).
PROD_AUTOMATIC = {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0}


def tables() -> dict[str, str]:
    """Marker name -> generated markdown (defaults of the dev profile for the budget)."""
    return {
        "settings-table": settings_table(),
        "budget-table": budget_table(load_settings(environ={})),
        "budget-table-prod": budget_table(load_settings(PROD_AUTOMATIC, environ={})),
        "budget-summary": budget_summary(
            {
                "dev, manual": load_settings(environ={}),
                "dev, automatic": load_settings(
                    {"failover_automatic": True, "failover_decision_allowance_seconds": 0}, environ={}
                ),
                "prod, manual": load_settings({"environment": "prod"}, environ={}),
                "prod, automatic": load_settings(PROD_AUTOMATIC, environ={}),
            }
        ),
    }


def write_readme() -> None:
    """Replace each table between its README markers."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    for name, table in tables().items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        block = f"{start}\n{table}\n{end}"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
        text = pattern.sub(block.replace("\\", "\\\\"), text)
    readme.write_text(text)


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        print("\n\n".join(tables().values()))
