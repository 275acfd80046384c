"""Worst-case recovery time and data-loss window computed from the settings, checked against RTO and RPO."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dr_stack.config.setting_reads import recorded
from dr_stack.contract import contract
from dr_stack.foundation.providers import ROUTE53_REGION

if TYPE_CHECKING:
    from dr_stack.config.settings import Settings

# Periods the synthesized resources use; the constructs take them from here, so the budget and the resources
# cannot disagree (test_budget checks the synthesized JSON against every term).
# The once-a-minute EventBridge schedules (the probe, which probes every probe_interval_seconds within a run; the
# switch keeper; the automatic trigger's re-evaluation while the probe alarm stays in ALARM): one minute is the
# finest rate EventBridge schedules ("rate(1 minute)"). The constructs use schedule_rate(SCHEDULE_SECONDS).
SCHEDULE_SECONDS = contract.SCHEDULE_SECONDS
ROUTE53_METRIC_PERIOD_SECONDS = 60  # Route53 HealthCheckStatus alarms
AURORA_LAG_PERIOD_SECONDS = 60  # Aurora publishes AuroraGlobalDBReplicationLag once a minute
TRAFFIC_SWITCH_PERIOD_SECONDS = 60  # the traffic-switch alarm; Route53 accepts standard resolution only


def schedule_rate(seconds: int) -> str:
    """The EventBridge rate expression of a schedule every ``seconds`` (a whole number of minutes, at least one)."""
    minutes, rest = divmod(seconds, 60)
    if rest or minutes < 1:
        raise ValueError(f"an EventBridge rate is a whole number of minutes, got {seconds} s")
    return f"rate({minutes} {'minute' if minutes == 1 else 'minutes'})"


@dataclass(frozen=True)
class BudgetTerm:
    """One term of a budget: how long it can take and which settings change it (those its computation read)."""

    name: str
    seconds: int
    settings: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class Budget:
    """A worst-case total made of terms, compared with its objective."""

    objective: str
    objective_seconds: int
    terms: tuple[BudgetTerm, ...]
    total_seconds: int

    @property
    def met(self) -> bool:
        """True when the worst case is within the objective."""
        return self.total_seconds <= self.objective_seconds

    @property
    def largest(self) -> BudgetTerm:
        """The term worth changing first."""
        return max(self.terms, key=lambda term: term.seconds)

    def breakdown(self) -> str:
        """One line: each term and its seconds, then the total against the objective."""
        parts = " + ".join(
            f"{t.name} {t.seconds} s" for t in self.terms if t.seconds or t.name not in ("decision", "confirmation")
        )
        return (
            f"{parts} = {self.total_seconds} s ({self.total_seconds / 60:.1f} min) against "
            f"{self.objective} {self.objective_seconds // 60} min"
        )


def detection_seconds(s: Settings) -> int:
    """Time from the outage to a failover being called for, as the synthesized alarms evaluate it.

    Automatic: the probe publishes a datapoint every probe_interval_seconds (high resolution below 60 s; the
    trigger alarm's period is the same) and the alarm needs health_check_failure_threshold failing datapoints;
    the first failing probe can come up to one interval after the outage starts; if Route53's checkers (the
    second signal) fail later than that, the wait until they do plus one re-evaluation period. Manual: Route53
    checkers fail (request interval x failure threshold), then the HealthCheckStatus alarm that pages a person
    evaluates (ROUTE53_METRIC_PERIOD_SECONDS x alarm_evaluation_periods).
    """
    if s.failover_automatic:
        probe = s.probe_interval_seconds * (s.health_check_failure_threshold + 1)
        # The orchestrator also needs a second signal; Route53's checkers fail after interval x threshold. When
        # that comes after the probe alarm, the alarm's one event (EventBridge sends alarm events on state changes
        # only) is refused and the scheduled re-evaluation fails over at most one schedule period later.
        route53 = s.health_check_interval_seconds * s.health_check_failure_threshold
        if s.primary_region == ROUTE53_REGION:
            # Losing us-east-1 loses the Route53 API and the primary's RDS API: the second signal is then the
            # secondary's own replication lag reaching its stall threshold, seen at its next one-minute datapoint.
            route53 = (
                contract.stalled_replication_seconds(s.rpo_minutes * 60, s.failover_confirmation_lag_percent_of_rpo)
                + AURORA_LAG_PERIOD_SECONDS
            )
        return probe if route53 <= probe else route53 + SCHEDULE_SECONDS
    return (
        s.health_check_interval_seconds * s.health_check_failure_threshold
        + ROUTE53_METRIC_PERIOD_SECONDS * s.alarm_evaluation_periods
    )


def serving_capacity_seconds(s: Settings) -> int:
    """Time until the promoted region serves with the failover minimum of healthy targets, the definition the run's
    measured end-to-end recovery time uses (``wait_for_serving``: healthy >= FAILOVER_CAPACITY_MIN).

    0 when the standby ASG's minimum (secondary_app_min_capacity, kept in service) is already at least the failover
    minimum (primary_app_min_capacity, the orchestrator's FAILOVER_CAPACITY_MIN); otherwise the missing instances
    must launch and pass their health-check grace."""
    if s.secondary_app_min_capacity >= s.primary_app_min_capacity:
        return 0
    return s.app_scale_up_allowance_seconds + s.app_health_check_grace_seconds


def confirmation_seconds(s: Settings) -> int:
    """Automatic failover's confirmation reads (probe, Route53 checkers, the primary's RDS API): concurrent, under
    one deadline (CONFIRMATION_TIMEOUT_SECONDS); 0 in manual mode, where a person confirms (the decision term)."""
    return s.failover_confirmation_timeout_seconds if s.failover_automatic else 0


def _term(name: str, s: Settings, seconds: Callable[[Settings], int], how: str) -> BudgetTerm:
    """A term of ``seconds(s)``, naming the settings that computation read (so the list cannot drift from it)."""
    value, read = recorded(seconds, s)
    return BudgetTerm(name, value, read, how)


def _decision_seconds(s: Settings) -> int:
    return 0 if s.failover_automatic else s.failover_decision_allowance_seconds


def _restore_seconds(s: Settings) -> int:
    # The orchestrator scales the app tier while the database is promoted: the slower of the two counts.
    return max(s.db_promotion_allowance_seconds, serving_capacity_seconds(s))


def _dns_seconds(s: Settings) -> int:
    return TRAFFIC_SWITCH_PERIOD_SECONDS + s.health_check_interval_seconds + s.dns_ttl_seconds


def recovery_time_budget(s: Settings) -> Budget:
    """Worst-case time from a regional failure to users served by the secondary region."""
    detection_how = (
        "the probe's alarm sees health_check_failure_threshold failing datapoints, one per probe_interval_seconds "
        "(+1 interval for the first probe); if the second signal comes later (Route53's checkers; with the primary in "
        "us-east-1, whose loss takes the Route53 API, the secondary's replication lag reaching "
        "failover_confirmation_lag_percent_of_rpo of the RPO, "
        "seen at its next one-minute datapoint), its time + 60 s re-evaluation"
        if s.failover_automatic
        else "Route53 checks fail (interval x threshold), then the health-check alarm pages (60 s x periods)"
    )
    terms = (
        _term("detection", s, detection_seconds, detection_how),
        _term(
            "decision",
            s,
            _decision_seconds,
            "a person approves the failover; zero when failover_automatic is on",
        ),
        _term(
            "confirmation",
            s,
            confirmation_seconds,
            "automatic only: the second-signal reads (probe, Route53 checkers, the primary's RDS API) run at the "
            "same time under one deadline; no answer by then is unknown, never down",
        ),
        _term(
            "fence",
            s,
            lambda s: s.failover_fence_timeout_seconds,
            "a failover gives the failed region at most this long in total before promoting without it (its "
            "standby and the read of its writer that chooses a switchover, no data loss, over AllowDataLoss)",
        ),
        _term(
            "promotion_and_scale_up",
            s,
            _restore_seconds,
            "max(database promotion, the failover minimum of healthy targets): they run in parallel; 0 s for the app "
            "when the warm standby's minimum is at least the failover minimum, else launch + health-check grace",
        ),
        _term(
            "dns",
            s,
            _dns_seconds,
            "the switch metric's one-minute period, a Route53 evaluation interval, then resolvers drop the "
            "cached answer (TTL)",
        ),
    )
    return Budget("rto_minutes", s.rto_minutes * 60, terms, sum(t.seconds for t in terms))


def data_loss_budget(s: Settings) -> Budget:
    """Worst-case data-loss window: lag just under the alarm, or above it until the alarm fires."""
    terms = (
        _term(
            "lag_threshold",
            s,
            lambda s: s.replication_lag_threshold_seconds,
            "replication lag can sit just under the alarm threshold unnoticed",
        ),
        _term(
            "lag_alarm_evaluation",
            s,
            lambda s: s.alarm_period_seconds * s.replication_lag_alarm_evaluation_periods,
            "lag above the threshold is reported after period x evaluation periods",
        ),
    )
    return Budget("rpo_minutes", s.rpo_minutes * 60, terms, sum(t.seconds for t in terms))


def budget_problems(s: Settings) -> list[str]:
    """One refusal message per objective (RTO, RPO) the settings cannot meet; empty when both are met."""
    problems = []
    for budget in (recovery_time_budget(s), data_loss_budget(s)):
        if not budget.met:
            largest = budget.largest
            problems.append(
                f"settings cannot meet {budget.objective}={budget.objective_seconds // 60}: worst case "
                f"{budget.breakdown()}; the largest term is {largest.name} ({largest.how}): change "
                f"{' or '.join(largest.settings)}, or raise {budget.objective}"
            )
    return problems


def budget_problem(s: Settings) -> str | None:
    """The first of budget_problems, or None."""
    return next(iter(budget_problems(s)), None)


def budget_table(s: Settings) -> str:
    """Markdown table of both budgets (docs/budget.md)."""
    rows = ["| budget | term | seconds | settings that change it |", "|---|---|---|---|"]
    for budget in (recovery_time_budget(s), data_loss_budget(s)):
        for term in budget.terms:
            rows.append(
                f"| {budget.objective} | {term.name}: {term.how} | {term.seconds} | "
                f"{', '.join(f'`{name}`' for name in term.settings)} |"
            )
        rows.append(
            f"| {budget.objective} | **worst case** (objective {budget.objective_seconds} s) | "
            f"**{budget.total_seconds}** | |"
        )
    return "\n".join(rows)


def budget_summary(profiles: dict[str, Settings]) -> str:
    """One row per labelled configuration: each recovery term, the total and the objective."""
    first = recovery_time_budget(next(iter(profiles.values())))
    names = [term.name for term in first.terms]
    rows = [
        "| configuration | " + " | ".join(names) + " | worst case | objective |",
        "|---|" + "---:|" * (len(names) + 2),
    ]
    for label, settings in profiles.items():
        budget = recovery_time_budget(settings)
        seconds = {term.name: term.seconds for term in budget.terms}
        rows.append(
            f"| {label} | "
            + " | ".join(str(seconds[name]) for name in names)
            + f" | **{budget.total_seconds}** | {budget.objective_seconds} |"
        )
    return "\n".join(rows)


def budget_output(s: Settings) -> dict[str, object]:
    """The recovery budget as a Terraform output value."""
    return {
        budget.objective: {
            "objective_seconds": budget.objective_seconds,
            "worst_case_seconds": budget.total_seconds,
            "met": budget.met,
            "terms": {term.name: term.seconds for term in budget.terms},
        }
        for budget in (recovery_time_budget(s), data_loss_budget(s))
    }
