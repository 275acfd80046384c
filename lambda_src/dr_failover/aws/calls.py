"""AWS clients for the orchestrator: a boto3 factory, retries bounded by the run's time, the dry-run guard.

botocore's own retries are switched off (``total_max_attempts=1``) so that there is exactly one retry
layer, ``GuardedClient``, which also runs under botocore's Stubber in tests and sleeps through an
injected function. What it retries, and why:

- throttling (``Throttling``, ``ThrottlingException``, ...): the request was refused, never executed;
- server faults: any HTTP 5xx, ``InternalFailure``, ``ServiceUnavailable`` and Auto Scaling's
  ``ResourceContention`` (HTTP 500, a Sender fault in the service model: "You already have a pending
  update to an Amazon EC2 Auto Scaling resource") and ``ScalingActivityInProgress`` (HTTP 400, documented for
  UpdateAutoScalingGroup) for operations that are safe to repeat;
- network errors (connect/read timeouts, connection closed) for operations that are safe to repeat.

The promotion calls are never repeated blindly after an ambiguous failure (5xx, network): the request
may have reached RDS, so the caller reads live state first (``steps.promote``).

Backoff is "full jitter" (a uniform draw in [0, min(cap, base * 2**n)]) so that two regional
functions retrying the same API do not retry in step. Every attempt is bounded by a deadline: the
connect/read timeout of an attempt is never longer than the time left, and no retry is started that
would end after the deadline, so a region that does not answer costs at most the time the caller gave.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

LOG = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
    }
)
SERVER_FAULT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        # Auto Scaling: a pending update to the same group; repeating the update later is the documented fix.
        "ResourceContention",
        # Auto Scaling UpdateAutoScalingGroup: "scaling activities in progress" (ScalingActivityInProgressFault,
        # HTTP 400, botocore autoscaling model). The update sets absolute sizes, so repeating it later is safe.
        "ScalingActivityInProgress",
    }
)
TRANSIENT_NETWORK_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# Repeating these after an ambiguous failure could start a second promotion: the caller looks first.
NON_IDEMPOTENT_OPERATIONS = frozenset({"FailoverGlobalCluster", "SwitchoverGlobalCluster"})
# Simulate*: IAM's policy simulator evaluates policies and changes nothing (IAM API reference).
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Simulate")

DEFAULT_CALL_TIMEOUT_SECONDS = 60
# A TCP/TLS connect to a healthy regional endpoint takes well under a second; more than this is an outage.
CONNECT_TIMEOUT_CAP_SECONDS = 5.0
# Per-attempt connect/read timeouts are rounded down to one of these, so a handful of clients are cached.
TIMEOUT_STEPS_SECONDS = (1, 2, 5, 10, 20, 30, 60)


class ClientsFactory(Protocol):
    """Makes a boto3 client for a service in a region with the given connect/read timeout."""

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """Return a client for ``service`` in ``region``."""
        ...


class BotoClients:
    """Production ClientsFactory: cached boto3 clients, botocore retries off, explicit timeouts.

    No endpoint is set here, so boto3's standard endpoint configuration applies (``AWS_ENDPOINT_URL`` and
    ``AWS_ENDPOINT_URL_<SERVICE>``, boto3 >= 1.28): an emulator can stand in for AWS without code changes.
    """

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session or boto3.session.Session()
        self._clients: dict[tuple[str, str, float | None], Any] = {}

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """Return a cached client with ``timeout_seconds`` connect/read timeouts (default 60 s)."""
        key = (service, region, timeout_seconds)
        if key not in self._clients:
            connect_timeout, read_timeout = split_timeout(timeout_seconds or DEFAULT_CALL_TIMEOUT_SECONDS)
            config = BotoConfig(
                region_name=region,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            self._clients[key] = self._session.client(service, region_name=region, config=config)
        return self._clients[key]


class ReadOnlyViolation(RuntimeError):
    """A changing AWS call was attempted by a dry run (a bug: dry runs must only read)."""


class DeadlineExceeded(TimeoutError):
    """No time is left for (another attempt of) a call before the caller's deadline."""


def is_read_only(operation: str) -> bool:
    """True for operations that only read (Describe*, Get*, List*, Simulate*)."""
    return operation.startswith(READ_ONLY_PREFIXES)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def is_throttling(error: BaseException) -> bool:
    """True when the error is an AWS throttling error (the request was not executed)."""
    return isinstance(error, ClientError) and error_code(error) in THROTTLING_CODES


def is_server_fault(error: BaseException) -> bool:
    """True for a 5xx answer or a documented transient server fault code."""
    if not isinstance(error, ClientError):
        return False
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return status >= 500 or error_code(error) in SERVER_FAULT_CODES


def is_ambiguous(error: BaseException) -> bool:
    """True when a changing call may or may not have been executed (server fault or network error)."""
    return is_server_fault(error) or isinstance(error, TRANSIENT_NETWORK_ERRORS)


def split_timeout(seconds: float) -> tuple[float, float]:
    """Connect and read timeouts whose sum is ``seconds``: botocore applies them one after the other.

    Connecting can take up to connect_timeout and the answer up to read_timeout more, so an attempt given
    both as ``seconds`` could last twice its budget. Connecting gets at most CONNECT_TIMEOUT_CAP_SECONDS.
    """
    connect = min(CONNECT_TIMEOUT_CAP_SECONDS, seconds / 2)
    return connect, seconds - connect


def timeout_step(seconds: float) -> int:
    """The largest TIMEOUT_STEPS_SECONDS value not above ``seconds`` (at least the smallest)."""
    fitting = [step for step in TIMEOUT_STEPS_SECONDS if step <= seconds]
    return fitting[-1] if fitting else TIMEOUT_STEPS_SECONDS[0]


class RetryPolicy:
    """Full-jitter capped exponential backoff: delay(n) uniform in [0, min(max_delay, base_delay * 2**n)]."""

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        call_timeout: float = DEFAULT_CALL_TIMEOUT_SECONDS,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.call_timeout = call_timeout
        self.jitter = jitter

    def cap(self, retry_number: int) -> float:
        """Upper bound of the delay before retry number ``retry_number`` (0-based)."""
        return min(self.max_delay, self.base_delay * (2**retry_number))

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number``: a jittered draw below ``cap``."""
        return self.jitter(0.0, self.cap(retry_number))


class GuardedClient:
    """A boto3 client with bounded retries and per-attempt timeouts; refuses writes when read-only."""

    def __init__(
        self,
        client_for: Callable[[float], Any],
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        deadline: float | None = None,
        policy: RetryPolicy | None = None,
        read_only: bool = False,
    ) -> None:
        """``client_for(timeout)``: the raw client with that connect/read timeout; ``deadline``: epoch s."""
        self._client_for = client_for
        self._sleep = sleep
        self._clock = clock
        self._deadline = deadline
        self._policy = policy or RetryPolicy()
        self._read_only = read_only

    @property
    def raw(self) -> Any:
        """The wrapped boto3 client (default timeout)."""
        return self._client_for(self._policy.call_timeout)

    def __getattr__(self, name: str) -> Any:
        """Return the client method ``name`` wrapped with the guard and the retry loop."""
        client = self.raw
        operation = client.meta.method_to_api_mapping.get(name)
        if operation is None:
            return getattr(client, name)

        def call(**params: Any) -> Any:
            return self._call(operation, name, params)

        return call

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - self._clock()

    def _call(self, operation: str, method_name: str, params: dict[str, Any]) -> Any:
        """Call with retries bounded by attempts and the deadline; ReadOnlyViolation for a dry-run write."""
        if self._read_only and not is_read_only(operation):
            raise ReadOnlyViolation(f"dry run attempted the changing call {operation}")
        repeatable = operation not in NON_IDEMPOTENT_OPERATIONS
        attempt = 0
        while True:
            remaining = self._remaining()
            if remaining is not None and remaining <= 0:
                raise DeadlineExceeded(f"{operation}: no time left before the deadline (attempt {attempt + 1})")
            timeout = self._policy.call_timeout if remaining is None else min(self._policy.call_timeout, remaining)
            method = getattr(self._client_for(timeout_step(timeout)), method_name)
            try:
                return method(**params)
            except ClientError as error:
                retryable = is_throttling(error) or (repeatable and is_server_fault(error))
                if not retryable or attempt + 1 >= self._policy.max_attempts:
                    raise
                failure: BaseException = error
            except TRANSIENT_NETWORK_ERRORS as error:
                if not repeatable or attempt + 1 >= self._policy.max_attempts:
                    raise
                failure = error
            delay = self._policy.delay(attempt)
            remaining = self._remaining()
            if remaining is not None and delay >= remaining:
                LOG.warning("%s failed with %s; no time left for a retry", operation, error_code(failure))
                raise failure
            LOG.warning("%s failed with %s; retry %d in %.1fs", operation, error_code(failure), attempt + 1, delay)
            self._sleep(delay)
            attempt += 1
