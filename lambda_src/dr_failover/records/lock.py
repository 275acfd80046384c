"""DynamoDB lease lock and step journal: one run at a time, and resume after a crash.

One item per global cluster, ``pk = "lock#<GLOBAL_CLUSTER_ID>"``, holds both the lease and the
journal of the run holding it:

- ``run_id``, ``mode``, ``target_region``, ``reason``, ``started_at`` (epoch s), ``lag_seconds``
  (replication lag at start, absent when unknown), ``resumed_from`` (run id, when resumed);
- ``state``: ``running`` while held, then ``succeeded`` or ``failed`` when released;
- ``lease_expires_at`` (epoch s): renewed on every journal write, set to 0 on release;
- ``steps``: list of ``{name, status, seconds, offset, detail}`` for each finished step;
- ``asg_before``: map ``"<region>/<asg name>" -> {min, desired, max}``, each ASG's capacity before the logical
  run (this run and any crashed attempt it resumes) first changed it, written before that change and carried
  over on resume, so whichever attempt sees the promotion refused restores every ASG the run changed.

Acquiring is a conditional PutItem: ``attribute_not_exists(pk) OR lease_expires_at < :now`` (or the
item is already this invocation's: same ``run_id`` and ``attempt``, so a retried PutItem is idempotent). The
``attempt`` token is per invocation: with a reserved concurrency above 1, two deliveries of one event (same
``run_id``) can run at once, and only one of them may take the lease; within one replica the condition is
atomic, so runs in one region are serialized whatever the concurrency. A run whose lease expired while its state
is still ``running`` crashed; the next run for the same region and mode resumes it. So does the next
run after a run that failed between the promotion call and the traffic switch (typically: RDS took
longer than PROMOTION_TIMEOUT_SECONDS), so that re-invoking finishes the job instead of finding the
target already writer and doing nothing while DNS still points at the old region.

Beside it, one **run record** per changing run, ``pk = "run#<GLOBAL_CLUSTER_ID>#<run_id>"`` (``RunRecord``): mode,
target_region, reason, state (``refused`` | ``running`` | ``succeeded`` | ``failed``), message, started_at, ended_at
and the TTL attribute ``expires_at`` (RUN_RECORD_RETENTION_SECONDS after the start). It is written with a
conditional PutItem (``attribute_not_exists(pk)``) when the run is accepted or refused, so a run id is spent once:
the lock item holds only the latest run, and Lambda may deliver an asynchronous event again up to its maximum age.

An automatic evaluation that starts no run (the alarm's event, or the once-a-minute re-evaluation while the alarm
stays in ALARM: refused, ``not_triggered`` by a gate, or ``succeeded`` with nothing to do) is recorded per alarm
episode and outcome (``record_automatic_evaluation``): the first such evaluation writes its own run record, with
``episode``, ``evaluations``, ``run_ids`` (a string set), ``last_run_id``/``last_message``/``last_at`` and
``previous`` (the record before it), and ``refusals#<GLOBAL_CLUSTER_ID>`` names it; later evaluations of the same
episode and outcome update that record. ``find_automatic_evaluation`` answers ``status`` for any run id listed
there.

While a run waits (capacity, promotion, serving) it renews its lease on every poll (``renew``), conditional on its
``run_id`` and ``attempt``: a lease never expires under a live run, and a run whose lease was taken stops.

The table is a global table and each regional function writes its own replica. A condition is only
atomic within one replica, so after acquiring, the run waits ``LOCK_SETTLE_SECONDS`` for replication
and reads the item again: if the other region's function won (last writer wins), this run backs off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from dr_contract import (
    AUTOMATIC_ITEM_PREFIX,
    LOCK_ITEM_PREFIX,
    REFUSAL_EPISODE_ITEM_PREFIX,
    RUN_ITEM_PREFIX,
    RUN_RECORD_RETENTION_SECONDS,
    STATE_TTL_ATTRIBUTE,
)

from dr_failover.aws.calls import error_code

LOCK_SETTLE_SECONDS = 2.0
# Automatic evaluations one run record lists before the next opens (same episode, no new notification): run
# ids are at most 64 characters, so a record stays near 70 KB, far below DynamoDB's 400 KB item size limit.
REFUSALS_PER_RECORD = 1000
# Records ``find_automatic_evaluation`` reads back through the chain of episode records (one strongly consistent
# GetItem each, a few milliseconds) before it stops: an alarm episode leaves at most one record per outcome (three)
# and per 1000 evaluations, and TTL ends the chain after RUN_RECORD_RETENTION_SECONDS (30 h), so this reaches
# every record of more than 150 alarm flaps in that time.
REFUSAL_RECORDS_SEARCHED = 500
RUNNING = "running"
FAILED = "failed"
REFUSED = "refused"


class LeaseLost(RuntimeError):
    """The run's lease was taken by another invocation (or its renewal kept failing until it ran out)."""


class ChainTooLong(RuntimeError):
    """The chain of automatic episode records is longer than ``find_automatic_evaluation`` reads."""


class AutomaticTooSoon(RuntimeError):
    """An automatic run started less than AUTOMATIC_MIN_INTERVAL_SECONDS ago."""


class LockHeld(RuntimeError):
    """Another run holds a live lease; ``holder`` describes it."""

    def __init__(self, holder: LockRecord | None, message: str) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockRecord:
    """The lock item as read from DynamoDB."""

    run_id: str
    mode: str
    target_region: str
    reason: str
    state: str
    started_at: float
    lease_expires_at: float
    lag_seconds: float | None = None
    resumed_from: str | None = None
    # The invocation that wrote the lease (a per-invocation token; "" for items written before it existed).
    attempt: str = ""
    steps: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    # (region, ASG name) -> (min, desired, max) before the logical run first changed it.
    asg_before: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)

    def is_live(self, now: float) -> bool:
        """True while the holder's lease has not expired and it has not released."""
        return self.state == RUNNING and self.lease_expires_at >= now

    def crashed(self, now: float) -> bool:
        """True when the holder never released and its lease has expired."""
        return self.state == RUNNING and self.lease_expires_at < now

    def resumable_by(self, *, mode: str, target_region: str, now: float) -> bool:
        """True when a run of ``mode`` to ``target_region`` should continue this unfinished run."""
        if self.mode != mode or self.target_region != target_region:
            return False
        if self.crashed(now):
            return True
        done = self.completed_steps()
        return self.state == FAILED and "promote" in done and "switch_traffic" not in done

    def completed_steps(self) -> dict[str, dict[str, Any]]:
        """Finished steps by name (status ok or warning), for skipping on resume."""
        return {step["name"]: step for step in self.steps if step.get("status") in ("ok", "warning")}

    def describe(self) -> str:
        """One-line description for messages."""
        return (
            f"run {self.run_id} ({self.mode} to {self.target_region}, state {self.state}, "
            f"lease until {self.lease_expires_at:.0f})"
        )


@dataclass(frozen=True)
class RunRecord:
    """The run record of one run id, as read from DynamoDB."""

    run_id: str
    mode: str
    target_region: str
    reason: str
    state: str
    message: str
    started_at: float
    ended_at: float | None = None
    # An automatic episode's record (``LeaseLock.record_automatic_evaluation``): the episode, how many evaluations of
    # one outcome it holds, their run ids, the latest one and its message, and the record before it in the chain.
    episode: str | None = None
    evaluations: int = 1
    run_ids: frozenset[str] = frozenset()
    last_run_id: str | None = None
    last_message: str | None = None
    last_at: float | None = None
    previous: str | None = None

    def describe_episode(self) -> str:
        """The episode's evaluations in one clause ("" for a record of one run)."""
        if self.episode is None or self.evaluations <= 1:
            return ""
        return (
            f"; one of {self.evaluations} {self.state} automatic evaluations of alarm episode {self.episode} recorded "
            f"here (the latest, {self.last_run_id}, at {self.last_at or 0:.0f}: {self.last_message})"
        )


class LeaseLock:
    """The lease lock and journal of one global cluster in the state table."""

    def __init__(
        self,
        dynamodb: Any,
        *,
        table_name: str,
        global_cluster_id: str,
        clock: Callable[[], float],
        lease_seconds: int,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._key = {"pk": {"S": f"{LOCK_ITEM_PREFIX}{global_cluster_id}"}}
        self._automatic_key = {"pk": {"S": f"{AUTOMATIC_ITEM_PREFIX}{global_cluster_id}"}}
        self._run_prefix = f"{RUN_ITEM_PREFIX}{global_cluster_id}#"
        self._refusal_key = {"pk": {"S": f"{REFUSAL_EPISODE_ITEM_PREFIX}{global_cluster_id}"}}
        # The lease end this invocation last wrote (acquire, journal writes, renewals); 0: none.
        self.lease_until = 0.0
        self._clock = clock
        self._lease_seconds = lease_seconds

    def read(self) -> LockRecord | None:
        """Read the lock item (strongly consistent in this region's replica); None when absent."""
        response = self._dynamodb.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        item = response.get("Item")
        return _decode(item) if item else None

    def acquire(
        self,
        *,
        run_id: str,
        mode: str,
        target_region: str,
        reason: str,
        started_at: float,
        lag_seconds: float | None,
        resumed: LockRecord | None = None,
        attempt: str = "",
    ) -> None:
        """Take the lease with a conditional PutItem; raise LockHeld when a live lease is held (also by another
        invocation with the same ``run_id``: ``attempt`` tells them apart)."""
        now = self._clock()
        item: dict[str, Any] = {
            **self._key,
            "run_id": {"S": run_id},
            "attempt": {"S": attempt},
            "mode": {"S": mode},
            "target_region": {"S": target_region},
            "reason": {"S": reason},
            "state": {"S": RUNNING},
            "started_at": {"N": _number(started_at)},
            "lease_expires_at": {"N": _number(now + self._lease_seconds)},
            "updated_at": {"N": _number(now)},
            "steps": {"L": [_encode_step(step) for step in (resumed.steps if resumed else ())]},
            "asg_before": {
                "M": {
                    _asg_key(region, name): _encode_capacity(capacity)
                    for (region, name), capacity in (resumed.asg_before if resumed else {}).items()
                }
            },
        }
        if lag_seconds is not None:
            item["lag_seconds"] = {"N": _number(lag_seconds)}
        if resumed is not None:
            item["resumed_from"] = {"S": resumed.run_id}
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR lease_expires_at < :now "
                "OR (run_id = :run_id AND attempt = :attempt)",
                ExpressionAttributeValues={
                    ":now": {"N": _number(now)},
                    ":run_id": {"S": run_id},
                    ":attempt": {"S": attempt},
                },
            )
            self.lease_until = now + self._lease_seconds
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            holder = self.read()
            raise LockHeld(
                holder, f"another failover run holds the lock: {holder.describe() if holder else 'unknown holder'}"
            ) from None

    def last_automatic_start(self) -> float | None:
        """When the last automatic run started (read only, strongly consistent in this replica); None: never."""
        last = self.last_automatic_run()
        return None if last is None else last[1]

    def last_automatic_run(self) -> tuple[str, float] | None:
        """(run id, start) of the last automatic run (read only, strongly consistent in this replica); None: never."""
        response = self._dynamodb.get_item(TableName=self._table, Key=self._automatic_key, ConsistentRead=True)
        item = response.get("Item")
        if not item or "started_at" not in item:
            return None
        return item.get("run_id", {"S": ""})["S"], float(item["started_at"]["N"])

    def claim_automatic(self, run_id: str, *, min_interval_seconds: int) -> None:
        """Record an automatic run start unless one started within ``min_interval_seconds``: AutomaticTooSoon.

        A conditional PutItem (atomic in this replica): a storm of alarm state changes cannot start
        automatic runs closer together than the interval, whatever their outcome was.
        """
        now = self._clock()
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={**self._automatic_key, "run_id": {"S": run_id}, "started_at": {"N": _number(now)}},
                ConditionExpression="attribute_not_exists(pk) OR started_at <= :cutoff OR run_id = :run_id",
                ExpressionAttributeValues={
                    ":cutoff": {"N": _number(now - min_interval_seconds)},
                    ":run_id": {"S": run_id},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old = error.response.get("Item", {})
            last = float(old.get("started_at", {"N": "0"})["N"])
            raise AutomaticTooSoon(
                f"the last automatic run ({old.get('run_id', {}).get('S', '?')}) started {now - last:.0f} s ago, "
                f"less than AUTOMATIC_MIN_INTERVAL_SECONDS={min_interval_seconds}; invoke by hand to override"
            ) from None

    def confirm(self, run_id: str, sleep: Callable[[float], None], *, attempt: str = "") -> None:
        """Wait for global-table replication, then raise LockHeld if another region's run overwrote us."""
        sleep(LOCK_SETTLE_SECONDS)
        holder = self.read()
        if holder is None or holder.run_id != run_id or holder.attempt != attempt:
            raise LockHeld(
                holder,
                "another region's failover run took the lock at the same time: "
                f"{holder.describe() if holder else 'item missing'}",
            )

    def record_step(self, run_id: str, step: dict[str, Any]) -> None:
        """Append a finished step to the journal and renew the lease (only while we hold it)."""
        now = self._clock()
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET steps = list_append(if_not_exists(steps, :empty), :step), "
            "lease_expires_at = :lease, updated_at = :now",
            ConditionExpression="run_id = :run_id AND #state = :running",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":empty": {"L": []},
                ":step": {"L": [_encode_step(step)]},
                ":lease": {"N": _number(now + self._lease_seconds)},
                ":now": {"N": _number(now)},
                ":run_id": {"S": run_id},
                ":running": {"S": RUNNING},
            },
        )
        self.lease_until = now + self._lease_seconds

    def record_asg_before(self, run_id: str, *, region: str, name: str, capacity: tuple[int, int, int]) -> None:
        """Durably note an ASG's capacity before the run's first change to it (an earlier note is kept).

        Called before UpdateAutoScalingGroup: if this write fails the ASG is not changed. Conditional on holding
        the lock (``run_id`` and ``running``), like every journal write.
        """
        now = self._clock()
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET asg_before.#asg = if_not_exists(asg_before.#asg, :capacity), "
            "lease_expires_at = :lease, updated_at = :now",
            ConditionExpression="run_id = :run_id AND #state = :running AND attribute_exists(asg_before)",
            ExpressionAttributeNames={"#state": "state", "#asg": _asg_key(region, name)},
            ExpressionAttributeValues={
                ":capacity": _encode_capacity(capacity),
                ":lease": {"N": _number(now + self._lease_seconds)},
                ":now": {"N": _number(now)},
                ":run_id": {"S": run_id},
                ":running": {"S": RUNNING},
            },
        )

    def renew(self, run_id: str, attempt: str) -> None:
        """Extend this invocation's lease by LOCK_LEASE_SECONDS from now; LeaseLost when it is no longer ours.

        Conditional on ``run_id``, ``attempt`` and ``running`` (an UpdateItem's condition is checked atomically in
        this replica): an invocation that took the expired lease, or another delivery of the same event, is never
        overwritten. A renewal that fails for another reason (throttling, a timeout) is tolerated while the lease
        last written still has time left; the next poll renews again.
        """
        now = self._clock()
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET lease_expires_at = :lease, updated_at = :now",
                ConditionExpression="run_id = :run_id AND attempt = :attempt AND #state = :running",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":lease": {"N": _number(now + self._lease_seconds)},
                    ":now": {"N": _number(now)},
                    ":run_id": {"S": run_id},
                    ":attempt": {"S": attempt},
                    ":running": {"S": RUNNING},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                old = error.response.get("Item")
                holder = _decode(old).describe() if old and "run_id" in old else "no lock item"
                raise LeaseLost(
                    f"the lease of run {run_id} was lost ({holder}); this invocation stops changing anything"
                ) from None
            if now >= self.lease_until:
                raise LeaseLost(f"the lease of run {run_id} could not be renewed before it ran out: {error}") from error
            return
        self.lease_until = now + self._lease_seconds

    def begin_run(
        self, run_id: str, *, mode: str, target_region: str, reason: str, state: str, message: str
    ) -> RunRecord | None:
        """Write the run record of ``run_id`` unless one exists: None when written, else the existing record.

        A conditional PutItem (``attribute_not_exists(pk)``, atomic in this replica) with
        ``ReturnValuesOnConditionCheckFailure=ALL_OLD``: the record that was there comes back with the refusal.
        """
        now = self._clock()
        item: dict[str, Any] = {
            **self._run_key(run_id),
            "run_id": {"S": run_id},
            "mode": {"S": mode},
            "target_region": {"S": target_region},
            "reason": {"S": reason},
            "state": {"S": state},
            "message": {"S": message},
            "started_at": {"N": _number(now)},
            STATE_TTL_ATTRIBUTE: {"N": str(int(now) + RUN_RECORD_RETENTION_SECONDS)},
        }
        if state != RUNNING:
            item["ended_at"] = {"N": _number(now)}
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old = error.response.get("Item")
            return _decode_run(old) if old else self.read_run(run_id)
        return None

    def record_automatic_evaluation(
        self,
        run_id: str,
        *,
        state: str = REFUSED,
        episode: str,
        mode: str,
        target_region: str,
        reason: str,
        message: str,
    ) -> bool:
        """Record an automatic evaluation that started no run (``state``: refused, not_triggered or succeeded) in
        the run record of its episode and outcome; True when it opened that record's episode (the caller notifies a
        refusal then, and only then).

        The episode item (``refusals#<global cluster>``) names the run id whose record holds the current episode and
        its outcome. An evaluation of the same episode and outcome is one UpdateItem of that record (conditional on
        both and on room in its ``run_ids`` set: ADD is idempotent, so a redelivered event is listed once);
        otherwise this run id's own record is written (conditional PutItem: a run id already recorded stays as it
        was) and the episode item is moved to it, conditional on still naming what was read (optimistic locking: of
        two evaluations racing, one opens the episode). A full record is continued by a new one of the same episode,
        which does not notify. Each record names the one before (``previous``), so ``find_automatic_evaluation``
        reaches earlier episodes and outcomes.
        """
        for _ in range(3):
            pointer = self._dynamodb.get_item(TableName=self._table, Key=self._refusal_key, ConsistentRead=True).get(
                "Item"
            )
            current = pointer["run_id"]["S"] if pointer and "run_id" in pointer else None
            same_episode = pointer is not None and pointer.get("episode", {}).get("S") == episode
            # A pointer written before outcomes were told apart names a refusal record.
            same_outcome = pointer is not None and pointer.get("state", {}).get("S", REFUSED) == state
            now = self._clock()
            if same_episode and same_outcome and current is not None:
                try:
                    self._dynamodb.update_item(
                        TableName=self._table,
                        Key=self._run_key(current),
                        UpdateExpression="ADD run_ids :ids, evaluations :one SET last_run_id = :run_id, "
                        f"last_message = :message, last_at = :now, {STATE_TTL_ATTRIBUTE} = :expires",
                        ConditionExpression="attribute_exists(pk) AND episode = :episode AND #state = :state "
                        "AND size(run_ids) < :room",
                        ExpressionAttributeNames={"#state": "state"},
                        ExpressionAttributeValues={
                            ":state": {"S": state},
                            ":ids": {"SS": [run_id]},
                            ":one": {"N": "1"},
                            ":run_id": {"S": run_id},
                            ":message": {"S": message},
                            ":now": {"N": _number(now)},
                            ":expires": {"N": str(int(now) + RUN_RECORD_RETENTION_SECONDS)},
                            ":episode": {"S": episode},
                            ":room": {"N": str(REFUSALS_PER_RECORD)},
                        },
                    )
                    return False
                except ClientError as error:
                    if error_code(error) != "ConditionalCheckFailedException":
                        raise
            item: dict[str, Any] = {
                **self._run_key(run_id),
                "run_id": {"S": run_id},
                "mode": {"S": mode},
                "target_region": {"S": target_region},
                "reason": {"S": reason},
                "state": {"S": state},
                "message": {"S": message},
                "started_at": {"N": _number(now)},
                "ended_at": {"N": _number(now)},
                "episode": {"S": episode},
                "evaluations": {"N": "1"},
                "run_ids": {"SS": [run_id]},
                "last_run_id": {"S": run_id},
                "last_message": {"S": message},
                "last_at": {"N": _number(now)},
                STATE_TTL_ATTRIBUTE: {"N": str(int(now) + RUN_RECORD_RETENTION_SECONDS)},
            }
            if current is not None:
                item["previous"] = {"S": current}
            try:
                self._dynamodb.put_item(
                    TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                return False  # this run id is already recorded (a redelivery): nothing new to tell
            # An UpdateItem, not a PutItem: the episode item also holds which episode's refusal was notified.
            values: dict[str, Any] = {":run_id": {"S": run_id}, ":episode": {"S": episode}, ":state": {"S": state}}
            if current is not None:
                values[":current"] = {"S": current}
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._refusal_key,
                    UpdateExpression="SET run_id = :run_id, episode = :episode, #state = :state",
                    ConditionExpression="attribute_not_exists(run_id)" if current is None else "run_id = :current",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                return False  # another evaluation moved the episode item first; this run's own record answers for it
            return not same_episode or not same_outcome
        return False

    def claim_refusal_notice(self, episode: str) -> bool:
        """True for the first refusal of alarm episode ``episode`` to ask (it notifies), False for every later one.

        One conditional UpdateItem of the episode item (``notified_episode``), atomic in this replica (DynamoDB API
        Reference, UpdateItem ConditionExpression); only the secondary region's orchestrator evaluates the
        automatic trigger, so one replica decides. It is independent of which record holds which outcome: a
        refusal that lost the race for the episode item to another outcome, a refusal after other outcomes of the
        same episode and a redelivered refusal each find the episode already notified, or claim it once."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._refusal_key,
                UpdateExpression="SET notified_episode = :episode",
                ConditionExpression="attribute_not_exists(notified_episode) OR notified_episode <> :episode",
                ExpressionAttributeValues={":episode": {"S": episode}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def find_automatic_evaluation(self, run_id: str) -> RunRecord | None:
        """The automatic episode record listing ``run_id``, searched from the current episode back through
        ``previous`` (while TTL has not deleted them); None when the chain ends without it. ChainTooLong when
        REFUSAL_RECORDS_SEARCHED records were read without reaching the chain's end: ``status`` then says it could
        not search further, rather than that no record lists the id."""
        pointer = self._dynamodb.get_item(TableName=self._table, Key=self._refusal_key, ConsistentRead=True).get("Item")
        current = pointer["run_id"]["S"] if pointer and "run_id" in pointer else None
        for _ in range(REFUSAL_RECORDS_SEARCHED):
            record = self.read_run(current) if current is not None else None
            if record is None:
                return None
            if run_id in record.run_ids:
                return record
            current = record.previous
        if current is None:
            return None
        raise ChainTooLong(REFUSAL_RECORDS_SEARCHED)

    def end_run(self, run_id: str, *, state: str, message: str) -> None:
        """Record the end of ``run_id`` (its record must exist); the TTL is left as written at its start."""
        now = self._clock()
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._run_key(run_id),
            UpdateExpression="SET #state = :state, message = :message, ended_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":state": {"S": state},
                ":message": {"S": message},
                ":now": {"N": _number(now)},
            },
        )

    def read_run(self, run_id: str) -> RunRecord | None:
        """The run record of ``run_id`` (strongly consistent in this replica); None: never recorded."""
        response = self._dynamodb.get_item(TableName=self._table, Key=self._run_key(run_id), ConsistentRead=True)
        item = response.get("Item")
        return _decode_run(item) if item else None

    def _run_key(self, run_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"{self._run_prefix}{run_id}"}}

    def release(self, run_id: str, outcome: str) -> None:
        """Mark our run finished (``succeeded``/``failed``) and end the lease; the journal stays for audit."""
        now = self._clock()
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET #state = :outcome, lease_expires_at = :zero, updated_at = :now",
            ConditionExpression="run_id = :run_id",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":outcome": {"S": outcome},
                ":zero": {"N": "0"},
                ":now": {"N": _number(now)},
                ":run_id": {"S": run_id},
            },
        )


def _number(value: float) -> str:
    """DynamoDB number text for a float, millisecond precision."""
    return f"{round(float(value), 3):.3f}".rstrip("0").rstrip(".")


def _encode_step(step: dict[str, Any]) -> dict[str, Any]:
    """Encode a step record as a DynamoDB map."""
    return {
        "M": {
            "name": {"S": str(step["name"])},
            "status": {"S": str(step["status"])},
            "seconds": {"N": _number(step["seconds"])},
            "offset": {"N": _number(step.get("offset", 0.0))},
            "detail": {"S": str(step.get("detail", ""))},
        }
    }


def _asg_key(region: str, name: str) -> str:
    """Key of an ASG in ``asg_before``: ``<region>/<name>`` (a region has no '/', so the first one splits)."""
    return f"{region}/{name}"


def _encode_capacity(capacity: tuple[int, int, int]) -> dict[str, Any]:
    """(min, desired, max) as a DynamoDB map."""
    low, desired, high = capacity
    return {"M": {"min": {"N": str(low)}, "desired": {"N": str(desired)}, "max": {"N": str(high)}}}


def _decode_asg_before(value: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Decode the ``asg_before`` map written by acquire/record_asg_before."""
    decoded = {}
    for key, capacity in value.get("M", {}).items():
        region, _, name = key.partition("/")
        fields = capacity["M"]
        decoded[(region, name)] = (int(fields["min"]["N"]), int(fields["desired"]["N"]), int(fields["max"]["N"]))
    return decoded


def _decode_step(value: dict[str, Any]) -> dict[str, Any]:
    """Decode a DynamoDB map written by _encode_step."""
    fields = value["M"]
    return {
        "name": fields["name"]["S"],
        "status": fields["status"]["S"],
        "seconds": float(fields["seconds"]["N"]),
        "offset": float(fields.get("offset", {"N": "0"})["N"]),
        "detail": fields.get("detail", {"S": ""})["S"],
    }


def _decode_run(item: dict[str, Any]) -> RunRecord:
    """Decode a run record written by begin_run/end_run."""
    return RunRecord(
        run_id=item["run_id"]["S"],
        mode=item.get("mode", {"S": ""})["S"],
        target_region=item.get("target_region", {"S": ""})["S"],
        reason=item.get("reason", {"S": ""})["S"],
        state=item.get("state", {"S": ""})["S"],
        message=item.get("message", {"S": ""})["S"],
        started_at=float(item.get("started_at", {"N": "0"})["N"]),
        ended_at=float(item["ended_at"]["N"]) if "ended_at" in item else None,
        episode=item["episode"]["S"] if "episode" in item else None,
        evaluations=int(item.get("evaluations", {"N": "1"})["N"]),
        run_ids=frozenset(item.get("run_ids", {"SS": []})["SS"]),
        last_run_id=item["last_run_id"]["S"] if "last_run_id" in item else None,
        last_message=item["last_message"]["S"] if "last_message" in item else None,
        last_at=float(item["last_at"]["N"]) if "last_at" in item else None,
        previous=item["previous"]["S"] if "previous" in item else None,
    )


def _decode(item: dict[str, Any]) -> LockRecord:
    """Decode the lock item."""
    return LockRecord(
        run_id=item["run_id"]["S"],
        mode=item.get("mode", {"S": ""})["S"],
        target_region=item.get("target_region", {"S": ""})["S"],
        reason=item.get("reason", {"S": ""})["S"],
        state=item.get("state", {"S": ""})["S"],
        started_at=float(item.get("started_at", {"N": "0"})["N"]),
        lease_expires_at=float(item.get("lease_expires_at", {"N": "0"})["N"]),
        lag_seconds=float(item["lag_seconds"]["N"]) if "lag_seconds" in item else None,
        resumed_from=item["resumed_from"]["S"] if "resumed_from" in item else None,
        attempt=item.get("attempt", {"S": ""})["S"],
        steps=tuple(_decode_step(step) for step in item.get("steps", {"L": []})["L"]),
        asg_before=_decode_asg_before(item.get("asg_before", {"M": {}})),
    )
