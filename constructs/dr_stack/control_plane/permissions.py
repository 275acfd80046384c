"""The constructs' view of the permission list: the package ``lambda_src/dr_permissions/``, one module per function
role, one module object each for both sides (the readiness check simulates the same list;
``dr_stack.control_plane.lambda_modules`` says why it is loaded by path).

``permissions.base.LAMBDA_BASE`` (every function), ``permissions.orchestrator.FAILOVER`` and the orchestrator's
other grants, ``permissions.keeper.SWITCH_KEEPER``, ``permissions.probe.PROBE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dr_stack.control_plane.lambda_modules import LAMBDA_SOURCE, load_lambda_module

PERMISSIONS_PACKAGE = LAMBDA_SOURCE / "dr_permissions"

if TYPE_CHECKING:
    import dr_permissions as permissions

    # Each module imported by name, so the type checker knows it as an attribute of the package (the loader
    # imports every module of it).
    import dr_permissions.base
    import dr_permissions.keeper
    import dr_permissions.orchestrator
    import dr_permissions.probe  # noqa: F401
else:
    permissions = load_lambda_module("dr_permissions")

__all__ = ["permissions", "PERMISSIONS_PACKAGE"]
