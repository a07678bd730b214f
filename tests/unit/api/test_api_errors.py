"""Errors in one shape, CORS on every answer, and no 5xx from client input."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from botocore.stub import Stubber

from fileproc.api.app import describe_validation

from .api_helpers import call, put_records, record, rest_event

FILE_ID = "0123456789abcdef0123456789abcdef"
ORIGIN = "https://app.example.com"
SECOND_ORIGIN = "http://localhost:3000"


def test_a_route_declared_in_api_gateway_but_not_served_is_a_plain_404(api):
    # API Gateway invokes the function only for the routes modules/api declares; one
    # declared there before the function serves it still gets the API's error shape.
    reply = api.request("DELETE", f"/files/{FILE_ID}", headers={"Origin": ORIGIN})

    assert reply.status == 404
    assert reply.body == {
        "error": {"code": "not_found", "message": f"no route for DELETE /files/{FILE_ID}"}
    }
    assert reply.headers["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "query parameter limit: Input should be greater than or equal to 1"),
        ({"limit": "101"}, "query parameter limit: Input should be less than or equal to 100"),
        ({"limit": "99999999999999999999999"}, "less than or equal to 100"),
        ({"limit": "-1"}, "greater than or equal to 1"),
        ({"limit": "ten"}, "query parameter limit: Input should be a valid integer"),
        ({"status": "DONE"}, "'PENDING', 'PROCESSING', 'PROCESSED', 'FAILED' or 'DELETED'"),
        ({"status": "processed"}, "query parameter status"),
        ({"category": "video"}, "'image', 'document' or 'data'"),
        ({"sort": "asc"}, "unknown query parameter(s): sort"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(api, query, message):
    reply = api.get("/files", query=query)

    assert reply.status == 400
    assert reply.error_code == "invalid_request"
    assert message in reply.error_message
    assert api.dynamo.names() == []


def test_a_repeated_filter_is_400(api):
    reply = api.get("/files", multi_query={"status": ["FAILED", "PENDING"]})

    assert reply.status == 400


def test_error_messages_list_every_problem():
    message = describe_validation(
        [
            {"loc": ("query", "limit"), "type": "less_than_equal", "msg": "too big"},
            {"loc": ("body", "size"), "type": "missing", "msg": "Field required"},
        ]
    )

    assert message == "query parameter limit: too big; field size: Field required"


def test_cors_headers_reflect_each_allowed_origin(api):
    for origin in (ORIGIN, SECOND_ORIGIN):
        reply = api.get("/files", headers={"Origin": origin})

        assert reply.headers["access-control-allow-origin"] == origin
        assert reply.headers["vary"] == "Origin"


def test_no_cors_headers_for_another_origin(api):
    reply = api.get("/files", headers={"Origin": "https://evil.example"})

    assert reply.status == 200
    assert "access-control-allow-origin" not in reply.headers


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", f"/files/{FILE_ID}", {}, 404),
        ("GET", "/files/nothex", {}, 400),
        ("GET", "/files", {"query": {"next_token": "x"}}, 400),
        ("POST", "/files", {"body": "{"}, 400),
    ],
)
def test_error_answers_carry_cors_headers(api, method, path, kwargs, status):
    reply = api.request(method, path, headers={"Origin": ORIGIN}, **kwargs)

    assert reply.status == status
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert reply.headers["content-type"] == "application/json"


def test_preflight_allows_the_api_key_header(api):
    reply = api.request(
        "OPTIONS",
        "/files",
        headers={
            "Origin": SECOND_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )

    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == SECOND_ORIGIN
    assert "x-api-key" in reply.headers["access-control-allow-headers"].lower()
    assert {"GET", "POST"} <= set(reply.headers["access-control-allow-methods"].split(","))


def test_any_origin_when_configured_with_star(make_api):
    api = make_api(allowed_origins=("*",))

    reply = api.get("/files", headers={"Origin": "https://anywhere.example"})

    assert reply.headers["access-control-allow-origin"] == "*"
    assert "vary" not in reply.headers


def test_throttling_is_503_with_retry_after(api):
    with Stubber(api.aws.dynamodb) as stub:
        stub.add_client_error(
            "get_item",
            service_error_code="ProvisionedThroughputExceededException",
            http_status_code=400,
        )
        reply = api.get(f"/files/{FILE_ID}", headers={"Origin": ORIGIN})

    assert reply.status == 503
    assert reply.error_code == "service_unavailable"
    assert reply.headers["retry-after"] == "1"
    assert reply.headers["access-control-allow-origin"] == ORIGIN


def test_a_server_fault_is_a_logged_500_that_says_nothing_inside(api, caplog):
    with Stubber(api.aws.dynamodb) as stub:
        stub.add_client_error(
            "query",
            service_error_code="AccessDeniedException",
            service_message="User: arn:aws:sts::123456789012:assumed-role/x is not authorized",
            http_status_code=400,
        )
        with caplog.at_level(logging.ERROR):
            reply = api.get("/files")

    assert reply.status == 500
    assert reply.body == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "AccessDeniedException" in caplog.text


def test_a_missing_object_lookup_failure_other_than_404_is_a_fault(api):
    item = record(status="PENDING")
    put_records(api.aws.dynamodb, api.aws.table, [item])
    with Stubber(api.s3) as stub:
        stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
        reply = api.get(f"/files/{item['file_id']}/download")

    assert reply.status == 500


NASTY_STRINGS = [
    "",
    " ",
    "null",
    "%00",
    "\u0000",
    "\ud7ff",
    "\ud800",
    "[" * 5000,
    "😀",
    "a" * 5000,
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "../../",
    "=?utf-8?q?x?=",
    "eyJ4IjoxfQ",
]


@pytest.mark.parametrize("value", NASTY_STRINGS)
def test_no_client_input_reaches_a_5xx(api, value):
    stored = record(derived={"thumbnail": "derived/x/thumbnail.jpg"})
    put_records(api.aws.dynamodb, api.aws.table, [stored])
    # A slash inside a path parameter arrives percent-encoded (a bare one is another path).
    file_id = value.replace("/", "%2F") or "%20"
    events = [
        rest_event("GET", "/files", query={"status": value}),
        rest_event("GET", "/files", query={"category": value}),
        rest_event("GET", "/files", query={"limit": value}),
        rest_event("GET", "/files", query={"next_token": value}),
        rest_event("GET", "/files", query={value or "x": "1"}),
        rest_event("GET", f"/files/{file_id}"),
        rest_event("GET", f"/files/{file_id}/download"),
        rest_event("GET", f"/files/{stored['file_id']}/download", query={"artefact": value}),
        rest_event("POST", "/files", body=value),
        rest_event(
            "POST",
            "/files",
            body=json.dumps({"filename": value, "content_type": "text/plain", "size": 1}),
        ),
        rest_event(
            "POST",
            "/files",
            body=json.dumps({"filename": "a.txt", "content_type": value, "size": 1}),
        ),
        rest_event(
            "POST",
            "/files",
            body=json.dumps({"filename": f"{value}.txt", "content_type": "text/plain", "size": 1}),
        ),
        rest_event("POST", "/files", body="{}", headers={"Content-Type": value}),
    ]
    for event in events:
        reply = call(api.app, event)
        assert reply.status < 500, (event["httpMethod"], event["path"], event["body"], reply.body)
        assert set(reply.body) == {"error"} or reply.status in (200, 201)


CONTENT_TYPES = [
    None,
    "",
    "application/json",
    "Application/JSON; Charset=UTF-8",
    "application/json; charset=utf-16",
    "application/json; charset",
    "application/json;;;",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary=""',
    "multipart/form-data; boundary=x",
    "multipart/form-data; boundary=漢字",
    "text/plain",
    "*/*",
    ";",
    "漢字/json",
    "application/json\r\nX-Injected: 1",
]
VALID_BODY = json.dumps({"filename": "a.txt", "content_type": "text/plain", "size": 1})
BODIES = [
    None,
    "",
    VALID_BODY,
    "filename=a.txt&content_type=text/plain&size=1",
    "filename=%FF%FE&size=1&size=2",
    '--x\r\nContent-Disposition: form-data; name="size"\r\n\r\n1\r\n--x--',
    '--x\r\nContent-Disposition: form-data; name="filename"\r\n\r\n漢字.txt\r\n--x--',
    '{"filename": "漢字.txt", "content_type": "text/plain", "size": 1}',
    '{"filename": "\\ud800.txt", "content_type": "text/plain", "size": 1}',
    "\ufeff" + VALID_BODY,
    "\ud800",
]
# What API Gateway passes for its binary media types: base64 of any bytes.
RAW_BODIES = [
    VALID_BODY.encode(),
    VALID_BODY.encode("utf-16"),
    b"\xff\xfe\xfd",
    b'{"filename": "\xe9.txt", "content_type": "text/plain", "size": 1}',  # Latin-1
    b"--x\r\n\r\n\x80\x81--x--",
    b"",
]
NOT_BASE64 = ["!!!", "ZXlK\u00e9", "=", "\ud800"]


def body_event(method, body, content_type, is_base64=False):
    event = rest_event(method, "/files", body=body)
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Content-Type", None)
    if content_type is not None:
        event["headers"]["Content-Type"] = content_type
        event["multiValueHeaders"]["Content-Type"] = [content_type]
    event["isBase64Encoded"] = is_base64
    return event


def body_events():
    for content_type in CONTENT_TYPES:
        for body in BODIES:
            yield body_event("POST", body, content_type)
        for raw in RAW_BODIES:
            yield body_event("POST", base64.b64encode(raw).decode(), content_type, True)
        for text in NOT_BASE64:
            yield body_event("POST", text, content_type, True)
        # A body on a route that takes none is not read.
        yield body_event("GET", BODIES[5], content_type)


def test_no_content_type_body_or_encoding_reaches_a_5xx(api):
    answered = set()
    for event in body_events():
        reply = call(api.app, event)
        assert reply.status < 500, (event["headers"], event["body"], reply.body)
        assert set(reply.body) == {"error"} or reply.status in (200, 201), reply.body
        answered.add(reply.status)
    # Every outcome is reached: the inputs are not all refused the same way.
    assert answered == {200, 201, 400, 415}
