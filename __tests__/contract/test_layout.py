"""The project layout that keeps cdktf importable: constructs/ is a source root, never a package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_constructs_folder_is_not_a_package() -> None:
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_constructs_import_is_the_library() -> None:
    import constructs

    assert hasattr(constructs, "Construct")
    assert "site-packages" in str(Path(constructs.__file__).resolve())


def test_design_card_top_level_exists() -> None:
    for name in (
        "main.py",
        "cdktf.json",
        "constructs",
        "lambda_src",
        "__tests__",
        "Pipfile",
        "Pipfile.lock",
        "README.md",
        "package.json",
        "package-lock.json",
        ".ci/run",
    ):
        assert (ROOT / name).exists(), name


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    modules = [p.stem for p in (ROOT / "constructs" / "dr_stack").rglob("*.py")]
    modules += [p.stem for p in (ROOT / "lambda_src").rglob("*.py")]
    assert not stdlib.intersection(modules)


def test_every_handler_the_stack_names_imports() -> None:
    """Lambda calls a Python function's handler as ``<module>.<function>``, the module imported from the package
    root (Lambda Developer Guide, "Define Lambda function handler in Python"): each handler string the stack sets
    (``dr_contract``) must name an importable module of ``lambda_src/`` and a function in it."""
    import importlib

    import dr_contract as contract

    for handler in (contract.ORCHESTRATOR_HANDLER, contract.SWITCH_KEEPER_HANDLER, contract.PROBE_HANDLER):
        module, function = handler.rsplit(".", 1)
        path = ROOT / "lambda_src" / (module.replace(".", "/") + ".py")
        assert path.is_file(), f"{handler}: no {path.relative_to(ROOT)} in the Lambda zip's source"
        assert callable(getattr(importlib.import_module(module), function, None)), handler


def test_the_function_package_holds_entry_points_on_top_and_domains_below() -> None:
    """dr_failover keeps its Lambda entry points and its environment at the top; every other module lives in a
    domain package (a folder with an ``__init__.py``), so a concern is found by its folder."""
    package = ROOT / "lambda_src" / "dr_failover"
    assert sorted(p.stem for p in package.glob("*.py")) == ["__init__", "config", "handler", "keeper"]
    folders = [p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert sorted(p.name for p in folders) == ["actions", "automatic", "aws", "checks", "records", "run"]
    for folder in folders:
        assert (folder / "__init__.py").is_file(), folder.name
        assert list(folder.glob("*.py")) != [folder / "__init__.py"], f"{folder.name} holds no module"


def test_no_module_name_is_used_by_both_the_stack_and_the_functions() -> None:
    """A name shared by a construct module and a function module (two ``readiness.py``) sends a reader to the
    wrong side; the stack's and the functions' module names are distinct."""
    stack = {p.stem for p in (ROOT / "constructs" / "dr_stack").rglob("*.py")} - {"__init__"}
    functions = {p.stem for p in (ROOT / "lambda_src").rglob("*.py")} - {"__init__"}
    assert not stack & functions


def test_main_only_assembles_under_main_guard() -> None:
    text = (ROOT / "main.py").read_text()
    assert 'if __name__ == "__main__":' in text
    assert "Stack(" not in text


def test_ci_runs_the_readme_test_command_then_the_e2e_run() -> None:
    """CI must call the README's test command; the end-to-end run on the emulator comes after it (it needs the
    set-up that command does), and nothing else runs."""
    readme = (ROOT / "README.md").read_text()
    two_commands = readme.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    test_command = next(line.split("#", 1)[0].strip() for line in two_commands.splitlines() if "make test" in line)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line.strip() for line in ci if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-2:] == [test_command, "make e2e"]
    # errexit and pipefail: a failing `make test` must fail CI, not be followed by a green `make e2e`
    assert "set -euo pipefail" in commands[:-2]
    assert all(c == "set -euo pipefail" or c.startswith("cd ") for c in commands[:-2])


# The stack's code by domain (README "Code map"): the entry points and the shared contract stay at the top.
TOP_LEVEL_MODULES = {"__init__", "app", "binding", "contract", "stacks"}
DOMAIN_PACKAGES = {
    "application",
    "config",
    "control_plane",
    "data_tier",
    "foundation",
    "naming",
    "observability",
    "traffic",
}


def test_the_stack_code_lives_in_its_domain_packages() -> None:
    """Every module of dr_stack is an entry point or sits in one of the domain packages the README's code map
    lists; each package is named in the code map, so a new module or package is placed on purpose."""
    package = ROOT / "constructs" / "dr_stack"
    assert {p.stem for p in package.glob("*.py")} == TOP_LEVEL_MODULES
    packages = {p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == DOMAIN_PACKAGES
    assert all((package / name / "__init__.py").is_file() for name in packages)
    assert not [p for p in package.rglob("*.py") if len(p.relative_to(package).parts) > 2]
    code_map = (ROOT / "README.md").read_text().split("## Code map", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{name}/`" in code_map for name in packages)
