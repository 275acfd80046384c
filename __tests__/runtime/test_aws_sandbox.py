"""No test reaches a real AWS account, even one whose module imports nothing from ``support``, as this one.

conftest.py empties the environment of every AWS_* variable, points the shared files at an empty one and sets
fake keys, for the process and again before each test, and hands every module the shared fixtures (``world``:
both regions in moto) without an import. The last test runs the others in a fresh pytest process whose
environment holds a real-looking profile, keys, files and an endpoint override.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import boto3
import pytest

HERE = Path(__file__).resolve()
FAKE_KEY = "testing"


def test_boto3_resolves_only_the_fake_credentials() -> None:
    """boto3 takes the first credentials its provider chain finds, and environment variables come before the
    shared credentials and config files, container and instance metadata (boto3 Developer Guide, "Credentials",
    "Configuring credentials"): with the sandbox's keys in the environment, no profile or file is ever read."""
    session = boto3.session.Session()
    credentials = session.get_credentials()
    assert credentials is not None
    frozen = credentials.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, credentials.method) == (FAKE_KEY, FAKE_KEY, "env")
    assert session.profile_name == "default" and session.region_name == "us-east-1"
    assert not [name for name in os.environ if name.startswith(("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE"))]


def test_a_call_to_real_aws_would_be_signed_with_the_fake_key() -> None:
    """Signature Version 4 puts the access key id in the Authorization header (``Credential=<key id>/<date>/
    <region>/<service>/aws4_request``, IAM User Guide, "Elements of an AWS API request signature"), and AWS
    refuses a key id it did not issue (STS API Reference, common errors: InvalidClientTokenId). The request is
    captured on botocore's ``before-send`` event, the last step before the HTTP send, and never sent."""
    captured: list[Any] = []

    def capture(request: Any, **_: Any) -> NoReturn:
        captured.append(request)
        raise _Captured

    client = boto3.client("sts", region_name="us-east-1")
    client.meta.events.register("before-send.sts.GetCallerIdentity", capture)
    with pytest.raises(_Captured):
        client.get_caller_identity()
    (request,) = captured
    assert request.url.startswith("https://sts.") and ".amazonaws.com" in request.url, request.url
    authorization = request.headers["Authorization"].decode()
    assert f"Credential={FAKE_KEY}/" in authorization, authorization
    assert request.headers["X-Amz-Security-Token"].decode() == FAKE_KEY


class _Captured(Exception):
    """Raised by the ``before-send`` hook: the request was built and signed, and is not sent."""


def test_the_shared_moto_world_reaches_a_module_that_imports_nothing(world: Any) -> None:
    """``world`` comes from conftest (``pytest_plugins``), not an import: inside it every client is answered by
    moto, whose account is 123456789012 (moto docs, "Multi-account support": the default account id), never a
    real one. A call to real AWS with the fake key would fail with InvalidClientTokenId (STS API Reference,
    common errors) instead of returning an identity."""
    identity = boto3.client("sts", region_name="us-west-2").get_caller_identity()
    assert identity["Account"] == "123456789012", identity
    assert world.env("us-west-2"), "the drill world of both regions was built"


def test_this_module_sets_no_credentials_of_its_own() -> None:
    """The tests above prove the sandbox only while this module brings no credentials, mocks or fixtures itself:
    its imports are the standard library, boto3 and pytest, and it never names a key variable."""
    tree = ast.parse(HERE.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "ast", "os", "subprocess", "sys", "pathlib", "typing", "boto3", "pytest"}, (
        imported
    )
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    own = attributes & {"setenv", "putenv", "update", "fixture", "usefixtures"}
    assert not own, own


def test_a_hostile_environment_still_leaves_only_the_fake_credentials(tmp_path: Path) -> None:
    """The three tests above, in a fresh pytest process started with a real-looking profile, keys, session token,
    shared files and endpoint override: they pass only if conftest dropped all of it before they ran."""
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAFROMSHAREDFILE00\naws_secret_access_key = from-file\n"
        "[prod-admin]\naws_access_key_id = AKIAPRODADMINFILE000\naws_secret_access_key = from-file\n"
    )
    (tmp_path / "config").write_text("[profile prod-admin]\nregion = eu-west-1\n")
    hostile = {
        "AWS_PROFILE": "prod-admin",
        "AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY00",
        "AWS_SECRET_ACCESS_KEY": "real-looking-secret",
        "AWS_SESSION_TOKEN": "real-looking-token",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_ENDPOINT_URL": "https://proxy.example.com",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/admin",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    selected = [
        f"{HERE}::test_boto3_resolves_only_the_fake_credentials",
        f"{HERE}::test_a_call_to_real_aws_would_be_signed_with_the_fake_key",
        f"{HERE}::test_the_shared_moto_world_reaches_a_module_that_imports_nothing",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selected],
        cwd=HERE.parent.parent,
        env={**os.environ, **hostile},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout, done.stdout
