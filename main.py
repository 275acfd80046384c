"""Assemble the CDKTF app: the bootstrap (state backend) stack and the two-region DR stack."""

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from dr_stack.config.settings import SettingsError, resolve_settings

ROOT = Path(__file__).resolve().parent


def use_project_node(environ: MutableMapping[str, str]) -> None:
    """Run jsii on the project's Node (npm package `node`, major 22, in node_modules/.bin) when it is installed:
    jsii starts `node` from PATH, which may be an end-of-life system Node, also under `python main.py` or a
    `node_modules/.bin/cdktf` run outside make. Node's deprecation warnings about jsii's own code (printed by
    cdktf as [ERROR]) are not the user's to act on: off, unless NODE_OPTIONS already says how to treat them."""
    node_bin = ROOT / "node_modules" / ".bin"
    path = environ.get("PATH", "")
    if (node_bin / "node").exists() and path.split(os.pathsep)[0] != str(node_bin):
        environ["PATH"] = f"{node_bin}{os.pathsep}{path}"
    options = environ.get("NODE_OPTIONS", "--max-old-space-size=4096")
    if "deprecation" not in options:
        environ["NODE_OPTIONS"] = f"{options} --no-deprecation"


def main() -> int:
    """Validate settings, then synthesize every stack; bad settings exit 2 before anything is written. Which
    settings file was read and every value given by it or by a DR_* variable is printed first (stdout: cdktf shows
    it as it is, while it marks every stderr line [ERROR])."""
    try:
        resolved = resolve_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(resolved.report())
    settings = resolved.settings
    use_project_node(os.environ)
    # Imported after validation: loading the AWS binding is most of a synth's start-up, and a refusal should
    # not wait for it. The lazy loader goes in first so that only the resource modules the stack names load.
    from dr_stack.binding import install

    install()
    from dr_stack.app import build_app

    build_app(settings).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
