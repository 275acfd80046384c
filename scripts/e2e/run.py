"""`make e2e`: apply both stacks on a local AWS emulator, lose the primary region (the game day), recover,
re-protect, fail back through the orchestrator, check that every plan is clean, destroy; print a line per phase,
the applied/total counts, the game day's report and a timeline.

Phases: emulator start alongside the synth (state_backend=local, db_password_source=variable, automatic failover
with a 10 s probe) -> rewrite for the emulator (scripts/e2e/rewrite.py) -> terraform init (offline, filesystem
mirror) -> apply bootstrap and DR -> baseline plan -> orchestrator preflight, dry run, readiness under its role ->
the game day (scripts/e2e/outage.py: cut, isolation, automatic failover measured from the cut, Terraform during the
outage, the return half-alive, re-protect, plan) -> switchover back to the primary -> checks -> plan -> destroy. Any
unexplained plan change (not in scripts/e2e/baseline.toml), any replace/destroy of a database or secret, a failed
check or a failed terraform command fails the run (exit 1). The emulator is stopped in every case.

Usage: python -m scripts.e2e.run [--keep DIR]   (--keep: leave the scratch folder for inspection)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import Checks, E2EFailure, cluster_identifier_of
from .emulator import GATES, emulator
from .extensions import DIFFERENCES, lose_instance, publish_replication_lag
from .outage import (
    HOLD_SECONDS,
    GameDayReport,
    World,
    automatic_runs,
    edit_stack,
    expect_completed,
    expect_old_primary_reads,
    larger_secondary_instances,
    summarize_calls,
    targets_of_outage_change,
)
from .plancheck import PlanVerdict, judge_plan, load_baseline
from .rewrite import FAKE_CREDENTIALS, rewrite_stack_dir
from .state import OVERRIDE as STATE_OVERRIDE
from .state import REPLICA_SUFFIX, StateBackends, synthesized_backend

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.toml")
ACCOUNT_ID = "123456789012"  # moto's default account
PARALLELISM = 20
# No terraform command of this run takes near this long (the longest, the DR destroy, takes about 190 s): one
# that does is stuck, and the run fails instead of holding CI.
TERRAFORM_COMMAND_TIMEOUT_SECONDS = 900
DESTROY_PLAN = "destroy.tfplan"
# Replication lag the harness publishes as Aurora would (ms); well inside the dev RPO of 5 minutes.
PUBLISHED_LAG_MS = 250.0
# Emulator-mode overrides of the function's environment (documented variables, shorter waits only).
FUNCTION_ENV_OVERRIDES = {"POLL_INTERVAL_SECONDS": "1"}
# Resources of the stacks left out of the e2e apply, with the reason (none: every gap that blocked the apply
# is closed by an extension in scripts/e2e/extensions.py).
EXCLUDED: tuple[tuple[str, str], ...] = ()
# The DR stack's longest waits are the provider's fixed RDS waiters (30 s before each status read): the bootstrap
# stack's terraform work starts once they have begun, so it takes CPU from neither the DR apply's planning and
# first creates nor the DR destroy's first deletions.
RDS_CHAIN_CREATING = re.compile(r"^aws_rds_cluster\.\S+: Creating\.\.\.", re.MULTILINE)
RDS_CHAIN_DESTROYING = re.compile(r"^aws_rds_cluster_instance\.\S+: Destroying\.\.\.", re.MULTILINE)
# Resources that must never be replaced or destroyed by a plan after a failover or failback.
PROTECTED_TYPES = (
    "aws_rds_global_cluster",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_secretsmanager_secret",
)


@dataclass
class Timeline:
    """Phase start/end times relative to the run's start, printed at the end."""

    start: float = field(default_factory=time.monotonic)
    phases: list[tuple[str, float, float, str]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[list[str]]:
        """Time a phase; the yielded list collects its one-line result."""
        begin = time.monotonic()
        print(f"[{begin - self.start:6.1f}s] {name} ...", flush=True)
        note: list[str] = []
        status = "ok"
        try:
            yield note
        except BaseException:
            status = "FAILED"
            raise
        finally:
            end = time.monotonic()
            detail = "; ".join(note)
            self.phases.append((name, begin - self.start, end - begin, f"{status} {detail}".strip()))
            print(f"[{end - self.start:6.1f}s] {name}: {status} in {end - begin:.1f}s {detail}".rstrip(), flush=True)

    def render(self) -> str:
        """The timeline table."""
        lines = [f"{'phase':<34} {'start s':>8} {'dur s':>7}  result"]
        lines += [f"{n:<34} {s:8.1f} {d:7.1f}  {r}" for n, s, d, r in sorted(self.phases, key=lambda p: p[1])]
        lines.append(f"{'total':<34} {'':>8} {time.monotonic() - self.start:7.1f}")
        return "\n".join(lines)


def generated_password() -> str:
    """A 32-character master password RDS accepts (no / @ \" or space)."""
    alphabet = string.ascii_letters + string.digits + "!#$%^&*()-_=+"
    return "".join(secrets.choice(alphabet) for _ in range(32))


def refuse_password_in_state(tf: Terraform, password: str) -> None:
    """The master password reaches only write-only arguments from an ephemeral variable: the applied state must
    not hold it anywhere (an E2EFailure names the stack when it does)."""
    state = tf.workdir / tf.state_path
    if state.is_file() and password in state.read_text():
        raise E2EFailure(f"the master password is in the state of {tf.workdir.name} ({state})")


class Terraform:
    """terraform in one stack folder, offline, against the emulator."""

    def __init__(self, workdir: Path, env: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.env = dict(env)
        self.current_log: Path | None = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one terraform command, its output streamed to a log file in the stack folder (tail it to
        follow an apply); on failure raise E2EFailure with the tail of that output."""
        env = dict(self.env)
        if os.environ.get("E2E_TF_LOG"):  # provider debug log per command, for finding slow waiters
            env["TF_LOG_PROVIDER"] = os.environ["E2E_TF_LOG"]
            env["TF_LOG_PATH"] = str(self.workdir / f"tf.{args[0]}.debug.log")
        log = self.workdir / f"log.{args[0]}.{time.strftime('%H%M%S')}.{time.monotonic_ns() % 1000}.txt"
        self.current_log = log
        with log.open("w") as sink:
            try:
                done = subprocess.run(
                    ["terraform", *args, "-no-color"],
                    cwd=self.workdir,
                    env=env,
                    stdout=subprocess.PIPE if args[0] in ("show", "state") else sink,
                    stderr=sink,
                    text=True,
                    check=False,
                    timeout=TERRAFORM_COMMAND_TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired as stuck:
                raise E2EFailure(
                    f"terraform {' '.join(args)} in {self.workdir.name} took over {stuck.timeout:.0f} s"
                ) from stuck
        output = log.read_text()
        if check and done.returncode != 0:
            tail = "\n".join(output.splitlines()[-40:])
            raise E2EFailure(f"terraform {' '.join(args)} in {self.workdir.name} exited {done.returncode}:\n{tail}")
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout or output, output)

    def init(self) -> None:
        self.run("init", "-input=false", "-backend=true")

    def apply(self) -> None:
        self.run("apply", "-input=false", "-auto-approve", f"-parallelism={PARALLELISM}")

    def plan(self, name: str) -> tuple[int, dict[str, Any]]:
        """Plan with -detailed-exitcode; return the exit code and, when the plan has changes (exit 2), its
        `terraform show -json` (each terraform command starts the 700 MB provider again: a clean plan
        needs no second command)."""
        plan_file = f"{name}.tfplan"
        done = self.run(
            "plan",
            "-input=false",
            "-detailed-exitcode",
            f"-parallelism={PARALLELISM}",
            f"-out={plan_file}",
            check=False,
        )
        if done.returncode not in (0, 2):
            raise E2EFailure(f"terraform plan ({name}) failed:\n{done.stderr[-3000:]}")
        if done.returncode == 0:
            return 0, {"resource_changes": []}
        shown = self.run("show", "-json", plan_file)
        return done.returncode, json.loads(shown.stdout)

    def state(self) -> dict[str, Any]:
        """The state (JSON, format version 4): the local file, read without starting terraform and its provider,
        or ``terraform state pull`` while the state is in a bucket (scripts/e2e/state.py)."""
        if (self.workdir / STATE_OVERRIDE).is_file():
            return dict(json.loads(self.run("state", "pull").stdout))
        path = self.workdir / self.state_path
        return dict(json.loads(path.read_text())) if path.is_file() else {}

    def reinit(self, *, migrate: bool) -> None:
        """``init`` after the backend changed: ``-migrate-state -force-copy`` copies the state into the new
        backend, ``-reconfigure`` uses what the new backend already holds."""
        self.run("init", "-input=false", *(("-migrate-state", "-force-copy") if migrate else ("-reconfigure",)))

    @property
    def state_path(self) -> str:
        """The local backend's path as the stack declares it (terraform.tfstate when it names none)."""
        document = json.loads((self.workdir / "cdk.tf.json").read_text())
        local = document.get("terraform", {}).get("backend", {}).get("local", {})
        return str(local.get("path", "terraform.tfstate"))

    def destroy(self) -> None:
        """Destroy without a refresh: the plan before it read every resource, and nothing changed since."""
        self.run("destroy", "-input=false", "-auto-approve", "-refresh=false", f"-parallelism={PARALLELISM}")

    def plan_destroy(self) -> None:
        """Save a destroy plan without a refresh and without the state lock (another plan may hold it; neither
        writes the state), to apply later with apply_destroy."""
        self.run(
            "plan",
            "-destroy",
            "-input=false",
            "-refresh=false",
            "-lock=false",
            f"-out={DESTROY_PLAN}",
            f"-parallelism={PARALLELISM}",
        )

    def wait_for_output(self, pattern: re.Pattern[str], event: threading.Event) -> None:
        """Set ``event`` once the running command's log has a line matching ``pattern``; return when it is set."""
        while not event.wait(1.0):
            log = self.current_log
            if log is not None and log.is_file() and pattern.search(log.read_text(errors="replace")):
                event.set()

    def apply_destroy(self) -> None:
        """Apply the destroy plan saved by plan_destroy (terraform refuses it if the state changed since)."""
        self.run("apply", "-input=false", f"-parallelism={PARALLELISM}", DESTROY_PLAN)


def destroy_protected(tf: Terraform, endpoint: str) -> str:
    """Destroy a stack whose DynamoDB tables have deletion protection as an operator would: check that the
    protection is on (DescribeTable DeletionProtectionEnabled, the stack's promise), lift it with UpdateTable
    (DeletionProtectionEnabled false; "DeleteTable fails while it is true", DynamoDB API reference), destroy."""
    resources = state_resources(tf.state())
    protected = [
        r["values"]
        for r in resources
        if r["type"] == "aws_dynamodb_table" and r["values"].get("deletion_protection_enabled")
    ]
    emptied = empty_buckets(endpoint, [r["values"] for r in resources if r["type"] == "aws_s3_bucket"])
    for table in protected:
        dynamodb = Checks(endpoint).client("dynamodb", table["arn"].split(":")[3])
        described = dynamodb.describe_table(TableName=table["name"])["Table"]
        if described.get("DeletionProtectionEnabled") is not True:
            raise E2EFailure(f"{table['name']} has no deletion protection although the stack asks for it")
        dynamodb.update_table(TableName=table["name"], DeletionProtectionEnabled=False)
    tf.destroy()
    emptied_note = f"; {emptied} object version(s) deleted first" if emptied else ""
    if not protected:
        return "destroyed" + emptied_note
    names = ", ".join(t["name"] for t in protected)
    return f"deletion protection of {names} on; lifted with UpdateTable, then destroyed" + emptied_note


def empty_buckets(endpoint: str, buckets: list[Mapping[str, Any]]) -> int:
    """Delete every object version and delete marker of ``buckets`` (without force_destroy, "you must delete all
    objects, including all object versions and delete markers, in the bucket before you can delete it", S3 User
    Guide, deleting a bucket), as an operator does before destroying the bootstrap stack; the count deleted."""
    deleted = 0
    for bucket in buckets:
        s3 = Checks(endpoint).client("s3", str(bucket["region"]))
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["bucket"]):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=bucket["bucket"], Key=entry["Key"], VersionId=entry["VersionId"])
                deleted += 1
    return deleted


def state_resources(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every managed resource instance of a state file (format version 4) as {type, name, values}."""
    found = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []):
            found.append({"type": resource["type"], "name": resource["name"], "values": instance.get("attributes", {})})
    return found


def resource_count(stack_dir: Path) -> int:
    """Managed resources a synthesized stack declares (no count/for_each in the stacks)."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    return sum(len(blocks) for blocks in document.get("resource", {}).values())


# Settings of the e2e synth beyond the dev profile: the game day needs the automatic failover (the probe, its
# alarm, the EventBridge rules) and probes every 10 s as the prod profile does, so detection takes seconds.
GAME_DAY_SETTINGS = {"DR_FAILOVER_AUTOMATIC": "true", "DR_PROBE_INTERVAL_SECONDS": "10"}


def synth_env() -> dict[str, str]:
    """The environment of the e2e synth: local state, password from TF_VAR_db_master_password, the game day's
    settings."""
    return {
        **os.environ,
        **GAME_DAY_SETTINGS,
        "DR_DB_PASSWORD_SOURCE": "variable",
        "DR_STATE_BACKEND": "local",
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def budget_of_synth() -> dict[str, Any]:
    """The recovery budget (``dr_stack.config.budget.budget_output``) of the settings the e2e synth used."""
    code = (
        "import json, sys; sys.path[:0] = ['constructs', 'lambda_src']\n"
        "from dr_stack.config.budget import budget_output\n"
        "from dr_stack.config.settings import load_settings\n"
        "print(json.dumps(budget_output(load_settings())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=synth_env(), check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def synth(outdir: Path, overrides: Mapping[str, str] | None = None) -> None:
    """Synthesize both stacks in e2e mode (``synth_env``, with ``overrides``)."""
    env = {**synth_env(), **(overrides or {})}
    code = (
        "import sys; sys.path[:0] = ['constructs']\n"
        "from dr_stack.binding import install; install()\n"
        "from dr_stack.app import build_app\n"
        "from dr_stack.config.settings import load_settings\n"
        f"build_app(load_settings(), outdir={str(outdir)!r}).synth()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)


def synth_phase(timeline: Timeline, out: Path) -> None:
    """The synth into a fresh ``out``, timed."""
    with timeline.phase("synth (local state, password variable)"):
        shutil.rmtree(out, ignore_errors=True)
        synth(out)


def cli_config(scratch: Path) -> Path:
    """Terraform CLI config: hashicorp/aws from the filesystem mirror, nothing from the network."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from validate import cli_config as validate_cli_config  # one place knows where the mirror is

    return Path(validate_cli_config(scratch))


@dataclass
class Function:
    """One deployed function, as the Terraform state describes it."""

    name: str
    region: str
    variables: dict[str, str]
    handler: str = "dr_failover.handler.handler"
    timeout: int = 900
    arn: str = ""
    role: str = ""
    # Lambda's reserved concurrency (None: unreserved) and the asynchronous event age limit (None: 6 hours).
    reserved_concurrency: int | None = None
    maximum_event_age: int | None = None


def lambdas_from_state(state: Mapping[str, Any]) -> dict[str, Function]:
    """Every function of the state by name, its region read from its ARN."""
    found: dict[str, Function] = {}
    for resource in state_resources(state):
        if resource["type"] != "aws_lambda_function":
            continue
        values = resource["values"]
        variables = dict((values.get("environment") or [{}])[0].get("variables") or {})
        arn = str(values.get("arn") or "")
        found[values["function_name"]] = Function(
            values["function_name"],
            arn.split(":")[3] if arn else variables.get("TARGET_REGION", ""),
            variables,
            handler=str(values.get("handler") or "dr_failover.handler.handler"),
            timeout=int(values.get("timeout") or 900),
            arn=arn,
            role=str(values.get("role") or ""),
            reserved_concurrency=reserved
            if (reserved := int(values.get("reserved_concurrent_executions", -1))) >= 0
            else None,
        )
    for resource in state_resources(state):
        if resource["type"] == "aws_lambda_function_event_invoke_config":
            values = resource["values"]
            name = str(values.get("function_name") or "").rsplit(":", 1)[-1]
            if name in found and values.get("maximum_event_age_in_seconds"):
                found[name].maximum_event_age = int(values["maximum_event_age_in_seconds"])
    return found


def functions_from_state(state: Mapping[str, Any]) -> dict[str, Function]:
    """The orchestrator functions by TARGET_REGION, with the environment variables Terraform gave them."""
    return {
        f.variables["TARGET_REGION"]: f for f in lambdas_from_state(state).values() if "TARGET_REGION" in f.variables
    }


def invoke(
    function: Function, event: dict[str, Any], endpoint: str, *, overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run the function's real handler in a fresh process with its environment, boto3 at the emulator; its calls
    are signed with its execution role's session credentials, as Lambda gives them (the region gate attributes
    them to the function by the session's access key)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        **FAKE_CREDENTIALS,
        **role_session(function, endpoint),
        **function.variables,
        **FUNCTION_ENV_OVERRIDES,
        **(overrides or {}),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_ENDPOINT_URL": endpoint,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda_src"), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "scripts.e2e.invoke", json.dumps(event), function.handler, str(function.timeout)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise E2EFailure(f"handler of {function.name} crashed on {event}:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def invoke_with(
    endpoint: str, function: Function, event: dict[str, Any], overrides: Mapping[str, str] | None
) -> dict[str, Any]:
    """``invoke`` with the endpoint first (the game day's Lambda service)."""
    return invoke(function, event, endpoint, overrides=overrides)


def role_session(function: Function, endpoint: str) -> dict[str, str]:
    """Credentials of a session of the function's execution role ("Lambda obtains temporary credentials by
    assuming the role", Lambda Developer Guide, execution role), from STS in the function's region; the
    readiness check's SimulatePrincipalPolicy then evaluates the role Terraform applied. The session's access key
    is registered with the region gate under the function's name. Without a role (a test double): a key named
    after the function."""
    if not function.role:
        return {"AWS_ACCESS_KEY_ID": function_access_key(function.name)}
    import boto3

    sts = boto3.client(
        "sts",
        region_name=function.region,
        endpoint_url=endpoint,
        aws_access_key_id=function_access_key(function.name),
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    credentials = sts.assume_role(RoleArn=function.role, RoleSessionName=function.name[:64])["Credentials"]
    for gate in GATES:
        with gate.lock:
            gate.callers[credentials["AccessKeyId"]] = function.name
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def function_access_key(function_name: str) -> str:
    """The fake access key id the harness signs a function's calls with (the emulator accepts any)."""
    return "e2e-" + function_name


def background(call: Callable[[], object]) -> Callable[[], None]:
    """Start ``call`` in a thread (terraform and the synth do their work in child processes); the returned function
    waits for it and re-raises its failure."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - re-raised by the join below
            errors.append(error)

    thread = threading.Thread(target=guarded)
    thread.start()

    def join() -> None:
        thread.join()
        if errors:
            raise errors[0]

    return join


def join_all(joins: list[Callable[[], None]]) -> None:
    """Wait for every started call, then re-raise the first failure."""
    errors: list[BaseException] = []
    for join in joins:
        try:
            join()
        except BaseException as error:  # noqa: BLE001 - re-raised below, after every thread has ended
            errors.append(error)
    if errors:
        raise errors[0]


@contextmanager
def alongside(join: Callable[[], None]) -> Iterator[None]:
    """Run the body while a call started with ``background`` runs, then wait for that call. If the body fails, the
    call is still waited for and the body's failure is the one raised (a failure of the call as well, its
    consequence most of the time, is dropped)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(BaseException):
            join()
        raise
    join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="scratch folder to use and keep")
    args = parser.parse_args(argv)
    timeline = Timeline()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="dr-e2e-"))
    scratch.mkdir(parents=True, exist_ok=True)
    print("e2e: emulator differences that matter for the results:")
    for difference in DIFFERENCES:
        print(f"  - {difference}")
    try:
        out = scratch / "cdktf.out"
        with contextlib.ExitStack() as running:
            # The synth needs no emulator: both start at once.
            synthesized = background(lambda: synth_phase(timeline, out))
            with alongside(synthesized), timeline.phase("start emulator") as note:
                endpoint = running.enter_context(emulator())
                note.append(endpoint)
            Scenario(scratch, endpoint, timeline).run(out)
        print("\n" + timeline.render())
        print("e2e: PASSED")
        return 0
    except (E2EFailure, subprocess.CalledProcessError) as failure:
        print("\n" + timeline.render())
        print(f"e2e: FAILED: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ne2e: interrupted; emulator stopped", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


class Scenario:
    """The phases after the emulator is up."""

    def __init__(self, scratch: Path, endpoint: str, timeline: Timeline) -> None:
        self.scratch = scratch
        self.endpoint = endpoint
        self.timeline = timeline
        self.baseline = load_baseline(BASELINE)
        self.verdicts: list[tuple[str, PlanVerdict]] = []
        self.cancelled = threading.Event()
        self.bootstrap_applied = threading.Event()
        self.backends: StateBackends | None = None

    def run(self, out: Path) -> None:
        """Every phase after the synth into ``out``."""
        stacks = sorted(p for p in (out / "stacks").iterdir() if (p / "cdk.tf.json").is_file())
        bootstrap_dir = next(p for p in stacks if p.name.endswith("-bootstrap"))
        dr_dir = next(p for p in stacks if p.name.endswith("-dr"))
        with self.timeline.phase("rewrite for the emulator"):
            for stack in stacks:
                rewrite_stack_dir(stack, self.endpoint)
        env = {
            **os.environ,
            **FAKE_CREDENTIALS,
            "TF_CLI_CONFIG_FILE": str(cli_config(self.scratch)),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "TF_VAR_db_master_password": generated_password(),
            "AWS_EC2_METADATA_DISABLED": "true",
            # A DR plan starts the 700 MB provider five times (schema, then validate and plan per alias), and much
            # of its CPU goes to building the provider's schema: a larger GC target cuts that CPU by about a
            # quarter (measured: `terraform validate` of the DR stack 17.4 s -> 12.7 s user) for ~150 MB more per
            # process (GOGC above 400, GOGC=off with a memory limit and GOMAXPROCS=1 were tried: no faster).
            "GOGC": os.environ.get("GOGC", "400"),
        }
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_ENDPOINT_URL", None)
        bootstrap = Terraform(bootstrap_dir, env)
        dr = Terraform(dr_dir, env)
        with self.timeline.phase("terraform init (offline mirror)"):
            join_all([background(bootstrap.init), background(dr.init)])
        backends_synthesized = background(lambda: self._synth_backends(dr_dir))
        totals = {stack.name: resource_count(stack) for stack in stacks}
        # The bootstrap stack shares nothing with the DR stack: a thread applies and plans it while the DR apply
        # waits on RDS (after its own planning) and destroys it while the DR destroy waits on RDS, so its CPU
        # work (each terraform command starts the provider, building its whole schema, several times) overlaps
        # those waits.
        # (A lower CPU priority was tried instead: on a machine shared with other work, nice 10 starved it.)
        dr_applying, dr_destroying = threading.Event(), threading.Event()
        bootstrap_done = self._background(lambda: self._bootstrap(bootstrap, totals, dr_applying, dr_destroying))
        try:
            with self.timeline.phase("apply dr") as note:
                try:
                    with self._watching(dr, RDS_CHAIN_CREATING, dr_applying):
                        dr.apply()
                finally:
                    applied = len(state_resources(dr.state()))
                    note.append(f"{dr.workdir.name}: {applied}/{totals[dr.workdir.name]} resources applied")
                    note.append("excluded: " + ("; ".join(f"{a} ({why})" for a, why in EXCLUDED) or "none"))
            refuse_password_in_state(dr, env["TF_VAR_db_master_password"])
            functions = functions_from_state(dr.state())
            # The baseline plan and the orchestrator's read-only runs (preflight, dry run) read the same world
            # and change nothing: they run at the same time; the failover waits for the plan's verdict.
            with alongside(self._background(lambda: self._plan(dr, "baseline plan (dr) after apply"))):
                self._read_only_runs(functions)
            backends_synthesized()
            self._state_into_bucket(dr)
            self._game_day(dr, functions)
            with self.timeline.phase("destroy dr"), self._watching(dr, RDS_CHAIN_DESTROYING, dr_destroying):
                dr.apply_destroy()
        except BaseException:
            self._cancel(dr_applying, dr_destroying)
            with contextlib.suppress(BaseException):  # the DR failure is the one reported
                bootstrap_done()
            raise
        bootstrap_done()
        for name, verdict in self.verdicts:
            print(f"plan {name}: {verdict.summary()}")

    def _synth_backends(self, dr_dir: Path) -> None:
        """The DR stack's S3 backend as the product synthesizes it, at home and pointed at the replica (the outage
        procedure's step 1: DR_STATE_REGION=<surviving region> DR_STATE_BUCKET=<bucket>-replica)."""
        document = json.loads((dr_dir / "cdk.tf.json").read_text())
        regions = {p.get("alias"): p["region"] for p in document["provider"]["aws"]}
        s3 = {"DR_STATE_BACKEND": "s3"}
        home = synthesized_backend(functools.partial(synth, overrides=s3), self.scratch / "backend-home")
        surviving = regions["secondary"] if home["region"] == regions["primary"] else regions["primary"]
        replica_env = {**s3, "DR_STATE_REGION": surviving, "DR_STATE_BUCKET": f"{home['bucket']}{REPLICA_SUFFIX}"}
        replica = synthesized_backend(functools.partial(synth, overrides=replica_env), self.scratch / "backend-replica")
        self.backends = StateBackends(home, replica, self.endpoint)

    def _state_into_bucket(self, dr: Terraform) -> None:
        """Move the DR state into the bootstrap stack's bucket (S3 backend, lock table, state key) once it exists;
        the bucket's replication copies it to the replica, which the outage needs."""
        while not self.bootstrap_applied.wait(1.0):
            if self.cancelled.is_set():
                raise E2EFailure("the bootstrap stack was not applied: no bucket for the state")
        assert self.backends is not None
        home, replica = self.backends.home, self.backends.replica
        with self.timeline.phase("state into the state bucket (S3 backend)") as note:
            self.backends.point(dr.workdir, "home")
            dr.reinit(migrate=True)
            checks = Checks(self.endpoint)
            stored = checks.client("s3", home["region"]).head_object(Bucket=home["bucket"], Key=home["key"])
            copied = checks.client("s3", replica["region"]).head_object(Bucket=replica["bucket"], Key=replica["key"])
            for where, head in ((home["bucket"], stored), (replica["bucket"], copied)):
                if head.get("ServerSideEncryption") != "aws:kms":
                    raise E2EFailure(f"the state in {where} is not encrypted with a KMS key: {head}")
            note.append(
                f"s3://{home['bucket']}/{home['key']} ({home['region']}, {home['kms_key_id']}), replicated to "
                f"{replica['bucket']} ({replica['region']}); lock table {home['dynamodb_table']}"
            )

    def _cancel(self, *released: threading.Event) -> None:
        """The run has failed: the bootstrap thread starts nothing more (``cancelled`` is set before the events it
        waits on)."""
        self.cancelled.set()
        for event in released:
            event.set()

    @contextmanager
    def _watching(self, tf: Terraform, pattern: re.Pattern[str], event: threading.Event) -> Iterator[None]:
        """Set ``event`` once the command the body runs in ``tf`` prints a line matching ``pattern``, and at the
        latest when the body ends; a failure of the body cancels the run before ``event`` is set."""
        watcher = threading.Thread(target=tf.wait_for_output, args=(pattern, event))
        watcher.start()
        try:
            yield
        except BaseException:
            self._cancel()
            raise
        finally:
            event.set()
            watcher.join()

    def _bootstrap(
        self, bootstrap: Terraform, totals: Mapping[str, int], apply: threading.Event, destroy: threading.Event
    ) -> None:
        """Apply the bootstrap stack once ``apply`` is set, check its plan is clean, destroy it once ``destroy`` is
        set (deletion protection lifted first)."""
        apply.wait()
        if self.cancelled.is_set():
            return
        with self.timeline.phase("apply bootstrap") as note:
            try:
                bootstrap.apply()
            finally:
                applied = len(state_resources(bootstrap.state()))
                note.append(f"{bootstrap.workdir.name}: {applied}/{totals[bootstrap.workdir.name]} resources applied")
        if self.cancelled.is_set():
            return
        self._plan(bootstrap, "baseline plan (bootstrap) after apply")
        self.bootstrap_applied.set()
        destroy.wait()
        if self.cancelled.is_set():
            return
        with self.timeline.phase("destroy bootstrap") as note:
            note.append(destroy_protected(bootstrap, self.endpoint))

    def _background(self, call: Callable[[], object], name: str | None = None) -> Callable[[], None]:
        """``background(call)``, timed as a phase when named."""
        if name is None:
            return background(call)

        def timed() -> None:
            with self.timeline.phase(name):
                call()

        return background(timed)

    def _plan(self, tf: Terraform, name: str) -> PlanVerdict:
        with self.timeline.phase(name) as note:
            code, plan = tf.plan(name.split(" ")[0] + "-" + tf.workdir.name)
            verdict = judge_plan(plan, self.baseline, protected=PROTECTED_TYPES)
            self.verdicts.append((name, verdict))
            note.append(f"exit {code}: {verdict.summary()}")
            for line in verdict.details():
                print(f"    {line}")
            if not verdict.clean:
                raise E2EFailure(f"{name}: {verdict.summary()}\n" + "\n".join(verdict.details()))
        return verdict

    def _read_only_runs(self, functions: dict[str, Function]) -> None:
        """Preflight and a dry run of the failover through the secondary's function: nothing may change."""
        if len(functions) != 2:
            raise E2EFailure(f"expected two orchestrator functions in the state, found {sorted(functions)}")
        checks = Checks(self.endpoint)
        _primary_region, secondary_region = checks.regions(functions)
        secondary = functions[secondary_region]
        publish_replication_lag(ACCOUNT_ID, PUBLISHED_LAG_MS)
        with self.timeline.phase("orchestrator preflight (secondary)") as note:
            result = invoke(secondary, {"mode": "preflight", "target_region": secondary_region}, self.endpoint)
            note.append(f"status {result.get('status')}")
            checks.expect_status(result, ("preflight_passed",), "preflight")
            # The harness published a replication lag within the RPO: a switchover must be possible too.
            if "switchover possible" not in str(result.get("message")):
                raise E2EFailure(f"preflight: switchover not possible: {result.get('message')}")
        with self.timeline.phase("orchestrator dry run failover") as note:
            before = checks.snapshot(functions)
            result = invoke(
                secondary,
                {"mode": "failover", "target_region": secondary_region, "dry_run": True, "reason": "e2e dry run"},
                self.endpoint,
            )
            note.append(f"status {result.get('status')}")
            checks.expect_status(result, ("dry_run",), "dry run")
            checks.expect_unchanged(before, checks.snapshot(functions), "dry run")
        with self.timeline.phase("orchestrator readiness (secondary, under its role)") as note:
            # The scheduled readiness check simulates every action a failover, a re-protect or a capacity match
            # makes against the function's own role (SimulatePrincipalPolicy on the role Terraform applied): a
            # grant missing from the recovery role fails here, not with AccessDenied during a recovery.
            result = invoke(secondary, {"mode": "readiness", "target_region": secondary_region}, self.endpoint)
            permissions = next((c for c in result.get("checks") or [] if c.get("name") == "iam_permissions"), None)
            failed = [f"{c.get('name')}: {c.get('detail')}" for c in result.get("checks") or [] if not c.get("ok")]
            note.append(f"status {result.get('status')}; {permissions.get('detail') if permissions else 'no check'}")
            if permissions is None or not permissions.get("ok"):
                raise E2EFailure(f"readiness: the recovery role's permissions: {permissions or result}")
            if result.get("status") != "ready":
                raise E2EFailure(f"readiness: not ready with both regions healthy: {failed}")

    def _game_day(self, dr: Terraform, functions: dict[str, Function]) -> None:
        """The regional disaster (scripts/e2e/outage.py): the primary region cut off, automatic failover measured
        from the cut, Terraform during the outage, the region back half-alive, re-protect, a clean plan; then the
        planned switchover back, a clean plan; the destroy plan is made alongside the failback."""
        primary, secondary = Checks(self.endpoint).regions(functions)
        lambdas = lambdas_from_state(dr.state())
        gate = GATES[0]
        gate.callers.update({function_access_key(f.name): f.name for f in lambdas.values()})
        world = World(
            self.endpoint,
            gate,
            state_resources(dr.state()),
            lambdas,
            functions,
            functools.partial(invoke_with, self.endpoint),
            (primary, secondary),
        )
        report = GameDayReport()
        budget = budget_of_synth()
        with world.running():
            with self.timeline.phase("game day: steady state") as note:
                time.sleep(world.route53_interval() + 1)
                answer = world.route53.answer()
                report.dns.append(("steady state", answer))
                note.append(f"DNS {answer}")
                if answer != "PRIMARY":
                    raise E2EFailure(f"steady state: DNS answers {answer}, expected PRIMARY")
            publish_replication_lag(ACCOUNT_ID, PUBLISHED_LAG_MS)
            report.cut_at = world.cut(PUBLISHED_LAG_MS)
            report.data_loss_ms = PUBLISHED_LAG_MS
            with self.timeline.phase(f"game day: isolation ({primary} lost, {secondary} alone)") as note:
                orchestrator = functions[secondary]
                for label, event in (
                    ("readiness", {"mode": "readiness", "target_region": secondary}),
                    ("status", {"mode": "status", "target_region": secondary}),
                ):
                    result = invoke(orchestrator, event, self.endpoint)
                    note.append(f"{label}: {result.get('status', 'completed')}")
                    if result.get("status") in ("invalid", "failed"):
                        raise E2EFailure(f"isolation: {label} did not complete: {result}")
                keeper = next(f for f in lambdas.values() if f.handler == "dr_failover.keeper.handler")
                kept = invoke(keeper, {}, self.endpoint)
                note.append(f"keeper: published {kept}")
                if kept.get("primary_fenced") is not False:
                    raise E2EFailure(f"isolation: the keeper did not publish the unfenced switch alone: {kept}")
                report.dns.append(("isolation", world.route53.answer()))
            with self.timeline.phase("game day: detection and automatic failover") as note:
                deadline = float(budget["rto_minutes"]["objective_seconds"])
                recovered, criteria = world.wait_recovered(secondary, deadline_seconds=deadline)
                report.recovered_seconds = recovered
                note.append(f"recovered {recovered:.1f} s after the cut: {criteria.detail}")
                report.dns.append(("after the automatic failover", criteria.dns))
                runs = automatic_runs(world, report.cut_at)
                succeeded = [r for r in runs if r.result and r.result.get("status") == "succeeded"]
                if not succeeded:
                    raise E2EFailure(f"no automatic run succeeded: {[(r.event, r.result, r.error) for r in runs]}")
                promotion = (succeeded[0].result or {}).get("promotion") or {}
                note.append(f"automatic run: succeeded, promotion {promotion}")
                report.lines.append(f"automatic run {(succeeded[0].result or {}).get('run_id')}: promotion {promotion}")
                if promotion.get("api") != "FailoverGlobalCluster" or promotion.get("allow_data_loss") is not True:
                    raise E2EFailure(f"the automatic run did not fail over with AllowDataLoss: {promotion}")
            with self.timeline.phase("game day: terraform during the outage") as note:
                assert self.backends is not None
                replica = self.backends.replica
                # Step 1 of the procedure: the state from the surviving region's replica (the home bucket's
                # region is cut off), the lock table's replica there.
                self.backends.point(dr.workdir, "replica")
                dr.reinit(migrate=False)
                change = edit_stack(dr.workdir, larger_secondary_instances)
                targets = targets_of_outage_change(json.loads((dr.workdir / "cdk.tf.json").read_text()))
                dr.run(
                    "apply",
                    "-input=false",
                    "-auto-approve",
                    "-refresh=false",
                    *(f"-target={t}" for t in targets),
                )
                note.append(
                    f"{change}; applied with -refresh=false -target while {primary} is cut off, state from "
                    f"s3://{replica['bucket']} ({replica['region']})"
                )
                world.hold(secondary, 0, "the outage change")
            with self.timeline.phase(f"game day: {primary} returns half-alive") as note:
                old_primary = cluster_identifier_of(functions[primary].variables["TARGET_CLUSTER_ARN"])
                lost = lose_instance(ACCOUNT_ID, primary, old_primary)
                # Every call into the region while it was lost (the whole outage, Terraform's phase included).
                report.calls = summarize_calls(world.calls_into(primary))
                world.restore()
                note.append(f"{primary} back; instance {lost} lost in the outage")
                held = world.hold(secondary, HOLD_SECONDS, "the return of the old primary region")
                report.dns.append(("old primary back, half-alive", held.dns))
                note.extend(expect_old_primary_reads(Checks(self.endpoint), functions, primary))
            with self.timeline.phase("game day: reprotect dry run") as note:
                result = invoke(
                    functions[primary], {"mode": "reprotect", "target_region": primary, "dry_run": True}, self.endpoint
                )
                note.append(f"{result.get('status')}: {str(result.get('message'))[:200]}")
                expect_completed(result, "reprotect dry run", ("dry_run",))
            with self.timeline.phase("game day: reprotect") as note:
                result = invoke(
                    functions[primary],
                    {
                        "mode": "reprotect",
                        "target_region": primary,
                        "reason": "e2e game day: re-protect",
                        "run_id": "gameday-reprotect",
                    },
                    self.endpoint,
                )
                note.append(f"{result.get('status')}: {str(result.get('message'))[:200]}")
                expect_completed(result, "reprotect", ("succeeded",))
            with self.timeline.phase("game day: state back home") as note:
                # Step 3: the newest state (the replica's) copied home with the home key, the home digest item
                # deleted, the backend pointed home; the plan below refreshes both regions from there.
                assert self.backends is not None
                home = self.backends.home
                checks = Checks(self.endpoint)
                head = self.backends.copy_home(checks.client("s3", home["region"]))
                self.backends.point(dr.workdir, "home")
                # The home digest still holds the MD5 of the state written there before the outage: the backend
                # must refuse the copied state until the item is deleted (why the procedure deletes it).
                refused = dr.run("init", "-input=false", "-reconfigure", check=False)
                if refused.returncode == 0:
                    refused = dr.run("state", "pull", check=False)
                if refused.returncode == 0 or "expected content" not in refused.stderr:
                    raise E2EFailure(f"the home digest did not refuse the copied state: {refused.stderr[-800:]}")
                self.backends.delete_digests(checks.client("dynamodb", home["region"]))
                dr.reinit(migrate=False)
                dr.run("state", "pull")
                note.append(
                    f"s3://{home['bucket']}/{home['key']} copied from the replica ({head.get('SSEKMSKeyId')}); "
                    "refused while the home digest held the old MD5, read once both digests were deleted"
                )
            self._plan(dr, "plan (dr) after reprotect")
            with self.timeline.phase("state back to local for the tear-down"):
                # The bootstrap stack (the buckets) is destroyed while the DR destroy runs: the DR state leaves them.
                StateBackends.local(dr.workdir)
                dr.reinit(migrate=True)
            # The destroy plan depends only on the state file (no refresh) and plans do not write it: planned
            # now, alongside the failback, and applied at the end.
            with alongside(self._background(dr.plan_destroy, "plan destroy (dr), no refresh")):
                self._promote(dr, functions, "switchover", primary, "e2e failback", "failback")
                with self.timeline.phase("game day: DNS after the failback") as note:
                    answer = world.wait_answer("PRIMARY", seconds=180)
                    report.dns.append(("after the failback", answer))
                    note.append(f"DNS {answer}")
        print("\n" + report.render(budget, world.timeline))

    def _promote(
        self, dr: Terraform, functions: dict[str, Function], mode: str, region: str, reason: str, label: str
    ) -> None:
        """Run ``mode`` towards ``region`` through that region's function; it must succeed, the region must be
        the only writer with the failover capacity and the switch, and the next plan must be clean."""
        checks = Checks(self.endpoint)
        _primary_region, secondary_region = checks.regions(functions)
        side = "secondary" if region == secondary_region else "primary"
        publish_replication_lag(ACCOUNT_ID, PUBLISHED_LAG_MS)
        with self.timeline.phase(f"orchestrator {mode} -> {side}") as note:
            # As the runbook does it: a fresh run_id for each attempt, then `status` of that run_id.
            run_id = f"e2e-{label}-{secrets.token_hex(4)}"
            event = {"mode": mode, "target_region": region, "reason": reason, "run_id": run_id}
            result = invoke(functions[region], event, self.endpoint)
            note.append(f"status {result.get('status')}")
            checks.expect_status(result, ("succeeded",), label)
            status = invoke(
                functions[region], {"mode": "status", "target_region": region, "run_id": run_id}, self.endpoint
            )
            note.append(f"status of {run_id}: {status.get('status')}")
            checks.expect_status(status, ("succeeded",), f"{label} status")
        with self.timeline.phase(f"check {label} result") as note:
            note.extend(checks.expect_active(functions, region))
        self._plan(dr, f"plan (dr) after {label}")


if __name__ == "__main__":
    sys.exit(main())
