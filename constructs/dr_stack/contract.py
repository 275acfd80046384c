"""The constructs' view of the Lambda contract: ``lambda_src/dr_contract.py`` loaded by path, one module object.

``dr_contract`` must be inside the Lambda zip (built from ``lambda_src/`` only) and importable at synth time
without PYTHONPATH (the project is installed editable from ``constructs/`` only), so it lives in
``lambda_src/`` and is loaded here from its file. If the Lambda side already imported it (tests put
``lambda_src`` on the path), that same module is used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "lambda_src" / "dr_contract.py"


def _load() -> ModuleType:
    """Return the ``dr_contract`` module, loading it from CONTRACT_FILE when not imported yet."""
    loaded = sys.modules.get("dr_contract")
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location("dr_contract", CONTRACT_FILE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the Lambda contract from {CONTRACT_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dr_contract"] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import dr_contract as contract
else:
    contract = _load()

__all__ = ["contract", "CONTRACT_FILE"]
