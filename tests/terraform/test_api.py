"""modules/api: routes, validation, CORS, keys and throttling, stage, logs, deployment."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from tfplan import Plan

from fileproc.api.errors import ApiError, BadRequest, NotFound, UnsupportedMediaType
from fileproc.api.models import MAX_UPLOAD_BYTES

pytestmark = pytest.mark.terraform

ROUTES = {
    "list_files": ("GET", "files"),
    "create_file": ("POST", "files"),
    "get_file": ("GET", "file"),
    "download_file": ("GET", "download"),
}


def test_regional_rest_api_with_the_four_paths(dev: Plan) -> None:
    api = dev.one("aws_api_gateway_rest_api").values
    assert api["name"] == "fileproc-dev-api"
    assert api["endpoint_configuration"][0]["types"] == ["REGIONAL"]
    assert api["api_key_source"] == "HEADER"
    paths = {r.name: r.values["path_part"] for r in dev.of_type("aws_api_gateway_resource", "api")}
    assert paths == {"files": "files", "file": "{file_id}", "download": "download"}
    # /files/{file_id}/download: each resource hangs under the previous one.
    assert "aws_api_gateway_resource.files.id" in dev.references(
        "api", "aws_api_gateway_resource.file", "parent_id"
    )
    assert "aws_api_gateway_resource.file.id" in dev.references(
        "api", "aws_api_gateway_resource.download", "parent_id"
    )


def test_methods_need_an_api_key_and_validate_their_input(dev: Plan) -> None:
    methods = dev.by_index("aws_api_gateway_method", "this", "api")
    assert {k: m.values["http_method"] for k, m in methods.items()} == {
        k: method for k, (method, _) in ROUTES.items()
    }
    for key, method in methods.items():
        assert method.values["api_key_required"] is True, key
        assert method.values["authorization"] == "NONE", key
        assert method.is_unknown("request_validator_id"), key  # set, to a validator made here
    assert methods["list_files"].values["request_parameters"] == {
        f"method.request.querystring.{q}": False
        for q in ("status", "category", "limit", "next_token")
    }
    assert methods["get_file"].values["request_parameters"] == {"method.request.path.file_id": True}
    # ?artefact=thumbnail|text: a presigned GET of a derived artefact instead.
    assert methods["download_file"].values["request_parameters"] == {
        "method.request.path.file_id": True,
        "method.request.querystring.artefact": False,
    }
    assert methods["create_file"].values["request_models"] == {
        "application/json": "CreateFileRequest"
    }
    validators = {
        v.values["name"]: (
            v.values["validate_request_parameters"],
            v.values["validate_request_body"],
        )
        for v in dev.of_type("aws_api_gateway_request_validator", "api")
    }
    assert validators == {"parameters": (True, False), "parameters-and-body": (True, True)}


def test_create_file_body_model_matches_the_api(dev: Plan) -> None:
    schema = json.loads(dev.one("aws_api_gateway_model").values["schema"])
    assert schema["required"] == ["filename", "content_type", "size"]
    assert schema["properties"]["size"] == {
        "type": "number",
        "multipleOf": 1,
        "minimum": 1,
        "maximum": MAX_UPLOAD_BYTES,
    }
    # Draft 4, as API Gateway validates: 12.0 passes as the API takes it, 12.5 does not.
    validator = jsonschema.Draft4Validator(schema["properties"]["size"])
    assert validator.is_valid(12.0)
    assert validator.is_valid(MAX_UPLOAD_BYTES)
    assert not validator.is_valid(12.5)
    assert not validator.is_valid(MAX_UPLOAD_BYTES + 1)
    assert schema["additionalProperties"] is False


def test_every_method_is_a_lambda_proxy_to_the_api_function(dev: Plan) -> None:
    integrations = dev.by_index("aws_api_gateway_integration", "this", "api")
    assert set(integrations) == set(ROUTES)
    for key, integration in integrations.items():
        assert integration.values["type"] == "AWS_PROXY", key
        assert integration.values["integration_http_method"] == "POST", key
        assert integration.is_unknown("uri"), key
    assert "var.function_invoke_arn" in dev.references(
        "api", "aws_api_gateway_integration.this", "uri"
    )
    assert "module.compute.api_function_invoke_arn" in dev.module_input_references(
        "api", "function_invoke_arn"
    )


def test_lambda_permission_is_scoped_to_this_api(dev: Plan) -> None:
    permission = dev.one("aws_lambda_permission", module="api")
    assert permission.values["function_name"] == "fileproc-dev-api"
    assert permission.values["principal"] == "apigateway.amazonaws.com"
    assert permission.values["action"] == "lambda:InvokeFunction"
    assert permission.is_unknown("source_arn")
    config = dev.config_resource("api", "aws_lambda_permission.api")
    assert (
        "aws_api_gateway_rest_api.this.execution_arn"
        in config["expressions"]["source_arn"]["references"]
    )


# --- CORS ---------------------------------------------------------------------------


def test_preflight_is_answered_without_key_or_function(dev: Plan) -> None:
    options = dev.by_index("aws_api_gateway_method", "options")
    assert set(options) == {"files", "file", "download"}
    for method in options.values():
        assert method.values["http_method"] == "OPTIONS"
        assert method.values["api_key_required"] is False
    for integration in dev.by_index("aws_api_gateway_integration", "options").values():
        assert integration.values["type"] == "MOCK"
    responses = dev.by_index("aws_api_gateway_integration_response", "options")
    methods = {
        key: r.values["response_parameters"]["method.response.header.Access-Control-Allow-Methods"]
        for key, r in responses.items()
    }
    assert methods == {
        "files": "'GET,POST,OPTIONS'",
        "file": "'GET,OPTIONS'",
        "download": "'GET,OPTIONS'",
    }
    for response in responses.values():
        headers = response.values["response_parameters"]
        assert "X-Api-Key" in headers["method.response.header.Access-Control-Allow-Headers"]


def test_preflight_names_only_listed_origins(dev: Plan, sandbox: Plan) -> None:
    for response in dev.by_index("aws_api_gateway_integration_response", "options").values():
        values = response.values
        # A list of origins: the template echoes the caller's origin if listed.
        assert (
            "method.response.header.Access-Control-Allow-Origin"
            not in values["response_parameters"]
        )
        template = values["response_templates"]["application/json"]
        assert '["http://localhost:3000","https://dev.app.example.com"].contains($origin)' in (
            template
        )
        assert "responseOverride.header.Access-Control-Allow-Origin" in template
    for response in sandbox.by_index("aws_api_gateway_integration_response", "options").values():
        headers = response.values["response_parameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"


# API Gateway's own errors: response type -> (status, code); None keeps the type's status.
GATEWAY_ERRORS = {
    "DEFAULT_4XX": (None, ApiError.code),
    "DEFAULT_5XX": (None, "internal_error"),
    "BAD_REQUEST_BODY": ("400", BadRequest.code),
    "BAD_REQUEST_PARAMETERS": ("400", BadRequest.code),
    "INVALID_API_KEY": ("403", "forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", NotFound.code),
    "THROTTLED": ("429", "too_many_requests"),
    "QUOTA_EXCEEDED": ("429", "quota_exceeded"),
    "REQUEST_TOO_LARGE": ("413", "request_too_large"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", UnsupportedMediaType.code),
    "INTEGRATION_TIMEOUT": ("504", "gateway_timeout"),
}


def _render(template: str) -> dict:
    """The body API Gateway sends: $context.error.messageString is a quoted JSON string."""
    return json.loads(template.replace("$context.error.messageString", '"Invalid request body"'))


def test_gateway_errors_use_the_apis_error_shape_and_codes(dev: Plan) -> None:
    responses = dev.by_index("aws_api_gateway_gateway_response")
    assert set(responses) == set(GATEWAY_ERRORS)
    for response_type, response in responses.items():
        status, code = GATEWAY_ERRORS[response_type]
        assert response.values["status_code"] == status, response_type
        body = _render(response.values["response_templates"]["application/json"])
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message"}
        assert body["error"]["code"] == code, response_type
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code  # snake_case, as the function's
        assert body["error"]["message"], response_type
    # Where API Gateway's message says the wrong thing here, the API says its own.
    messages = {
        t: _render(r.values["response_templates"]["application/json"])["error"]["message"]
        for t, r in responses.items()
    }
    assert "API key" in messages["INVALID_API_KEY"]
    assert "no route" in messages["MISSING_AUTHENTICATION_TOKEN"]
    # API Gateway's own message names the missing parameter.
    assert (
        "$context.error.messageString"
        in (responses["BAD_REQUEST_PARAMETERS"].values["response_templates"]["application/json"])
    )


def test_gateway_errors_carry_cors_headers(dev: Plan, sandbox: Plan) -> None:
    for response in dev.by_index("aws_api_gateway_gateway_response").values():
        headers = response.values["response_parameters"]
        # Never the caller's Origin echoed (a gateway response cannot compare it
        # with the list): the first listed origin, fixed.
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == (
            "'http://localhost:3000'"
        )
        assert "method.request.header.origin" not in headers.values()
        assert "X-Api-Key" in headers["gatewayresponse.header.Access-Control-Allow-Headers"]
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"
    for response in sandbox.by_index("aws_api_gateway_gateway_response").values():
        headers = response.values["response_parameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


# --- keys, usage plan ---------------------------------------------------------------------


def test_api_key_and_usage_plan_throttling(dev: Plan, variant: Plan) -> None:
    assert dev.one("aws_api_gateway_api_key").values["enabled"] is True
    assert dev.one("aws_api_gateway_usage_plan_key").values["key_type"] == "API_KEY"
    plan = dev.one("aws_api_gateway_usage_plan").values
    assert plan["throttle_settings"] == [{"burst_limit": 200, "rate_limit": 100}]
    assert plan["quota_settings"] == []
    assert plan["api_stages"][0]["stage"] == "v1"
    plan = variant.one("aws_api_gateway_usage_plan").values
    assert plan["throttle_settings"] == [{"burst_limit": 80, "rate_limit": 50}]


def test_an_api_key_managed_outside_terraform(dev: Plan, variant: Plan) -> None:
    # dev: the key is created here; its value is known only after apply (and
    # then sits in the state, as the README says).
    assert dev.count("aws_api_gateway_api_key") == 1
    assert dev.raw["output_changes"]["api_key_value"]["after_unknown"] is True
    # variant: an existing key's id goes into the usage plan; no key, no value.
    assert variant.count("aws_api_gateway_api_key") == 0
    assert variant.one("aws_api_gateway_usage_plan_key").values["key_id"] == "a1b2c3d4e5"
    assert variant.output("api_key_id") == "a1b2c3d4e5"
    assert variant.output("api_key_value") is None


@pytest.mark.parametrize(("env", "limit"), [("staging", 100000), ("prod", 1000000)])
def test_optional_quota(all_plans: dict[str, Plan], env: str, limit: int) -> None:
    plan = all_plans[env].one("aws_api_gateway_usage_plan").values
    assert plan["quota_settings"] == [{"limit": limit, "offset": 0, "period": "MONTH"}]


# --- stage, logs, deployment ------------------------------------------------------------


def test_stage_traces_and_writes_json_access_logs(dev: Plan) -> None:
    stage = dev.one("aws_api_gateway_stage")
    assert stage.values["stage_name"] == "v1"
    assert stage.values["xray_tracing_enabled"] is True
    (access,) = stage.values["access_log_settings"]
    fields = json.loads(access["format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    assert fields["apiKeyId"] == "$context.identity.apiKeyId"
    assert "aws_cloudwatch_log_group.access.arn" in dev.references(
        "api", "aws_api_gateway_stage.this", "access_log_settings"
    )
    group = dev.one("aws_cloudwatch_log_group", "access").values
    assert group["name"] == "/aws/apigateway/fileproc-dev-api/access"
    assert group["retention_in_days"] == 7


@pytest.mark.parametrize(("env", "level"), [("dev", "INFO"), ("prod", "ERROR")])
def test_method_metrics_and_logging(all_plans: dict[str, Plan], env: str, level: str) -> None:
    settings = all_plans[env].one("aws_api_gateway_method_settings").values
    assert settings["method_path"] == "*/*"
    (values,) = settings["settings"]
    assert values["metrics_enabled"] is True
    assert values["logging_level"] == level
    assert values["data_trace_enabled"] is False


def test_api_gateway_can_write_its_logs(dev: Plan) -> None:
    account = dev.one("aws_api_gateway_account")
    assert "aws_iam_role.logging[0].arn" in dev.references(
        "api", "aws_api_gateway_account.this", "cloudwatch_role_arn"
    )
    assert account.is_unknown("cloudwatch_role_arn")
    execution = dev.one("aws_cloudwatch_log_group", "execution")
    assert execution.values["retention_in_days"] == 7


# What a deployment snapshots: the configuration of these resources (every
# resource of the module whose type is not in NOT_SNAPSHOTTED).
DEPLOYED = (
    "aws_api_gateway_resource.files",
    "aws_api_gateway_resource.file",
    "aws_api_gateway_resource.download",
    "aws_api_gateway_request_validator.parameters",
    "aws_api_gateway_request_validator.body",
    "aws_api_gateway_model.create_file",
    "aws_api_gateway_method.this",
    "aws_api_gateway_integration.this",
    "aws_api_gateway_method.options",
    "aws_api_gateway_integration.options",
    "aws_api_gateway_method_response.options",
    "aws_api_gateway_integration_response.options",
    "aws_api_gateway_gateway_response.this",
)
# The API's resource types that a deployment does not snapshot: the API it is
# made in, the deployment itself, what serves or uses it (stage, method settings,
# API key and usage plan), and the account setting. Any other aws_api_gateway_*
# type is part of the API's definition, so a deployment must wait for it.
NOT_SNAPSHOTTED = {
    "aws_api_gateway_rest_api",
    "aws_api_gateway_deployment",
    "aws_api_gateway_stage",
    "aws_api_gateway_method_settings",
    "aws_api_gateway_api_key",
    "aws_api_gateway_usage_plan",
    "aws_api_gateway_usage_plan_key",
    "aws_api_gateway_account",
}
# Inputs of those resources that are not configuration: the ids of other
# resources, and the integration URI (the invoke ARN of var.function_name).
NOT_HASHED = {"local.resource_ids", "local.validator_ids", "var.function_invoke_arn"}


def _roots(references: set[str]) -> set[str]:
    """local.x.y and var.x[0] -> local.x, var.x; only locals and variables."""
    return {
        ".".join(r.split("[")[0].split(".")[:2])
        for r in references
        if r.startswith(("local.", "var."))
    }


def test_deployment_trigger_hashes_configuration_only(dev: Plan, sandbox: Plan) -> None:
    # Known at plan time, so made of configuration alone: a hash of the
    # resources' state changed at every plan (the provider stores an empty map
    # as null at apply and {} on refresh), replacing the deployment each time.
    triggers = {}
    for name, plan in (("dev", dev), ("sandbox", sandbox)):
        deployment = plan.one("aws_api_gateway_deployment")
        assert deployment.unknown.get("triggers") in (None, False, {}), name
        triggers[name] = deployment.values["triggers"]["redeployment"]
        assert re.fullmatch(r"[0-9a-f]{40}", triggers[name]), name
    # Other origins, other CORS answers: another deployment.
    assert triggers["dev"] != triggers["sandbox"]
    references = dev.references("api", "aws_api_gateway_deployment.this", "triggers")
    assert not [r for r in references if r.startswith("aws_")]


@pytest.mark.parametrize("address", DEPLOYED)
def test_every_setting_of_the_api_reaches_the_deployment_trigger(dev: Plan, address: str) -> None:
    # A setting written as a literal in a resource, or read from a local the
    # trigger does not hash, would change the API without a new deployment:
    # the stage would go on serving the old snapshot.
    config = dev.config_resource("api", address)
    literals = {
        name
        for name, expression in config["expressions"].items()
        if isinstance(expression, dict) and "constant_value" in expression
    }
    assert literals <= {"description"}, f"{address}: literal {sorted(literals)}"
    hashed = _roots(dev.references("api", "aws_api_gateway_deployment.this", "triggers"))
    read = _roots(_all_references(config["expressions"])) - NOT_HASHED
    # Made from hashed values only: the origins and the preflight headers.
    derived = {"local.any_origin", "local.allow_headers", "local.preflight_header_names"}
    assert read - derived <= hashed, f"{address} reads {sorted(read - derived - hashed)}"


def _all_references(expressions: dict) -> set[str]:
    found: set[str] = set()
    stack: list[object] = [expressions]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(item.get("references", []))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _snapshotted(plan: Plan) -> set[str]:
    """Addresses of the api module's resources whose types a deployment snapshots."""
    module = plan.raw["configuration"]["root_module"]["module_calls"]["api"]["module"]
    return {
        resource["address"]
        for resource in module["resources"]
        if resource["mode"] == "managed"
        and resource["type"].startswith("aws_api_gateway_")
        and resource["type"] not in NOT_SNAPSHOTTED
    }


def test_every_snapshotted_resource_has_its_settings_checked(dev: Plan) -> None:
    # DEPLOYED drives the trigger test above: a resource added to the module
    # must be added there too, so that its settings reach the hash.
    assert _snapshotted(dev) == set(DEPLOYED)


def test_deployment_waits_for_everything_it_snapshots(dev: Plan) -> None:
    # Nothing else orders them: the deployment refers to the API and to locals
    # only. Made in parallel with the methods, a fresh apply fails on AWS ("The
    # REST API doesn't contain any methods", "No integration defined for
    # method"), and an update can snapshot before a change lands, with a
    # trigger that already matches, so it is never deployed.
    config = dev.config_resource("api", "aws_api_gateway_deployment.this")
    missing = _snapshotted(dev) - set(config.get("depends_on", []))
    assert not missing, f"the deployment does not depend on {sorted(missing)}"


def test_stage_serves_the_current_deployment(dev: Plan) -> None:
    assert "aws_api_gateway_deployment.this.id" in dev.references(
        "api", "aws_api_gateway_stage.this", "deployment_id"
    )
