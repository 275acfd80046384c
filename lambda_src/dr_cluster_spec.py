"""One description of a region's Aurora cluster and its instances, shared by the stack and the orchestrator.

The stack (``dr_stack.data_tier.database``, through ``dr_stack.data_tier.cluster_spec``, which loads this file by
path) builds its ``aws_rds_cluster`` and ``aws_rds_cluster_instance`` resources from a ``ClusterSpec`` and hands
the same spec, as JSON, to the region's orchestrator (``REPROTECT_CLUSTER_SPEC``), whose re-protect
(``dr_failover.actions.reprotect``) builds its ``CreateDBCluster``/``CreateDBInstance`` parameters from it field
by field. Field names are the Terraform arguments they become; values may be Terraform references at synth time,
which Terraform resolves in the function's environment before the function reads them.

Only the linking values are not in the spec: the global cluster identifier and the engine and version, which
re-protect reads from the live global cluster (a secondary must use the global cluster's, Aurora User Guide,
"Adding an AWS Region to an Amazon Aurora global database") and the stack takes from its global cluster resource.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ClusterSpecError(ValueError):
    """A serialized spec is malformed: the message names every missing or mistyped field."""


@dataclass(frozen=True)
class InstancePlacement:
    """What differs between the instances of one cluster (``ClusterSpec.instances`` derives it)."""

    identifier: str
    availability_zone: str
    promotion_tier: int


@dataclass(frozen=True)
class InstanceSettings:
    """Settings every instance of one cluster shares (``aws_rds_cluster_instance`` arguments)."""

    instance_class: str
    db_parameter_group_name: str
    publicly_accessible: bool
    auto_minor_version_upgrade: bool
    ca_cert_identifier: str
    copy_tags_to_snapshot: bool
    monitoring_interval: int
    # None with monitoring_interval 0: RDS refuses a monitoring role without an interval (CreateDBInstance).
    monitoring_role_arn: str | None
    # Performance Insights data is encrypted with the cluster's key (ClusterSpec.kms_key_id): one customer-managed
    # key per region, and one reference fewer in the function's 4 KB environment.
    performance_insights_enabled: bool
    performance_insights_retention_period: int


@dataclass(frozen=True)
class ClusterSpec:
    """One region's cluster (``aws_rds_cluster`` arguments) and its instances, in creation order."""

    cluster_identifier: str
    port: int
    db_subnet_group_name: str
    vpc_security_group_ids: tuple[str, ...]
    db_cluster_parameter_group_name: str
    storage_encrypted: bool
    kms_key_id: str
    backup_retention_period: int
    preferred_backup_window: str
    preferred_maintenance_window: str
    copy_tags_to_snapshot: bool
    deletion_protection: bool
    enabled_cloudwatch_logs_exports: tuple[str, ...]
    iam_database_authentication_enabled: bool
    # (min, max) ACU of Serverless v2 instances; None for provisioned instance classes.
    serverless_capacity: tuple[float, float] | None
    # None: the argument is not set (the primary-role cluster; Terraform then sends no value).
    enable_global_write_forwarding: bool | None
    # The provider's default_tags and the resource's own tags: Terraform sends both merged (resource wins).
    provider_default_tags: Mapping[str, str]
    tags: Mapping[str, str]
    instance: InstanceSettings
    # The region's availability zones in order; instance n (from 0) is placed in zone n modulo their number.
    availability_zones: tuple[str, ...]
    instance_count: int

    @property
    def instances(self) -> tuple[InstancePlacement, ...]:
        """Each instance in creation order: ``<cluster>-1`` .. ``<cluster>-<count>``, spread over the AZs; the first
        has promotion tier 0 (the preferred writer: Aurora promotes the lowest tier first), the others 1.

        Derived rather than listed so that the JSON stays small: Lambda allows 4 KB for all environment variables
        together, and a secondary cluster may have 16 instances.
        """
        zones = self.availability_zones
        return tuple(
            InstancePlacement(
                identifier=f"{self.cluster_identifier}-{index + 1}",
                availability_zone=zones[index % len(zones)],
                promotion_tier=0 if index == 0 else 1,
            )
            for index in range(self.instance_count)
        )

    @property
    def effective_tags(self) -> dict[str, str]:
        """The tags AWS receives (Terraform's ``tags_all``): default tags overridden by the resource's."""
        return {**self.provider_default_tags, **self.tags}

    def to_json(self) -> str:
        """The spec as one JSON object (the REPROTECT_CLUSTER_SPEC value)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> ClusterSpec:
        """Parse ``to_json``'s output; one ClusterSpecError naming every missing or mistyped field."""
        try:
            values = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ClusterSpecError(f"must be a JSON object, got {raw[:60]!r} ({error.msg})") from error
        problems: list[str] = []
        spec = _build(cls, values, "", problems)
        if not problems and spec.instance_count < 1:
            problems.append(f"instance_count must be at least 1, got {spec.instance_count}")
        if not problems and not spec.availability_zones:
            problems.append("availability_zones must name at least one zone")
        if problems:
            raise ClusterSpecError("; ".join(problems))
        return typing.cast(ClusterSpec, spec)


def _build(cls: type, values: Any, path: str, problems: list[str]) -> Any:
    """A dataclass of ``cls`` from JSON ``values``, appending each problem (with its field path) to ``problems``."""
    if not isinstance(values, dict):
        problems.append(f"{path or 'spec'} must be an object, got {type(values).__name__}")
        return None
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for spec_field in dataclasses.fields(cls):
        name = f"{path}{spec_field.name}"
        if spec_field.name not in values:
            problems.append(f"lacks {name!r}")
            continue
        kwargs[spec_field.name] = _value(hints[spec_field.name], values[spec_field.name], name, problems)
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
    problems.extend(f"unknown field {path}{key!r}" for key in unknown)
    return cls(**kwargs) if len(kwargs) == len(dataclasses.fields(cls)) else None


def _value(hint: Any, value: Any, name: str, problems: list[str]) -> Any:
    """``value`` checked against the type ``hint`` (and converted: lists to tuples, ints to floats)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _value(inner, value, name, problems)
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type, hint), value, f"{name}.", problems)
    if origin is tuple:
        if not isinstance(value, list):
            problems.append(f"{name} must be a list, got {value!r}")
            return ()
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], item, f"{name}[{i}]", problems) for i, item in enumerate(value))
        if len(value) != len(args):
            problems.append(f"{name} must have {len(args)} items, got {value!r}")
            return ()
        return tuple(
            _value(arg, item, f"{name}[{i}]", problems) for i, (arg, item) in enumerate(zip(args, value, strict=True))
        )
    if origin in (Mapping, dict):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            problems.append(f"{name} must be an object of strings, got {value!r}")
            return {}
        return dict(value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        problems.append(f"{name} must be an integer, got {value!r}")
        return 0
    if not isinstance(value, hint):
        problems.append(f"{name} must be {hint.__name__}, got {value!r}")
    return value
