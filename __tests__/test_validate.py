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


def test_every_stack_validates(prod_stacks: dict[str, Synthesized], tmp_path: Path) -> None:
    results = validate(_write(prod_stacks, tmp_path))
    assert set(results) == {"dr", "bootstrap"}
    assert results == {"dr": "ok", "bootstrap": "ok"}, "\n".join(results.values())


def test_validate_catches_an_invalid_stack(prod_stacks: dict[str, Synthesized], tmp_path: Path) -> None:
    broken = json.loads(prod_stacks["bootstrap"].text)
    table = next(iter(broken["resource"]["aws_dynamodb_table"].values()))
    table["billing_mode_typo"] = "PAY_PER_REQUEST"
    results = validate(_write({"broken": Synthesized(json.dumps(broken))}, tmp_path))
    assert results["broken"] != "ok"
    assert "billing_mode_typo" in results["broken"]


@pytest.mark.parametrize("stack", ["prod", "bootstrap"])
def test_validation_stacks_need_no_random_provider(stack: str, request: pytest.FixtureRequest) -> None:
    assert "random" not in request.getfixturevalue(stack).data["terraform"]["required_providers"]
