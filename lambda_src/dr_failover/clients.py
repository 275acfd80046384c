"""Per-run access to guarded AWS clients (retries, short timeouts for the peer region, dry-run guard)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dr_failover.aws import ClientsFactory, GuardedClient, RetryPolicy
from dr_failover.config import Config

# Attempts for calls into a region that may be down (fence, peer checks, remote traffic switch).
SHORT_CALL_ATTEMPTS = 3


class RunClients:
    """Hands out GuardedClients for one run; read-only (dry run) clients refuse every changing call."""

    def __init__(
        self,
        config: Config,
        factory: ClientsFactory,
        *,
        sleep: Callable[[float], None],
        read_only: bool,
    ) -> None:
        self._config = config
        self._factory = factory
        self._sleep = sleep
        self.read_only = read_only
        self._cache: dict[tuple[str, str, bool, int | None], GuardedClient] = {}

    def get(self, service: str, region: str, *, short: bool = False, attempts: int | None = None) -> Any:
        """A guarded client; ``short`` uses FENCE_TIMEOUT_SECONDS connect/read timeouts and few attempts."""
        key = (service, region, short, attempts)
        if key not in self._cache:
            timeout = self._config.fence_timeout_seconds if short else None
            policy = RetryPolicy(max_attempts=attempts or (SHORT_CALL_ATTEMPTS if short else 5))
            raw = self._factory(service, region, timeout_seconds=timeout)
            self._cache[key] = GuardedClient(raw, sleep=self._sleep, policy=policy, read_only=self.read_only)
        return self._cache[key]

    def target(self, service: str) -> Any:
        """A client in this function's (target) region."""
        return self.get(service, self._config.target_region)

    def peer(self, service: str) -> Any:
        """A short-timeout client in the peer region, which may be down."""
        return self.get(service, self._config.peer_region, short=True)
