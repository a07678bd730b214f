"""The deployed stack's shape for code run in-process with moto (unit tests, benchmarks).

The environment modules/compute gives every function (docs/contracts.md, with the
modules' default limits) and the files table as modules/storage declares it, in one
place, so the unit tests and the benchmarks run the code under the same settings
and against the same keys and indexes as a deployed function.
"""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"

# Index name -> partition key; every index sorts by uploaded_at (modules/storage).
INDEXES = {
    "all-uploaded-index": "listing",
    "status-uploaded-index": "status",
    "category-uploaded-index": "category",
    "category-status-uploaded-index": "category_status",
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
        "BEDROCK_MODEL_ID": "anthropic.claude-3-haiku-20240307-v1:0",
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
