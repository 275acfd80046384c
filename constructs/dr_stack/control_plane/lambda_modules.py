"""Modules the stack shares with the Lambda package, loaded from ``lambda_src/`` by path.

A module both sides use (the contract, the permission list, the cluster spec) must be inside the Lambda zip, built
from ``lambda_src/`` only, and importable at synth time without PYTHONPATH: the project is installed editable from
``constructs/`` only, so ``import dr_contract`` works under pytest (which puts ``lambda_src`` on the path) but not
under ``cdktf synth``. Each is loaded here from its file once; if the Lambda side imported it first (tests), that
same module object is used, so both sides always share one.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

LAMBDA_SOURCE = Path(__file__).resolve().parents[3] / "lambda_src"


def load_lambda_module(name: str) -> ModuleType:
    """Return the top-level module ``name`` of ``lambda_src/``, loading it from its file when not imported yet."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    path = LAMBDA_SOURCE / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name} from {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclass and typing machinery look the module up by name while it executes.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
