"""AWS clients for the orchestrator: a boto3 factory, throttling retries and the dry-run guard.

botocore's own retries are switched off (``total_max_attempts=1``) so that there is exactly one
retry layer, ``GuardedClient``, which also runs under botocore's Stubber in tests and sleeps through
an injected function. It retries throttling always and network errors only for operations that are
safe to repeat (never the promotion calls).
"""

from __future__ import annotations

import logging
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
    }
)
TRANSIENT_NETWORK_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# Repeating these after a network error could start a second promotion: never retried on network errors.
NON_IDEMPOTENT_OPERATIONS = frozenset({"FailoverGlobalCluster", "SwitchoverGlobalCluster"})
READ_ONLY_PREFIXES = ("Describe", "Get", "List")

DEFAULT_CONNECT_TIMEOUT_SECONDS = 10
DEFAULT_READ_TIMEOUT_SECONDS = 60


class ClientsFactory(Protocol):
    """Makes a boto3 client for a service in a region; ``timeout_seconds`` asks for short timeouts."""

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """Return a client for ``service`` in ``region``."""
        ...


class BotoClients:
    """Production ClientsFactory: cached boto3 clients, botocore retries off, explicit timeouts."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session or boto3.session.Session()
        self._clients: dict[tuple[str, str, float | None], Any] = {}

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """Return a cached client; short connect/read timeouts when ``timeout_seconds`` is given."""
        key = (service, region, timeout_seconds)
        if key not in self._clients:
            config = BotoConfig(
                region_name=region,
                connect_timeout=timeout_seconds or DEFAULT_CONNECT_TIMEOUT_SECONDS,
                read_timeout=timeout_seconds or DEFAULT_READ_TIMEOUT_SECONDS,
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            self._clients[key] = self._session.client(service, region_name=region, config=config)
        return self._clients[key]


class ReadOnlyViolation(RuntimeError):
    """A changing AWS call was attempted by a dry run (a bug: dry runs must only read)."""


def is_read_only(operation: str) -> bool:
    """True for operations that only read (Describe*, Get*, List*)."""
    return operation.startswith(READ_ONLY_PREFIXES)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def is_throttling(error: BaseException) -> bool:
    """True when the error is an AWS throttling error."""
    return isinstance(error, ClientError) and error_code(error) in THROTTLING_CODES


class RetryPolicy:
    """Capped exponential backoff: delay(n) = min(max_delay, base_delay * 2**n) for n = 0, 1, ..."""

    def __init__(self, *, max_attempts: int = 5, base_delay: float = 0.5, max_delay: float = 8.0) -> None:
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (0-based)."""
        return min(self.max_delay, self.base_delay * (2**retry_number))


class GuardedClient:
    """Wraps a boto3 client: retries throttling (and safe network errors); refuses writes when read-only."""

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None],
        policy: RetryPolicy | None = None,
        read_only: bool = False,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._policy = policy or RetryPolicy()
        self._read_only = read_only

    @property
    def raw(self) -> Any:
        """The wrapped boto3 client."""
        return self._client

    def __getattr__(self, name: str) -> Any:
        """Return the client method ``name`` wrapped with the guard and the retry loop."""
        operation = self._client.meta.method_to_api_mapping.get(name)
        attribute = getattr(self._client, name)
        if operation is None:
            return attribute

        def call(**params: Any) -> Any:
            return self._call(operation, attribute, params)

        return call

    def _call(self, operation: str, method: Callable[..., Any], params: dict[str, Any]) -> Any:
        """Call ``method`` with retries; raise ReadOnlyViolation for a write in read-only mode."""
        if self._read_only and not is_read_only(operation):
            raise ReadOnlyViolation(f"dry run attempted the changing call {operation}")
        retry_network = operation not in NON_IDEMPOTENT_OPERATIONS
        attempt = 0
        while True:
            try:
                return method(**params)
            except ClientError as error:
                if not is_throttling(error) or attempt + 1 >= self._policy.max_attempts:
                    raise
                failure: BaseException = error
            except TRANSIENT_NETWORK_ERRORS as error:
                if not retry_network or attempt + 1 >= self._policy.max_attempts:
                    raise
                failure = error
            delay = self._policy.delay(attempt)
            LOG.warning("%s failed with %s; retry %d in %.1fs", operation, error_code(failure), attempt + 1, delay)
            self._sleep(delay)
            attempt += 1
