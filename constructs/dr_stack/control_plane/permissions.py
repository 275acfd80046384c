"""The constructs' view of the permission list: ``lambda_src/dr_permissions.py``, one module object for both sides
(the readiness check simulates the same list; ``dr_stack.control_plane.lambda_modules`` says why it is loaded by
path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dr_stack.control_plane.lambda_modules import LAMBDA_SOURCE, load_lambda_module

PERMISSIONS_FILE = LAMBDA_SOURCE / "dr_permissions.py"

if TYPE_CHECKING:
    import dr_permissions as permissions
else:
    permissions = load_lambda_module("dr_permissions")

__all__ = ["permissions", "PERMISSIONS_FILE"]
