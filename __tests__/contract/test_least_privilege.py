"""Least privilege, read from both sides: every AWS call the code of a Lambda makes (parsed from ``lambda_src/``)
is granted to the role that runs it in the synthesized JSON of both profiles, every action granted is called (or
is on a short list of what AWS does with the role indirectly, each with its reason), and the readiness check's
IAM simulation, built from the same permission list (``lambda_src/dr_permissions/``), passes against the
synthesized policies and fails when a resource RDS authorizes on, or the run report's grant, is dropped from them.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Synthesized
from support.least_privilege import RoleGrants, actions_called, role_grants

PROFILES = ("dev", "prod")
ACCOUNT = "123456789012"

# What AWS does with a Lambda's execution role beyond the calls of its code, each with its reason and, where it
# is needed only for some calls, the calls (one of which the role's code must make) that need it.
RDS_CREATES = ("rds:CreateDBCluster", "rds:CreateDBInstance")
INDIRECT: dict[str, tuple[str, tuple[str, ...]]] = {
    "logs:CreateLogStream": ("Lambda writes the function's logs with the execution role (Lambda Developer Guide).", ()),
    "logs:PutLogEvents": ("Lambda writes the function's logs with the execution role (Lambda Developer Guide).", ()),
    "xray:PutTraceSegments": ("Active tracing: Lambda sends trace segments with the execution role.", ()),
    "xray:PutTelemetryRecords": ("Active tracing: Lambda sends telemetry with the execution role.", ()),
    "sqs:SendMessage": ("Lambda sends a failed asynchronous event to the dead-letter queue with the role.", ()),
    "kms:Decrypt": (
        "Lambda decrypts the environment (customer key) with the execution role; calls on resources encrypted "
        "with the key (SQS, SNS, DynamoDB, S3) need it too (KMS Developer Guide, service integrations).",
        (),
    ),
    "kms:GenerateDataKey": ("Sending to the key-encrypted DLQ (and topic, report objects) needs a data key.", ()),
    "kms:CreateGrant": (
        "CreateDBCluster/CreateDBInstance with a KmsKeyId: RDS creates a grant for the caller (Service "
        "Authorization Reference, Amazon RDS, dependent actions).",
        RDS_CREATES,
    ),
    "iam:PassRole": (
        "CreateDBInstance with MonitoringRoleArn passes the Enhanced Monitoring role to RDS (Service "
        "Authorization Reference, Amazon RDS, CreateDBInstance dependent actions).",
        RDS_CREATES,
    ),
}


def _indirect_for(needed: set[str]) -> set[str]:
    """The INDIRECT actions a role whose code needs `needed` may hold."""
    return {action for action, (_why, calls) in INDIRECT.items() if not calls or needed & set(calls)}


# Calls the code makes only in some deployments, and the synthesized fact that says whether this one is one.
CONDITIONAL_CALLS: dict[str, str] = {
    # dr_failover.actions.database_capacity.apply_database_plan: ModifyDBCluster only for a Serverless v2 target
    # (serverless_max).
    "rds:ModifyDBCluster": "serverless capacity matching",
}
# Roles no code of this project runs under: the service that assumes each, and what it is granted, with why.
# None: the role's grants are the application's (its instances run the user's code, not this project's).
SERVICE_ROLES: dict[str, tuple[str, frozenset[str] | None, frozenset[str]]] = {
    "backup_service_role": (
        "backup.amazonaws.com: the AWS managed service-role policy AWS Backup documents for backup and copy (a "
        "restore names its own role in StartRestoreJob; nothing in the stack restores)",
        frozenset(),
        frozenset({"AWSBackupServiceRolePolicyForBackup"}),
    ),
    "monitoring_role": (
        "monitoring.rds.amazonaws.com: Enhanced Monitoring's managed policy (RDS User Guide, Enhanced Monitoring)",
        frozenset(),
        frozenset({"AmazonRDSEnhancedMonitoringRole"}),
    ),
    "flow_log_role": (
        "vpc-flow-logs.amazonaws.com: writes flow logs to the group the stack creates (VPC User Guide, IAM role "
        "for publishing flow logs to CloudWatch Logs; CreateLogGroup is not needed, the group exists)",
        frozenset({"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}),
        frozenset(),
    ),
    "app_tier_instance_role": (
        "ec2.amazonaws.com: the application's instances (SSM, the database secret, the app-state table)",
        None,
        frozenset({"AmazonSSMManagedInstanceCore"}),
    ),
}


def _stack(profile: str, request: pytest.FixtureRequest) -> Synthesized:
    stack: Synthesized = request.getfixturevalue(profile)
    return stack


def _serverless_matching(stack: Synthesized) -> bool:
    """The synthesized orchestrators match capacity on a Serverless v2 cluster (their environment says so)."""
    function = stack.only("aws_lambda_function", "secondary_orchestrator")
    variables = function["environment"]["variables"]
    spec = json.loads(variables["REPROTECT_CLUSTER_SPEC"])
    serverless = spec["instance"]["instance_class"] == "db.serverless"
    return bool(variables["MATCH_DATABASE_CAPACITY"] == "true" and serverless)


def _lambda_roles(stack: Synthesized) -> dict[str, RoleGrants]:
    return {rid: role for rid, role in role_grants(stack.data).items() if role.handler}


def _needed(stack: Synthesized, role: RoleGrants) -> set[str]:
    assert role.handler is not None
    needed, unresolved = actions_called(role.handler)
    assert not unresolved, f"calls whose client or operation is not known: {unresolved}"
    if not _serverless_matching(stack):
        needed -= set(CONDITIONAL_CALLS)
    return needed


@pytest.mark.parametrize("profile", PROFILES)
def test_every_call_of_the_code_is_granted_to_the_role_that_runs_it(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """Each boto3 call reachable from a Lambda's handler authorizes as the IAM action of the same name (Service
    Authorization Reference); a call whose action the role lacks is AccessDenied in the middle of a run."""
    stack = _stack(profile, request)
    roles = _lambda_roles(stack)
    assert {role.handler for role in roles.values()} >= {"dr_failover.handler.handler", "dr_failover.keeper.handler"}
    missing = {role.name: sorted(_needed(stack, role) - role.actions) for role in roles.values()}
    assert not any(missing.values()), missing


@pytest.mark.parametrize("profile", PROFILES)
def test_no_role_is_granted_an_action_its_code_never_calls(profile: str, request: pytest.FixtureRequest) -> None:
    """The other direction: an action granted but never called (and not on the INDIRECT list of what AWS does
    with the role) is a privilege nobody needs."""
    stack = _stack(profile, request)
    unused = {
        role.name: sorted(role.actions - needed - _indirect_for(needed))
        for role in _lambda_roles(stack).values()
        for needed in [_needed(stack, role)]
    }
    assert not any(unused.values()), unused


def test_modify_db_cluster_is_granted_only_where_serverless_capacity_matching_calls_it(
    dev: Synthesized, prod: Synthesized
) -> None:
    """ModifyDBCluster can reset the master password or lift deletion protection (RDS API Reference,
    ModifyDBCluster MasterUserPassword, DeletionProtection); capacity matching calls it only to raise a
    Serverless v2 cluster's maximum ACUs, so a provisioned profile has no grant of it."""
    for stack in (dev, prod):
        for role in _lambda_roles(stack).values():
            assert ("rds:ModifyDBCluster" in role.actions) == (
                _serverless_matching(stack) and role.handler == "dr_failover.handler.handler"
            ), role.name
    assert _serverless_matching(dev) != _serverless_matching(prod), "the profiles should cover both cases"


def test_every_indirect_allowance_is_needed_by_some_role(dev: Synthesized, prod: Synthesized) -> None:
    """The allow-list is not a blanket: each entry is granted to a role whose code does not call it."""
    used = {
        action
        for stack in (dev, prod)
        for role in _lambda_roles(stack).values()
        for action in role.actions - _needed(stack, role)
    }
    assert set(INDIRECT) <= used, set(INDIRECT) - used


@pytest.mark.parametrize("profile", PROFILES)
def test_roles_without_our_code_are_service_roles_with_what_the_service_needs(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """A role no Lambda of ours runs under must be one AWS service's, listed with its reason, and holds exactly
    the inline actions and managed policies listed for it."""
    stack = _stack(profile, request)
    others = [role for role in role_grants(stack.data).values() if not role.handler]
    assert others
    for role in others:
        matches = [entry for key, entry in SERVICE_ROLES.items() if key in role.logical_id]
        assert len(matches) == 1, f"{role.logical_id}: not a known service role"
        (_why, actions, managed) = matches[0]
        if actions is not None:
            assert role.actions == actions, role.logical_id
        assert {arn.rsplit("/", 1)[-1] for arn in role.managed_policies} == managed, role.logical_id


def test_action_counts_per_role(dev: Synthesized, prod: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    """Record the per-role action counts (granted, called by the code); a role with no grant at all is a bug."""
    lines = []
    for profile, stack in (("dev", dev), ("prod", prod)):
        for role in sorted(role_grants(stack.data).values(), key=lambda r: r.logical_id):
            called = len(_needed(stack, role)) if role.handler else "-"
            lines.append(
                f"{profile} {role.logical_id}: {len(role.actions)} actions granted inline, "
                f"{len(role.managed_policies)} managed policies, {called} called"
            )
            assert role.actions or role.managed_policies, role.logical_id
    with capsys.disabled():
        print("\n" + "\n".join(lines))


# ----- the readiness simulation against the synthesized policies ----------------------------------------------

_TOKEN = re.compile(r"\$\{([^{}]*)\}")
_REPLACE = re.compile(r'^replace\(([\w.]+), "([^"]*)", "([^"]*)"\)$')


class Resolver:
    """Terraform references of the synthesized JSON to the values AWS would give them (account ACCOUNT, partition
    aws); a reference this does not model stays an opaque, stable string, equal wherever it appears."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.regions = {f"aws.{p['alias']}": p["region"] for p in data["provider"]["aws"]}

    def ref(self, expression: str) -> str:
        replaced = _REPLACE.match(expression)
        if replaced:
            return self.ref(replaced.group(1)).replace(replaced.group(2), replaced.group(3))
        parts = expression.split(".")
        if parts[0] == "data" and parts[1] == "aws_partition":
            return "aws"
        if parts[0] == "data" and parts[1] == "aws_caller_identity":
            return ACCOUNT
        if len(parts) == 3 and parts[0] in self.data.get("resource", {}):
            kind, logical_id, attribute = parts
            body = self.data["resource"][kind][logical_id]
            region = self.regions.get(str(body.get("provider")), "")
            if kind == "aws_rds_cluster" and attribute == "arn":
                return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{body['cluster_identifier']}"
            if kind == "aws_rds_global_cluster" and attribute == "arn":
                return f"arn:aws:rds::{ACCOUNT}:global-cluster:{body['global_cluster_identifier']}"
            if kind == "aws_dynamodb_table" and attribute == "arn":
                return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{body['name']}"
            if kind == "aws_autoscaling_group" and attribute == "arn":
                group = f"autoScalingGroup:uuid:autoScalingGroupName/{body['name']}"
                return f"arn:aws:autoscaling:{region}:{ACCOUNT}:{group}"
            unique = hashlib.sha256(expression.encode()).hexdigest()
            uuid = f"{unique[:8]}-{unique[8:12]}-{unique[12:16]}-{unique[16:20]}-{unique[20:32]}"
            name = self.text(str(body.get("name", logical_id)))
            modelled = {
                ("aws_sns_topic", "arn"): f"arn:aws:sns:{region}:{ACCOUNT}:{name}",
                ("aws_kms_key", "arn"): f"arn:aws:kms:{region}:{ACCOUNT}:key/{uuid}",
                ("aws_route53_health_check", "id"): uuid,
                ("aws_iam_role", "arn"): f"arn:aws:iam::{ACCOUNT}:role/{name}",
                ("aws_s3_bucket", "arn"): f"arn:aws:s3:::{self.text(str(body.get('bucket', name)))}",
                ("aws_lb_target_group", "arn"): (
                    f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/{name}/{unique[:16]}"
                ),
            }
            if (kind, attribute) in modelled:
                return modelled[(kind, attribute)]
            value = body.get(attribute)
            if isinstance(value, str):
                return self.text(value)
        return f"token-{expression}"

    def text(self, value: str) -> str:
        return _TOKEN.sub(lambda match: self.ref(match.group(1)), value)


def _allowed(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> bool:
    """IAM's evaluation of identity-based Allow statements (an orchestrator's policies hold no Deny: asserted here):
    the action and the resource match a statement's patterns (``*`` and ``?`` wildcards) and every condition holds
    in the request context."""
    assert all(statement.get("effect", "Allow") == "Allow" for statement in statements)
    for statement in statements:
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in statement.get("actions", [])):
            continue
        if not any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement.get("resources", [])):
            continue
        conditions = statement.get("condition") or []
        if all(
            condition["test"] == "StringEquals" and context.get(condition["variable"]) in condition["values"]
            for condition in conditions
        ):
            return True
    return False


def _simulate(stack: Synthesized, role_logical_id: str, *, mutate: Any = None) -> list[str]:
    """Run the orchestrator's readiness permission list for `role_logical_id`'s function against its policies."""
    from dr_failover.checks.failover_readiness import failover_permissions
    from dr_failover.checks.preflight import PreflightReport
    from dr_failover.config import load_config

    resolver = Resolver(stack.data)
    role = role_grants(stack.data)[role_logical_id]
    statements = [
        {**statement, "resources": [resolver.text(r) for r in statement.get("resources", [])]}
        for statement in copy.deepcopy(role.statements)
    ]
    if mutate:
        statements = mutate(statements)
    function = next(
        body
        for body in stack.resources("aws_lambda_function").values()
        if body["role"] == f"${{aws_iam_role.{role_logical_id}.arn}}"
    )
    environment = {name: resolver.text(str(value)) for name, value in function["environment"]["variables"].items()}
    config = load_config(environment)
    asg = next(
        body for body in stack.resources("aws_autoscaling_group").values() if body["name"] == config.target_asg_name
    )
    report = PreflightReport(target_region=config.target_region)
    report.target_asg = {"AutoScalingGroupARN": resolver.text(f"${{aws_autoscaling_group.{_id_of(stack, asg)}.arn}}")}
    denied = []
    for permission in failover_permissions(config, report):
        context = dict(permission.context)
        for resource in permission.resources:
            if not _allowed(statements, permission.action, resource, context):
                denied.append(f"{permission.action} on {resource}")
    return denied


def _id_of(stack: Synthesized, body: dict[str, Any]) -> str:
    return next(key for key, value in stack.resources("aws_autoscaling_group").items() if value is body)


def _orchestrator_roles(stack: Synthesized) -> list[str]:
    return [rid for rid, role in role_grants(stack.data).items() if role.handler == "dr_failover.handler.handler"]


@pytest.mark.parametrize("profile", PROFILES)
def test_readiness_simulation_of_failover_and_recovery_passes_against_the_synthesized_policies(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """Every call the readiness check simulates (promotion, re-protect's CreateDBCluster and CreateDBInstance on
    the default option group, subnet group, parameter groups, cluster and instance, capacity matching, PassRole
    of the monitoring role, the key through RDS) is allowed by the role's synthesized policies: a scheduled
    check of a correct deployment is ready."""
    stack = _stack(profile, request)
    roles = _orchestrator_roles(stack)
    assert len(roles) == 2
    for role in roles:
        assert _simulate(stack, role) == [], role


def test_readiness_simulation_covers_create_db_instance_on_the_option_group(dev: Synthesized) -> None:
    """RDS authorizes CreateDBInstance and CreateDBCluster on the option group the new resource gets as well as
    on the instance or cluster (Service Authorization Reference, Amazon RDS: resource type ``og``; the RDS User
    Guide's example policy for CreateDBInstance lists ``og:default*``). Dropping the option group from the
    recovery grants is found by the scheduled simulation, not during a recovery."""

    def drop_option_group(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**s, "resources": [r for r in s["resources"] if ":og:" not in r]} for s in statements]

    for role in _orchestrator_roles(dev):
        denied = _simulate(dev, role, mutate=drop_option_group)
        assert any(d.startswith("rds:CreateDBInstance on") and ":og:default:" in d for d in denied), denied
        assert any(d.startswith("rds:CreateDBCluster on") and ":og:default:" in d for d in denied), denied


@pytest.mark.parametrize("profile", PROFILES)
def test_the_run_report_upload_is_a_call_the_cross_check_reads_and_the_permission_list_grants(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """The orchestrator's run report is two PutObject calls (dr_failover.run.run_report.write_report): the
    cross-check reads them from the code, and the role holds them through the permission list's RUN_REPORTS grant
    only (on the objects under the report prefix: PutObject's resource type is ``object``, Service Authorization
    Reference, Amazon S3), with the key's GenerateDataKey through S3 (resource type ``key``, AWS KMS)."""
    from dr_permissions.orchestrator import RUN_REPORTS
    from dr_stack.contract import contract

    stack = _stack(profile, request)
    resolver = Resolver(stack.data)
    by_sid = {grant.sid: grant for grant in RUN_REPORTS}
    for role_id in _orchestrator_roles(stack):
        role = role_grants(stack.data)[role_id]
        assert "s3:PutObject" in _needed(stack, role), role.name
        granting = [s for s in role.statements if "s3:PutObject" in s["actions"]]
        assert [(s["sid"], tuple(s["actions"])) for s in granting] == [
            ("PutRunReports", by_sid["PutRunReports"].actions)
        ]
        (bucket_objects,) = granting[0]["resources"]
        assert resolver.text(bucket_objects).endswith(f"/{contract.REPORT_PREFIX}/*")
        encrypt = next(s for s in role.statements if s.get("sid") == "EncryptRunReports")
        assert encrypt["actions"] == list(by_sid["EncryptRunReports"].actions)
        assert encrypt["condition"][0]["variable"] == "kms:ViaService"
        assert encrypt["condition"][0]["values"][0].startswith("s3.")


def test_readiness_simulation_covers_the_run_report_grant(dev: Synthesized) -> None:
    """The scheduled simulation asks for the report's PutObject on an object under the report prefix and for
    GenerateDataKey on the report key through S3: dropping the RUN_REPORTS statements from the role's policies
    is found before a run's report is refused (the base grant of the same key, through Lambda, SQS and SNS only,
    does not stand in for it)."""
    from dr_permissions.orchestrator import RUN_REPORTS

    report_sids = {grant.sid for grant in RUN_REPORTS}

    def without_reports(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for s in statements if s.get("sid") not in report_sids]

    for role in _orchestrator_roles(dev):
        assert _simulate(dev, role) == [], role
        denied = _simulate(dev, role, mutate=without_reports)
        assert any(d.startswith("s3:PutObject on arn:aws:s3:::") and "/runs/" in d for d in denied), denied
        assert any(d.startswith("kms:GenerateDataKey on arn:aws:kms:") for d in denied), denied
        assert len(denied) == 2, denied


def test_readiness_simulation_covers_every_action_of_a_simulated_grant(dev: Synthesized) -> None:
    """Removing any one action of a grant the permission list marks simulated is found by the simulation."""
    from dr_permissions.orchestrator import orchestrator_grants

    role = _orchestrator_roles(dev)[0]
    simulated = {
        action
        for grant in orchestrator_grants(automatic_recheck=False, match_serverless_capacity=True, run_reports=True)
        if grant.simulated
        for action in grant.actions
    }
    assert {
        "rds:CreateDBCluster",
        "rds:CreateDBInstance",
        "rds:ModifyDBCluster",
        "rds:FailoverGlobalCluster",
        "s3:PutObject",
        "kms:GenerateDataKey",
    } <= simulated
    for action in sorted(simulated):

        def without(statements: list[dict[str, Any]], action: str = action) -> list[dict[str, Any]]:
            return [{**s, "actions": [a for a in s["actions"] if a != action]} for s in statements]

        denied = _simulate(dev, role, mutate=without)
        assert any(d.startswith(f"{action} on") for d in denied), action


# One module of the permission list per function role, by the handler the stack sets (dr_contract).
ROLE_MODULES = {
    "dr_failover.handler.handler": "orchestrator",
    "dr_failover.keeper.handler": "keeper",
    "dr_probe.handler.handler": "probe",
}


def test_the_stack_and_the_lambda_share_one_permission_list() -> None:
    """The constructs load the package ``lambda_src/dr_permissions/`` by path and the Lambda imports it by name:
    one module object for the package and for each of its modules, so the statements and the simulation cannot
    come from two copies; it ships inside the Lambda zip, one module per function role and the base every
    function gets."""
    import importlib

    import dr_contract as contract
    import dr_permissions
    from dr_stack.control_plane.lambda_modules import LAMBDA_SOURCE
    from dr_stack.control_plane.permissions import PERMISSIONS_PACKAGE, permissions

    assert permissions is dr_permissions
    assert PERMISSIONS_PACKAGE.parent == LAMBDA_SOURCE
    assert Path(permissions.__file__) == PERMISSIONS_PACKAGE / "__init__.py"
    modules = sorted(path.stem for path in PERMISSIONS_PACKAGE.glob("*.py") if path.stem != "__init__")
    assert modules == sorted(["base", *ROLE_MODULES.values()])
    handlers = {contract.ORCHESTRATOR_HANDLER, contract.SWITCH_KEEPER_HANDLER, contract.PROBE_HANDLER}
    assert set(ROLE_MODULES) == handlers
    for name in modules:
        module = importlib.import_module(f"dr_permissions.{name}")
        assert getattr(permissions, name) is module is sys.modules[f"dr_permissions.{name}"], name
        assert module.Grant is permissions.Grant, name


def test_the_stack_loads_the_permission_package_by_path() -> None:
    """Under ``cdktf synth`` only ``constructs/`` is importable: the constructs load the package from its folder,
    register it and each of its modules in ``sys.modules`` under the names the Lambda imports, and an import by
    name afterwards returns those same objects (as the Lambda side's imports do when they come first in tests)."""
    root = Path(__file__).resolve().parents[2]
    code = "\n".join(
        (
            "import importlib, importlib.util, json, sys",
            f"sys.path.insert(0, {str(root / 'constructs')!r})",
            "before = importlib.util.find_spec('dr_permissions')",
            "from dr_stack.control_plane.permissions import permissions",
            "loaded = sorted(name for name in sys.modules if name.split('.')[0] == 'dr_permissions')",
            f"sys.path.insert(0, {str(root / 'lambda_src')!r})",
            "import dr_permissions.orchestrator",
            "same = [importlib.import_module(name) is sys.modules[name] for name in loaded]",
            "grant = type(dr_permissions.orchestrator.FAILOVER[0]) is permissions.Grant",
            "print(json.dumps([before is None, loaded, dr_permissions is permissions, all(same), grant]))",
        )
    )
    # -I: no PYTHONPATH (pytest's and the caller's put lambda_src on the path), no user site-packages.
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    not_importable_before, loaded, one_package, one_module_each, one_grant = json.loads(done.stdout)
    assert not_importable_before
    modules = sorted(["base", *ROLE_MODULES.values()])
    assert loaded == ["dr_permissions", *(f"dr_permissions.{name}" for name in modules)]
    assert one_package and one_module_each and one_grant


def _every_grant() -> list[Any]:
    from dr_permissions.base import LAMBDA_BASE
    from dr_permissions.keeper import SWITCH_KEEPER
    from dr_permissions.orchestrator import orchestrator_grants
    from dr_permissions.probe import PROBE

    everything = orchestrator_grants(automatic_recheck=True, match_serverless_capacity=True, run_reports=True)
    return [*LAMBDA_BASE, *everything, *SWITCH_KEEPER, *PROBE]


def test_the_stack_resolves_every_resource_name_of_the_permission_list_in_one_place() -> None:
    """``GrantResources`` (control_plane/iam.py) is the synth side's one map from the list's resource names to
    ARNs: given every resource it knows every name a grant (or what RDS authorizes a create on) uses, and no
    other."""
    from dr_permissions.orchestrator import AUTHORIZED_ON
    from dr_stack.control_plane.iam import GrantResources

    used = {name for grant in _every_grant() for name in grant.on} | {n for on in AUTHORIZED_ON.values() for n in on}
    given = {
        name: f"given-{name}"
        for name in GrantResources.__dataclass_fields__
        if name not in {"region", "partition", "account_id", "peer_region"}
    }
    full = GrantResources(region="us-west-2", partition="aws", account_id=ACCOUNT, peer_region="us-east-1", **given)
    assert set(full.arns()) == used
    assert full.arns()["report_objects"] == ["given-report_bucket_arn/runs/*"]
    assert full.arns()["own_instances"] == [f"arn:aws:rds:us-west-2:{ACCOUNT}:db:given-cluster_identifier-*"]
    # Without the partition and account, no ARN is built from a name (only ARNs given whole, and ``*``).
    assert "own_instances" not in GrantResources(region="us-west-2", **given).arns()


def test_a_grant_on_a_resource_the_construct_did_not_give_is_refused_at_synth() -> None:
    from dr_permissions.orchestrator import RUN_REPORTS
    from dr_stack.control_plane.iam import GrantResources, grant_statements

    with pytest.raises(ValueError, match=r"no ARN given for the resource\(s\) \['EncryptRunReports: report_key'\]"):
        grant_statements(RUN_REPORTS, resources=GrantResources(region="us-west-2", report_bucket_arn="arn:aws:s3:::b"))


def test_the_constructs_build_no_grant_arn_by_hand() -> None:
    """The modules that attach the orchestrator's and the other functions' grants give ``GrantResources`` what they
    have (ARNs, names, identifiers) and write no ARN or name-to-ARN map of their own; the run-report bucket writes
    no IAM statement."""
    root = Path(__file__).resolve().parents[2] / "constructs" / "dr_stack"
    for relative in (
        "control_plane/failover.py",
        "control_plane/recovery.py",
        "control_plane/readiness.py",
        "observability/reports.py",
        "stacks.py",
    ):
        source = (root / relative).read_text()
        assert '"arn:' not in source and "resources={" not in source, relative
    reports = (root / "observability/reports.py").read_text()
    assert "Statement" not in reports and "iam_role_policy" not in reports


@pytest.mark.parametrize("profile", PROFILES)
def test_each_function_role_is_granted_the_base_and_its_own_module_only(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """Every Allow statement of a function's role is a grant of ``dr_permissions.base`` or of the one module of
    its role (by Sid and actions), and the role has every grant of both that its configuration cannot leave out:
    a role's list is read in one module (the orchestrator's run-report put and its key too)."""
    from dr_permissions.base import LAMBDA_BASE
    from dr_permissions.keeper import SWITCH_KEEPER
    from dr_permissions.orchestrator import orchestrator_grants
    from dr_permissions.probe import PROBE

    # module -> (every grant the role may have, the grants it has in every configuration)
    by_module = {
        "orchestrator": (
            orchestrator_grants(automatic_recheck=True, match_serverless_capacity=True, run_reports=True),
            orchestrator_grants(automatic_recheck=False, match_serverless_capacity=False, run_reports=False),
        ),
        "keeper": (SWITCH_KEEPER, SWITCH_KEEPER),
        "probe": (PROBE, PROBE),
    }
    stack = _stack(profile, request)
    seen = set()
    for role in _lambda_roles(stack).values():
        module = ROLE_MODULES[str(role.handler)]
        seen.add(module)
        possible, always = by_module[module]
        granted = {
            (statement.get("sid"), tuple(statement["actions"]))
            for statement in role.statements
            if statement.get("effect", "Allow") == "Allow"
        }
        elsewhere = {sid for sid, _ in granted - {(grant.sid, grant.actions) for grant in (*LAMBDA_BASE, *possible)}}
        assert not elsewhere, (role.name, elsewhere)
        assert {(grant.sid, grant.actions) for grant in (*LAMBDA_BASE, *always)} <= granted, role.name
    assert seen == ({"orchestrator", "keeper", "probe"} if profile == "prod" else {"orchestrator", "keeper"})


# ----- who may move the traffic switch ---------------------------------------------------------------------------


def _may_publish(role: RoleGrants, namespace: str) -> bool:
    """IAM's evaluation of PutMetricData into ``namespace`` (the cloudwatch:namespace condition key, Service
    Authorization Reference, Amazon CloudWatch) against a role's inline statements: an explicit Deny wins over any
    Allow (IAM User Guide, "Policy evaluation logic"). Managed policies attached to these roles grant no
    PutMetricData (AmazonSSMManagedInstanceCore, the backup and monitoring service-role policies)."""

    def matches(statement: dict[str, Any]) -> bool:
        if not any(fnmatch.fnmatchcase("cloudwatch:PutMetricData", a) for a in statement.get("actions", [])):
            return False
        return all(
            condition["test"] == "StringEquals"
            and condition["variable"] == "cloudwatch:namespace"
            and namespace in condition["values"]
            for condition in statement.get("condition") or []
        )

    effects = {statement.get("effect", "Allow") for statement in role.statements if matches(statement)}
    return "Allow" in effects and "Deny" not in effects


@pytest.mark.parametrize("profile", PROFILES)
def test_only_the_keeper_and_the_orchestrators_may_publish_the_traffic_switch(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """PrimaryFenced=1 in the switch namespace moves production DNS to the secondary (a Route53 health check
    follows its alarm): of every role of the stack, only the switch keeper and the orchestrators may publish
    there; the probe (which fetches the app's URL) and the app instances carry an explicit Deny of it."""
    from dr_stack.contract import contract

    stack = _stack(profile, request)
    roles = role_grants(stack.data)
    publishers = {role.logical_id for role in roles.values() if _may_publish(role, contract.METRIC_NAMESPACE)}
    expected = {
        rid
        for rid, role in roles.items()
        if role.handler in {"dr_failover.handler.handler", "dr_failover.keeper.handler"}
    }
    assert publishers == expected
    denied = {
        role.logical_id
        for role in roles.values()
        if any(
            s.get("effect") == "Deny" and contract.METRIC_NAMESPACE in str(s.get("condition")) for s in role.statements
        )
    }
    must_be_denied = {rid for rid in roles if "app_tier_instance_role" in rid or "probe" in rid}
    assert must_be_denied <= denied
    assert any("probe" in rid for rid in must_be_denied) == (profile == "prod"), "prod has the probe"
    probe = [role for rid, role in roles.items() if "probe" in rid]
    for role in probe:
        assert _may_publish(role, contract.PROBE_NAMESPACE), "the probe publishes in its own namespace"


@pytest.mark.parametrize("profile", PROFILES)
def test_only_the_orchestrators_may_publish_readiness(profile: str, request: pytest.FixtureRequest) -> None:
    """ReadyForFailover < 1 is what alarms a region unfit to be promoted; a role that could publish 1 there would hide
    that. PutMetricData is held to a namespace only by the cloudwatch:namespace condition key (Service Authorization
    Reference, Amazon CloudWatch), so the readiness metrics have a namespace of their own, apart from the traffic
    switch's: of every role, only the orchestrators (which run the readiness checks) may publish there, not the
    switch keeper; the probe and the app instances carry an explicit Deny of it (IAM User Guide, "Policy
    evaluation logic": an explicit Deny wins)."""
    from dr_stack.contract import contract

    assert contract.READINESS_NAMESPACE != contract.METRIC_NAMESPACE
    stack = _stack(profile, request)
    roles = role_grants(stack.data)
    publishers = {role.logical_id for role in roles.values() if _may_publish(role, contract.READINESS_NAMESPACE)}
    orchestrators = {rid for rid, role in roles.items() if role.handler == "dr_failover.handler.handler"}
    keepers = {rid for rid, role in roles.items() if role.handler == "dr_failover.keeper.handler"}
    assert orchestrators and keepers
    assert publishers == orchestrators
    denied = {
        role.logical_id
        for role in roles.values()
        if any(
            s.get("effect") == "Deny" and contract.READINESS_NAMESPACE in str(s.get("condition"))
            for s in role.statements
        )
    }
    assert {rid for rid in roles if "app_tier_instance_role" in rid or "probe" in rid} <= denied


# ----- customer keys only through the services that use them ---------------------------------------------------

KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:CreateGrant")


@pytest.mark.parametrize("profile", PROFILES)
def test_every_role_uses_a_customer_key_only_through_a_named_service(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """A role allowed kms:Decrypt on a key without kms:ViaService may decrypt anything encrypted with that key by
    calling KMS directly (the secret's value, a state object), whatever the service's own permissions say;
    kms:ViaService "limits use of a KMS key to requests from specified AWS services" (KMS Developer Guide, condition
    keys). None of the stack's functions calls KMS to encrypt or decrypt (only DescribeKey, to read a key's state), so
    every IAM Allow of a key-use action carries kms:ViaService, naming services of the role's region."""
    stack = _stack(profile, request)
    unconditioned = []
    for role in role_grants(stack.data).values():
        for statement in role.statements:
            actions = statement.get("actions", [])
            if statement.get("effect", "Allow") != "Allow":
                continue
            if not any(action.startswith(KEY_USE_ACTIONS) or action in ("kms:*", "*") for action in actions):
                continue
            via = [c for c in statement.get("condition") or [] if c["variable"] == "kms:ViaService"]
            if not via or not all(v.endswith(".amazonaws.com") for c in via for v in c["values"]):
                unconditioned.append((role.logical_id, statement.get("sid"), actions))
    assert unconditioned == []
