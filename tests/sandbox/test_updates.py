"""Updating a deployed stack in place (``git pull && make deploy ENV=sandbox``): each kind of
change the Terraform provider makes to this stack's resources, sent as the provider sends it,
read back as it reads it (GAP 7 and 13 to 16 of sandbox/gaps.py).

The real thing, the stack of an older commit updated to main's by the provider, was run by
hand (the README's sandbox section says how to repeat it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox_helpers import Queue, Sandbox, unique, zip_of

REGION_ARN = "arn:aws:apigateway:us-east-1::"


def op(name: str, path: str, value: str | None = None) -> dict[str, str]:
    return {"op": name, "path": path} | ({} if value is None else {"value": value})


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


@dataclass
class Api:
    """A small copy of modules/api: one path with a Lambda-proxy GET and a MOCK OPTIONS."""

    id: str
    resource: str
    validators: dict[str, str]
    stage: str = "v1"


@pytest.fixture
def api(box: Sandbox) -> Api:
    ag = box.client("apigateway")
    api_id = ag.create_rest_api(
        name=unique("api"), apiKeySource="HEADER", endpointConfiguration={"types": ["REGIONAL"]}
    )["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    files = ag.create_resource(restApiId=api_id, parentId=root, pathPart="files")["id"]
    validators = {
        name: ag.create_request_validator(
            restApiId=api_id, name=name, validateRequestParameters=True, validateRequestBody=body
        )["id"]
        for name, body in (("parameters", False), ("parameters-and-body", True))
    }
    ag.create_model(
        restApiId=api_id,
        name="CreateFileRequest",
        contentType="application/json",
        schema=json.dumps({"type": "object"}),
    )
    ag.put_method(
        restApiId=api_id,
        resourceId=files,
        httpMethod="GET",
        authorizationType="NONE",
        apiKeyRequired=True,
        requestValidatorId=validators["parameters"],
        requestParameters={"method.request.querystring.status": False},
    )
    ag.put_integration(
        restApiId=api_id,
        resourceId=files,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:api/invocations",
    )
    ag.put_method(
        restApiId=api_id, resourceId=files, httpMethod="OPTIONS", authorizationType="NONE"
    )
    ag.put_integration(
        restApiId=api_id,
        resourceId=files,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    ag.put_method_response(
        restApiId=api_id,
        resourceId=files,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": True},
    )
    ag.put_integration_response(
        restApiId=api_id,
        resourceId=files,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
    )
    ag.put_gateway_response(
        restApiId=api_id,
        responseType="INVALID_API_KEY",
        statusCode="403",
        responseTemplates={"application/json": '{"error": {"code": "forbidden"}}'},
    )
    deployment = ag.create_deployment(restApiId=api_id)["id"]
    ag.create_stage(restApiId=api_id, stageName="v1", deploymentId=deployment)
    return Api(api_id, files, validators)


def test_every_api_gateway_update_of_this_stack(box: Sandbox, api: Api) -> None:
    ag = box.client("apigateway")
    where = {"restApiId": api.id, "resourceId": api.resource}

    # GAP 13: the download method's new optional query string (commit a9d3e47) and the
    # method's other settings, as the provider patches them.
    method = ag.update_method(
        **where,
        httpMethod="GET",
        patchOperations=[
            op("add", "/requestParameters/method.request.querystring.artefact", "false"),
            op("remove", "/requestParameters/method.request.querystring.status"),
            op("replace", "/apiKeyRequired", "false"),
            op("replace", "/authorizationType", "AWS_IAM"),
            op("replace", "/requestValidatorId", api.validators["parameters-and-body"]),
            op("add", "/requestModels/application~1json", "CreateFileRequest"),
        ],
    )
    read = ag.get_method(**where, httpMethod="GET")
    for got in (method, read):
        assert got["requestParameters"] == {"method.request.querystring.artefact": False}
        assert got["apiKeyRequired"] is False
        assert got["authorizationType"] == "AWS_IAM"
        assert got["requestValidatorId"] == api.validators["parameters-and-body"]
        assert got["requestModels"] == {"application/json": "CreateFileRequest"}

    ag.update_integration(
        **where,
        httpMethod="GET",
        patchOperations=[
            op("replace", "/uri", "arn:aws:apigateway:us-east-1:lambda:path/new/invocations"),
            op("replace", "/timeoutInMillis", "10000"),
            op("add", "/cacheKeyParameters/method.request.querystring.artefact", ""),
        ],
    )
    integration = ag.get_integration(**where, httpMethod="GET")
    assert integration["uri"].endswith("/new/invocations")
    assert integration["timeoutInMillis"] == 10000
    assert integration["cacheKeyParameters"] == ["method.request.querystring.artefact"]

    options = {**where, "httpMethod": "OPTIONS", "statusCode": "200"}
    ag.update_method_response(
        **options,
        patchOperations=[op("add", "/responseParameters/method.response.header.Vary", "true")],
    )
    assert ag.get_method_response(**options)["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": True,
        "method.response.header.Vary": True,
    }
    origin = "method.response.header.Access-Control-Allow-Origin"
    ag.update_integration_response(
        **options,
        patchOperations=[
            op("replace", f"/responseParameters/{origin}", "'https://app.example.com'"),
            op("add", "/responseTemplates/application~1json", "#set($o = 1)"),
        ],
    )
    answer = ag.get_integration_response(**options)
    assert answer["responseParameters"] == {origin: "'https://app.example.com'"}
    assert answer["responseTemplates"] == {"application/json": "#set($o = 1)"}

    ag.update_gateway_response(
        restApiId=api.id,
        responseType="INVALID_API_KEY",
        patchOperations=[
            op("replace", "/statusCode", "401"),
            op("add", "/responseParameters/gatewayresponse.header.Vary", "'Origin'"),
        ],
    )
    gateway = ag.get_gateway_response(restApiId=api.id, responseType="INVALID_API_KEY")
    assert gateway["statusCode"] == "401"
    assert gateway["responseParameters"] == {"gatewayresponse.header.Vary": "'Origin'"}

    schema = json.dumps({"type": "object", "required": ["filename"]})
    ag.update_model(
        restApiId=api.id,
        modelName="CreateFileRequest",
        patchOperations=[op("replace", "/schema", schema), op("replace", "/description", "d")],
    )
    model = ag.get_model(restApiId=api.id, modelName="CreateFileRequest")
    assert (model["schema"], model["description"]) == (schema, "d")

    ag.update_request_validator(
        restApiId=api.id,
        requestValidatorId=api.validators["parameters"],
        patchOperations=[op("replace", "/validateRequestBody", "true")],
    )
    validator = ag.get_request_validator(
        restApiId=api.id, requestValidatorId=api.validators["parameters"]
    )
    assert validator["validateRequestBody"] is True

    ag.update_resource(**where, patchOperations=[op("replace", "/pathPart", "uploads")])
    assert ag.get_resource(**where)["path"] == "/uploads"

    ag.update_rest_api(
        restApiId=api.id,
        patchOperations=[
            op("replace", "/description", "fileproc"),
            op("replace", "/minimumCompressionSize", "1024"),
            op("add", "/binaryMediaTypes/image~1png"),
            op("replace", "/disableExecuteApiEndpoint", "false"),
        ],
    )
    rest = ag.get_rest_api(restApiId=api.id)
    assert (rest["description"], rest["minimumCompressionSize"]) == ("fileproc", 1024)
    assert rest["binaryMediaTypes"] == ["image/png"]
    assert rest["disableExecuteApiEndpoint"] is False
    assert rest["endpointConfiguration"]["types"] == ["REGIONAL"]

    deployment = ag.get_stage(restApiId=api.id, stageName=api.stage)["deploymentId"]
    ag.update_deployment(
        restApiId=api.id,
        deploymentId=deployment,
        patchOperations=[op("replace", "/description", "snapshot")],
    )
    got = ag.get_deployment(restApiId=api.id, deploymentId=deployment)
    assert got["description"] == "snapshot"


def test_stage_usage_plan_key_and_account_updates(box: Sandbox, api: Api) -> None:
    ag = box.client("apigateway")
    ag.update_stage(
        restApiId=api.id,
        stageName=api.stage,
        patchOperations=[
            op("replace", "/*/*/logging/loglevel", "INFO"),
            op("replace", "/*/*/metrics/enabled", "true"),
            op("replace", "/tracingEnabled", "true"),
        ],
    )
    stage = ag.get_stage(restApiId=api.id, stageName=api.stage)
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert stage["tracingEnabled"] is True

    plan = ag.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": api.id, "stage": api.stage}],
        throttle={"rateLimit": 100, "burstLimit": 200},
    )["id"]
    # moto read rateLimit as an int (a 500 for 50.5) and kept the quota's numbers as text.
    ag.update_usage_plan(
        usagePlanId=plan,
        patchOperations=[
            op("replace", "/throttle/rateLimit", "50.5"),
            op("replace", "/throttle/burstLimit", "120"),
            op("add", "/quota/limit", "10000"),
            op("add", "/quota/period", "DAY"),
        ],
    )
    got = ag.get_usage_plan(usagePlanId=plan)
    assert got["throttle"] == {"rateLimit": 50.5, "burstLimit": 120}
    assert got["quota"] == {"limit": 10000, "period": "DAY"}
    assert got["apiStages"] == [{"apiId": api.id, "stage": api.stage}]
    ag.update_usage_plan(usagePlanId=plan, patchOperations=[op("remove", "/quota")])
    assert "quota" not in ag.get_usage_plan(usagePlanId=plan)

    key = ag.create_api_key(name=unique("key"), enabled=True)["id"]
    ag.update_api_key(apiKey=key, patchOperations=[op("replace", "/enabled", "false")])
    assert ag.get_api_key(apiKey=key)["enabled"] is False

    role = "arn:aws:iam::123456789012:role/apigateway-logs"
    ag.update_account(patchOperations=[op("replace", "/cloudwatchRoleArn", role)])
    assert ag.get_account()["cloudwatchRoleArn"] == role


def test_api_gateway_tags_on_every_taggable_arn(box: Sandbox, api: Api) -> None:
    # GAP 16: moto routed /tags/<arn> for stages only.
    ag = box.client("apigateway")
    key = ag.create_api_key(name=unique("key"), enabled=True)["id"]
    plan = ag.create_usage_plan(name=unique("plan"))["id"]
    readers: dict[str, Callable[[], Any]] = {
        f"/restapis/{api.id}": lambda: ag.get_rest_api(restApiId=api.id),
        f"/restapis/{api.id}/stages/{api.stage}": lambda: ag.get_stage(
            restApiId=api.id, stageName=api.stage
        ),
        f"/apikeys/{key}": lambda: ag.get_api_key(apiKey=key),
        f"/usageplans/{plan}": lambda: ag.get_usage_plan(usagePlanId=plan),
    }
    for path, read in readers.items():
        arn = REGION_ARN + path
        ag.tag_resource(resourceArn=arn, tags={"Project": "fileproc", "CostCentre": "42"})
        ag.untag_resource(resourceArn=arn, tagKeys=["Project"])
        assert read()["tags"] == {"CostCentre": "42"}, path
        assert ag.get_tags(resourceArn=arn)["tags"] == {"CostCentre": "42"}, path
    with pytest.raises(ClientError, match="NotFoundException"):
        ag.tag_resource(resourceArn=f"{REGION_ARN}/vpclinks/x", tags={"A": "1"})


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ([op("replace", "/bogus", "1")], "Invalid patch path /bogus"),
        ([op("replace", "/apiKeyRequired", "yes")], "'yes' is not a boolean"),
        ([op("replace", "/requestValidatorId", "nope")], "Invalid Request Validator"),
        ([op("add", "/requestModels/application~1json", "Nope")], "Invalid model name"),
    ],
)
def test_a_bad_update_is_a_400_and_changes_nothing(
    box: Sandbox, api: Api, operations: list[dict[str, str]], message: str
) -> None:
    ag = box.client("apigateway")
    where = {"restApiId": api.id, "resourceId": api.resource, "httpMethod": "GET"}
    before = ag.get_method(**where)
    harmless = op("replace", "/authorizationType", "AWS_IAM")
    with pytest.raises(ClientError) as refused:
        ag.update_method(**where, patchOperations=[harmless, *operations])
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in refused.value.response["Error"]["Message"]
    after = ag.get_method(**where)
    assert without_metadata(after) == without_metadata(before)


def test_updates_of_what_is_not_there_are_404s(box: Sandbox, api: Api) -> None:
    ag = box.client("apigateway")
    with pytest.raises(ClientError, match="NotFoundException"):
        ag.update_method(
            restApiId=api.id,
            resourceId=api.resource,
            httpMethod="DELETE",
            patchOperations=[op("replace", "/apiKeyRequired", "true")],
        )
    with pytest.raises(ClientError, match="NotFoundException"):
        ag.update_method_response(
            restApiId=api.id,
            resourceId=api.resource,
            httpMethod="OPTIONS",
            statusCode="404",
            patchOperations=[op("add", "/responseParameters/x", "true")],
        )


# ---------------------------------------------------------------- the other services


def test_a_queue_keeps_its_policy_when_other_attributes_change(
    box: Sandbox, make_queue: Callable[..., Queue]
) -> None:
    # GAP 7: the provider changes VisibilityTimeout alone when a function's timeout grows;
    # moto dropped the queue policy (S3 could no longer send), and the next plan re-created it.
    sqs = box.client("sqs")
    queue = make_queue(dlq=make_queue())
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue.arn,
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"VisibilityTimeout": "240"})
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["Policy"])["Statement"] == [statement]
    assert attributes["VisibilityTimeout"] == "240"
    assert "RedrivePolicy" in attributes
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"Policy": ""})
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert "Policy" not in attributes


def test_in_place_updates_of_the_functions_and_their_sources(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
) -> None:
    lam = box.client("lambda")
    function = deploy_function("def handler(event, context):\n    return 1\n", timeout=10)
    lam.update_function_configuration(
        FunctionName=function,
        MemorySize=1536,
        Timeout=40,
        Environment={"Variables": {"LOG_LEVEL": "INFO"}},
    )
    code = zip_of({"app.py": "def handler(event, context):\n    return 2\n"})
    lam.update_function_code(FunctionName=function, ZipFile=code)
    config = lam.get_function(FunctionName=function)["Configuration"]
    assert (config["MemorySize"], config["Timeout"]) == (1536, 40)
    assert config["Environment"]["Variables"] == {"LOG_LEVEL": "INFO"}
    assert config["CodeSize"] == len(code)

    mapping = lam.create_event_source_mapping(
        EventSourceArn=make_queue(visibility=240).arn, FunctionName=function, BatchSize=1
    )["UUID"]
    lam.update_event_source_mapping(
        UUID=mapping,
        BatchSize=3,
        MaximumBatchingWindowInSeconds=1,
        ScalingConfig={"MaximumConcurrency": 4},
    )
    got = lam.get_event_source_mapping(UUID=mapping)
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"]) == (3, 1)
    assert got["ScalingConfig"] == {"MaximumConcurrency": 4}


def test_a_backup_plan_update_is_a_new_version(box: Sandbox) -> None:
    # GAP 15: UpdateBackupPlan was not implemented (retention or schedule changes hung).
    backup = box.client("backup")
    plan: dict[str, Any] = {
        "BackupPlanName": unique("plan"),
        "Rules": [
            {
                "RuleName": "daily",
                "TargetBackupVaultName": "v",
                "ScheduleExpression": "cron(0 3 * * ? *)",
                "Lifecycle": {"DeleteAfterDays": 35},
            }
        ],
    }
    created = backup.create_backup_plan(BackupPlan=plan)
    plan["Rules"][0] |= {
        "ScheduleExpression": "cron(0 4 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": 40},
    }
    updated = backup.update_backup_plan(BackupPlanId=created["BackupPlanId"], BackupPlan=plan)
    assert updated["BackupPlanId"] == created["BackupPlanId"]
    assert updated["VersionId"] != created["VersionId"]
    got = backup.get_backup_plan(BackupPlanId=created["BackupPlanId"])
    rule = got["BackupPlan"]["Rules"][0]
    assert (rule["ScheduleExpression"], rule["Lifecycle"]) == (
        "cron(0 4 * * ? *)",
        {"DeleteAfterDays": 40},
    )
    assert got["VersionId"] == updated["VersionId"]

    backup.delete_backup_plan(BackupPlanId=created["BackupPlanId"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.update_backup_plan(BackupPlanId=created["BackupPlanId"], BackupPlan=plan)


def test_a_deleted_backup_plans_name_can_be_used_again(box: Sandbox) -> None:
    # GAP 14: terraform destroy, then apply in the same sandbox, failed with
    # AlreadyExistsException: moto compared the name with its deleted plans too.
    backup = box.client("backup")
    plan = {
        "BackupPlanName": unique("plan"),
        "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}],
    }
    first = backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]
    with pytest.raises(ClientError, match="AlreadyExistsException"):
        backup.create_backup_plan(BackupPlan=plan)  # while the first one lives
    backup.delete_backup_plan(BackupPlanId=first)
    second = backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]
    assert second != first
    names = [p["BackupPlanName"] for p in backup.list_backup_plans()["BackupPlansList"]]
    assert names.count(plan["BackupPlanName"]) == 1
    deleted = backup.get_backup_plan(BackupPlanId=first)
    assert "DeletionDate" in deleted  # AWS keeps a deleted plan's versions readable
