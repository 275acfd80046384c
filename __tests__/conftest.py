"""Shared test set-up: fake AWS credentials for every test, and each configuration synthesized once per session
(a synth, not an assertion, is the slow part of a test)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dr_stack.binding import install
from support.drill import FAKE_CREDENTIALS

# The lazy AWS-binding loader goes in before any test module imports the binding (as main.py does).
install()

# The orchestrator tests' fixtures (clock, world, aws) reach every test module from here: a module requests them
# as arguments and imports only the helpers (invoke, event, step...), never a fixture by name.
pytest_plugins = ["support.harness"]

# No test may reach a real AWS account, whatever its module imports. boto3 and terraform's AWS provider look for
# credentials in the environment first, then the shared credentials and config files (a profile, SSO,
# credential_process, web identity), then container and EC2 instance metadata (AWS SDKs and Tools Reference Guide,
# "Standardized credential providers"); AWS_ENDPOINT_URL* redirect every call (boto3 >= 1.28). So every AWS_* variable
# the environment holds is dropped, the files point at an empty one, the metadata service is off, and the fake keys
# (support.drill, also the drill's and moto's) are the only credentials left.
AWS_SANDBOX: dict[str, str] = {
    **FAKE_CREDENTIALS,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _foreign_aws_variables() -> list[str]:
    """The AWS_* variables of the environment that the sandbox does not set."""
    return [name for name in os.environ if name.startswith("AWS_") and name not in AWS_SANDBOX]


# For the whole process first (collection-time imports, session fixtures, subprocesses inherit it)...
for _name in _foreign_aws_variables():
    del os.environ[_name]
os.environ.update(AWS_SANDBOX)


@pytest.fixture(autouse=True)
def aws_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """...then again before every test, so what an earlier test set in os.environ (without monkeypatch) is gone."""
    for name in _foreign_aws_variables():
        monkeypatch.delenv(name)
    for name, value in AWS_SANDBOX.items():
        monkeypatch.setenv(name, value)


# ----- tiers (markers registered in pyproject.toml; docs/testing.md "Tiers") -----
# A test module's folder is its tier: `synth/` the stack side (settings, constructs, mostly the session's
# synthesized JSON), `runtime/` the Lambda and emulator code against moto and botocore's Stubber, `contract/` the
# checks that two places agree (the docs, the layout, one source for what the stack and the functions share).
# test_tiers.py fails when a test module sits anywhere else, so a new file cannot run without a tier.
SYNTH, RUNTIME, CONTRACT, SLOW = "synth", "runtime", "contract", "slow"
TESTS = Path(__file__).resolve().parent
KINDS: tuple[str, ...] = (SYNTH, RUNTIME, CONTRACT)
# `slow` on top (`make test-fast` leaves it out): whole modules or single tests ("module::function"), chosen from
# `pytest --durations` (docs/benchmarks.md): terraform validate, checkov, the provider binary, subprocess synths
# (cdktf, both binding imports), a pytest subprocess, and the two exhaustive in-process sweeps of the settings
# (each over 20 s on the loaded 2-core machine). The emulator server starts in about a second (its module fixture in
# test_e2e_harness.py), so the tests against it stay fast.
SLOW_TESTS: frozenset[str] = frozenset(
    {
        "test_aws_sandbox::test_a_hostile_environment_still_leaves_only_the_fake_credentials",
        "test_binding::test_lazy_and_full_import_synthesize_the_same_json",
        "test_deploy_workflow",
        "test_one_rule_set::test_synth_accepts_exactly_what_the_functions_accept",
        "test_security_scan",
        "test_setting_ranges::test_every_accepted_region_is_known_to_the_pinned_provider",
        "test_setting_ranges::test_health_check_reference_name_budget_is_the_providers",
        "test_setting_ranges::test_log_retention_days_are_the_documented_values",
        "test_setting_ranges::test_provider_accepts_the_lowest_rate_limit_synth_accepts",
        "test_setting_ranges::test_route53_accepts_an_alarm_in_every_region_synth_accepts",
        "test_validate",
    }
)


def tier_of(path: Path) -> str | None:
    """The tier of a test module: the folder under __tests__ it sits in, or None outside the tier folders."""
    folder = path.parent.name
    return folder if path.parent.parent == TESTS and folder in KINDS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier (and `slow` when it or its module is in SLOW_TESTS)."""
    for item in items:
        module = item.path.stem
        tier = tier_of(item.path)
        if tier is not None:
            item.add_marker(tier)
        name = getattr(item, "originalname", item.name)
        if module in SLOW_TESTS or f"{module}::{name}" in SLOW_TESTS:
            item.add_marker(SLOW)


ROOT = Path(__file__).resolve().parent.parent

# jsii starts Node when a test module first imports cdktf (at collection, before any fixture): put the
# project's own Node (npm package `node`, major 22) first on PATH now, not in a fixture.
_NODE_BIN = ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

# The settings the "prod" fixture synthesizes: a full production configuration with DNS and TLS.
PROD_OVERRIDES: dict[str, Any] = {
    "environment": "prod",
    "domain_name": "app.example.com",
    "hosted_zone_name": "example.com",
    "alarm_email": "oncall@example.com",
    "failover_automatic": True,
    "failover_decision_allowance_seconds": 0,
    # The other password mode (an ephemeral variable); dev covers the generated (ephemeral resource) one.
    "db_password_source": "variable",
}


# cdktf's Testing.app() without an outdir makes a new /tmp/cdktf.outdir.* on every call and never removes it
# (node_modules/cdktf/lib/testing/index.js): a test run left about a hundred. Testing.synth writes nothing there,
# so every testing app of the session shares this one directory, removed when the session's interpreter exits.
_TESTING_OUTDIR = tempfile.TemporaryDirectory(prefix="dr-testing-app.")


def new_testing_app() -> Any:
    """A cdktf testing app (``Testing.app()``) whose outdir is removed at the end of the session."""
    from cdktf import Testing

    return Testing.app(outdir=_TESTING_OUTDIR.name)


@dataclass
class Synthesized:
    """One synthesized stack: its JSON text (for cdktf Testing assertions) and the parsed document."""

    text: str
    data: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.data = json.loads(self.text)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """All resources of one Terraform type, by logical id."""
        return self.data.get("resource", {}).get(resource_type, {})

    def data_sources(self, data_type: str) -> dict[str, dict[str, Any]]:
        """All data sources of one Terraform type, by logical id."""
        return self.data.get("data", {}).get(data_type, {})

    def only(self, resource_type: str, contains: str = "") -> dict[str, Any]:
        """The single resource of a type whose logical id contains `contains`."""
        matches = [body for key, body in self.resources(resource_type).items() if contains in key]
        assert len(matches) == 1, f"expected one {resource_type} matching {contains!r}, got {len(matches)}"
        return matches[0]

    def logical_id(self, resource_type: str, contains: str) -> str:
        """Logical id of the single resource of a type whose id contains `contains`."""
        matches = [key for key in self.resources(resource_type) if contains in key]
        assert len(matches) == 1, f"expected one {resource_type} matching {contains!r}, got {matches}"
        return matches[0]

    def ref(self, resource_type: str, contains: str, attribute: str) -> str:
        """The Terraform reference `${type.id.attribute}` to that single resource."""
        return f"${{{resource_type}.{self.logical_id(resource_type, contains)}.{attribute}}}"

    def statements(self, reference: str) -> list[dict[str, Any]]:
        """Statements of the policy document a ``${data.aws_iam_policy_document.<id>.json}`` reference names."""
        prefix, suffix = "${data.aws_iam_policy_document.", ".json}"
        assert reference.startswith(prefix) and reference.endswith(suffix), reference
        statements: list[dict[str, Any]] = self.data_sources("aws_iam_policy_document")[
            reference[len(prefix) : -len(suffix)]
        ]["statement"]
        return statements

    def key_arn(self, role: str) -> str:
        """Reference to the ARN of a region's KMS key."""
        return self.ref("aws_kms_key", f"{role}_key", "arn")

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Terraform outputs by name."""
        return self.data.get("output", {})


def _synth(overrides: dict[str, Any]) -> dict[str, Synthesized]:
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.foundation.bootstrap import BootstrapStack
    from dr_stack.stacks import DrStack

    settings = load_settings(overrides, environ={})
    app = new_testing_app()
    return {
        "dr": Synthesized(Testing.synth(DrStack(app, "dr", settings=settings))),
        "bootstrap": Synthesized(Testing.synth(BootstrapStack(app, "bootstrap", settings=settings))),
    }


@pytest.fixture(scope="session")
def dev_stacks() -> dict[str, Synthesized]:
    """Both stacks with default (dev profile) settings."""
    return _synth({})


@pytest.fixture(scope="session")
def dev(dev_stacks: dict[str, Synthesized]) -> Synthesized:
    """The DR stack with default (dev profile) settings."""
    return dev_stacks["dr"]


@pytest.fixture(scope="session")
def dev_bootstrap(dev_stacks: dict[str, Synthesized]) -> Synthesized:
    """The bootstrap (state backend) stack of the dev profile."""
    return dev_stacks["bootstrap"]


@pytest.fixture(scope="session")
def prod_stacks() -> dict[str, Synthesized]:
    """Both stacks with the production profile, a domain and automatic failover."""
    return _synth(PROD_OVERRIDES)


@pytest.fixture(scope="session")
def prod(prod_stacks: dict[str, Synthesized]) -> Synthesized:
    """The production DR stack."""
    return prod_stacks["dr"]


@pytest.fixture(scope="session")
def bootstrap(prod_stacks: dict[str, Synthesized]) -> Synthesized:
    """The bootstrap (state backend) stack."""
    return prod_stacks["bootstrap"]
