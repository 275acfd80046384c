"""Failover orchestrator for the two-region Aurora Global Database stack (handler: dr_failover.handler.handler).

Plain Python for the Lambda runtime: boto3/botocore only. One function is deployed per region and
promotes its own region. Modules, one concern each:

- ``config``: environment variables, parsed and validated once at cold start.
- ``events``: the invocation event contract and its validation.
- ``aws``: boto3 client factory, retries bounded by the run's time, and the dry-run read-only guard.
- ``clients``: per-run guarded clients (target region, peer region with a bounded time).
- ``lock``: DynamoDB lease lock, step journal and the automatic-run interval.
- ``switch``: the traffic-switch state item and metric.
- ``preflight``: read-only checks of live state (cluster, members, ASG, lag, peer).
- ``confirmation``: the automatic decision, from independent signals that the primary is down.
- ``steps``: the changing steps of the database and the traffic, each decided from live state (promote, wait,
  switch).
- ``capacity``: the app tier's ASGs, all of it (size, scale, wait for, standby, restore);
  ``database_capacity``: the promoted cluster matched to the old writer's.
- ``plan``: the step plan of each mode, once (the run, its dry run and the docs read it).
- ``orchestrator``: runs the plan and builds the result.
- ``handler``: the orchestrator's Lambda entry point; ``keeper``: the switch keeper's entry point.

The names shared with the constructs (environment variables, metric namespace, dimensions) come from
``dr_contract``. Test doubles and the local drill live under ``__tests__/support``, not here.
"""
