"""Modules the stack shares with the Lambda package, loaded from ``lambda_src/`` by path.

A module both sides use (the contract, the permission list, the cluster spec) must be inside the Lambda zip, built
from ``lambda_src/`` only, and importable at synth time without PYTHONPATH: the project is installed editable from
``constructs/`` only, so ``import dr_contract`` works under pytest (which puts ``lambda_src`` on the path) but not
under ``cdktf synth``. Each is loaded here from its file once (a package from its folder, with every module in
it); if the Lambda side imported it first (tests), that same module object is used, so both sides always share
one.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

LAMBDA_SOURCE = Path(__file__).resolve().parents[3] / "lambda_src"


def load_lambda_module(name: str) -> ModuleType:
    """Return the top-level module or package ``name`` of ``lambda_src/``, loading it from its file when not
    imported yet; of a package, every module in it is imported too, each registered in ``sys.modules`` under its
    dotted name (``dr_permissions.orchestrator``), as ``import`` would register it."""
    module = sys.modules.get(name) or _load_from_file(name)
    # A package's __path__ is its folder: the import system finds its modules there, also when the package itself
    # was loaded by path. walk_packages imports the subpackages it descends into; import_module the rest.
    if hasattr(module, "__path__"):
        for submodule in pkgutil.walk_packages(module.__path__, prefix=f"{name}."):
            importlib.import_module(submodule.name)
    return module


def _load_from_file(name: str) -> ModuleType:
    """``lambda_src/<name>.py``, or the package ``lambda_src/<name>/``, loaded and registered as ``name``."""
    folder = LAMBDA_SOURCE / name
    if folder.is_dir():
        path = folder / "__init__.py"
        spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=[str(folder)])
    else:
        path = LAMBDA_SOURCE / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name} from {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclass and typing machinery look the module up by name while it executes, and
    # a package's modules import it by name (``from dr_permissions import Grant``).
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
