"""The DR stack's state in the bootstrap stack's buckets during the game day: the outage procedure of
docs/deploy.md ("Terraform during a regional outage"), executed.

The e2e synth keeps the state local (the DR apply starts before the bootstrap stack's bucket exists). Once both
are applied, the state moves into the home bucket with the S3 backend the product synthesizes
(``DR_STATE_BACKEND=s3``: bucket, key, region, lock table, the state key's alias, the S3 lockfile); the
bootstrap stack's replication copies it to the replica bucket. During the outage Terraform is pointed at the
replica, as the procedure's step 1 says (``DR_STATE_REGION=<surviving region> DR_STATE_BUCKET=<bucket>-replica``,
synthesized the same way); after the return the newest state is copied home and the home digest item is
deleted (step 3). Before the tear-down the state goes back to local: the run destroys the bootstrap stack (its
buckets) while the DR destroy is still running.

Only the emulator settings are added to the synthesized backend block (endpoints, path-style requests, no
account lookups); ``backend_override.tf.json`` carries it, Terraform's override files replacing the backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

OVERRIDE = "backend_override.tf.json"
REPLICA_SUFFIX = "-replica"


def synthesized_backend(synthesize: Callable[[Path], None], outdir: Path) -> dict[str, Any]:
    """The S3 backend block of the DR stack that ``synthesize`` writes into ``outdir``."""
    synthesize(outdir)
    stack = next(p for p in (outdir / "stacks").iterdir() if p.name.endswith("-dr"))
    document = json.loads((stack / "cdk.tf.json").read_text())
    return dict(document["terraform"]["backend"]["s3"])


def emulator_backend(block: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    """The synthesized block with what the emulator needs and nothing else changed."""
    return {
        **block,
        "endpoints": {"s3": endpoint, "dynamodb": endpoint, "sts": endpoint, "iam": endpoint},
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
    }


def digest_item_id(block: Mapping[str, Any]) -> str:
    """The LockID of the item in which the S3 backend keeps the state's MD5 (``<bucket>/<key>-md5``)."""
    return f"{block['bucket']}/{block['key']}-md5"


class StateBackends:
    """The home and replica backends of the DR stack, as the product synthesizes them."""

    def __init__(self, home: Mapping[str, Any], replica: Mapping[str, Any], endpoint: str) -> None:
        if str(replica["bucket"]) != f"{home['bucket']}{REPLICA_SUFFIX}" or replica["key"] != home["key"]:
            raise ValueError(f"the replica backend {replica} is not the home backend's replica {home}")
        self.home, self.replica, self.endpoint = dict(home), dict(replica), endpoint

    def point(self, workdir: Path, which: str) -> Path:
        """Write the override that points the stack at the ``home`` or ``replica`` backend."""
        block = self.home if which == "home" else self.replica
        path = workdir / OVERRIDE
        path.write_text(json.dumps({"terraform": {"backend": {"s3": emulator_backend(block, self.endpoint)}}}))
        return path

    @staticmethod
    def local(workdir: Path) -> None:
        """Remove the override: the stack's own (local) backend again."""
        (workdir / OVERRIDE).unlink(missing_ok=True)

    def copy_home(self, s3_home: Any) -> dict[str, Any]:
        """Step 3: copy the replica's newest state object over the home one, encrypted with the home state key;
        the home object's HeadObject."""
        s3_home.copy_object(
            Bucket=self.home["bucket"],
            Key=self.home["key"],
            CopySource={"Bucket": self.replica["bucket"], "Key": self.replica["key"]},
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.home["kms_key_id"],
        )
        return dict(s3_home.head_object(Bucket=self.home["bucket"], Key=self.home["key"]))

    def delete_digests(self, dynamodb_home: Any) -> list[str]:
        """Delete the digest items of both buckets: the S3 backend stores an MD5 of each state it writes and, when
        the state it reads does not match it, retries and then refuses it ("state data in S3 does not have the
        expected content", hashicorp/terraform#14949). The home item holds the MD5 of the state before the
        outage (the copy is not one the backend wrote there); the replica's holds the outage apply's, which the
        next state replicated from home will not match, so the next outage's step 1 would be refused. The lock
        table is a global table: deleting both in the home region reaches the replica. The LockIDs deleted."""
        deleted = [digest_item_id(self.home), digest_item_id(self.replica)]
        for lock_id in deleted:
            dynamodb_home.delete_item(TableName=self.home["dynamodb_table"], Key={"LockID": {"S": lock_id}})
        return deleted
