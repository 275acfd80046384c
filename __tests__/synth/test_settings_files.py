"""Per-environment settings files: environments/<environment>.toml between the profile and the DR_* variables."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import Synthesized, new_testing_app
from dr_stack.config.settings import (
    CONTEXT_VARIABLE,
    ENVIRONMENTS,
    ENVIRONMENTS_DIR,
    SettingsError,
    load_settings,
    resolve_settings,
)


def _write(folder: Path, environment: str, text: str) -> Path:
    path = folder / f"{environment}.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_checked_in_files_exist_and_leave_the_profiles_unchanged(environment: str) -> None:
    """Each environment has its checked-in file, and the values it sets are the profile's own: synthesizing
    the default dev and prod stacks with the files gives the settings (so the JSON) they had without them."""
    resolved = resolve_settings({"environment": environment}, environ={}, environments_dir=ENVIRONMENTS_DIR)
    assert resolved.settings_file == f"environments/{environment}.toml"
    assert {source.source for source in resolved.sources} >= {f"environments/{environment}.toml"}
    assert resolved.settings == load_settings({"environment": environment}, environ={})


def test_a_file_sits_between_the_profile_and_the_variables(tmp_path: Path) -> None:
    """Precedence, lowest first: code default, profile, file, DR_* variable, override."""
    _write(
        tmp_path,
        "prod",
        'db_deletion_protection = false\nprimary_app_max_capacity = 20\nalarm_email = "file@example.com"\n'
        'project_name = "shop"\n',
    )
    settings = load_settings(
        {"project_name": "override"},
        environ={"DR_ENVIRONMENT": "prod", "DR_ALARM_EMAIL": "variable@example.com", "DR_PROJECT_NAME": "fromvar"},
        environments_dir=tmp_path,
    )
    assert settings.db_deletion_protection is False  # file over the prod profile's true
    assert settings.primary_app_max_capacity == 20  # file over the profile's 12
    assert settings.alarm_email == "variable@example.com"  # DR_* variable over the file
    assert settings.project_name == "override"  # override over the variable and the file
    assert settings.nat_gateway_per_az is True  # the profile where the file says nothing
    assert settings.app_port == 8080  # the code default where nobody says anything


def test_the_report_names_the_file_and_every_override_with_its_source(tmp_path: Path) -> None:
    _write(tmp_path, "prod", 'db_deletion_protection = false\nalarm_email = "file@example.com"\n')
    resolved = resolve_settings(
        environ={"DR_ENVIRONMENT": "prod", "DR_ALARM_EMAIL": "variable@example.com"}, environments_dir=tmp_path
    )
    report = resolved.report()
    assert report.splitlines()[0].startswith(f"settings file {tmp_path / 'prod.toml'}; environment 'prod' from ")
    assert "DR_ENVIRONMENT" in report.splitlines()[0]
    assert f"db_deletion_protection = False  (from {tmp_path / 'prod.toml'}, over the prod profile)" in report
    assert f"alarm_email = 'variable@example.com'  (from DR_ALARM_EMAIL, over {tmp_path / 'prod.toml'})" in report
    # Settings nobody gave are not listed: the report is what differs from the documented defaults.
    assert "app_port" not in report


def test_a_missing_file_is_reported_not_invented(tmp_path: Path) -> None:
    resolved = resolve_settings(environ={}, environments_dir=tmp_path)
    assert resolved.settings_file is None
    assert resolved.report().startswith(f"no settings file ({tmp_path / 'dev.toml'} does not exist)")


def test_unknown_key_in_a_file_is_refused_with_its_closest_setting(tmp_path: Path) -> None:
    _write(tmp_path, "dev", 'primary_regoin = "eu-west-1"\n')
    with pytest.raises(SettingsError, match=r"unknown setting 'primary_regoin' in .*dev.toml.*'primary_region'"):
        load_settings(environ={}, environments_dir=tmp_path)


def test_a_table_in_a_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "dev", '[database]\ndb_engine = "aurora-postgresql"\n')
    with pytest.raises(SettingsError, match=r"unknown setting 'database' in .*no tables"):
        load_settings(environ={}, environments_dir=tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('primary_app_max_capacity = "20"', r"primary_app_max_capacity must be an integer .*got '20' \(in "),
        ("nat_gateway_per_az = 1", r"nat_gateway_per_az must be true or false .*got 1 \(in "),
        ('db_deletion_protection = "false"', r"db_deletion_protection must be true or false .*got 'false'"),
        ("db_serverless_max_capacity = true", r"db_serverless_max_capacity must be a finite number .*got True"),
        ("project_name = 12", r"project_name must be a string .*got 12"),
        ('allowed_account_ids = "123456789012"', r"allowed_account_ids must be a list of strings"),
        ("allowed_account_ids = [123456789012]", r"allowed_account_ids must be a list of strings"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(tmp_path: Path, line: str, message: str) -> None:
    """TOML types its values: a quoted "20" is a string, not the integer a variable's text would be read as."""
    _write(tmp_path, "dev", line + "\n")
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={}, environments_dir=tmp_path)


def test_a_file_value_breaking_a_rule_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "dev", 'primary_region = "us-central-9"\n')
    with pytest.raises(SettingsError, match=r"primary_region must be one of .*got 'us-central-9' \(in .*dev.toml\)"):
        load_settings(environ={}, environments_dir=tmp_path)


def test_every_problem_of_a_file_and_the_variables_in_one_error(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "prod",
        'environment = "dev"\nrto_minuts = 10\nprimary_app_max_capacity = "x"\nallowed_account_ids = ["1234"]\n'
        'primary_region = "mars-1"\n',
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"DR_ENVIRONMENT": "prod", "DR_APP_PORT": "80"}, environments_dir=tmp_path)
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 6, problems
    for expected in (
        "setting environment in",
        "unknown setting 'rto_minuts'",
        "primary_app_max_capacity must be an integer",
        "allowed_account_ids must be a list of 12-digit AWS account ids",
        "primary_region must be one of",
        "app_port must be an integer from 1024 to 65535, got 80",
    ):
        assert expected in problems


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "dev", "primary_region = us-east-1\n")
    with pytest.raises(SettingsError, match=r"settings file .*dev.toml must be TOML"):
        load_settings(environ={}, environments_dir=tmp_path)


def test_the_cdktf_context_selects_the_environment_and_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cdktf CLI hands the app cdktf.json's "context" as JSON in CDKTF_CONTEXT_JSON (cdktf App.loadContext);
    DR_ENVIRONMENT wins over it."""
    _write(tmp_path, "prod", "primary_app_max_capacity = 20\n")
    resolved = resolve_settings(environ={}, environments_dir=tmp_path, context={"environment": "prod"})
    assert resolved.settings.environment == "prod"
    assert resolved.settings.primary_app_max_capacity == 20
    assert "from the cdktf context 'environment'" in resolved.report()
    dev = resolve_settings(
        environ={"DR_ENVIRONMENT": "dev"}, environments_dir=tmp_path, context={"environment": "prod"}
    )
    assert dev.settings.environment == "dev"

    # As synth reads it: the process's variables, the checked-in folder, the context variable the CLI sets.
    for key in [key for key in os.environ if key.upper().startswith("DR_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv(CONTEXT_VARIABLE, json.dumps({"environment": "prod"}))
    from_process = resolve_settings()
    assert from_process.settings.environment == "prod"
    assert from_process.settings_file == "environments/prod.toml"


@pytest.mark.parametrize("accounts", [["123456789012"], ["000000000001", "999999999999"]])
def test_accepts_twelve_digit_account_ids(accounts: list[str]) -> None:
    assert load_settings({"allowed_account_ids": accounts}, environ={}).allowed_account_ids == tuple(accounts)
    variable = load_settings(environ={"DR_ALLOWED_ACCOUNT_IDS": ", ".join(accounts)})
    assert variable.allowed_account_ids == tuple(accounts)


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "12345678901a", "arn:aws:iam::123456789012"])
def test_refuses_what_is_not_an_account_id(account: str) -> None:
    """An AWS account id is a 12-digit number (AWS Account Management reference, "View AWS account
    identifiers")."""
    with pytest.raises(SettingsError, match=r"allowed_account_ids must be a list of 12-digit AWS account ids"):
        load_settings({"allowed_account_ids": [account]}, environ={})


def test_the_account_guard_is_on_every_aws_provider_of_both_stacks(tmp_path: Path) -> None:
    """allowed_account_ids from the file reaches every AWS provider of the DR stack (primary, secondary and the
    us_east_1 one Route53 metrics need) and of the bootstrap stack; without it no provider has the argument."""
    from cdktf import Testing
    from dr_stack.foundation.bootstrap import BootstrapStack
    from dr_stack.stacks import DrStack

    _write(
        tmp_path,
        "dev",
        'allowed_account_ids = ["111111111111", "222222222222"]\nprimary_region = "eu-west-1"\n'
        'secondary_region = "eu-central-1"\n',
    )
    settings = load_settings(environ={}, environments_dir=tmp_path)
    app = new_testing_app()
    stacks = [
        Synthesized(Testing.synth(DrStack(app, "dr", settings=settings))),
        Synthesized(Testing.synth(BootstrapStack(app, "bootstrap", settings=settings))),
    ]
    aliases = []
    for stack in stacks:
        for provider in stack.data["provider"]["aws"]:
            aliases.append(provider["alias"])
            assert provider["allowed_account_ids"] == ["111111111111", "222222222222"], provider["alias"]
    assert sorted(aliases) == ["primary", "primary", "secondary", "secondary", "us_east_1"]


def test_no_account_guard_by_default(dev: Synthesized, dev_bootstrap: Synthesized) -> None:
    for stack in (dev, dev_bootstrap):
        assert all("allowed_account_ids" not in provider for provider in stack.data["provider"]["aws"])
