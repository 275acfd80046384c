"""The constructs' view of the Lambda contract: ``lambda_src/dr_contract.py``, one module object for both sides
(``dr_stack.control_plane.lambda_modules`` says why it is loaded by path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dr_stack.control_plane.lambda_modules import LAMBDA_SOURCE, load_lambda_module

CONTRACT_FILE = LAMBDA_SOURCE / "dr_contract.py"

if TYPE_CHECKING:
    import dr_contract as contract
else:
    contract = load_lambda_module("dr_contract")

__all__ = ["contract", "CONTRACT_FILE"]
