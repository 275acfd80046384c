"""The AWS actions each function calls, by purpose: the one list its IAM statements and the readiness check's
IAM simulation are both built from, one module per function role.

- ``base``: what the Lambda service does with every function's execution role (``LAMBDA_BASE``).
- ``orchestrator``: the orchestrator's grants (failover, recovery, run reports, readiness) and what RDS authorizes the
  recovery creates on (``AUTHORIZED_ON``); ``orchestrator_grants`` is its complete list beyond ``LAMBDA_BASE``.
- ``keeper``: the switch keeper's (``SWITCH_KEEPER``).
- ``probe``: the probe's (``PROBE``).

Each ``Grant`` is one IAM statement: its Sid, its actions and the resources it is scoped to, named (``on``), not
written as ARNs. The stack (``dr_stack.control_plane.permissions`` loads this package by path, as
``dr_stack.contract`` loads ``dr_contract``) turns the names into the ARNs of the resources it creates; the
orchestrator's readiness check (``dr_failover.checks.failover_readiness.failover_permissions``) turns them into
the ARNs the calls name at run time and simulates every grant marked ``simulated`` with
``iam:SimulatePrincipalPolicy``. A grant dropped or narrowed here changes both sides at once; a resource the stack
stops granting fails the simulation.

Resource names (``on``):

- ``global_cluster``, ``own_cluster``, ``peer_cluster``: the global cluster and the two member clusters
  (``own``: the function's region).
- ``own_instances``: instances of the own cluster (``<cluster>-<n>``, as Terraform and re-protect name them);
  ``all_instances``: every instance of the account in the two regions (DescribeDBInstances filtered by cluster
  names none).
- ``subnet_group``, ``cluster_parameter_group``, ``instance_parameter_group``: the own cluster's.
- ``default_option_group``: the default option groups of the region (``default:<engine>-<major>``). Aurora
  clusters and instances get the engine's default option group, and RDS authorizes CreateDBCluster and
  CreateDBInstance on it (Service Authorization Reference, Amazon RDS: resource type ``og`` of both actions; the
  RDS User Guide's example policy for CreateDBInstance lists ``og:default*``).
- ``own_key``, ``monitoring_role``: the region's KMS key and the Enhanced Monitoring role.
- ``own_asg``, ``peer_asg``; ``own_table``, ``peer_table``, ``switch_table`` (the traffic-switch region's replica);
  ``topic``; ``peer_health_check``; ``own_alarms`` (the stack's alarms of the region, by name prefix);
  ``probe_alarm``; ``log_streams``, ``dead_letter_queue``; ``own_role`` (the function's own role, which the
  readiness check simulates); ``report_objects``, ``report_key``: the run reports under the report prefix of the
  region's report bucket and the key they are encrypted with; ``any`` (``*``: actions without resource-level
  permissions, as the Service Authorization Reference lists them).

Condition values are templates filled from ``{region}``, ``{metric_namespace}`` and ``{readiness_namespace}``.

Stdlib only: the Lambda zip holds ``lambda_src/`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Grant:
    """One Allow statement: ``actions`` on the resources named by ``on``, under ``conditions``."""

    sid: str
    actions: tuple[str, ...]
    on: tuple[str, ...]
    conditions: tuple[tuple[str, str, str], ...] = ()
    """(test, condition key, value template) each."""
    simulated: bool = False
    """The readiness check simulates it: a failover or recovery makes this call, and a refusal must show before."""

    def condition_values(self, values: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
        """The conditions with their templates filled."""
        return tuple((test, key, template.format(**values)) for test, key, template in self.conditions)


# PutMetricData into the stack's metric namespace only (the orchestrator, the keeper; the probe into its own).
NAMESPACE_CONDITION: Final = (("StringEquals", "cloudwatch:namespace", "{metric_namespace}"),)
