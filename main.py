"""Assemble the CDKTF app: the bootstrap (state backend) stack and the two-region DR stack."""

import sys

from dr_stack.settings import SettingsError, load_settings


def main() -> int:
    """Validate settings, then synthesize every stack; bad settings exit 2 before anything is written."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Imported after validation: loading the AWS binding is most of a synth's start-up, and a refusal should
    # not wait for it. The lazy loader goes in first so that only the resource modules the stack names load.
    from dr_stack.binding import install

    install()
    from dr_stack.app import build_app

    build_app(settings).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
