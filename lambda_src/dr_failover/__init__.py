"""Failover orchestrator for the two-region Aurora Global Database stack (handler: dr_failover.handler.handler).

Plain Python for the Lambda runtime: boto3/botocore only. One function is deployed per region and
promotes its own region. The Lambda entry points and the environment stay at the top (the stack names the
handlers, ``dr_contract.ORCHESTRATOR_HANDLER`` and ``SWITCH_KEEPER_HANDLER``); the rest is one package per domain:

- ``handler``: the orchestrator's entry point; ``keeper``: the switch keeper's entry point.
- ``config``: environment variables, parsed and validated once at cold start.
- ``aws``: ``calls`` (boto3 client factory, retries bounded by the run's time, the dry-run read-only guard) and
  ``clients`` (per-run guarded clients: target region, peer region with a bounded time).
- ``records``: what the state table holds: ``lock`` (lease lock, step journal, run records, the automatic-run
  interval) and ``switch`` (the traffic-switch item and its metric).
- ``checks``: read-only checks of live state: ``preflight`` (cluster, members, ASG, lag, peer) and
  ``failover_readiness`` (the scheduled readiness run: IAM simulation, scaling activities, the preflight).
- ``automatic``: ``confirmation``, the automatic decision from independent signals that the primary is down.
- ``actions``: what a run changes, each step decided from live state: ``steps`` (promote, wait, switch traffic,
  notify), ``app_capacity`` (the ASGs: size, scale, wait for, standby, restore), ``database_capacity`` (the
  promoted cluster matched to the old writer's), ``serving`` (the wait until the target serves), ``reprotect``.
- ``run``: one invocation: ``events`` (the event contract), ``plan`` (the step plan of each mode, once: the run,
  its dry run and the docs read it), ``orchestrator`` (runs the plan, builds the result), ``run_report``.

The names shared with the constructs (environment variables, metric namespace, dimensions) come from
``dr_contract``. Test doubles and the local drill live under ``__tests__/support``, not here.
"""
