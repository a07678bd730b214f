"""The root module: names, tags, region, outputs, backends, and the inputs it refuses."""

from __future__ import annotations

import pytest
from tfplan import DEV, PROD, Plan, Scenario, Workspace, backend_settings

from fileproc_tools.build import ARCH_MACHINE, RUNTIME_PYTHON

pytestmark = pytest.mark.terraform

REQUIRED_TAGS = ("Environment", "Project", "Owner")

# Resources whose name is the stack's own: (type, attribute holding the name).
NAMED = {
    "aws_s3_bucket": "bucket",
    "aws_dynamodb_table": "name",
    "aws_lambda_function": "function_name",
    "aws_lambda_layer_version": "layer_name",
    "aws_iam_role": "name",
    "aws_iam_role_policy": "name",
    "aws_sqs_queue": "name",
    "aws_sns_topic": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_api_gateway_rest_api": "name",
    "aws_api_gateway_usage_plan": "name",
    "aws_api_gateway_api_key": "name",
    "aws_backup_vault": "name",
    "aws_backup_plan": "name",
    "aws_backup_selection": "name",
}


def test_every_name_starts_with_project_and_environment(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    prefix = f"fileproc-{env}-"
    names = [
        (r.address, r.values[attribute])
        for resource_type, attribute in NAMED.items()
        for r in plan.of_type(resource_type)
    ]
    assert len(names) >= 40
    assert [(a, n) for a, n in names if not n.startswith(prefix)] == []
    assert plan.output("name_prefix") == f"fileproc-{env}"
    # Log groups and the key alias carry the prefix after their fixed path.
    for group in plan.of_type("aws_cloudwatch_log_group"):
        assert group.is_unknown("name") or f"fileproc-{env}-" in group.values["name"]
    for alias in plan.of_type("aws_kms_alias"):
        assert alias.values["name"] == f"alias/fileproc-{env}"


def test_role_names_follow_project_environment_role(dev: Plan) -> None:
    assert {r.values["name"] for r in dev.of_type("aws_iam_role")} == {
        "fileproc-dev-image",
        "fileproc-dev-document",
        "fileproc-dev-data",
        "fileproc-dev-api",
        "fileproc-dev-apigateway-logs",
        "fileproc-dev-console",
    }
    assert dev.one("aws_dynamodb_table").values["name"] == "fileproc-dev-files"
    assert dev.one("aws_s3_bucket").values["bucket"] == "fileproc-dev-uploads-111111111111"


def test_every_taggable_resource_has_the_three_tags(
    all_plans: dict[str, Plan], workspace: Workspace
) -> None:
    schema = workspace.provider_schema()
    for scenario, plan in all_plans.items():
        taggable = [
            r for r in plan.resources if "tags_all" in schema[r.type]["block"].get("attributes", {})
        ]
        assert len(taggable) >= 40, scenario
        for resource in taggable:
            assert not resource.is_unknown("tags_all"), resource.address
            tags = resource.values["tags_all"]
            env = "dev" if scenario == "variant" else scenario
            expected = {"Environment": env, "Project": "fileproc"}
            assert {k: tags.get(k) for k in expected} == expected, resource.address
            assert tags.get("Owner"), resource.address


def test_user_tags_are_added_to_the_three(dev: Plan) -> None:
    tags = dev.one("aws_dynamodb_table").values["tags_all"]
    assert tags == {
        "Environment": "dev",
        "Project": "fileproc",
        "Owner": "platform-team",
        "CostCenter": "fileproc-dev",
    }


def test_region_defaults_to_us_east_1_and_follows_the_variable(dev: Plan, variant: Plan) -> None:
    assert dev.output("region") == "us-east-1"
    queue_policy = dev.by_index("aws_sqs_queue_policy")["image"].values["policy"]
    assert ":us-east-1:111111111111:fileproc-dev-image-queue" in queue_policy
    assert variant.output("region") == "eu-west-1"
    queue_policy = variant.by_index("aws_sqs_queue_policy")["image"].values["policy"]
    assert ":eu-west-1:111111111111:fileproc-dev-image-queue" in queue_policy


ROOT_OUTPUTS = {
    "console_url",
    "api_url",
    "api_id",
    "api_stage_name",
    "api_key_id",
    "api_key_value",
    "bucket_name",
    "bucket_arn",
    "table_name",
    "function_names",
    "queue_urls",
    "dlq_urls",
    "alarm_topic_arn",
    "function_layer_names",
    "region",
    "environment",
    "name_prefix",
}


def test_outputs(dev: Plan) -> None:
    assert dev.output_names == ROOT_OUTPUTS
    assert dev.output_is_sensitive("api_key_value")
    assert not dev.output_is_sensitive("api_key_id")
    assert dev.output("function_names") == {
        role: f"fileproc-dev-{role}" for role in ("image", "document", "data", "api")
    }
    assert dev.output("function_layer_names") == {
        role: ["fileproc-dev-deps-common", f"fileproc-dev-deps-{role}"]
        for role in ("image", "document", "data", "api")
    }
    assert dev.output("bucket_name") == "fileproc-dev-uploads-111111111111"
    assert dev.output("table_name") == "fileproc-dev-files"
    assert dev.output("environment") == "dev"
    assert dev.output("api_stage_name") == "v1"
    assert dev.output("alarm_topic_arn") == "arn:aws:sns:us-east-1:111111111111:fileproc-dev-alarms"
    for name in ("queue_urls", "dlq_urls"):
        assert set(dev.raw["output_changes"][name]["after_unknown"]) == {
            "image",
            "document",
            "data",
        }


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_environment_has_its_own_remote_state(env: str) -> None:
    settings = backend_settings(env)
    assert settings["key"] == f"fileproc/{env}/terraform.tfstate"
    assert settings["use_lockfile"] == "true"
    assert settings["encrypt"] == "true"
    assert settings["region"] == "us-east-1"
    assert settings["bucket"]


# --- inputs that must fail the plan ------------------------------------------------
# Terraform reports every invalid variable of a plan, so three failing plans
# cover them all; each bound is broken in a plan where nothing else breaks it.

BAD_DEV = Scenario(
    DEV.var_file,
    {
        "environment": "Dev_1",
        "project": "File Proc",
        "aws_account_id": "12345",
        "tags": {"owner": "someone"},
        "cors_allowed_origins": ["https://app.example.com/"],
        "lambda_runtime": "python3.11",
        "lambda_architecture": "aarch64",
        "functions": {
            "image": {"memory_mb": 64, "reserved_concurrency": 5, "max_concurrency": 10},
            "data": {"memory_mb": 192},
            "api": {"timeout_seconds": 60},
        },
    },
)
BAD_DEV_HIGH = Scenario(
    DEV.var_file, {"environment": "dev-", "functions": {"api": {"memory_mb": 10241}}}
)
BAD_PROD = Scenario(PROD.var_file, {"force_destroy": True, "deletion_protection": False})
# A production environment not named "prod", names too long together, and no
# execution logs: dev's force_destroy and unprotected table become errors.
BAD_PRODUCTION = Scenario(
    DEV.var_file,
    {
        "production": True,
        "project": "fileproc-analytics",
        "environment": "staging-eu-central-1-green",
        "api": {"logging_level": "OFF"},
    },
)


@pytest.fixture(scope="module")
def bad_dev(workspace: Workspace) -> str:
    return workspace.plan_error(BAD_DEV)


@pytest.fixture(scope="module")
def bad_dev_high(workspace: Workspace) -> str:
    return workspace.plan_error(BAD_DEV_HIGH)


@pytest.fixture(scope="module")
def bad_prod(workspace: Workspace) -> str:
    return workspace.plan_error(BAD_PROD)


@pytest.fixture(scope="module")
def bad_production(workspace: Workspace) -> str:
    return workspace.plan_error(BAD_PRODUCTION)


def test_invalid_environment_name_fails(bad_dev: str, bad_dev_high: str) -> None:
    # "Dev_1": capitals and an underscore (the seed's failed deployment);
    # "dev-": a trailing hyphen.
    message = "environment must be 2..32 characters: lowercase letters, digits and hyphens"
    assert message in bad_dev
    assert message in bad_dev_high


def test_invalid_project_and_account_fail(bad_dev: str) -> None:
    assert "project must be 2..32 characters" in bad_dev
    assert "aws_account_id must be the 12-digit AWS account id" in bad_dev


def test_memory_size_out_of_range_fails(bad_dev: str, bad_dev_high: str) -> None:
    message = "memory_mb must be a whole number of MB from 128 to 10240"
    assert message in bad_dev  # image: 64
    assert message in bad_dev_high  # api: 10241


def test_data_function_below_its_engine_memory_fails(bad_dev: str, bad_dev_high: str) -> None:
    # 192 MB is within Lambda's range but leaves DuckDB's child no room.
    assert "functions.data.memory_mb must be at least 256" in bad_dev
    assert "functions.data.memory_mb must be at least 256" not in bad_dev_high


def test_api_timeout_above_api_gateway_limit_fails(bad_dev: str, bad_dev_high: str) -> None:
    assert "functions.api.timeout_seconds must be at most 29" in bad_dev
    assert "timeout_seconds must be at most 29" not in bad_dev_high


def test_max_concurrency_above_reserved_concurrency_fails(bad_dev: str) -> None:
    assert "max_concurrency must not exceed its reserved_concurrency" in bad_dev


def test_reserved_tag_keys_and_bad_origins_fail(bad_dev: str) -> None:
    assert "tags must not set Environment, Project or Owner" in bad_dev
    assert "cors_allowed_origins must be" in bad_dev


def test_runtimes_the_build_does_not_make_fail(bad_dev: str) -> None:
    # python3.11 runs on Amazon Linux 2, whose glibc (2.26) cannot load the
    # layer's manylinux_2_28 wheels: the functions would fail at import.
    assert f"lambda_runtime must be one of {', '.join(sorted(RUNTIME_PYTHON))}" in bad_dev
    assert "Amazon Linux 2" in bad_dev


def test_every_runtime_the_build_makes_is_accepted(all_plans: dict[str, Plan]) -> None:
    runtimes = {
        function.values["runtime"]
        for plan in all_plans.values()
        for function in plan.of_type("aws_lambda_function")
    }
    assert runtimes == set(RUNTIME_PYTHON)


def test_architecture_must_be_lambdas_name(bad_dev: str) -> None:
    # "aarch64" is what uname says; Lambda calls it arm64.
    assert f"lambda_architecture must be one of {', '.join(sorted(ARCH_MACHINE))}" in bad_dev


def test_prod_refuses_force_destroy_and_unprotected_table(bad_prod: str) -> None:
    assert "force_destroy must be false in production" in bad_prod
    assert "deletion_protection must be true in production" in bad_prod


def test_production_rules_follow_the_production_variable(bad_production: str) -> None:
    # Named "staging-eu-central-1-green", production = true: the rules apply.
    assert "force_destroy must be false in production" in bad_production
    assert "deletion_protection must be true in production" in bad_production


def test_names_too_long_together_fail_with_the_limits(bad_production: str) -> None:
    # 18 + 1 + 26 = 45 characters of prefix: the bucket name would have 66.
    assert 'name_prefix (the root\'s "<project>-<environment>") has 45 characters' in (
        bad_production
    )
    assert "may have at most 42" in bad_production
    assert "S3's 63" in bad_production
    assert "AWS Backup's 50" in bad_production


def test_execution_logging_cannot_be_off(bad_production: str) -> None:
    assert "logging_level must be ERROR or INFO" in bad_production
    assert bad_production.count("Error: Invalid value for variable") == 4


def test_cors_origins_must_be_given(dev: Plan) -> None:
    # No default: ["*"] must be said, not inherited.
    variables = dev.raw["configuration"]["root_module"]["variables"]
    assert "default" not in variables["cors_allowed_origins"]
    assert variables["production"].get("default") is None


def test_failing_plans_fail_only_for_their_inputs(bad_dev_high: str) -> None:
    # The failing plans fail for the reasons above only, not for a broken
    # configuration: the one with two bad values reports exactly two errors.
    assert bad_dev_high.count("Error: Invalid value for variable") == 2


def test_prod_differs_from_dev_where_it_should(dev: Plan, prod: Plan) -> None:
    def facts(plan: Plan) -> dict[str, object]:
        functions = plan.by_index("aws_lambda_function")
        return {
            "force_destroy": plan.one("aws_s3_bucket").values["force_destroy"],
            "deletion_protection": plan.one("aws_dynamodb_table").values[
                "deletion_protection_enabled"
            ],
            "customer_key": plan.count("aws_kms_key"),
            "backup_plan": plan.count("aws_backup_plan"),
            "reserved_image": functions["image"].values["reserved_concurrent_executions"],
            "alarm_email": plan.count("aws_sns_topic_subscription"),
            "log_retention": plan.by_index("aws_cloudwatch_log_group", "function")["api"].values[
                "retention_in_days"
            ],
            "quota": len(plan.one("aws_api_gateway_usage_plan").values["quota_settings"]),
        }

    assert facts(dev) == {
        "force_destroy": True,
        "deletion_protection": False,
        "customer_key": 0,
        "backup_plan": 0,
        "reserved_image": -1,
        "alarm_email": 0,
        "log_retention": 7,
        "quota": 0,
    }
    assert facts(prod) == {
        "force_destroy": False,
        "deletion_protection": True,
        "customer_key": 1,
        "backup_plan": 1,
        "reserved_image": 20,
        "alarm_email": 1,
        "log_retention": 90,
        "quota": 1,
    }
