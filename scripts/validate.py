"""Offline `terraform validate` of every synthesized stack against hashicorp/aws from the local mirror.

The stacks need hashicorp/aws only (the master password is an ephemeral resource of hashicorp/aws or an
ephemeral variable), so they validate offline in the configured password mode.
Usage: python scripts/validate.py [cdktf.out]   (without an argument it synthesizes into a temp folder)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRROR_CANDIDATES = ("/opt/tf-plugins", "/usr/share/terraform/plugins", str(Path.home() / ".terraform.d/plugins"))


def find_mirror() -> Path:
    """The filesystem mirror holding registry.terraform.io/hashicorp/aws (TF_PROVIDER_MIRROR overrides)."""
    candidates = [os.environ["TF_PROVIDER_MIRROR"]] if os.environ.get("TF_PROVIDER_MIRROR") else []
    candidates += list(MIRROR_CANDIDATES)
    for candidate in candidates:
        if (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return Path(candidate)
    found = subprocess.run(
        ["find", "/", "-xdev", "-type", "d", "-path", "*registry.terraform.io/hashicorp/aws"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if not found:
        raise SystemExit("no filesystem mirror of registry.terraform.io/hashicorp/aws found; set TF_PROVIDER_MIRROR")
    return Path(found[0]).parents[2]


def cli_config(workdir: Path) -> Path:
    """A Terraform CLI config that installs hashicorp/aws from the mirror and nothing from the network."""
    config = workdir / "terraformrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{find_mirror()}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    return config


def synth(outdir: Path) -> None:
    """Synthesize every stack with a local backend (validate configures none) into outdir."""
    env = {**os.environ, "DR_STATE_BACKEND": "local"}
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    code = (
        "import sys; sys.path[:0] = ['constructs']\n"
        "from dr_stack.binding import install; install()\n"
        "from dr_stack.app import build_app\n"
        "from dr_stack.config.settings import load_settings\n"
        f"build_app(load_settings(), outdir={str(outdir)!r}).synth()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def validate(stacks_dir: Path) -> dict[str, str]:
    """Run terraform init (no backend) and validate in each stack folder; returns stack -> 'ok' or the error."""
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(cli_config(Path(scratch))),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
        for stack in sorted(p for p in stacks_dir.iterdir() if (p / "cdk.tf.json").is_file()):
            work = Path(scratch) / stack.name
            shutil.copytree(stack, work)
            init = subprocess.run(
                ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if init.returncode != 0:
                results[stack.name] = init.stdout + init.stderr
                continue
            check = subprocess.run(
                ["terraform", "validate", "-no-color"], cwd=work, env=env, capture_output=True, text=True, check=False
            )
            results[stack.name] = "ok" if check.returncode == 0 else check.stdout + check.stderr
    return results


def main(argv: list[str]) -> int:
    """Validate cdktf.out (given) or a fresh validation-mode synth; print one line per stack."""
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            out = Path(argv[0])
        else:
            out = Path(tmp) / "cdktf.out"
            synth(out)
        results = validate(out / "stacks")
    for stack, result in results.items():
        print(f"{stack}: {'valid' if result == 'ok' else 'INVALID'}")
        if result != "ok":
            print(result)
    return 0 if results and all(r == "ok" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
