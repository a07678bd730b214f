"""schemathesis over docs/openapi.json, against the handler in-process.

schemathesis generates requests from the document (valid ones and, in negative
mode, ones the schema refuses) and runs its checks on every answer: no 5xx,
a status the operation declares, the declared content type and body schema,
schema-refused requests refused, schema-valid ones not refused as malformed.

schemathesis drives HTTP, WSGI or ASGI apps; a small WSGI front turns each
request into the event API Gateway (REST, Lambda proxy) sends and answers as it
does for what it handles itself (403 without the API key, 404 for a path it does
not declare). The runs are seeded (derandomize) and bounded, so they are quick
and always the same.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from .api_helpers import API_KEY, Reply, call, put_records, record, rest_event

DOCUMENT = json.loads((Path(__file__).resolve().parents[3] / "docs" / "openapi.json").read_text())
KNOWN_IDS = ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]

schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
schema.config.checks.update(
    excluded_check_names=[
        # The API key is API Gateway's to check: the front here would only test itself.
        "ignored_auth",
        # Replaced by valid_requests_are_not_malformed: a request the document allows
        # may still be refused with 400 or 413 for a rule no schema can say.
        "positive_data_acceptance",
        # API Gateway answers a method a resource does not declare with 404 not_found
        # (modules/api/errors.tf maps its MISSING_AUTHENTICATION_TOKEN), not 405.
        "unsupported_method",
    ]
)


def gateway_error(status: int, code: str, message: str) -> Reply:
    """An answer API Gateway gives itself, in the API's shape (modules/api/errors.tf)."""
    return Reply(
        status=status,
        headers={"content-type": "application/json"},
        body={"error": {"code": code, "message": message}},
    )


def gateway(app: Any, environ: dict[str, Any]) -> Reply:
    """What API Gateway answers to one WSGI request, invoking the function when it would."""
    headers = {
        name[5:].replace("_", "-").title(): value
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if headers.get("X-Api-Key") != API_KEY:
        return gateway_error(403, "forbidden", "missing or invalid API key")
    method = environ["REQUEST_METHOD"]
    # WSGI hands the path as Latin-1 characters of its bytes.
    path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace")
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    try:
        event = rest_event(method, path, multi_query=query or None, headers=headers)
    except ValueError:
        return gateway_error(404, "not_found", "no route for this method and path")
    if method.lower() not in DOCUMENT["paths"][event["resource"]]:
        return gateway_error(404, "not_found", "no route for this method and path")
    if raw:
        # A text body arrives as it is; other bytes base64-encoded (binary media types).
        try:
            event["body"] = raw.decode()
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    return call(app, event)


def wsgi_front(app: Any) -> Callable[..., Iterable[bytes]]:
    def front(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reply = gateway(app, environ)
        start_response(
            f"{reply.status} {HTTPStatus(reply.status).phrase}", list(reply.headers.items())
        )
        return [] if reply.body is None else [json.dumps(reply.body).encode()]

    return front


def valid_requests_are_not_malformed(ctx: Any, response: Any, case: Any) -> None:
    """A request the document allows is never refused as malformed (invalid_request).

    It may be refused for what the schema cannot say: a file type by its extension
    (unsupported_file_type, content_type_mismatch), a size over its category's limit
    (413), a next_token that is not one the API issued (invalid_next_token).
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 400:
        error = json.loads(response.content)["error"]
        # A name the key cannot use ("..."): the schema allows any non-control characters.
        unusable_name = "no usable characters" in error["message"]
        assert error["code"] != "invalid_request" or unusable_name, error


@pytest.fixture
def front(api):
    put_records(
        api.aws.dynamodb,
        api.aws.table,
        [
            record(KNOWN_IDS[0], derived={"thumbnail": f"derived/{KNOWN_IDS[0]}/thumbnail.jpg"}),
            record(KNOWN_IDS[1], status="DELETED"),
        ],
    )
    return wsgi_front(api.app)


@schema.parametrize()
@settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, front):
    case.call_and_validate(
        app=front,
        headers={"x-api-key": API_KEY},
        additional_checks=[valid_requests_are_not_malformed],
    )
