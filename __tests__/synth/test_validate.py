"""`terraform validate` of every synthesized stack, offline, against hashicorp/aws 5.100.0 from the mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Synthesized

from scripts.validate import validate


def _write(stacks: dict[str, Synthesized], root: Path) -> Path:
    for name, stack in stacks.items():
        folder = root / "stacks" / name
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text(json.dumps(stack.data))
    return root / "stacks"


def test_every_stack_of_both_profiles_validates(
    dev_stacks: dict[str, Synthesized], prod_stacks: dict[str, Synthesized], tmp_path: Path
) -> None:
    """dev generates the password (ephemeral aws_secretsmanager_random_password), prod takes it from an ephemeral
    variable: both password modes validate offline against hashicorp/aws 5.100.0 alone."""
    stacks = {f"{profile}_{name}": stack for profile, group in (("dev", dev_stacks), ("prod", prod_stacks))
              for name, stack in group.items()}  # fmt: skip
    results = validate(_write(stacks, tmp_path))
    assert results == dict.fromkeys(stacks, "ok"), "\n".join(results.values())
    assert set(results) == {"dev_dr", "dev_bootstrap", "prod_dr", "prod_bootstrap"}


def test_validate_catches_an_invalid_stack(prod_stacks: dict[str, Synthesized], tmp_path: Path) -> None:
    broken = json.loads(prod_stacks["bootstrap"].text)
    table = next(iter(broken["resource"]["aws_dynamodb_table"].values()))
    table["billing_mode_typo"] = "PAY_PER_REQUEST"
    results = validate(_write({"broken": Synthesized(json.dumps(broken))}, tmp_path))
    assert results["broken"] != "ok"
    assert "billing_mode_typo" in results["broken"]


@pytest.mark.parametrize("stack", ["dev", "prod", "dev_bootstrap", "bootstrap"])
def test_validation_stacks_need_no_random_provider(stack: str, request: pytest.FixtureRequest) -> None:
    assert "random" not in request.getfixturevalue(stack).data["terraform"]["required_providers"]
