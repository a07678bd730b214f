"""The API's OpenAPI document, generated from the routes: ``python -m fileproc.api.openapi``.

``make openapi`` writes it to docs/openapi.json; a unit test fails when the
committed file and the code differ. Needs no AWS credentials and no network:
the clients are created but never called.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from fileproc.api.app import create_app
from fileproc.config import Settings

TITLE = "fileproc"
# The version of the API contract, not of the package: bump it when clients must change.
API_VERSION = "1.0.0"
DESCRIPTION = (
    "Upload files for processing (images, documents, data), then list them, read their "
    "extracted metadata and download them through short-lived presigned S3 links. "
    "Every request needs an API key in the x-api-key header. Errors are "
    '{"error": {"code", "message"}}.'
)
SECURITY_SCHEME = "apiKey"


def openapi_document() -> dict[str, Any]:
    region = "us-east-1"  # any region: nothing is called
    app = create_app(
        Settings(table_name="openapi", bucket_name="openapi"),
        boto3.client("dynamodb", region_name=region),
        boto3.client("s3", region_name=region),
        Metrics(namespace="fileproc"),
    )
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=API_VERSION,
            description=DESCRIPTION,
            security_schemes={
                SECURITY_SCHEME: APIKey.model_validate(
                    {"name": "x-api-key", "in": APIKeyIn.header}
                ),
            },
            security=[{SECURITY_SCHEME: []}],
        )
    )
    return _tidy_responses(document)


def _tidy_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents a 422 on every validated route; this API answers 400 instead."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    return document


def render() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
