"""Per-run access to guarded AWS clients: retries bounded by the run's deadline, the dry-run guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dr_failover.aws.calls import ClientsFactory, GuardedClient, RetryPolicy
from dr_failover.config import Config

# Attempts per call in this function's (healthy) region, and in the peer region, which may be down.
TARGET_CALL_ATTEMPTS = 5
PEER_CALL_ATTEMPTS = 3


class RunClients:
    """Hands out GuardedClients for one run; read-only (dry run) clients refuse every changing call."""

    def __init__(
        self,
        config: Config,
        factory: ClientsFactory,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        read_only: bool,
        run_deadline: float | None = None,
        final_deadline: float | None = None,
        jitter: Callable[[float, float], float] | None = None,
    ) -> None:
        """``run_deadline``: epoch seconds after which no step's call may still be running (None: unbounded);
        ``final_deadline``: the later bound of the closing calls (lock release), just before the Lambda ends."""
        self._config = config
        self._factory = factory
        self._sleep = sleep
        self._clock = clock
        self.read_only = read_only
        self.run_deadline = run_deadline
        self.final_deadline = final_deadline
        self._jitter = jitter

    def get(
        self,
        service: str,
        region: str,
        *,
        deadline: float | None = None,
        attempts: int = TARGET_CALL_ATTEMPTS,
        call_timeout: float | None = None,
        final: bool = False,
    ) -> Any:
        """A guarded client bounded by the earlier of ``deadline`` and the run's deadline (``final``: the later
        deadline kept for the closing calls, so the lock can still be released after a step used its time)."""
        run_bound = self.final_deadline if final else self.run_deadline
        bounds = [d for d in (deadline, run_bound) if d is not None]
        policy = RetryPolicy(max_attempts=attempts)
        if call_timeout is not None:
            policy.call_timeout = call_timeout
        if self._jitter is not None:
            policy.jitter = self._jitter

        def client_for(timeout: float) -> Any:
            return self._factory(service, region, timeout_seconds=timeout)

        return GuardedClient(
            client_for,
            sleep=self._sleep,
            clock=self._clock,
            deadline=min(bounds) if bounds else None,
            policy=policy,
            read_only=self.read_only,
        )

    def now(self) -> float:
        """The run's clock (epoch seconds)."""
        return self._clock()

    def target(self, service: str) -> Any:
        """A client in this function's (target) region."""
        return self.get(service, self._config.target_region)

    def peer(self, service: str, *, deadline: float | None = None) -> Any:
        """A client in the peer region, which may be down: few attempts, short timeouts, ``deadline``."""
        return self.get(
            service,
            self._config.peer_region,
            deadline=deadline,
            attempts=PEER_CALL_ATTEMPTS,
            call_timeout=self._config.fence_timeout_seconds,
        )
