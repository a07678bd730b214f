"""The API front serves a REST API as deployed in the emulator, as API Gateway would.

The live tests build a small API through the API Gateway API (what Terraform
does), with an echo function that returns the proxy event it received.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sandbox_helpers import Sandbox, unique, wait_for, zip_of

from fileproc_sandbox.api_front import (
    Api,
    GatewayError,
    Method,
    Request,
    gateway_response,
    proxy_response,
)

# ---------------------------------------------------------------- pure parts


def method(path: str, verb: str = "GET") -> Method:
    return Method("r", path, verb, False, {}, {}, None, {"type": "AWS_PROXY"})


def api_with(*paths: str, responses: dict[str, Any] | None = None) -> Api:
    routes = [
        (tuple(p for p in path.split("/") if p), {"GET": method(path), "ANY": method(path, "ANY")})
        for path in paths
    ]
    return Api("id", "us-east-1", (), {"v1": {}}, routes, {}, {}, responses or {}, {}, {})


def request(path: str = "/", **headers: str) -> Request:
    return Request("GET", path, [], list(headers.items()), b"", "127.0.0.1")


@pytest.mark.parametrize(
    ("path", "resource", "params"),
    [
        ("/files", "/files", {}),
        ("/files/abc", "/files/{file_id}", {"file_id": "abc"}),
        ("/files/abc/download", "/files/{file_id}/download", {"file_id": "abc"}),
        ("/files/special", "/files/special", {}),  # a literal beats a parameter
        ("/other/deep/path", "/{proxy+}", {"proxy": "other/deep/path"}),
    ],
)
def test_routes_prefer_literals_then_parameters_then_greedy(
    path: str, resource: str, params: dict[str, str]
) -> None:
    api = api_with(
        "/files", "/files/{file_id}", "/files/{file_id}/download", "/files/special", "/{proxy+}"
    )
    found = api.route("GET", [s for s in path.split("/") if s])
    assert found is not None
    assert (found[0].resource_path, found[1]) == (resource, params)


def test_no_route_and_any_method() -> None:
    api = api_with("/files")
    assert api.route("GET", ["nope"]) is None
    found = api.route("DELETE", ["files"])
    assert found is not None
    assert found[0].http_method == "ANY"


def test_proxy_responses_become_http() -> None:
    response = proxy_response(
        {
            "statusCode": "201",
            "headers": {"Content-Type": "image/png"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.status == 201
    assert response.body == b"\x89PNG"
    assert ("Set-Cookie", "b=2") in response.headers
    with pytest.raises(GatewayError):
        proxy_response("not a dict")
    with pytest.raises(GatewayError):
        proxy_response({"statusCode": "teapot"})


def test_gateway_responses_render_their_templates_and_headers() -> None:
    configured = {
        "THROTTLED": {
            "statusCode": "429",
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
                "gatewayresponse.header.X-Echo": "method.request.header.X-Trace",
            },
            "responseTemplates": {
                "application/json": '{"error": {"code": "$context.error.responseType", '
                '"message": $context.error.messageString, "id": "$context.requestId"}}'
            },
        }
    }
    response = gateway_response(
        api_with("/", responses=configured),
        GatewayError("THROTTLED"),
        request(**{"X-Trace": "t-1"}),
        "req-1",
    )
    assert response.status == 429
    assert json.loads(response.body) == {
        "error": {"code": "THROTTLED", "message": "Too Many Requests", "id": "req-1"}
    }
    assert ("Access-Control-Allow-Origin", "*") in response.headers
    assert ("X-Echo", "t-1") in response.headers
    default = gateway_response(None, GatewayError("INVALID_API_KEY"), request(), "r")
    assert (default.status, json.loads(default.body)) == (403, {"message": "Forbidden"})


# ---------------------------------------------------------------- live

ECHO = """
    import base64
    import json


    def handler(event, context):
        if event["pathParameters"] and event["pathParameters"].get("item_id") == "crash":
            raise RuntimeError("crash")
        if event["pathParameters"] and event["pathParameters"].get("item_id") == "bad":
            return {"statusCode": "not a number"}
        if event["pathParameters"] and event["pathParameters"].get("item_id") == "png":
            return {
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"PNG-BYTES").decode(),
                "isBase64Encoded": True,
            }
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"X-Multi": ["1", "2"]},
            "body": json.dumps(event),
        }
"""


@dataclass
class DeployedApi:
    url: str
    key: str
    other_key: str
    function_arn: str


@pytest.fixture(scope="module")
def deployed(box: Sandbox, role_arn: str) -> DeployedApi:
    lam, ag = box.client("lambda"), box.client("apigateway")
    function_arn = lam.create_function(
        FunctionName=unique("echo"),
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": ECHO})},
        Timeout=10,
    )["FunctionArn"]
    uri = (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    api = ag.create_rest_api(name=unique("api"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    items = ag.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = ag.create_resource(restApiId=api, parentId=items, pathPart="{item_id}")["id"]
    validator = ag.create_request_validator(
        restApiId=api, name="all", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    ag.create_model(
        restApiId=api,
        name="NewItem",
        contentType="application/json",
        schema=json.dumps(
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
        ),
    )
    for resource, verb, extra in (
        (item, "GET", {}),
        (
            items,
            "POST",
            {
                "requestValidatorId": validator,
                "requestModels": {"application/json": "NewItem"},
                "requestParameters": {"method.request.querystring.mode": True},
            },
        ),
    ):
        ag.put_method(
            restApiId=api,
            resourceId=resource,
            httpMethod=verb,
            authorizationType="NONE",
            apiKeyRequired=True,
            **extra,
        )
        ag.put_integration(
            restApiId=api,
            resourceId=resource,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    ag.put_method(restApiId=api, resourceId=items, httpMethod="OPTIONS", authorizationType="NONE")
    ag.put_integration(
        restApiId=api,
        resourceId=items,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    ag.put_integration_response(
        restApiId=api,
        resourceId=items,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": "'*'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
        },
    )
    ag.create_deployment(restApiId=api, stageName="v1")
    key = ag.create_api_key(name=unique("key"), enabled=True)
    other = ag.create_api_key(name=unique("other"), enabled=True)  # in no usage plan
    plan = ag.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": api, "stage": "v1"}],
        throttle={"rateLimit": 100, "burstLimit": 200},
    )
    ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return DeployedApi(
        url=f"{box.settings.api_endpoint}/{api}/v1",
        key=key["value"],
        other_key=other["value"],
        function_arn=function_arn,
    )


def test_a_proxy_event_of_payload_version_1(deployed: DeployedApi) -> None:
    reply = requests.get(
        f"{deployed.url}/items/42?tag=a&tag=b",
        headers={"x-api-key": deployed.key, "X-Custom": "yes"},
        timeout=30,
    )
    assert reply.status_code == 200
    assert reply.headers["X-Multi"] == "1, 2"
    event = reply.json()
    assert event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "42"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["headers"]["X-Custom"] == "yes"
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/items/42"
    assert context["resourcePath"] == "/items/{item_id}"
    assert context["identity"]["apiKey"] == deployed.key
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_api_keys_are_checked_against_keys_and_usage_plans(deployed: DeployedApi) -> None:
    for headers in ({}, {"x-api-key": "wrong"}, {"x-api-key": deployed.other_key}):
        reply = requests.get(f"{deployed.url}/items/1", headers=headers, timeout=30)
        assert (reply.status_code, reply.json()) == (403, {"message": "Forbidden"})
    unknown = requests.get(
        f"{deployed.url}/nothing", headers={"x-api-key": deployed.key}, timeout=30
    )
    assert (unknown.status_code, unknown.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )


def test_request_validation_mock_integrations_and_failures(deployed: DeployedApi) -> None:
    key = {"x-api-key": deployed.key}
    missing = requests.post(f"{deployed.url}/items", headers=key, json={"name": "x"}, timeout=30)
    assert missing.status_code == 400
    assert missing.json() == {"message": "Missing required request parameters: [mode]"}
    invalid = requests.post(
        f"{deployed.url}/items?mode=1", headers=key, json={"name": 5}, timeout=30
    )
    assert (invalid.status_code, invalid.json()) == (400, {"message": "Invalid request body"})
    valid = requests.post(
        f"{deployed.url}/items?mode=1", headers=key, json={"name": "x"}, timeout=30
    )
    assert json.loads(valid.json()["body"]) == {"name": "x"}

    preflight = requests.options(f"{deployed.url}/items", timeout=30)
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"

    png = requests.get(f"{deployed.url}/items/png", headers=key, timeout=30)
    assert png.content == b"PNG-BYTES"
    for broken in ("crash", "bad"):
        reply = requests.get(f"{deployed.url}/items/{broken}", headers=key, timeout=30)
        assert (reply.status_code, reply.json()) == (502, {"message": "Internal server error"})


def test_usage_plan_throttle_and_quota(box: Sandbox, deployed: DeployedApi) -> None:
    ag = box.client("apigateway")
    api_id = deployed.url.rsplit("/", 2)[-2]
    plan = ag.create_usage_plan(
        name=unique("tight"),
        apiStages=[{"apiId": api_id, "stage": "v1"}],
        throttle={"rateLimit": 0.001, "burstLimit": 2},
    )
    key = ag.create_api_key(name=unique("tight"), enabled=True)
    ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    quota_plan = ag.create_usage_plan(
        name=unique("quota"),
        apiStages=[{"apiId": api_id, "stage": "v1"}],
        quota={"limit": 1, "period": "DAY"},
    )
    quota_key = ag.create_api_key(name=unique("quota"), enabled=True)
    ag.create_usage_plan_key(usagePlanId=quota_plan["id"], keyId=quota_key["id"], keyType="API_KEY")

    def status(api_key: str) -> int:
        reply = requests.get(f"{deployed.url}/items/1", headers={"x-api-key": api_key}, timeout=30)
        return reply.status_code

    # The catalog is re-read after its TTL; the new keys appear within seconds.
    wait_for(lambda: status(key["value"]) == 200)
    statuses = [status(key["value"]) for _ in range(3)]
    assert statuses[-1] == 429  # the burst of 2 is spent, the rate refills nothing here
    wait_for(lambda: status(quota_key["value"]) != 403)
    assert status(quota_key["value"]) == 429
