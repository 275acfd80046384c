"""AWS names: every name the stack creates passes AWS's rule for its kind, over-long names never collide, and
settings validation accepts exactly the names AWS accepts.

The rules below are written from the AWS documentation, independently of ``dr_stack.naming.names``, so that a wrong
rule there shows up here as a disagreement.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Synthesized, new_testing_app

ACCOUNT = "123456789012"
_REFERENCE = re.compile(r"\$\{[^}]*\}")


def _between(low: int, high: int) -> Callable[[str], bool]:
    return lambda name: low <= len(name) <= high


def _rds(limit: int) -> Callable[[str], bool]:
    """RDS identifiers: 1-`limit` letters, digits or hyphens, first a letter, no trailing hyphen, no '--'
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/CHAP_Limits.html#RDS_Limits.Constraints); the
    Terraform provider also requires lower case (it refuses before calling AWS)."""
    return lambda n: bool(re.fullmatch(r"[a-z][a-z0-9-]*", n)) and len(n) <= limit and "--" not in n and n[-1] != "-"


def s3_bucket_ok(name: str) -> bool:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets)."""
    return (
        3 <= len(name) <= 63
        and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) is not None
        and ".." not in name
        and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name) is None
        and not name.startswith(("xn--", "sthree-", "sthree-configurator", "amzn-s3-demo-"))
        and not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )


def dynamodb_table_ok(name: str) -> bool:
    """3-255 of a-z A-Z 0-9 _ - . (HowItWorks.NamingRulesDataTypes.html)."""
    return re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}", name) is not None


def _elb(name: str) -> bool:
    """API_CreateLoadBalancer / API_CreateTargetGroup Name: up to 32 alphanumerics or hyphens, not starting or
    ending with a hyphen."""
    return re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?", name) is not None


# Terraform resource type.attribute -> AWS's rule for that name.
AWS_NAME_RULES: dict[str, Callable[[str], bool]] = {
    "aws_s3_bucket.bucket": s3_bucket_ok,
    "aws_dynamodb_table.name": dynamodb_table_ok,
    # API_CreateGlobalCluster: 1-255, same character rules as cluster identifiers.
    "aws_rds_global_cluster.global_cluster_identifier": _rds(255),
    "aws_rds_cluster.cluster_identifier": _rds(63),
    "aws_rds_cluster.final_snapshot_identifier": _rds(255),
    "aws_rds_cluster_instance.identifier": _rds(63),
    "aws_rds_cluster_parameter_group.name": _rds(255),
    "aws_db_parameter_group.name": _rds(255),
    # API_CreateDBSubnetGroup: letters, digits, periods, underscores, spaces, hyphens; not "default"; 255.
    "aws_db_subnet_group.name": lambda n: re.fullmatch(r"[a-z0-9 ._-]{1,255}", n) is not None and n != "default",
    "aws_lb.name": lambda n: _elb(n) and not n.startswith("internal-"),
    "aws_lb_target_group.name": _elb,
    # IAM: [\w+=,.@-], roles 64, policies and instance profiles 128 (API_CreateRole, API_PutRolePolicy).
    "aws_iam_role.name": lambda n: re.fullmatch(r"[\w+=,.@-]{1,64}", n) is not None,
    "aws_iam_role_policy.name": lambda n: re.fullmatch(r"[\w+=,.@-]{1,128}", n) is not None,
    "aws_iam_instance_profile.name": lambda n: re.fullmatch(r"[\w+=,.@-]{1,128}", n) is not None,
    # API_CreateFunction FunctionName (a name, not an ARN): 1-64 of [a-zA-Z0-9-_].
    "aws_lambda_function.function_name": lambda n: re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", n) is not None,
    # API_CreateLogGroup: 1-512 of [.\-_/#A-Za-z0-9].
    "aws_cloudwatch_log_group.name": lambda n: re.fullmatch(r"[.\-_/#A-Za-z0-9]{1,512}", n) is not None,
    # API_PutMetricAlarm AlarmName: 1-255 UTF-8 characters, no ASCII control characters.
    "aws_cloudwatch_metric_alarm.alarm_name": lambda n: re.fullmatch(r"[^\x00-\x1f\x7f]{1,255}", n) is not None,
    # API_PutDashboard: A-Z, a-z, 0-9, '-', '_'; up to 255.
    "aws_cloudwatch_dashboard.dashboard_name": lambda n: re.fullmatch(r"[A-Za-z0-9_-]{1,255}", n) is not None,
    # API_CreateTopic: 1-256 alphanumerics, hyphens and underscores.
    "aws_sns_topic.name": lambda n: re.fullmatch(r"[A-Za-z0-9_-]{1,256}", n) is not None,
    # API_CreateQueue: up to 80 alphanumerics, hyphens and underscores.
    "aws_sqs_queue.name": lambda n: re.fullmatch(r"[A-Za-z0-9_-]{1,80}", n) is not None,
    # API_CreateAlias: alias/ + [a-zA-Z0-9/_-], at most 256, not alias/aws/.
    "aws_kms_alias.name": lambda n: re.fullmatch(r"alias/[a-zA-Z0-9/_-]+", n) is not None
    and len(n) <= 256
    and not n.startswith("alias/aws/"),
    # AWS Backup: vault ^[a-zA-Z0-9\-\_]{2,50}$, plan and selection 1-50 of [a-zA-Z0-9\-\_\.].
    "aws_backup_vault.name": lambda n: re.fullmatch(r"[a-zA-Z0-9_-]{2,50}", n) is not None,
    "aws_backup_plan.name": lambda n: re.fullmatch(r"[a-zA-Z0-9_.-]{1,50}", n) is not None,
    "aws_backup_selection.name": lambda n: re.fullmatch(r"[a-zA-Z0-9_.-]{1,50}", n) is not None,
    # API_CreateWebACL: ^[\w\-]+$, 1-128.
    "aws_wafv2_web_acl.name": lambda n: re.fullmatch(r"[\w-]{1,128}", n) is not None,
    # API_PutRule: [\.\-_A-Za-z0-9]+, 1-64.
    "aws_cloudwatch_event_rule.name": lambda n: re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", n) is not None,
    # API_CreateHealthCheck CallerReference: 1-64; the provider sends `<reference_name>-<36-char unique id>`.
    "aws_route53_health_check.reference_name": lambda n: 1 <= len(n) <= 64 - 37,
    # API_CreateSecret Name: 1-512 of letters, digits and /_+=.@-.
    "aws_secretsmanager_secret.name": lambda n: re.fullmatch(r"[A-Za-z0-9/_+=.@-]{1,512}", n) is not None,
    # API_CreateSecurityGroup GroupName: up to 255, not starting with sg-.
    "aws_security_group.name": lambda n: _between(1, 255)(n) and not n.startswith("sg-"),
    # API_CreateLaunchTemplate: 3-128 of [a-zA-Z0-9\(\)\.\-/_].
    "aws_launch_template.name": lambda n: re.fullmatch(r"[a-zA-Z0-9().\-/_]{3,128}", n) is not None,
    # API_CreateAutoScalingGroup: 1-255 of ASCII 33 to 126, no colon; API_PutScalingPolicy: 1-255.
    "aws_autoscaling_group.name": lambda n: re.fullmatch(r"[!-9;-~]{1,255}", n) is not None,
    "aws_autoscaling_policy.name": _between(1, 255),
}

# Attributes that hold a name AWS gives a resource of that type, and types whose `name` is not an AWS resource name.
NAME_ATTRIBUTES = (
    "name",
    "bucket",
    "function_name",
    "alarm_name",
    "dashboard_name",
    "identifier",
    "cluster_identifier",
    "global_cluster_identifier",
    "final_snapshot_identifier",
    "reference_name",
)
NOT_RESOURCE_NAMES = {
    "aws_route53_record.name",  # a DNS name, checked as domain_name
    "aws_route53_zone.name",
}

# A maximal configuration: longest project name and suffix, prod, domain, automatic failover, every instance, and
# regions outside us-east-1 (the stack then makes its own alarm topic and key there for the Route53 alarms).
MAXIMAL: dict[str, Any] = {
    "project_name": "abcdefghijklmnopqrst",
    "primary_region": "eu-west-1",
    "secondary_region": "eu-central-1",
    "resource_suffix": "12345678",
    "environment": "prod",
    "domain_name": "app.example.com",
    "hosted_zone_name": "example.com",
    "create_hosted_zone": True,
    "alarm_email": "oncall@example.com",
    "failover_automatic": True,
    "failover_decision_allowance_seconds": 0,
    "db_engine": "aurora-postgresql",
    "primary_db_instance_count": 15,
    "secondary_db_instance_count": 16,
    "db_password_source": "variable",
}
MAXIMAL_PREFIX = "abcdefghijklmnopqrst-prod-12345678"


def literal_names(stack: Synthesized) -> list[tuple[str, str]]:
    """(type.attribute, name) of every name in a synthesized stack; references to the account id become ACCOUNT,
    attributes that are only a reference to another resource are left out."""
    found = []
    for resource_type, resources in stack.data.get("resource", {}).items():
        for body in resources.values():
            for attribute in NAME_ATTRIBUTES:
                value = body.get(attribute)
                kind = f"{resource_type}.{attribute}"
                if not isinstance(value, str) or kind in NOT_RESOURCE_NAMES or _REFERENCE.fullmatch(value):
                    continue
                found.append((kind, _REFERENCE.sub(ACCOUNT, value)))
    return found


@pytest.fixture(scope="session")
def maximal() -> list[Synthesized]:
    """Both stacks of the maximal configuration."""
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.foundation.bootstrap import BootstrapStack
    from dr_stack.stacks import DrStack

    settings = load_settings(MAXIMAL, environ={})
    assert settings.name_prefix == MAXIMAL_PREFIX
    app = new_testing_app()
    return [
        Synthesized(Testing.synth(DrStack(app, "dr", settings=settings))),
        Synthesized(Testing.synth(BootstrapStack(app, "bootstrap", settings=settings))),
    ]


@pytest.fixture(scope="session")
def maximal_names(maximal: list[Synthesized]) -> list[tuple[str, str]]:
    names = [name for stack in maximal for name in literal_names(stack)]
    assert len(names) > 100
    return names


def test_every_name_of_the_maximal_configuration_passes_its_aws_rule(maximal_names: list[tuple[str, str]]) -> None:
    unknown = sorted({kind for kind, _ in maximal_names} - set(AWS_NAME_RULES))
    assert not unknown, f"no AWS rule for {unknown}: add the rule (with its documentation) here and in names.RULES"
    refused = [(kind, name) for kind, name in maximal_names if not AWS_NAME_RULES[kind](name)]
    assert not refused


def test_the_maximal_configuration_shortens_only_load_balancer_names(maximal_names: list[tuple[str, str]]) -> None:
    shortened = {name for kind, name in maximal_names if re.search(r"-[0-9a-f]{8}$", name) and ACCOUNT not in name}
    assert {kind for kind, name in maximal_names if name in shortened} == {"aws_lb.name", "aws_lb_target_group.name"}
    assert len(shortened) == 4 and all(len(name) == 32 for name in shortened)


def test_settings_validation_checks_every_name_the_stack_creates(
    maximal_names: list[tuple[str, str]], dev: Synthesized, prod_stacks: dict[str, Synthesized]
) -> None:
    """The synth-time check (names.derived_names) covers each name the synthesized stacks really carry: the
    maximal configuration, the dev defaults (no domain) and the prod profile."""
    from dr_stack.naming.names import derived_names

    configurations = [
        (MAXIMAL_PREFIX, maximal_names),
        ("drapp-dev", literal_names(dev)),
        ("drapp-prod", [name for stack in prod_stacks.values() for name in literal_names(stack)]),
    ]
    for prefix, names in configurations:
        missing = sorted(set(names) - set(derived_names(prefix)))
        assert not missing, f"names the stack creates but settings validation does not check: {missing}"


# ----- one source: the constructs take their names from the names objects that validation enumerates -----
# The base of a region's names, Name tags and descriptions: the one member of a names object that is not a name.
NOT_A_NAME = {"regional"}


def _names_objects() -> list[Any]:
    """One instance of each names class of names.py."""
    from dr_stack.naming.names import LambdaNames, RegionNames, StackNames, StateNames

    return [LambdaNames("fn"), RegionNames("drapp-dev", "secondary"), StackNames("drapp-dev"), StateNames("drapp-dev")]


def _members(names_object: Any) -> list[tuple[str, Any]]:
    """The public properties and methods a names class defines itself (not entries, region, dataclass fields)."""
    return [
        (attribute, member)
        for attribute, member in vars(type(names_object)).items()
        if not attribute.startswith("_")
        and attribute not in ("entries", "region")
        and (isinstance(member, property) or callable(member))
    ]


def test_every_member_of_a_names_object_is_a_checked_name() -> None:
    """Each property or method of a names object is marked (names.creates) with a kind validation has a rule for,
    or returns a names object whose entries are listed too: a name added without a kind would be created
    unchecked."""
    from dr_stack.naming.names import RULES, NamesObject, marked_kind

    for names_object in _names_objects():
        for attribute, member in _members(names_object):
            where = f"{type(names_object).__name__}.{attribute}"
            kind = marked_kind(member)
            if kind is not None:
                assert kind in RULES, where
            elif attribute not in NOT_A_NAME:
                assert isinstance(member, property) and member.fget is not None, f"{where} is a name without a kind"
                assert isinstance(member.fget(names_object), NamesObject), f"{where} is a name without a kind"


def test_name_problems_checks_every_entry_of_the_names_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made to give a name longer than any kind allows, each marked derivation is refused by settings validation
    (names.name_problems): validation enumerates the very objects the constructs take their names from."""
    from dr_stack.naming.names import RULES, marked_kind, name_problems

    too_long = "x" * 1000
    assert all(rule.max_length < len(too_long) for rule in RULES.values())
    assert name_problems("drapp", "dev", "") == []
    checked = []
    for names_object in _names_objects():
        for attribute, member in _members(names_object):
            if marked_kind(member) is None:
                continue
            derivation = member.fget if isinstance(member, property) else member

            def broken(*_: object) -> str:
                return too_long

            broken.__dict__.update(derivation.__dict__)  # the same kind and arguments
            with monkeypatch.context() as patch:
                patch.setattr(
                    type(names_object), attribute, property(broken) if isinstance(member, property) else broken
                )
                problems = name_problems("drapp", "dev", "")
            assert any(f"is {len(too_long)})" in problem for problem in problems), attribute
            checked.append(attribute)
    assert len(checked) > 60


def test_no_construct_builds_a_resource_name_itself() -> None:
    """Outside naming/, no name attribute of a resource (NAME_ATTRIBUTES, and a key's alias_name) is given an
    f-string: the constructs take every name from dr_stack.naming.names, so what validation checks is what they
    create."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "constructs" / "dr_stack"
    keywords = {*NAME_ATTRIBUTES, "alias_name"}
    built = []
    for module in sorted(package.rglob("*.py")):
        if module.parent.name == "naming":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.keyword) and node.arg in keywords and isinstance(node.value, ast.JoinedStr):
                built.append(f"{module.relative_to(package)}:{node.lineno} {node.arg}=")
    assert not built, f"names built outside names.py: {built}"


def test_names_rules_agree_with_the_documented_rules(maximal_names: list[tuple[str, str]]) -> None:
    """names.RULES (used at synth) and the rules above agree on every kind, on valid and broken names."""
    from dr_stack.naming.names import RULES

    assert set(RULES) == set(AWS_NAME_RULES)
    rng = random.Random(10)
    for kind, name in maximal_names:
        variants = [name, name.upper(), name + "-", "-" + name, name.replace("-", "--", 1), name + "_x", name + "." * 2]
        variants += [name + ":x", name + " x"]
        variants += [name + "a" * rng.randint(1, 600), name[:1], "internal-" + name, "sg-" + name, "xn--" + name]
        for variant in variants:
            assert (not RULES[kind].problems(variant)) == AWS_NAME_RULES[kind](variant), (kind, variant)


def test_name_characters_follow_the_api_reference() -> None:
    """CreateAutoScalingGroup AutoScalingGroupName: "any ASCII character 33 to 126 ... You cannot use a colon";
    PutMetricAlarm AlarmName: "only UTF-8 characters, and can't contain ASCII control characters"."""
    from dr_stack.naming.names import RULES

    group, alarm = RULES["aws_autoscaling_group.name"], RULES["aws_cloudwatch_metric_alarm.alarm_name"]
    assert not group.problems("app-1!~") and group.problems("app:1") and group.problems("app 1")
    assert not alarm.problems("Réplication lag: primary") and alarm.problems("lag\tprimary")


# ----- over-long names: deterministic, collision-free shortening -----
def test_two_suffixes_that_used_to_collide_now_get_different_names() -> None:
    from dr_stack.naming.names import load_balancer_name, target_group_name

    def old_cut(*parts: str) -> str:
        """The derivation before: join and cut to 32 characters."""
        return "-".join(parts)[:32].rstrip("-")

    prefixes = [f"abcdefghijklmnopqrst-prod-{suffix}" for suffix in ("blue0001", "blue0002")]
    assert old_cut(prefixes[0], "secondary") == old_cut(prefixes[1], "secondary")
    assert old_cut(prefixes[0], "secondary", "app") == old_cut(prefixes[1], "secondary", "app")
    for derive in (load_balancer_name, target_group_name):
        first, second = (derive(f"{prefix}-secondary") for prefix in prefixes)
        assert first != second
        assert all(len(name) <= 32 and AWS_NAME_RULES["aws_lb.name"](name) for name in (first, second))
        assert derive(f"{prefixes[0]}-secondary") == first  # deterministic


def test_names_within_the_limit_are_unchanged() -> None:
    from dr_stack.naming.names import load_balancer_name, shorten, target_group_name

    assert load_balancer_name("drapp-dev-primary") == "drapp-dev-primary"
    assert target_group_name("drapp-prod-secondary") == "drapp-prod-secondary-app"
    assert shorten("x" * 32, 32) == "x" * 32
    assert shorten("x" * 33, 32) != "x" * 32 and len(shorten("x" * 33, 32)) == 32


def test_shortening_never_makes_two_hyphens_in_a_row() -> None:
    """The cut can fall just after a hyphen; the hash is joined with one, so the head's trailing ones go."""
    from dr_stack.naming.names import shorten

    for at in range(15, 30):
        name = "a" * at + "-" + "b" * 20
        assert "--" not in shorten(name, 32) and len(shorten(name, 32)) <= 32


# ----- property test: validation accepts exactly what AWS accepts -----
def _random_name(rng: random.Random, alphabet: str, low: int, high: int) -> str:
    """A random name, sometimes carrying a prefix, suffix or pattern that AWS reserves or refuses."""
    name = "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))
    twist = rng.random()
    specials_start = ("xn--", "sthree-", "amzn-s3-demo-", "internal-", "sthree-configurator", "-", ".", "1")
    specials_end = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", "-", ".")
    if twist < 0.15:
        name = rng.choice(specials_start) + name
    elif twist < 0.3:
        name += rng.choice(specials_end)
    elif twist < 0.35:
        name = ".".join(str(rng.randint(0, 300)) for _ in range(4))
    elif twist < 0.45 and len(name) > 2:
        at = rng.randrange(1, len(name) - 1)
        name = name[:at] + rng.choice(("--", "..", "_", "A", " ", "!")) + name[at:]
    return name


def _templates(maximal_names: list[tuple[str, str]], dev: Synthesized) -> list[tuple[str, str]]:
    """Every name of the maximal configuration with its prefix as a placeholder: what any prefix turns into. Load
    balancer names come from the dev stack instead, where they are not shortened and so still hold the prefix."""
    shortened = ("aws_lb.name", "aws_lb_target_group.name")
    templates = [(kind, name.replace(MAXIMAL_PREFIX, "{p}")) for kind, name in maximal_names if kind not in shortened]
    templates += [(kind, name.replace("drapp-dev", "{p}")) for kind, name in literal_names(dev) if kind in shortened]
    assert all("{p}" in template for kind, template in templates if kind in shortened)
    return templates


def _aws_accepts_project(project: str, suffix: str, templates: list[tuple[str, str]]) -> bool:
    """AWS accepts every name made from the project and suffix (load balancer names, which the stack shortens to
    32 characters, are judged on everything but their length). The stack's own limits: project names 3-20
    characters, suffixes 0-8 lowercase letters and digits (docs/settings.md)."""
    if not (3 <= len(project) <= 20 and re.fullmatch(r"[a-z0-9]{0,8}", suffix)):
        return False
    prefix = f"{project}-dev-{suffix}" if suffix else f"{project}-dev"
    for kind, template in templates:
        name = template.replace("{p}", prefix)
        if kind in ("aws_lb.name", "aws_lb_target_group.name") and len(name) > 32:
            name = name[:16] + "x" * 8 + name[-8:]  # any 32-character cut keeps the start and the character set
        if not AWS_NAME_RULES[kind](name):
            return False
    return True


def _accepted(overrides: dict[str, str]) -> bool:
    from dr_stack.config.settings import SettingsError, load_settings

    try:
        load_settings(overrides, environ={})
    except SettingsError:
        return False
    return True


def test_validation_accepts_exactly_the_project_names_and_suffixes_aws_accepts(
    maximal_names: list[tuple[str, str]], dev: Synthesized
) -> None:
    templates = _templates(maximal_names, dev)
    rng = random.Random(20261128)
    outcomes = {True: 0, False: 0}
    for _ in range(400):
        project = _random_name(rng, string.ascii_lowercase * 3 + string.digits + "-_.A", 1, 24)
        suffix = _random_name(rng, string.ascii_lowercase + string.digits, 0, 9) if rng.random() < 0.5 else ""
        expected = _aws_accepts_project(project, suffix, templates)
        assert _accepted({"project_name": project, "resource_suffix": suffix}) == expected, (project, suffix)
        outcomes[expected] += 1
    assert min(outcomes.values()) > 50, outcomes  # both kinds were really tried


def test_validation_accepts_exactly_the_state_bucket_names_aws_accepts() -> None:
    rng = random.Random(63)
    outcomes = {True: 0, False: 0}
    for _ in range(600):
        bucket = _random_name(rng, string.ascii_lowercase * 4 + string.digits + "-.-_A", 1, 66)
        # The bucket and its `-replica` twin in the other region must both be names AWS accepts.
        expected = s3_bucket_ok(bucket) and s3_bucket_ok(f"{bucket}-replica")
        assert _accepted({"state_bucket": bucket}) == expected, bucket
        outcomes[expected] += 1
    assert min(outcomes.values()) > 100, outcomes


def test_validation_accepts_exactly_the_lock_table_names_aws_accepts() -> None:
    rng = random.Random(255)
    outcomes = {True: 0, False: 0}
    for _ in range(400):
        table = _random_name(rng, string.ascii_letters + string.digits + "_.-", 1, 260)
        if rng.random() < 0.2:
            table = table[:2]
        expected = dynamodb_table_ok(table)
        assert _accepted({"state_lock_table": table}) == expected, table
        outcomes[expected] += 1
    assert min(outcomes.values()) > 50, outcomes


# ----- length limits: each kind's limit is the API's (botocore service model, the pinned version) -----
# (service, operation input or shape, member) carrying each kind's name in the API call the provider makes.
_API_NAME_FIELDS: dict[str, tuple[str, str, str]] = {
    "aws_rds_global_cluster.global_cluster_identifier": (
        "rds",
        "CreateGlobalClusterMessage",
        "GlobalClusterIdentifier",
    ),
    "aws_rds_cluster.cluster_identifier": ("rds", "CreateDBClusterMessage", "DBClusterIdentifier"),
    "aws_rds_cluster.final_snapshot_identifier": ("rds", "DeleteDBClusterMessage", "FinalDBSnapshotIdentifier"),
    "aws_rds_cluster_instance.identifier": ("rds", "CreateDBInstanceMessage", "DBInstanceIdentifier"),
    "aws_db_parameter_group.name": ("rds", "CreateDBParameterGroupMessage", "DBParameterGroupName"),
    "aws_db_subnet_group.name": ("rds", "CreateDBSubnetGroupMessage", "DBSubnetGroupName"),
    "aws_lb.name": ("elbv2", "CreateLoadBalancerInput", "Name"),
    "aws_lb_target_group.name": ("elbv2", "CreateTargetGroupInput", "Name"),
    "aws_iam_role.name": ("iam", "CreateRoleRequest", "RoleName"),
    "aws_iam_role_policy.name": ("iam", "PutRolePolicyRequest", "PolicyName"),
    "aws_iam_instance_profile.name": ("iam", "CreateInstanceProfileRequest", "InstanceProfileName"),
    "aws_lambda_function.function_name": ("lambda", "CreateFunctionRequest", "FunctionName"),
    "aws_cloudwatch_log_group.name": ("logs", "CreateLogGroupRequest", "logGroupName"),
    "aws_cloudwatch_metric_alarm.alarm_name": ("cloudwatch", "PutMetricAlarmInput", "AlarmName"),
    "aws_cloudwatch_dashboard.dashboard_name": ("cloudwatch", "PutDashboardInput", "DashboardName"),
    "aws_sns_topic.name": ("sns", "CreateTopicInput", "Name"),
    "aws_sqs_queue.name": ("sqs", "CreateQueueRequest", "QueueName"),
    "aws_kms_alias.name": ("kms", "CreateAliasRequest", "AliasName"),
    "aws_backup_vault.name": ("backup", "CreateBackupVaultInput", "BackupVaultName"),
    "aws_backup_plan.name": ("backup", "BackupPlanInput", "BackupPlanName"),
    "aws_backup_selection.name": ("backup", "BackupSelection", "SelectionName"),
    "aws_wafv2_web_acl.name": ("wafv2", "CreateWebACLRequest", "Name"),
    "aws_cloudwatch_event_rule.name": ("events", "PutRuleRequest", "Name"),
    "aws_secretsmanager_secret.name": ("secretsmanager", "CreateSecretRequest", "Name"),
    "aws_security_group.name": ("ec2", "CreateSecurityGroupRequest", "GroupName"),
    "aws_launch_template.name": ("ec2", "CreateLaunchTemplateRequest", "LaunchTemplateName"),
    "aws_autoscaling_group.name": ("autoscaling", "CreateAutoScalingGroupType", "AutoScalingGroupName"),
    "aws_autoscaling_policy.name": ("autoscaling", "PutScalingPolicyType", "PolicyName"),
}
# Limits that are not the API field's: the field also takes an ARN (its max is the ARN's), the limit is in the
# service's naming rules rather than the API reference, or the provider leaves less room.
_LIMITS_FROM_ELSEWHERE = {
    # DynamoDB naming rules: table names 3-255 (TableName also takes a 1024-character ARN).
    "aws_dynamodb_table.name": 255,
    # S3 bucket naming rules: 3-63 (CreateBucket only links to them).
    "aws_s3_bucket.bucket": 63,
    # CreateDBClusterParameterGroup states no length; parameter group names are 1-255 (CreateDBParameterGroup).
    "aws_rds_cluster_parameter_group.name": 255,
    # CallerReference 64, less the provider's 37-character unique suffix (test_setting_ranges checks the provider).
    "aws_route53_health_check.reference_name": 27,
}


def _api_max_length(service: str, shape_name: str, member: str) -> int:
    """The member's maximum length: the model's `max`, a `{m,n}` pattern, or the number its documentation states
    ("from 1 to 63", "up to 80", "limited to 64 characters" for a function name rather than its ARN)."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model(service).shape_for(shape_name).members[member]
    text = re.sub(r"<[^>]+>", "", shape.documentation)
    stated = re.search(r"name, it is limited to (\d+)", text)  # FunctionName: 140 is the ARN's limit
    if stated:
        return int(stated.group(1))
    if "max" in shape.metadata:
        return int(shape.metadata["max"])
    pattern = re.search(r"\{\d+,(\d+)\}", shape.metadata.get("pattern", ""))
    if pattern:
        return int(pattern.group(1))
    documented = re.search(r"(?:1 to|up to|no more than|maximum of|maximum length is|between 1 and) (\d+)", text, re.I)
    assert documented, f"no length stated for {service} {shape_name}.{member}"
    return int(documented.group(1))


def test_every_name_length_limit_is_the_apis() -> None:
    """Each names.RULES max_length equals the limit the API reference / botocore model states for that name (or,
    for the kinds listed above, the naming-rules page or the provider), so no budget rests on memory."""
    from dr_stack.naming.names import RULES

    assert set(_API_NAME_FIELDS) | set(_LIMITS_FROM_ELSEWHERE) == set(RULES)
    limits = {kind: _api_max_length(*field) for kind, field in _API_NAME_FIELDS.items()} | _LIMITS_FROM_ELSEWHERE
    assert {kind: rule.max_length for kind, rule in RULES.items()} == limits
