"""Assemble the CDKTF app: the bootstrap (state backend) stack and the two-region DR stack."""

import sys

from cdktf import App

from dr_stack.app import build_app
from dr_stack.settings import SettingsError


def main() -> int:
    """Synthesize every stack; bad settings exit non-zero before anything is written."""
    try:
        app: App = build_app()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
