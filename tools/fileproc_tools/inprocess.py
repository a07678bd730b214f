"""The deployed stack's shape for code run in-process with moto (unit tests, benchmarks).

The environment modules/compute gives every function (docs/contracts.md, with the
modules' default limits), the files table as modules/storage declares it, and the
S3 event notifications the bucket sends, in one place: the unit tests and the
benchmarks run the code under the same settings, keys, indexes and event shapes
as a deployed function.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote_plus

REGION = "us-east-1"

# Index name -> partition key (write-sharded, fileproc.listing); every index sorts by
# uploaded_at and projects whole items (modules/storage).
INDEXES = {
    "all-uploaded-index": "list_all",
    "status-uploaded-index": "list_status",
    "category-uploaded-index": "list_category",
    "category-status-uploaded-index": "list_category_status",
}


def function_environment(
    *, bucket: str, table: str, environment: str, allowed_origins: str = "*"
) -> dict[str, str]:
    """What modules/compute sets on every function, with the modules' default limits."""
    return {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "TABLE_NAME": table,
        "BUCKET_NAME": bucket,
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
        "BEDROCK_MODEL_ID": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "BEDROCK_MAX_INPUT_CHARS": "20000",
        "DOWNLOAD_URL_TTL_SECONDS": "900",
        "UPLOAD_URL_TTL_SECONDS": "900",
        "ALLOWED_ORIGINS": allowed_origins,
        "POWERTOOLS_SERVICE_NAME": f"fileproc-{environment}",
        "POWERTOOLS_METRICS_NAMESPACE": "fileproc",
        "ENVIRONMENT": environment,
    }


def create_table(client: Any, name: str) -> None:
    """The files table as modules/storage declares it (keys and indexes), on demand."""
    client.create_table(
        TableName=name,
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


def s3_record(
    event_name: str,
    bucket: str,
    key: str,
    *,
    sequencer: str | None,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
    event_time: str = "2026-11-24T09:30:00.125Z",
    request_id: str | None = None,
) -> dict[str, Any]:
    """One element of ``Records`` exactly as S3 writes it (event structure 2.1)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["eTag"] = etag
    if version_id is not None:
        obj["versionId"] = version_id
    if sequencer is not None:
        obj["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": request_id or uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYB",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "fileproc-uploads",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def notification(*records: dict[str, Any]) -> str:
    """The body S3 sends to a queue: a notification holding ``records``."""
    return json.dumps({"Records": list(records)})
