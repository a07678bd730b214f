"""Real-shaped API Gateway REST proxy events (payload v1.0), replies, and file records."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from fileproc.api.app import ApiResolver
from fileproc.listing import listing_keys

API_KEY = "test-api-key-0123456789"
STAGE = "v1"
_serializer = TypeSerializer()

# The API's resources, as modules/api declares them (path -> resource template). API
# Gateway answers any other path itself (404), without invoking the function.
_RESOURCES = [
    (re.compile(r"/files/(?P<file_id>[^/]+)/download"), "/files/{file_id}/download"),
    (re.compile(r"/files/(?P<file_id>[^/]+)"), "/files/{file_id}"),
    (re.compile(r"/files"), "/files"),
]


def rest_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    multi_query: dict[str, list[str]] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    is_base64: bool = False,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The event API Gateway (REST, Lambda proxy integration) sends for one request."""
    found = next(
        (
            (template, match.groupdict() or None)
            for pattern, template in _RESOURCES
            if (match := pattern.fullmatch(path))
        ),
        None,
    )
    if found is None:
        raise ValueError(f"API Gateway has no resource for {path}: it would answer 404 itself")
    resource, path_parameters = found
    all_headers = {
        "Accept": "application/json",
        "Host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "pytest",
        "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "x-api-key": API_KEY,
    }
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    if multi_query is None and query is not None:
        multi_query = {name: [value] for name, value in query.items()}
    if query is None and multi_query is not None:
        # API Gateway puts the last value of a repeated parameter in queryStringParameters.
        query = {name: values[-1] for name, values in multi_query.items()}
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "Ab1CdEfGhIjKlMn=",
            "requestTime": "24/Nov/2026:20:41:00 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "abc123defg",
            "requestTimeEpoch": 1795553260000,
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": "203.0.113.7",
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": "pytest",
                "user": None,
                "apiKey": API_KEY,
                "apiKeyId": "k1a2b3c4d5",
            },
            "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123defg",
        },
        "body": base64.b64encode(body.encode()).decode() if is_base64 and body else body,
        "isBase64Encoded": is_base64,
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names, multiple values joined with ", "
    body: Any  # parsed JSON, or None for an empty body
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def error_code(self) -> str:
        return str(self.body["error"]["code"])

    @property
    def error_message(self) -> str:
        return str(self.body["error"]["message"])


def reply_of(response: dict[str, Any]) -> Reply:
    headers: dict[str, list[str]] = {}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    for name, value in (response.get("headers") or {}).items():
        headers.setdefault(name.lower(), []).append(value)
    body = response.get("body")
    return Reply(
        status=response["statusCode"],
        headers={name: ", ".join(values) for name, values in headers.items()},
        body=json.loads(body) if body else None,
        raw=response,
    )


def call(app: ApiResolver, event: dict[str, Any], context: Any = None) -> Reply:
    return reply_of(app.resolve(event, context))


def record(
    file_id: str | None = None,
    *,
    status: str = "PROCESSED",
    category: str = "image",
    uploaded_at: str = "2026-11-24T10:00:00.000Z",
    filename: str = "photo.jpg",
    **fields: Any,
) -> dict[str, Any]:
    """A file record as the pipeline writes it (docs/contracts.md)."""
    file_id = file_id or uuid.uuid4().hex
    item: dict[str, Any] = {
        "file_id": file_id,
        "bucket": "fileproc-test-uploads",
        "key": f"uploads/{file_id}/{filename}",
        "filename": filename,
        "category": category,
        "status": status,
        **listing_keys(file_id, status, category),
        "content_type": "image/jpeg",
        "size": 1234,
        "uploaded_at": uploaded_at,
        "updated_at": uploaded_at,
    }
    item.update(fields)
    return item


def put_records(client: Any, table: str, records: list[dict[str, Any]]) -> None:
    for item in records:
        client.put_item(
            TableName=table, Item={k: _serializer.serialize(v) for k, v in item.items()}
        )


def timestamps(count: int) -> list[str]:
    """``count`` distinct record timestamps, oldest first, one second apart."""
    return [
        f"2026-11-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        for i in range(count)
    ]
