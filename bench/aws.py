"""moto in-process, shaped like the deployed stack: the functions' environment, the bucket
and the table (as modules/storage declares them), and real-shaped S3 notifications."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

BUCKET = "fileproc-bench-uploads"
TABLE = "fileproc-bench-files"
REGION = "us-east-1"

# What modules/compute gives every function (values of envs/sandbox.tfvars'
# defaults), plus what Lambda itself sets. Tracing is Active in the stack.
FUNCTION_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "fileproc-bench-image",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "TABLE_NAME": TABLE,
    "BUCKET_NAME": BUCKET,
    "UPLOAD_PREFIX": "uploads/",
    "DERIVED_PREFIX": "derived/",
    "INDEX_ALL": "all-uploaded-index",
    "INDEX_STATUS": "status-uploaded-index",
    "INDEX_CATEGORY": "category-uploaded-index",
    "INDEX_CATEGORY_STATUS": "category-status-uploaded-index",
    "MAX_IMAGE_BYTES": str(50 * 1024**2),
    "MAX_DOCUMENT_BYTES": str(100 * 1024**2),
    "MAX_DATA_BYTES": str(5 * 1024**3),
    "THUMBNAIL_MAX_PX": "256",
    "IMAGE_MAX_PIXELS": "100000000",
    "EXIF_INCLUDE_GPS": "false",
    "TEXT_MAX_PAGES": "500",
    "TEXT_MAX_CHARS": "1000000",
    "PREVIEW_CHARS": "280",
    "BEDROCK_ENABLED": "false",
    "BEDROCK_MODEL_ID": "anthropic.claude-3-haiku-20240307-v1:0",
    "BEDROCK_MAX_INPUT_CHARS": "20000",
    "DOWNLOAD_URL_TTL_SECONDS": "900",
    "UPLOAD_URL_TTL_SECONDS": "900",
    "ALLOWED_ORIGINS": "*",
    "POWERTOOLS_SERVICE_NAME": "fileproc-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "fileproc",
    "ENVIRONMENT": "bench",
}

INDEXES = {
    "all-uploaded-index": "listing",
    "status-uploaded-index": "status",
    "category-uploaded-index": "category",
    "category-status-uploaded-index": "category_status",
}


def use_function_env() -> None:
    os.environ.update(FUNCTION_ENV)
    # X-Ray records under the segment Lambda opens for each invocation; in-process
    # runs have none, so tracing is off there (the cold-start figure keeps it on).
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


def create_table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "file_id", "AttributeType": "S"},
            {"AttributeName": "uploaded_at", "AttributeType": "S"},
            *({"AttributeName": pk, "AttributeType": "S"} for pk in INDEXES.values()),
        ],
        KeySchema=[{"AttributeName": "file_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, pk in INDEXES.items()
        ],
    )


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
        create_table(dynamodb)
        yield Aws(s3=s3, dynamodb=dynamodb)


def created_notification(
    key: str, *, size: int, etag: str, version_id: str | None, sequencer: int
) -> str:
    """The SQS message body S3 sends for an ObjectCreated:Put (event structure 2.1)."""
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag,
        "sequencer": format(sequencer, "X").rjust(18, "0"),
    }
    if version_id is not None:
        obj["versionId"] = version_id
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-11-24T09:30:00.125Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": f"BENCH{sequencer:011X}", "x-amz-id-2": "bench"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "fileproc-uploads",
            "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
            "object": obj,
        },
    }
    return json.dumps({"Records": [record]})
