"""The probe (``dr_probe``): it publishes its result in its own namespace and calls nothing else of AWS."""

from __future__ import annotations

from typing import Final

from dr_permissions import NAMESPACE_CONDITION, Grant

PROBE: Final = (Grant("PublishProbe", ("cloudwatch:PutMetricData",), ("any",), NAMESPACE_CONDITION),)
