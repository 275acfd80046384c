"""Every Lambda: what the Lambda service does with the execution role.

Lambda writes the function's logs and traces and sends failed asynchronous events to the DLQ with the execution
role, and decrypts the environment with it (Lambda Developer Guide: execution role; "Securing environment
variables"; dead-letter queues). The key also encrypts the queue (sending needs GenerateDataKey).
"""

from __future__ import annotations

from typing import Final

from dr_permissions import Grant

# The services through which every function's role may use its region's key (``LAMBDA_BASE`` "RegionalKey").
KEY_SERVICES: Final = ("lambda", "sqs", "sns")
LAMBDA_BASE: Final = (
    Grant("Logs", ("logs:CreateLogStream", "logs:PutLogEvents"), ("log_streams",)),
    Grant("Tracing", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), ("any",)),
    Grant("DeadLetters", ("sqs:SendMessage",), ("dead_letter_queue",)),
    # The region's key only through the services that use it for the function: Lambda decrypts the environment,
    # SQS encrypts the dead letters, SNS the notifications (the key policy names the role for the same services).
    Grant(
        "RegionalKey",
        ("kms:Decrypt", "kms:GenerateDataKey"),
        ("own_key",),
        tuple(("StringEquals", "kms:ViaService", f"{service}.{{region}}.amazonaws.com") for service in KEY_SERVICES),
    ),
)
