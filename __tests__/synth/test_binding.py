"""The lazy loader of the AWS binding: same synthesized JSON, a fraction of the import cost, installed on purpose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from conftest import Synthesized
from dr_stack.binding import _head_of

ROOT = Path(__file__).resolve().parents[2]
# The loader cuts the binding's __init__ at a layout this version was checked against (see Pipfile).
PINNED_BINDING_VERSION = "20.1.0"
# The profiles compared: the dev defaults, and prod with a domain and automatic failover.
PROFILES: dict[str, dict[str, str]] = {
    "dev": {},
    "prod": {
        "DR_ENVIRONMENT": "prod",
        "DR_DOMAIN_NAME": "app.example.com",
        "DR_HOSTED_ZONE_NAME": "example.com",
        "DR_FAILOVER_AUTOMATIC": "true",
    },
}


def _start(code: str) -> subprocess.Popen[str]:
    """A Python process running ``code`` in the project, with no DR_* variable and the project's Node first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DR_")}
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _output(process: subprocess.Popen[str]) -> str:
    """The process's standard output once it has exited 0 (within 300 s)."""
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, stderr
    return stdout


def _python(code: str) -> str:
    return _output(_start(code))


def test_head_stops_before_the_eager_imports() -> None:
    source = "import jsii\nX = 1\npublication.publish()\n\nfrom . import vpc\nfrom . import subnet\n"
    assert _head_of(source) == "import jsii\nX = 1\npublication.publish()\n"


def test_unexpected_layout_falls_back_to_the_full_import() -> None:
    assert _head_of("import jsii\n") is None
    assert _head_of("publication.publish()\nfrom . import vpc\nREGISTRY = {}\n") is None


def test_the_binding_is_the_version_the_loader_was_checked_against() -> None:
    """A new binding version may change its __init__ layout: bump the pin only after the equivalence test below."""
    assert metadata.version("cdktf-cdktf-provider-aws") == PINNED_BINDING_VERSION
    assert f'cdktf-cdktf-provider-aws = "=={PINNED_BINDING_VERSION}"' in (ROOT / "Pipfile").read_text()


def test_only_named_modules_are_loaded(dev: Synthesized) -> None:
    loaded = [name for name in sys.modules if name.startswith("cdktf_cdktf_provider_aws.")]
    assert "cdktf_cdktf_provider_aws.vpc" in loaded
    assert "cdktf_cdktf_provider_aws.workspaces_workspace" not in loaded
    # The stack uses about 75 resource types (each a module and its _private); the binding has ~2,100 modules.
    assert len(loaded) < 200


def test_importing_the_package_installs_nothing() -> None:
    """The loader is installed by install() (main.py, conftest, scripts), never as a side effect of an import."""
    code = (
        "import sys; sys.path[:0] = ['constructs']; import dr_stack, dr_stack.binding as b; "
        "print(any(isinstance(f, b._LazyBindingFinder) for f in sys.meta_path)); b.install(); "
        "print(any(isinstance(f, b._LazyBindingFinder) for f in sys.meta_path))"
    )
    assert _python(code).split() == ["False", "True"]


def test_lazy_and_full_import_synthesize_the_same_json(tmp_path: Path) -> None:
    """One process per import mode synthesizes every profile in turn (each with only its DR_* variables): the
    full import costs ~20 s, so it is paid once, not once per profile; the two processes run side by side."""
    outputs: dict[str, dict[str, dict[str, Any]]] = {}
    processes: dict[str, subprocess.Popen[str]] = {}
    for mode, prelude in (("lazy", "from dr_stack.binding import install; install(); "), ("full", "")):
        code = (
            f"import json, os, sys; sys.path[:0] = ['constructs']; {prelude}"
            "from dr_stack.app import build_app; from dr_stack.config.settings import load_settings\n"
            f"for profile, variables in json.loads({json.dumps(PROFILES)!r}).items():\n"
            "    for name in [name for name in os.environ if name.startswith('DR_')]: del os.environ[name]\n"
            "    os.environ.update(variables)\n"
            f"    build_app(load_settings(), outdir=os.path.join({str(tmp_path)!r}, '{mode}-' + profile)).synth()\n"
            "print(len([m for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')]))"
        )
        processes[mode] = _start(code)
    try:
        for mode, process in processes.items():
            loaded = int(_output(process).split()[-1])
            # The full import loads every resource module, the lazy one only those the stack names.
            assert (loaded > 1000) == (mode == "full"), (mode, loaded)
            outputs[mode] = {
                profile: {
                    p.parent.name: json.loads(p.read_text())
                    for p in (tmp_path / f"{mode}-{profile}").glob("stacks/*/cdk.tf.json")
                }
                for profile in PROFILES
            }
    finally:  # a failed run leaves no process behind
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    for profile in PROFILES:
        assert len(outputs["lazy"][profile]) == 2 and outputs["lazy"][profile] == outputs["full"][profile], profile
    assert outputs["lazy"]["dev"] != outputs["lazy"]["prod"]
    dr_stack = next(body for name, body in outputs["lazy"]["prod"].items() if name.endswith("-dr"))
    assert dr_stack["resource"]["aws_route53_record"], "the prod profile exercises the DNS records"
    assert dr_stack["resource"]["aws_cloudwatch_event_rule"], "and the automatic failover trigger"
