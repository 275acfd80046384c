"""The switch keeper (``dr_failover.keeper``): it reads the traffic-switch item and the writer, and re-publishes
the traffic switch."""

from __future__ import annotations

from typing import Final

from dr_permissions import NAMESPACE_CONDITION, Grant

SWITCH_KEEPER: Final = (
    Grant("ReadSwitchState", ("dynamodb:GetItem",), ("switch_table",)),
    Grant("ReadWriter", ("rds:DescribeGlobalClusters",), ("global_cluster",)),
    Grant("PublishSwitch", ("cloudwatch:PutMetricData",), ("any",), NAMESPACE_CONDITION),
)
