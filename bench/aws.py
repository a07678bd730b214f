"""moto in-process, shaped like the deployed stack: the functions' environment, the bucket
and the table (as modules/storage declares them), and real-shaped S3 notifications."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fileproc_tools.inprocess import (
    REGION,
    create_table,
    function_environment,
    notification,
    s3_record,
)

BUCKET = "fileproc-bench-uploads"
TABLE = "fileproc-bench-files"

# What modules/compute gives every function, plus what Lambda itself sets.
# Tracing is Active in the stack.
FUNCTION_ENV = {
    **function_environment(bucket=BUCKET, table=TABLE, environment="bench"),
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "fileproc-bench-image",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
}


def use_function_env() -> None:
    os.environ.update(FUNCTION_ENV)
    # X-Ray records under the segment Lambda opens for each invocation; in-process
    # runs have none, so tracing is off there (the cold-start figure keeps it on).
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


@dataclass
class Aws:
    s3: Any
    dynamodb: Any


@contextmanager
def moto_stack() -> Iterator[Aws]:
    """moto in-process with the versioned uploads bucket and the files table."""
    import boto3
    from moto import mock_aws

    use_function_env()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, TABLE)
        yield Aws(s3=s3, dynamodb=dynamodb)


def created_notification(
    key: str, *, size: int, etag: str, version_id: str | None, sequencer: int
) -> str:
    """The SQS message body S3 sends for an ObjectCreated:Put (event structure 2.1)."""
    record = s3_record(
        "ObjectCreated:Put",
        BUCKET,
        key,
        sequencer=format(sequencer, "X").rjust(18, "0"),
        size=size,
        etag=etag,
        version_id=version_id,
        request_id=f"BENCH{sequencer:011X}",
    )
    return notification(record)
