"""The deploy workflow: state files survive every synth, the stacks deploy in order, every make target acts.

These run the real cdktf CLI (as `make synth` does) in a scratch project whose cdktf.json starts this worktree's
main.py, so what is checked is what a user's `cdktf synth` / `cdktf deploy '*'` would see.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

STATE_TEXT = '{"version": 4, "serial": 7, "lineage": "planted-by-test", "resources": []}\n'


def _cdktf_synth(project: Path, environment: str) -> None:
    """`cdktf synth --output cdktf.out` in ``project`` for one DR_ENVIRONMENT, as the Makefile runs it."""
    env = {
        key: value for key, value in os.environ.items() if not key.upper().startswith("DR_") and key != "CDKTF_OUTDIR"
    }
    env.update(
        DR_ENVIRONMENT=environment,
        CI="1",
        CHECKPOINT_DISABLE="1",
        PYTHONPATH=os.pathsep.join(str(ROOT / part) for part in ("constructs", "lambda_src", "")),
        PATH=f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    done = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "synth", "--output", "cdktf.out"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _backend_path(project: Path, stack: str) -> Path:
    """Where Terraform puts the stack's local state: its backend path, resolved from the stack's folder (the
    working directory cdktf runs terraform in; Terraform resolves a relative local-backend path from it,
    https://developer.hashicorp.com/terraform/language/backend/local)."""
    stack_dir = project / "cdktf.out" / "stacks" / stack
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    return (stack_dir / document["terraform"]["backend"]["local"]["path"]).resolve()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch cdktf project running this worktree's main.py; dev synthesized (`make synth`: rm, then synth)."""
    folder = tmp_path_factory.mktemp("deploy-project")
    config = json.loads((ROOT / "cdktf.json").read_text())
    config["app"] = f"{sys.executable} {ROOT / 'main.py'}"
    (folder / "cdktf.json").write_text(json.dumps(config))
    _cdktf_synth(folder, "dev")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_bootstrap_state_survives_make_synth_and_a_synth_of_another_environment(project: Path) -> None:
    """cdktf removes the output folder of every stack an app no longer synthesizes, and `make synth` removes
    cdktf.out: a state file planted where the bootstrap stack's local backend writes it is still there, unchanged,
    after a synth of prod and after `make synth`'s rm -rf cdktf.out and a synth of dev again."""
    state = _backend_path(project, "drapp-dev-bootstrap")
    assert project / "cdktf.out" not in state.parents, f"bootstrap state {state} is inside cdktf.out"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(STATE_TEXT)
    _cdktf_synth(project, "prod")
    assert not (project / "cdktf.out" / "stacks" / "drapp-dev-bootstrap").exists(), "cdktf kept the dev stack"
    assert _backend_path(project, "drapp-prod-bootstrap").parent == state.parent
    shutil.rmtree(project / "cdktf.out")
    _cdktf_synth(project, "dev")
    assert state.read_text() == STATE_TEXT
    assert _backend_path(project, "drapp-dev-bootstrap") == state


def test_dr_stack_depends_on_the_bootstrap_stack_in_the_manifest(project: Path) -> None:
    """cdktf deploy '*' runs stacks with no dependency between them in parallel (cdktf-cli's stack manager
    starts every stack whose `dependencies` in manifest.json are done): the DR stack, whose S3 backend is the
    bootstrap stack's bucket, lists the bootstrap stack; the bootstrap stack lists nothing."""
    manifest = json.loads((project / "cdktf.out" / "manifest.json").read_text())
    stacks = manifest["stacks"]
    assert stacks["drapp-dev-dr"]["dependencies"] == ["drapp-dev-bootstrap"]
    assert stacks["drapp-dev-bootstrap"]["dependencies"] == []


def test_deploy_order_names_the_bootstrap_stack_only_for_the_s3_backend() -> None:
    from dr_stack.config.settings import deploy_stack_names, load_settings

    assert deploy_stack_names(load_settings(environ={})) == ("drapp-dev-bootstrap", "drapp-dev-dr")
    cloud = load_settings({"state_backend": "cloud", "tfc_organization": "acme"}, environ={})
    assert deploy_stack_names(cloud) == ("drapp-dev-dr",)


def _make_database() -> str:
    """make's own database of the Makefile (`make -p`: every rule and whether it has a recipe), nothing run."""
    done = subprocess.run(
        ["make", "-pRrq", "-f", str(ROOT / "Makefile"), "-C", str(ROOT), ":"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


def test_every_phony_target_has_a_recipe() -> None:
    """GNU make exits 0 with "Nothing to be done" for a phony target without a recipe: every target named in
    .PHONY has recipe lines in make's database (`make -p` prints "recipe to execute" for each)."""
    database = _make_database()
    phony = re.search(r"^\.PHONY: (.*)$", database, re.MULTILINE)
    assert phony is not None
    targets = phony.group(1).split()
    assert {"deploy", "diff", "destroy", "budget", "synth", "test"} <= set(targets)
    # make -p prints one blank-line-separated entry per target: "<target>: <prerequisites>", then comments.
    entries = {block.split(":", 1)[0]: block for block in database.split("\n\n") if re.match(r"[\w.-]+:", block)}
    without = [target for target in targets if "recipe to execute" not in entries.get(target, "")]
    assert without == [], f"phony targets without a recipe: {without}"


def test_make_deploy_deploys_both_stacks_in_order_and_synth_installs_no_checkov() -> None:
    """`make -n` prints the commands a target would run: deploy names the bootstrap stack before the DR stack,
    and synth's prerequisites exclude the checkov environment (only the test and scan targets need it)."""
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("DR_")}
    done = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "-W", "Pipfile.lock", "deploy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert ".venv-checkov" not in done.stdout
    deploy = [line for line in done.stdout.splitlines() if line.startswith("cdktf deploy")]
    assert len(deploy) == 1
    stacks = subprocess.run(
        ["bash", "-c", deploy[0].replace("cdktf deploy --skip-synth", "echo", 1)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout.split()
    assert stacks == ["drapp-dev-bootstrap", "drapp-dev-dr"]


def test_setup_installs_into_virtual_environments_only() -> None:
    """PEP 668: a Debian or Ubuntu system Python is marked externally managed, and `pip install` outside a
    virtual environment fails with "externally-managed-environment". `make -n setup` from a clean checkout
    (`-B`: every target out of date) prints each install command: every pip runs from a venv's interpreter
    that the recipe itself creates with `python3 -m venv`, and pipenv runs from its private venv (.tools/)."""
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("DR_")}
    done = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), "setup"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    created = {m.group(1) for line in lines if (m := re.match(r"python3 -m venv (\S+)$", line))}
    assert ".tools" in created
    pips = [line for line in lines if re.search(r"\bpip3?\b install", line)]
    assert pips, done.stdout
    for line in pips:
        interpreter = line.split()[0]
        assert any(interpreter == f"{venv}/bin/python" for venv in created), f"pip outside a venv: {line}"
    pipenv = [line for line in lines if re.search(r"\bpipenv\b (sync|install)", line)]
    assert pipenv and all(line.startswith(".tools/bin/pipenv ") for line in pipenv), done.stdout
