"""modules/console: the web console's routes on the stack's API, its logs-only function,
the API deployment that includes them, the bucket CORS for the page, and the switch off."""

from __future__ import annotations

import base64
import hashlib

import pytest
from tfplan import DEV, Plan, Scenario, Workspace, statements

MODULE = "console[0]"
# dev without the console, and dev with another path and upload limits.
CONSOLE_OFF = Scenario(DEV.var_file, {"console": {"enabled": False}})
BAD_PATH = Scenario(DEV.var_file, {"console": {"path": "files"}})


@pytest.fixture(scope="module")
def console_off(workspace: Workspace) -> Plan:
    return workspace.plan(CONSOLE_OFF)


@pytest.fixture(scope="module")
def custom(workspace: Workspace) -> Plan:
    return workspace.plan(
        Scenario(
            DEV.var_file,
            {
                "console": {"path": "ui", "zip_path": str(workspace.console_zip)},
                "processing": {"max_image_bytes": 1000, "max_data_bytes": 2000},
            },
        )
    )


def test_two_get_routes_without_api_key(dev: Plan) -> None:
    resources = dev.of_type("aws_api_gateway_resource", MODULE)
    assert {r.name: r.values["path_part"] for r in resources} == {
        "page": "console",
        "asset": "{asset}",
    }
    # /console under the API's root, /console/{asset} under /console.
    assert "var.api.root_resource_id" in dev.references(
        "console", "aws_api_gateway_resource.page", "parent_id"
    )
    assert "module.api.api_root_resource_id" in dev.module_input_references("console", "api")
    methods = dev.by_index("aws_api_gateway_method", "this", MODULE)
    assert set(methods) == {"page", "asset"}
    for key, method in methods.items():
        assert method.values["http_method"] == "GET", key
        assert method.values["authorization"] == "NONE", key
        assert method.values["api_key_required"] is False, key
        assert method.is_unknown("request_validator_id"), key
    assert methods["page"].values["request_parameters"] in (None, {})
    assert methods["asset"].values["request_parameters"] == {"method.request.path.asset": True}
    (validator,) = dev.of_type("aws_api_gateway_request_validator", MODULE)
    assert validator.values["name"] == "console-parameters"
    assert validator.values["validate_request_parameters"] is True


def test_the_data_routes_keep_their_api_key(dev: Plan) -> None:
    for method in dev.by_index("aws_api_gateway_method", "this", "api").values():
        assert method.values["api_key_required"] is True


def test_routes_are_lambda_proxies_to_the_console_function(dev: Plan) -> None:
    integrations = dev.by_index("aws_api_gateway_integration", "this", MODULE)
    assert set(integrations) == {"page", "asset"}
    for key, integration in integrations.items():
        assert integration.values["type"] == "AWS_PROXY", key
        assert integration.values["integration_http_method"] == "POST", key
    assert "aws_lambda_function.this.invoke_arn" in dev.references(
        "console", "aws_api_gateway_integration.this", "uri"
    )


def test_only_this_stage_and_these_routes_may_invoke_it(dev: Plan) -> None:
    permissions = dev.by_index("aws_lambda_permission", "api", MODULE)
    assert set(permissions) == {"page", "asset"}
    for permission in permissions.values():
        assert permission.values["principal"] == "apigateway.amazonaws.com"
        assert permission.values["function_name"] == "fileproc-dev-console"
    expression = dev.config_resource("console", "aws_lambda_permission.api")["expressions"]
    references = set(expression["source_arn"]["references"])
    assert {"var.api.execution_arn", "var.stage_name", "var.path_part"} <= references
    assert "module.api.stage_name" in dev.module_input_references("console", "stage_name")


def _hash(path: object) -> str:
    with open(str(path), "rb") as stream:
        return base64.b64encode(hashlib.sha256(stream.read()).digest()).decode()


def test_a_small_function_from_the_console_zip(dev: Plan, workspace: Workspace) -> None:
    function = dev.one("aws_lambda_function", module=MODULE).values
    assert function["function_name"] == "fileproc-dev-console"
    assert function["handler"] == "fileproc_console.handler"
    assert function["runtime"] == "python3.12"
    assert function["architectures"] == ["arm64"]
    assert function["filename"] == str(workspace.console_zip)
    assert function["source_code_hash"] == _hash(workspace.console_zip)
    assert function["memory_size"] == 128
    assert function["timeout"] == 5
    assert function["layers"] in (None, [])
    # The module's defaults, as modules/compute resolves them for the api function.
    api_env = dev.by_index("aws_lambda_function", module="compute")["api"].values["environment"]
    api_vars = api_env[0]["variables"]
    assert function["environment"][0]["variables"] == {
        "BUCKET_NAME": "fileproc-dev-uploads-111111111111",
        "MAX_IMAGE_BYTES": api_vars["MAX_IMAGE_BYTES"],
        "MAX_DOCUMENT_BYTES": api_vars["MAX_DOCUMENT_BYTES"],
        "MAX_DATA_BYTES": api_vars["MAX_DATA_BYTES"],
    }
    (logging,) = function["logging_config"]
    assert logging["log_group"] == "/aws/lambda/fileproc-dev-console"
    group = dev.one("aws_cloudwatch_log_group", module=MODULE).values
    assert group["name"] == "/aws/lambda/fileproc-dev-console"
    assert group["retention_in_days"] == 7


def test_its_role_writes_its_own_logs_and_nothing_else(dev: Plan, prod: Plan) -> None:
    policy = dev.one("aws_iam_role_policy", module=MODULE)
    (statement,) = statements(policy.values["policy"])
    assert statement.actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement.resources == {
        "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/fileproc-dev-console:*"
    }
    assert dev.one("aws_iam_role", module=MODULE).values["name"] == "fileproc-dev-console"
    # prod: its environment and logs under the stack's key, which it may decrypt.
    function = prod.one("aws_lambda_function", module=MODULE)
    assert function.is_unknown("kms_key_arn")
    assert prod.one("aws_cloudwatch_log_group", module=MODULE).is_unknown("kms_key_id")
    assert prod.one("aws_iam_role_policy", module=MODULE).is_unknown("policy")


def test_the_api_deployment_includes_the_console(dev: Plan, console_off: Plan) -> None:
    # The deployment hashes the console's routes (known at plan time) and waits for them
    # through the module output it reads.
    on = dev.one("aws_api_gateway_deployment").values["triggers"]["redeployment"]
    off = console_off.one("aws_api_gateway_deployment").values["triggers"]["redeployment"]
    assert on != off
    assert "var.deployment_triggers" in dev.references(
        "api", "aws_api_gateway_deployment.this", "triggers"
    )
    assert "module.console[0].deployment_trigger" in dev.module_input_references(
        "api", "deployment_triggers"
    )
    output = dev.raw["configuration"]["root_module"]["module_calls"]["console"]["module"]
    depends_on = set(output["outputs"]["deployment_trigger"]["depends_on"])
    module_api_resources = {
        r["address"]
        for r in output["resources"]
        if r["mode"] == "managed"
        and r["type"].startswith("aws_api_gateway_")
        and r["type"] != "aws_api_gateway_request_validator"
    }
    assert module_api_resources <= depends_on
    assert "aws_api_gateway_request_validator.this" in depends_on


def test_the_console_url_output(dev: Plan, console_off: Plan) -> None:
    assert dev.raw["output_changes"]["console_url"]["after_unknown"] is True
    assert console_off.output("console_url") is None


def test_switched_off_there_is_no_console(console_off: Plan) -> None:
    assert not [r.address for r in console_off.resources if r.module.startswith("console")]
    (rule,) = console_off.one("aws_s3_bucket_cors_configuration").values["cors_rule"]
    assert "allowed_origins" in rule  # the configured origins only, known at plan time


def test_path_and_limits_reach_the_function(custom: Plan) -> None:
    resources = custom.of_type("aws_api_gateway_resource", MODULE)
    assert {r.name: r.values["path_part"] for r in resources}["page"] == "ui"
    variables = custom.one("aws_lambda_function", module=MODULE).values["environment"][0][
        "variables"
    ]
    assert variables["MAX_IMAGE_BYTES"] == "1000"
    assert variables["MAX_DATA_BYTES"] == "2000"


def test_the_api_path_cannot_be_taken(workspace: Workspace) -> None:
    error = workspace.plan_error(BAD_PATH)
    assert "path_part must be 1..31 lowercase letters, digits and hyphens" in error
    assert 'not "files"' in error
