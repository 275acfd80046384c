"""Failover orchestrator for the two-region Aurora Global Database stack (handler: dr_failover.handler.handler).

Plain Python for the Lambda runtime: boto3/botocore only. One function is deployed per region and
promotes its own region. Modules, one concern each:

- ``config``: environment variables, parsed and validated once at cold start.
- ``events``: the invocation event contract and its validation.
- ``aws``: boto3 client factory, throttling retries and the dry-run read-only guard.
- ``lock``: DynamoDB lease lock and step journal (resume after a crash).
- ``preflight``: read-only readiness checks (cluster, membership, ASG, replication lag, peer).
- ``steps``: the changing steps (fence, scale, promote, wait, switch traffic, metrics, notify).
- ``orchestrator``: runs the steps in order and builds the result.
- ``handler``: the Lambda entry point.
- ``drill``: a local end-to-end drill against moto (development only; imports moto).
"""
