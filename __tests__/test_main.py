"""main.py outside make: jsii gets the project's Node and no deprecation noise."""

from __future__ import annotations

import os
import subprocess

from conftest import ROOT


def test_main_puts_the_projects_node_first_on_path() -> None:
    from main import use_project_node

    environ = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    use_project_node(environ)
    node_bin = ROOT / "node_modules" / ".bin"
    assert environ["PATH"].split(os.pathsep)[0] == str(node_bin)
    # The npm package `node` the project pins is a supported (not end-of-life) major: 22.
    version = subprocess.run(
        ["node", "--version"], env=environ, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert version.startswith("v22."), version
    assert "--no-deprecation" in environ["NODE_OPTIONS"]
    assert "--max-old-space-size" in environ["NODE_OPTIONS"]  # else cdktf warns about NODE_OPTIONS


def test_main_keeps_path_and_node_options_the_user_chose() -> None:
    from main import use_project_node

    node_bin = str(ROOT / "node_modules" / ".bin")
    environ = {"PATH": f"{node_bin}{os.pathsep}/usr/bin", "NODE_OPTIONS": "--trace-deprecation"}
    use_project_node(environ)
    assert environ == {"PATH": f"{node_bin}{os.pathsep}/usr/bin", "NODE_OPTIONS": "--trace-deprecation"}
