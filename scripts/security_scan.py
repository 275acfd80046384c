"""Security gate: checkov over the synthesized Terraform JSON, filtered through a justified suppression list,
plus a project check that no literal credential appears in the JSON or in a Lambda environment.

Inline `checkov:skip` comments are not read for Terraform JSON, so suppressions live in
security/checkov_suppressions.toml: one entry per check id and resource pattern, each with a justification.
Usage: python scripts/security_scan.py [cdktf.out]   (without an argument it synthesizes into a temp folder)
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUPPRESSIONS = ROOT / "security" / "checkov_suppressions.toml"
CHECKOV_VENV = ROOT / ".venv-checkov"

# A key that holds a secret when its value is a literal (not a ${...} reference or a variable).
_SECRET_KEY = re.compile(
    r"^(password|passwd|\w*_password|secret_string(_wo)?|secret_key|access_key|private_key|"
    r"\w*_token|token|api_key)$",
    re.I,
)
_SECRET_KEY_ALLOWED = re.compile(r"^(http_tokens|http_put_response_hop_limit)$", re.I)
# Blocks where a literal credential would reach AWS or the state (outputs are checked by their value only).
_CHECKED_BLOCKS = ("resource", "data", "provider", "locals", "variable", "module")
_LITERAL_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


@dataclass(frozen=True)
class Finding:
    """One failed check: id, resource address (type.name) and stack."""

    check_id: str
    resource: str
    stack: str
    name: str


@dataclass(frozen=True)
class Suppression:
    """An accepted finding: check id, resource glob, and why it is acceptable."""

    check_id: str
    resource: str
    justification: str
    stack: str = "*"

    def covers(self, finding: Finding) -> bool:
        """True when this suppression accepts the finding (check id, resource glob and stack glob)."""
        return (
            self.check_id == finding.check_id
            and fnmatch.fnmatchcase(finding.resource, self.resource)
            and fnmatch.fnmatchcase(finding.stack, self.stack)
        )


def load_suppressions(path: Path = SUPPRESSIONS) -> list[Suppression]:
    """Read the suppression list; every entry needs a check id, a resource pattern and a real justification."""
    entries = tomllib.loads(path.read_text()).get("suppression", [])
    suppressions = []
    for index, entry in enumerate(entries):
        justification = str(entry.get("justification", "")).strip()
        if not entry.get("check_id") or not entry.get("resource") or len(justification) < 20:
            raise SystemExit(
                f"{path.name} entry {index + 1} needs check_id, resource and a justification "
                f"of at least 20 characters, got {entry!r}"
            )
        suppressions.append(Suppression(entry["check_id"], entry["resource"], justification, entry.get("stack", "*")))
    return suppressions


def checkov_command() -> list[str]:
    """The checkov executable: CHECKOV, the project's checkov venv, or PATH."""
    if os.environ.get("CHECKOV"):
        return [os.environ["CHECKOV"]]
    local = CHECKOV_VENV / "bin" / "checkov"
    if local.exists():
        return [str(local)]
    found = shutil.which("checkov")
    if not found:
        raise SystemExit("checkov not found: run `make setup` (it installs security/checkov-requirements.txt)")
    return [found]


def prepare(stacks_dir: Path, scratch: Path) -> Path:
    """Copy each stack's JSON without the `terraform` settings block, which checkov's JSON parser rejects."""
    target = scratch / "stacks"
    for stack_file in sorted(stacks_dir.glob("*/cdk.tf.json")):
        document = json.loads(stack_file.read_text())
        document.pop("terraform", None)
        document.pop("//", None)
        folder = target / stack_file.parent.name
        folder.mkdir(parents=True)
        (folder / "main.tf.json").write_text(json.dumps(document, indent=1))
    return target


def run_checkov(stacks_dir: Path) -> list[Finding]:
    """Run checkov (terraform_json, offline) and return its failed checks."""
    with tempfile.TemporaryDirectory() as scratch:
        prepared = prepare(stacks_dir, Path(scratch))
        env = {
            **os.environ,
            "BC_SKIP_MAPPING": "TRUE",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "LOG_LEVEL": "ERROR",
        }
        result = subprocess.run(
            [
                *checkov_command(),
                "-d",
                str(prepared),
                "--framework",
                "terraform_json",
                "--quiet",
                "--compact",
                "-o",
                "json",
                "--skip-download",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode not in (0, 1):
            raise SystemExit(f"checkov failed ({result.returncode}): {result.stderr[-2000:]}")
        reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    findings = []
    for report in reports:
        if report.get("summary", {}).get("parsing_errors"):
            raise SystemExit(f"checkov could not parse a stack: {report['summary']}")
        for failed in report.get("results", {}).get("failed_checks", []):
            stack = Path(failed.get("file_path", "")).parent.name
            findings.append(Finding(failed["check_id"], failed["resource"], stack, failed.get("check_name", "")))
    return findings


def _walk(node: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _walk(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [item for index, value in enumerate(node) for item in _walk(value, f"{path}[{index}]")]
    return [(path, node)]


def literal_credentials(document: dict[str, Any]) -> list[str]:
    """Places in a synthesized stack where a credential is a literal value instead of a reference."""
    problems = []
    checked = {k: v for k, v in document.items() if k in _CHECKED_BLOCKS}
    for name, output in document.get("output", {}).items():
        if isinstance(output.get("value"), str):
            checked.setdefault("output", {})[name] = {"value": output["value"]}
    for path, value in _walk(checked, ""):
        text = value if isinstance(value, str) else ""
        for label, pattern in _LITERAL_PATTERNS.items():
            if pattern.search(text):
                problems.append(f"{path}: looks like a {label}")
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        literal = isinstance(value, str) and value and "${" not in value
        if literal and _SECRET_KEY.search(key) and not _SECRET_KEY_ALLOWED.search(key):
            problems.append(f"{path}: literal value for a credential field")
    for name, function in document.get("resource", {}).get("aws_lambda_function", {}).items():
        variables = (function.get("environment") or {}).get("variables", {})
        for variable in variables:
            if _SECRET_KEY.search(variable) and not _SECRET_KEY_ALLOWED.search(variable):
                problems.append(f"aws_lambda_function.{name}: environment variable {variable} carries a secret")
    return problems


def scan(
    stacks_dir: Path, suppressions: list[Suppression] | None = None
) -> tuple[list[Finding], list[str], list[Suppression]]:
    """Unsuppressed checkov findings, literal-credential problems, and suppressions that matched nothing."""
    suppressions = load_suppressions() if suppressions is None else suppressions
    findings = run_checkov(stacks_dir)
    unsuppressed = [f for f in findings if not any(s.covers(f) for s in suppressions)]
    unused = [s for s in suppressions if not any(s.covers(f) for f in findings)]
    credentials = [
        f"{stack.parent.name}: {problem}"
        for stack in sorted(stacks_dir.glob("*/cdk.tf.json"))
        for problem in literal_credentials(json.loads(stack.read_text()))
    ]
    return unsuppressed, credentials, unused


def main(argv: list[str]) -> int:
    """Scan cdktf.out (given) or a fresh synth; print findings; exit 1 on any unsuppressed one."""
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            out = Path(argv[0])
        else:
            from validate import synth  # same folder

            out = Path(tmp) / "cdktf.out"
            synth(out)
        unsuppressed, credentials, unused = scan(out / "stacks")
    for finding in unsuppressed:
        print(f"FAILED {finding.check_id} {finding.stack}/{finding.resource}: {finding.name}")
    for problem in credentials:
        print(f"LITERAL CREDENTIAL {problem}")
    for suppression in unused:
        print(f"note: suppression {suppression.check_id} {suppression.resource} matched nothing")
    print(f"checkov: {len(unsuppressed)} unsuppressed finding(s); literal credentials: {len(credentials)}")
    return 1 if unsuppressed or credentials else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
