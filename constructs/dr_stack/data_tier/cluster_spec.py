"""The constructs' view of the cluster spec: ``lambda_src/dr_cluster_spec.py``, one module object for both sides
(re-protect builds its CreateDB* calls from the same spec; ``dr_stack.control_plane.lambda_modules`` says why it is
loaded by path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dr_stack.control_plane.lambda_modules import load_lambda_module

if TYPE_CHECKING:
    from dr_cluster_spec import ClusterSpec, InstanceSettings
else:
    _spec = load_lambda_module("dr_cluster_spec")
    ClusterSpec = _spec.ClusterSpec
    InstanceSettings = _spec.InstanceSettings

__all__ = ["ClusterSpec", "InstanceSettings"]
