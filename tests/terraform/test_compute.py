"""modules/compute: the layer, the four functions, their settings, logs and environment."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from tfplan import DEV, Plan, Scenario, Workspace, contract_environment_variables

from fileproc.config import Settings

pytestmark = pytest.mark.terraform

ROLES = ("image", "document", "data", "api")
PROCESSORS = ("image", "document", "data")


def _functions(plan: Plan) -> dict[str, dict]:
    return {
        key: r.values for key, r in plan.by_index("aws_lambda_function", module="compute").items()
    }


def _hash(path: object) -> str:
    with open(str(path), "rb") as stream:
        return base64.b64encode(hashlib.sha256(stream.read()).digest()).decode()


def test_a_layer_per_zip_for_the_runtime_and_architecture(
    env_plan: tuple[str, Plan], workspace: Workspace
) -> None:
    env, plan = env_plan
    by_key = plan.by_index("aws_lambda_layer_version", module="compute")
    layers = {key: r.values for key, r in by_key.items()}
    assert set(layers) == set(workspace.layer_zips)
    architecture = "x86_64" if env == "sandbox" else "arm64"
    for name, layer in layers.items():
        assert layer["layer_name"] == f"fileproc-{env}-deps-{name}"
        assert layer["compatible_runtimes"] == ["python3.12"]
        assert layer["compatible_architectures"] == [architecture]
        assert layer["filename"] == str(workspace.layer_zips[name])
        assert layer["source_code_hash"] == _hash(workspace.layer_zips[name])
    assert "every fileproc function" in layers["common"]["description"]
    assert "fileproc data function only" in layers["data"]["description"]


def test_each_function_gets_the_common_layer_then_its_own(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    assert plan.output("function_layer_names") == {
        role: [f"fileproc-{env}-deps-common", f"fileproc-{env}-deps-{role}"] for role in ROLES
    }
    references = plan.references("compute", "aws_lambda_function.this", "layers")
    assert "aws_lambda_layer_version.this" in references


def test_a_function_without_a_layer_of_its_own_gets_the_common_one(
    workspace: Workspace,
) -> None:
    only_data = {name: str(workspace.layer_zips[name]) for name in ("common", "data")}
    plan = workspace.plan(Scenario(DEV.var_file, {"layer_zip_paths": only_data}))
    assert plan.output("function_layer_names") == {
        "image": ["fileproc-dev-deps-common"],
        "document": ["fileproc-dev-deps-common"],
        "data": ["fileproc-dev-deps-common", "fileproc-dev-deps-data"],
        "api": ["fileproc-dev-deps-common"],
    }
    assert plan.count("aws_lambda_layer_version") == 2


@pytest.mark.parametrize(
    "layers", [{"data": "x.zip"}, {"common": "x.zip", "pdf": "y.zip"}], ids=["no-common", "pdf"]
)
def test_layer_names_are_common_and_the_functions(
    workspace: Workspace, layers: dict[str, str]
) -> None:
    message = workspace.plan_error(Scenario(DEV.var_file, {"layer_zip_paths": layers}))
    assert "layer_zip_paths needs a common layer" in message


def test_four_functions_with_the_contract_handlers(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    functions = _functions(plan)
    assert set(functions) == set(ROLES)
    architecture = "x86_64" if env == "sandbox" else "arm64"
    for role, function in functions.items():
        assert function["function_name"] == f"fileproc-{env}-{role}"
        assert function["handler"] == f"fileproc.handlers.{role}.handler"
        assert function["runtime"] == "python3.12"
        assert function["architectures"] == [architecture]
    for key, resource in plan.by_index("aws_lambda_function", module="compute").items():
        assert resource.is_unknown("layers"), key  # the layer version made in this plan


def test_functions_use_the_package_zip(dev: Plan, workspace: Workspace) -> None:
    for function in _functions(dev).values():
        assert function["filename"] == str(workspace.function_zip)
        assert function["source_code_hash"] == _hash(workspace.function_zip)


def test_default_memory_and_timeouts_are_the_seeds(dev: Plan) -> None:
    settings = {role: (f["memory_size"], f["timeout"]) for role, f in _functions(dev).items()}
    assert settings == {
        "image": (1024, 120),
        "document": (2048, 300),
        "data": (1024, 300),
        # API Gateway ends an integration after 29 s, one below the seed's 30 s.
        "api": (256, 29),
    }
    for memory, timeout in settings.values():
        assert 256 <= memory <= 2048
        assert 29 <= timeout <= 900


def test_function_settings_reach_the_functions(variant: Plan) -> None:
    document = _functions(variant)["document"]
    assert (document["memory_size"], document["timeout"]) == (3008, 600)


def test_reserved_concurrency_is_optional(dev: Plan, prod: Plan) -> None:
    assert {
        r: f["reserved_concurrent_executions"] for r, f in _functions(dev).items()
    } == dict.fromkeys(ROLES, -1)
    assert {r: f["reserved_concurrent_executions"] for r, f in _functions(prod).items()} == {
        "image": 20,
        "document": 10,
        "data": 10,
        "api": 50,
    }


def test_tracing_and_json_logs_to_the_functions_own_group(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    for role, function in _functions(plan).items():
        assert function["tracing_config"] == [{"mode": "Active"}]
        (logging,) = function["logging_config"]
        assert logging["log_format"] == "JSON"
        assert logging["log_group"] == f"/aws/lambda/fileproc-{env}-{role}"


def test_log_levels(dev: Plan, staging: Plan) -> None:
    assert {f["logging_config"][0]["application_log_level"] for f in _functions(dev).values()} == {
        "DEBUG"
    }
    assert {
        f["logging_config"][0]["application_log_level"] for f in _functions(staging).values()
    } == {"INFO"}


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("staging", 14), ("prod", 90)])
def test_log_group_per_function_with_retention(
    all_plans: dict[str, Plan], env: str, days: int
) -> None:
    groups = all_plans[env].by_index("aws_cloudwatch_log_group", "function")
    assert {key: g.values["name"] for key, g in groups.items()} == {
        role: f"/aws/lambda/fileproc-{env}-{role}" for role in ROLES
    }
    assert {g.values["retention_in_days"] for g in groups.values()} == {days}


def test_log_groups_exist_before_the_functions(dev: Plan) -> None:
    config = dev.config_resource("compute", "aws_lambda_function.this")
    assert "aws_cloudwatch_log_group.function" in config["depends_on"]
    assert "aws_iam_role_policy.function" in config["depends_on"]


def test_environment_is_exactly_the_contract(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    contract = contract_environment_variables()
    assert len(contract) >= 25
    processors_only = {
        n for n, meaning in contract.items() if meaning.startswith("processors only")
    }
    assert processors_only == {"MAX_RECEIVE_COUNT"}
    for role, function in _functions(plan).items():
        (environment,) = function["environment"]
        expected = set(contract) if role in PROCESSORS else set(contract) - processors_only
        assert set(environment["variables"]) == expected, role


@pytest.mark.parametrize(("scenario", "receives"), [("dev", 5), ("sandbox", 3), ("variant", 7)])
def test_processors_know_the_queues_max_receive_count(
    all_plans: dict[str, Plan], scenario: str, receives: int
) -> None:
    plan = all_plans[scenario]
    queues = plan.by_index("aws_sqs_queue", "this")
    for processor in PROCESSORS:
        variables = _functions(plan)[processor]["environment"][0]["variables"]
        redrive = json.loads(queues[processor].values["redrive_policy"])
        assert variables["MAX_RECEIVE_COUNT"] == str(redrive["maxReceiveCount"]) == str(receives)
        assert Settings.from_env(variables).max_receive_count == receives
    assert "MAX_RECEIVE_COUNT" not in _functions(plan)["api"]["environment"][0]["variables"]


def test_environment_loads_in_the_code(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    bucket = plan.one("aws_s3_bucket").values["bucket"]
    table = plan.one("aws_dynamodb_table").values["name"]
    for role, function in _functions(plan).items():
        variables = function["environment"][0]["variables"]
        settings = Settings.from_env(variables)  # fails on anything the code rejects
        assert settings.table_name == table
        assert settings.bucket_name == bucket
        assert settings.environment == env
        assert settings.upload_prefix == "uploads/"
        assert settings.derived_prefix == "derived/"
        assert settings.max_image_bytes == 50 * 1024**2
        assert settings.bedrock_enabled is False
        assert variables["POWERTOOLS_SERVICE_NAME"] == f"fileproc-{role}"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "fileproc"


def test_environment_carries_the_options(dev: Plan, variant: Plan) -> None:
    variables = _functions(dev)["api"]["environment"][0]["variables"]
    assert variables["ALLOWED_ORIGINS"] == "http://localhost:3000,https://dev.app.example.com"
    settings = Settings.from_env(_functions(variant)["document"]["environment"][0]["variables"])
    assert settings.bedrock_enabled is True
    assert settings.bedrock_model_id == "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_vpc_is_optional(dev: Plan, variant: Plan) -> None:
    assert all(f["vpc_config"] == [] for f in _functions(dev).values())
    for function in _functions(variant).values():
        (vpc,) = function["vpc_config"]
        assert vpc["subnet_ids"] == ["subnet-0a1b2c3d"]
        assert vpc["security_group_ids"] == ["sg-0a1b2c3d"]


def test_customer_key_encrypts_environment_and_logs(dev: Plan, prod: Plan) -> None:
    for key, function in prod.by_index("aws_lambda_function").items():
        assert function.is_unknown("kms_key_arn"), key
    groups = prod.of_type("aws_cloudwatch_log_group")
    assert len(groups) == 7  # four functions, the console's, API access and execution logs
    for group in groups:
        assert group.is_unknown("kms_key_id"), group.address
    for values in _functions(dev).values():
        assert values["kms_key_arn"] is None
