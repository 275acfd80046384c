"""Print the generated tables of docs/, or rewrite them in place with --write (tests check they are current).

docs/settings.md holds the settings reference, docs/budget.md the recovery budget, docs/architecture.md the
orchestrator's steps (from the plan the run follows, ``dr_failover.run.plan``); each table sits between
``<!-- <name>:start -->`` and ``<!-- <name>:end -->`` markers.
"""

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))
sys.path.insert(0, str(ROOT / "lambda_src"))

from dr_failover.run.plan import steps_table  # noqa: E402
from dr_stack.config.budget import budget_summary, budget_table  # noqa: E402
from dr_stack.config.settings import load_settings, settings_table  # noqa: E402

# The production profile with automatic failover (the budget does not depend on the domain).
PROD_AUTOMATIC = {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0}

# Which file holds which generated table.
FILES = {
    "settings-table": "docs/settings.md",
    "budget-table": "docs/budget.md",
    "budget-table-prod": "docs/budget.md",
    "budget-summary": "docs/budget.md",
    "steps-table": "docs/architecture.md",
}


def tables() -> dict[str, str]:
    """Marker name -> generated markdown (defaults of the dev profile for the budget)."""
    return {
        "settings-table": settings_table(),
        "steps-table": steps_table(),
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


def _literal(block: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that inserts ``block`` as it is."""
    return lambda _match: block


def render(text: str, generated: dict[str, str]) -> str:
    """``text`` with each marked table replaced by its generated version; a missing marker is an error."""
    for name, table in generated.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
        if not pattern.search(text):
            raise ValueError(f"markers {start} ... {end} not found")
        # A function as the replacement: the table's backslashes are not escapes.
        text = pattern.sub(_literal(f"{start}\n{table}\n{end}"), text)
    return text


def rendered_files() -> dict[Path, tuple[str, str]]:
    """Each docs file with generated tables: (its text now, its text with fresh tables)."""
    generated = tables()
    result: dict[Path, tuple[str, str]] = {}
    for relative in sorted(set(FILES.values())):
        path = ROOT / relative
        text = path.read_text()
        mine = {name: table for name, table in generated.items() if FILES[name] == relative}
        result[path] = (text, render(text, mine))
    return result


def write() -> None:
    """Rewrite every stale docs file."""
    for path, (current, fresh) in rendered_files().items():
        if fresh != current:
            path.write_text(fresh)
            print(f"rewrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print("\n\n".join(tables().values()))
