"""main.py outside make: jsii gets the project's Node and no deprecation noise."""

from __future__ import annotations

import os
import subprocess

import pytest
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


def test_main_prints_the_settings_file_and_each_override_before_synth(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Synth says which settings file it read and every value a file or variable gave (stdout: cdktf prints the
    app's stderr as [ERROR]); the stacks are then built from those settings."""
    import dr_stack.app
    import dr_stack.binding
    from dr_stack.config.settings import Settings

    import main as entry

    built: list[Settings] = []
    synthesized: list[bool] = []

    class App:
        def synth(self) -> None:
            synthesized.append(True)

    def build_app(settings: Settings) -> App:
        built.append(settings)
        return App()

    for key in [key for key in os.environ if key.upper().startswith("DR_") or key == "CDKTF_CONTEXT_JSON"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DR_ENVIRONMENT", "prod")
    monkeypatch.setenv("DR_ALARM_EMAIL", "oncall@example.com")
    monkeypatch.setattr(dr_stack.binding, "install", lambda: None)
    monkeypatch.setattr(dr_stack.app, "build_app", build_app)
    monkeypatch.setattr(entry, "use_project_node", lambda environ: None)  # it would change this process's PATH
    assert entry.main() == 0
    out = capsys.readouterr()
    assert out.out.startswith("settings file environments/prod.toml; environment 'prod' from DR_ENVIRONMENT:")
    assert "  alarm_email = 'oncall@example.com'  (from DR_ALARM_EMAIL)" in out.out.splitlines()
    assert "[ERROR]" not in out.err and "settings file" not in out.err
    assert [settings.alarm_email for settings in built] == ["oncall@example.com"] and synthesized == [True]


def test_main_refuses_bad_settings_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import main as entry

    monkeypatch.setenv("DR_APP_PORT", "80")
    assert entry.main() == 2
    assert "app_port must be an integer from 1024 to 65535, got 80" in capsys.readouterr().err
