"""Print the README's settings table, or rewrite it in place with --write (test_settings checks it is current)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))

from dr_stack.settings import settings_table  # noqa: E402

START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def write_readme() -> None:
    """Replace the table between the README's markers."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    block = f"{START}\n{settings_table()}\n{END}"
    readme.write_text(re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S))


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        print(settings_table())
