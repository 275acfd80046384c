"""Security gate: checkov over every synthesized stack, filtered by the justified suppression list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Synthesized

from scripts import security_scan
from scripts.security_scan import (
    Finding,
    Suppression,
    literal_credentials,
    load_suppressions,
    run_checkov,
    scan,
)


def _write(stacks: dict[str, dict[str, object]], root: Path) -> Path:
    for name, document in stacks.items():
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text(json.dumps(document))
    return root


@pytest.fixture(scope="session")
def all_stacks(dev_stacks: dict[str, Synthesized], prod_stacks: dict[str, Synthesized]) -> dict[str, dict[str, object]]:
    """The four stacks (dev and prod, DR and bootstrap), named like cdktf.out folders."""
    return {
        "drapp-dev-dr": dev_stacks["dr"].data,
        "drapp-dev-bootstrap": dev_stacks["bootstrap"].data,
        "drapp-prod-dr": prod_stacks["dr"].data,
        "drapp-prod-bootstrap": prod_stacks["bootstrap"].data,
    }


@pytest.fixture(scope="session")
def scanned(all_stacks: dict[str, dict[str, object]], tmp_path_factory: pytest.TempPathFactory):
    """scan() of the four stacks, and the findings of the one checkov run it made (recorded, so that no test
    runs checkov over the same stacks again: a run takes ~7 s)."""
    recorded: list[list[Finding]] = []

    def recording(stacks_dir: Path) -> list[Finding]:
        recorded.append(run_checkov(stacks_dir))
        return recorded[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security_scan, "run_checkov", recording)
        result = scan(_write(all_stacks, tmp_path_factory.mktemp("scan")))
    (findings,) = recorded
    return result, findings


@pytest.fixture(scope="session")
def scan_result(scanned):
    return scanned[0]


def test_no_unsuppressed_checkov_finding(scan_result) -> None:
    unsuppressed, _, _ = scan_result
    assert not unsuppressed, "\n".join(f"{f.check_id} {f.stack}/{f.resource}: {f.name}" for f in unsuppressed)


def test_no_literal_credential_in_any_stack(scan_result) -> None:
    _, credentials, _ = scan_result
    assert not credentials, credentials


def test_every_suppression_is_justified_and_still_needed(scan_result) -> None:
    _, _, unused = scan_result
    assert all(len(s.justification) >= 20 for s in load_suppressions())
    assert not unused, [f"{s.check_id} {s.resource}" for s in unused]


def test_a_new_unjustified_finding_fails(all_stacks: dict[str, dict[str, object]], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(all_stacks["drapp-prod-bootstrap"]))
    table = next(iter(broken["resource"]["aws_dynamodb_table"].values()))
    table["point_in_time_recovery"] = {"enabled": False}
    unsuppressed, _, _ = scan(_write({"drapp-prod-bootstrap": broken}, tmp_path))
    assert any(f.check_id == "CKV_AWS_28" for f in unsuppressed)


def test_literal_password_is_caught() -> None:
    document = {"resource": {"aws_rds_cluster": {"c": {"master_password": "hunter2-but-longer"}}}}
    assert literal_credentials(document) == [
        ".resource.aws_rds_cluster.c.master_password: literal value for a credential field"
    ]
    assert literal_credentials({"resource": {"aws_rds_cluster": {"c": {"master_password": "${var.p}"}}}}) == []


def test_secret_in_lambda_environment_is_caught() -> None:
    document = {"resource": {"aws_lambda_function": {"f": {"environment": {"variables": {"DB_PASSWORD": "${x}"}}}}}}
    assert literal_credentials(document) == ["aws_lambda_function.f: environment variable DB_PASSWORD carries a secret"]


def test_access_key_pattern_is_caught() -> None:
    assert literal_credentials({"locals": {"k": "AKIAABCDEFGHIJKLMNOP"}})


def test_suppression_matches_check_resource_and_stack() -> None:
    suppression = Suppression("CKV_AWS_150", "*load_balancer*", "dev must be destroyable by cdktf destroy", "*-dev-*")
    assert suppression.covers(Finding("CKV_AWS_150", "aws_lb.primary_load_balancer", "drapp-dev-dr", ""))
    assert not suppression.covers(Finding("CKV_AWS_150", "aws_lb.primary_load_balancer", "drapp-prod-dr", ""))


def test_all_four_stacks_are_scanned(all_stacks: dict[str, dict[str, object]], scanned) -> None:
    """Both profiles' DR and bootstrap stacks go through checkov; each has findings (suppressed ones), so a stack
    left out of the scan would show here."""
    _, findings = scanned
    assert set(all_stacks) == {"drapp-dev-dr", "drapp-dev-bootstrap", "drapp-prod-dr", "drapp-prod-bootstrap"}
    assert {finding.stack for finding in findings} == set(all_stacks)
