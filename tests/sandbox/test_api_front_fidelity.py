"""The API front answers as API Gateway does where the stack relies on it: the CORS
preflight's response template is evaluated (an allowed origin of a list gets its header,
others none), and no request drops the connection or gets an HTML page."""

from __future__ import annotations

import http.client
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sandbox_helpers import Sandbox, unique, zip_of

from fileproc_sandbox.api_front import Request, render_template

CORS_TF = Path(__file__).resolve().parents[2] / "modules" / "api" / "cors.tf"
ALLOWED = ["https://app.example.com", "http://127.0.0.1:8123"]


def preflight_template(origins: list[str]) -> str:
    """modules/api/cors.tf's template, as Terraform renders it for these origins."""
    heredoc = re.search(
        r"preflight_origin_template = <<-EOT\n(.*?)\n\s*EOT", CORS_TF.read_text(), re.S
    )
    assert heredoc is not None, "the preflight template moved: update this test"
    return textwrap.dedent(heredoc[1]).replace(
        "${jsonencode(var.cors_allowed_origins)}", json.dumps(origins)
    )


def preflight(origin: str | None) -> Request:
    headers = [("Origin", origin)] if origin else []
    return Request("OPTIONS", "/files", [], headers, b"", "127.0.0.1")


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("https://evil.example.com", None),
        ("https://app.example.com.evil.example", None),
        (None, None),
    ],
)
def test_the_preflight_template_allows_listed_origins_only(
    origin: str | None, allowed: str | None
) -> None:
    body, override = render_template(preflight_template(ALLOWED), preflight(origin), {})
    assert override["header"].get("Access-Control-Allow-Origin") == allowed
    assert body.strip() == ""  # the template only sets the header: no text leaks into the body


def test_a_lower_case_origin_header_is_read_too() -> None:
    request = Request("OPTIONS", "/", [], [("origin", ALLOWED[0])], b"", "127.0.0.1")
    _, override = render_template(preflight_template(ALLOWED), request, {})
    assert override["header"]["Access-Control-Allow-Origin"] == ALLOWED[0]


# ---------------------------------------------------------------- live

ECHO = """
    import json


    def handler(event, context):
        return {"statusCode": 200, "body": json.dumps({"ok": True})}
"""

# The stack's own gateway responses shape (modules/api/errors.tf) for the ones used here.
NOT_FOUND = '{"error": {"code": "not_found", "message": "no route for this method and path"}}'
BAD_BODY = '{"error": {"code": "invalid_request", "message": $context.error.messageString}}'


@dataclass
class CorsApi:
    url: str


@pytest.fixture(scope="module")
def cors_api(box: Sandbox, role_arn: str) -> CorsApi:
    lam, ag = box.client("lambda"), box.client("apigateway")
    function_arn = lam.create_function(
        FunctionName=unique("cors"),
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": ECHO})},
        Timeout=10,
    )["FunctionArn"]
    api = ag.create_rest_api(name=unique("cors"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    files = ag.create_resource(restApiId=api, parentId=root, pathPart="files")["id"]
    validator = ag.create_request_validator(restApiId=api, name="body", validateRequestBody=True)
    ag.create_model(
        restApiId=api,
        name="Upload",
        contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["name"]}),
    )
    ag.put_method(
        restApiId=api,
        resourceId=files,
        httpMethod="POST",
        authorizationType="NONE",
        requestValidatorId=validator["id"],
        requestModels={"application/json": "Upload"},
    )
    ag.put_integration(
        restApiId=api,
        resourceId=files,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    ag.put_method(restApiId=api, resourceId=files, httpMethod="OPTIONS", authorizationType="NONE")
    ag.put_integration(
        restApiId=api,
        resourceId=files,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    ag.put_method_response(restApiId=api, resourceId=files, httpMethod="OPTIONS", statusCode="200")
    ag.put_integration_response(
        restApiId=api,
        resourceId=files,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
            "method.response.header.Vary": "'Origin'",
        },
        responseTemplates={"application/json": preflight_template(ALLOWED)},
    )
    for response_type, status, template in (
        ("MISSING_AUTHENTICATION_TOKEN", "404", NOT_FOUND),
        ("BAD_REQUEST_BODY", "400", BAD_BODY),
    ):
        ag.put_gateway_response(
            restApiId=api,
            responseType=response_type,
            statusCode=status,
            responseTemplates={"application/json": template},
        )
    ag.create_deployment(restApiId=api, stageName="v1")
    return CorsApi(url=f"{box.settings.api_endpoint}/{api}/v1")


def test_a_preflight_names_an_allowed_origin_only(cors_api: CorsApi) -> None:
    allowed = requests.options(f"{cors_api.url}/files", headers={"Origin": ALLOWED[1]}, timeout=30)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED[1]
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert not allowed.text.strip()  # the template ran: none of its text is the body
    other = requests.options(
        f"{cors_api.url}/files", headers={"Origin": "https://evil.example"}, timeout=30
    )
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


def raw(
    url: str, method: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """One request through http.client: any method, any body, the raw answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, parts.path, body=body, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, reply.getheader("Content-Type") or "", reply.read()
    finally:
        connection.close()


def test_deeply_nested_json_is_an_invalid_body_not_a_dropped_connection(
    cors_api: CorsApi,
) -> None:
    nested = b"[" * 5000 + b"]" * 5000
    status, content_type, body = raw(
        f"{cors_api.url}/files", "POST", nested, {"Content-Type": "application/json"}
    )
    assert (status, content_type) == (400, "application/json")
    assert json.loads(body) == {
        "error": {"code": "invalid_request", "message": "Invalid request body"}
    }


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "BREW", "PROPFIND"])
def test_methods_a_rest_api_cannot_have_get_the_json_404(cors_api: CorsApi, method: str) -> None:
    status, content_type, body = raw(f"{cors_api.url}/files", method)
    assert (status, content_type) == (404, "application/json")
    assert json.loads(body) == json.loads(NOT_FOUND)


def test_a_malformed_request_is_answered_in_json(cors_api: CorsApi) -> None:
    status, content_type, body = raw(
        f"{cors_api.url}/files", "POST", b"{}", {"Content-Length": "many"}
    )
    assert (status, content_type) == (400, "application/json")
    assert "message" in json.loads(body)
