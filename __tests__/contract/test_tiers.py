"""The tiers: every test module sits in a tier folder, every test carries a registered tier marker, and `make
test-fast` is the suite without `slow`."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from conftest import KINDS, ROOT, SLOW, SLOW_TESTS, TESTS, tier_of


def _modules() -> dict[str, Path]:
    """Every test module pytest collects (``test_*.py``, its default ``python_files``), by name."""
    return {path.stem: path for path in TESTS.rglob("test_*.py")}


def test_every_test_module_is_in_a_tier() -> None:
    """A test module outside the tier folders would run with no tier, so ``-m`` selections would silently drop
    it; two modules of one name would make pytest's default import mode refuse the second."""
    paths = sorted(TESTS.rglob("test_*.py"))
    assert [path.relative_to(TESTS).as_posix() for path in paths if tier_of(path) is None] == []
    assert len({path.stem for path in paths}) == len(paths)
    assert {folder.name for folder in TESTS.iterdir() if folder.is_dir() and any(folder.glob("test_*.py"))} == set(
        KINDS
    )


def test_a_module_outside_the_tier_folders_has_no_tier() -> None:
    assert tier_of(TESTS / "test_new.py") is None
    assert tier_of(TESTS / "support" / "test_new.py") is None
    assert tier_of(TESTS / "synth" / "nested" / "test_new.py") is None
    assert [tier_of(TESTS / kind / "test_new.py") for kind in KINDS] == list(KINDS)


def test_every_slow_entry_names_a_test_that_exists() -> None:
    stale = []
    for entry in sorted(SLOW_TESTS):
        module, _, function = entry.partition("::")
        path = _modules().get(module)
        if path is None:
            stale.append(entry)
            continue
        if function:
            tree = ast.parse(path.read_text())
            names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
            if function not in names:
                stale.append(entry)
    assert stale == []


def test_the_markers_are_registered_and_strict() -> None:
    """With ``--strict-markers`` pytest refuses a marker that is not registered (pytest docs, "Working with custom
    markers"), so a misspelt tier fails the run instead of selecting nothing."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in options["addopts"].split()
    assert {line.split(":", 1)[0] for line in options["markers"]} == {*KINDS, SLOW}


def test_every_collected_test_carries_a_tier(request: pytest.FixtureRequest) -> None:
    """What the hook did to this session's items: each has one of the three kinds, and `slow` exactly when
    SLOW_TESTS names it or its module."""
    unplaced, slow_mismatch = [], []
    for item in request.session.items:
        markers = {mark.name for mark in item.iter_markers()}
        if not markers & set(KINDS):
            unplaced.append(item.nodeid)
        module, name = item.path.stem, getattr(item, "originalname", item.name)
        if (SLOW in markers) != (module in SLOW_TESTS or f"{module}::{name}" in SLOW_TESTS):
            slow_mismatch.append(item.nodeid)
    assert (unplaced, slow_mismatch) == ([], [])


def test_make_test_fast_runs_the_suite_without_slow() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe, "no test-fast target"
    assert '-m pytest -m "not slow"' in recipe.group(1)
    assert re.search(r"^\.PHONY:.*\btest-fast\b", makefile, flags=re.M)
