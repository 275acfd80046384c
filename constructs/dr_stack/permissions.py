"""The constructs' view of the permission list: ``lambda_src/dr_permissions.py`` loaded by path, one module object.

Like ``dr_contract`` (see ``dr_stack.contract``), the list must be inside the Lambda zip, where the readiness
check simulates it, and importable at synth time without PYTHONPATH; the Lambda side's own import is reused when
it happened first.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

PERMISSIONS_FILE = Path(__file__).resolve().parents[2] / "lambda_src" / "dr_permissions.py"


def _load() -> ModuleType:
    """Return the ``dr_permissions`` module, loading it from PERMISSIONS_FILE when not imported yet."""
    loaded = sys.modules.get("dr_permissions")
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location("dr_permissions", PERMISSIONS_FILE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the permission list from {PERMISSIONS_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dr_permissions"] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import dr_permissions as permissions
else:
    permissions = _load()

__all__ = ["permissions", "PERMISSIONS_FILE"]
