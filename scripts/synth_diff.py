"""Compare the synthesized JSON of this tree with a git revision's, for the dev and prod profiles (not a test).

    .venv/bin/python scripts/synth_diff.py [REVISION]      # default: main

The revision is checked out with `git worktree add` into a temporary folder; both trees are synthesized by this
virtualenv's Python (the caller's DR_* variables and PYTHONPATH are ignored), each stack's JSON is loaded and compared.
Only what depends on the checkout's path is normalised: nothing today (the Lambda asset path in the JSON is
relative to the output folder and its hash follows the content of lambda_src); a difference there shows
as a difference. Exit 0 when every stack of every profile is identical, 1 otherwise (each differing JSON path
is printed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The profiles compared: the dev defaults, and prod with a domain, automatic failover and an alarm e-mail;
# prod-variable covers the other password mode (an ephemeral variable instead of a generated password).
PROFILES: dict[str, dict[str, str]] = {
    "dev": {},
    "prod": {
        "DR_ENVIRONMENT": "prod",
        "DR_DOMAIN_NAME": "app.example.com",
        "DR_HOSTED_ZONE_NAME": "example.com",
        "DR_FAILOVER_AUTOMATIC": "true",
        "DR_ALARM_EMAIL": "oncall@example.com",
    },
    "prod-variable": {
        "DR_ENVIRONMENT": "prod",
        "DR_DOMAIN_NAME": "app.example.com",
        "DR_HOSTED_ZONE_NAME": "example.com",
        "DR_CREATE_HOSTED_ZONE": "true",
        "DR_FAILOVER_AUTOMATIC": "true",
        "DR_DB_PASSWORD_SOURCE": "variable",
    },
}

# Works on trees where importing dr_stack installs the lazy loader and on trees where it must be called, and on
# trees from before the domain packages (settings at dr_stack.settings) as well as after (dr_stack.config.settings).
_SYNTH = "\n".join(
    (
        "import sys; sys.path[:0] = ['constructs']; from dr_stack.binding import install; install()",
        "try:\n    from dr_stack.config.settings import load_settings",
        "except ImportError:\n    from dr_stack.settings import load_settings",
        "from dr_stack.app import build_app; build_app(load_settings(), outdir=sys.argv[1]).synth()",
    )
)


def synthesize(tree: Path, profile: dict[str, str], outdir: Path) -> dict[str, Any]:
    """Every stack's JSON of one tree for one profile, by stack name."""
    # Neither the caller's DR_* settings nor its PYTHONPATH (which would make the base tree import this tree's
    # modules) reach the synth.
    env = {key: value for key, value in os.environ.items() if not key.startswith("DR_") and key != "PYTHONPATH"}
    env.update(profile)
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-c", _SYNTH, str(outdir)], cwd=tree, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"synth failed in {tree}:\n{done.stderr[-4000:]}")
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """JSON paths where two documents differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            where = f"{path}.{key}"
            if key not in before:
                found.append(f"{where}: only after")
            elif key not in after:
                found.append(f"{where}: only before")
            else:
                found += differences(before[key], after[key], where)
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            line
            for index, pair in enumerate(zip(before, after, strict=True))
            for line in differences(*pair, f"{path}[{index}]")
        ]
    if before != after:
        return [f"{path}: {json.dumps(before)[:200]} -> {json.dumps(after)[:200]}"]
    return []


def main(argv: list[str]) -> int:
    """Synthesize the revision and this tree for each profile and report the differences."""
    if len(argv) > 2 or any(arg in ("-h", "--help") for arg in argv[1:]):
        print(__doc__)
        return 0 if len(argv) == 2 else 2
    revision = argv[1] if len(argv) > 1 else "main"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="synth-diff-") as scratch:
        base = Path(scratch) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), commit], cwd=ROOT, check=True, capture_output=True
        )
        try:
            total = 0
            for name, profile in PROFILES.items():
                before = synthesize(base, profile, Path(scratch) / f"{name}-before")
                after = synthesize(ROOT, profile, Path(scratch) / f"{name}-after")
                found = differences(before, after)
                total += len(found)
                verdict = "identical" if not found else f"{len(found)} differences"
                print(f"{name}: stacks {sorted(after)} vs {commit}: {verdict}")
                for line in found[:50]:
                    print(f"  {line}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
