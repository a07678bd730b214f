"""What the apply really configured, read back through the AWS APIs (not Terraform's state)."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from fileproc.config import REQUIRED
from fileproc.keys import EXTENSIONS
from fileproc_tools.inprocess import INDEXES

from .stack import DOCUMENT_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT, OVERRIDES, Stack

pytestmark = pytest.mark.integration

PROCESSORS = ("image", "document", "data")
ROLES = (*PROCESSORS, "api")
# modules/compute's defaults, which the sandbox keeps: (batch size, maximum concurrency).
MAPPING_DEFAULTS = {"image": (5, 10), "document": (2, 5), "data": (1, 5)}
# Every variable fileproc.config reads (docs/contracts.md), on every function.
COMMON_ENVIRONMENT = [*REQUIRED, "BEDROCK_MODEL_ID"]


def queue_arn(stack: Stack, url: str) -> str:
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


def test_bucket_is_versioned_encrypted_and_private(stack: Stack) -> None:
    s3 = stack.client("s3")
    assert s3.get_bucket_versioning(Bucket=stack.bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=stack.bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules] == ["AES256"]
    block = s3.get_public_access_block(Bucket=stack.bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_policy_refuses_requests_without_tls(stack: Stack) -> None:
    s3 = stack.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=stack.bucket)["Policy"])
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] in ("s3:*", ["s3:*"])
    bucket_arn = f"arn:aws:s3:::{stack.bucket}"
    assert sorted(deny["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]

    # And it is in force: the sandbox plays the TLS front, and a request that says it came
    # in clear (X-Forwarded-Proto: http) is refused. (moto applies bucket policies to object
    # requests only, hence an object outside uploads/, which nothing processes.)
    probe = "probes/tls-only.txt"
    s3.put_object(Bucket=stack.bucket, Key=probe, Body=b"over TLS")
    in_clear = stack.client("s3")

    def say_http(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-Proto"] = "http"

    in_clear.meta.events.register("before-send.s3.*", say_http)
    for call in (
        lambda: in_clear.get_object(Bucket=stack.bucket, Key=probe),
        lambda: in_clear.put_object(Bucket=stack.bucket, Key=probe, Body=b"in clear"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            call()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.get_object(Bucket=stack.bucket, Key=probe)["Body"].read() == b"over TLS"


def test_bucket_lifecycle_expires_old_versions_and_aborts_stale_uploads(stack: Stack) -> None:
    rules = stack.client("s3").get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]
    by_id = {rule["ID"]: rule for rule in rules}
    assert set(by_id) == {"expire-noncurrent-versions", "abort-incomplete-multipart-uploads"}
    assert all(rule["Status"] == "Enabled" for rule in rules)
    versions = by_id["expire-noncurrent-versions"]
    assert versions["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert versions["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    uploads = by_id["abort-incomplete-multipart-uploads"]
    assert uploads["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_table_keys_indexes_and_point_in_time_recovery(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=stack.table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "file_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {
        index["IndexName"]: (
            [(key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
        )
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        name: ([(partition, "HASH"), ("uploaded_at", "RANGE")], "ALL")
        for name, partition in INDEXES.items()
    }
    backups = dynamodb.describe_continuous_backups(TableName=stack.table)
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


@pytest.mark.parametrize("role", ROLES)
def test_function_runtime_handler_environment_and_tracing(stack: Stack, role: str) -> None:
    name = f"{stack.prefix}-{role}"
    config = stack.client("lambda").get_function_configuration(FunctionName=name)
    assert config["Runtime"] == "python3.12"
    assert config["Architectures"] == ["x86_64"]
    assert config["Handler"] == f"fileproc.handlers.{role}.handler"
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    assert config["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    # The common layer, then the function's own: no function carries another's engines.
    assert [layer["Arn"].split(":")[-2] for layer in config["Layers"]] == [
        f"{stack.prefix}-deps-common",
        f"{stack.prefix}-deps-{role}",
    ]
    if role != "api":
        assert config["Timeout"] == OVERRIDES["functions"][role]["timeout_seconds"]

    variables = config["Environment"]["Variables"]
    missing = [name for name in COMMON_ENVIRONMENT if name not in variables]
    assert not missing, f"{name} lacks {missing}"
    assert variables["TABLE_NAME"] == stack.table
    assert variables["BUCKET_NAME"] == stack.bucket
    assert (variables["UPLOAD_PREFIX"], variables["DERIVED_PREFIX"]) == ("uploads/", "derived/")
    indexes = [variables[f"INDEX_{kind}"] for kind in ("ALL", "STATUS", "CATEGORY")]
    assert [*indexes, variables["INDEX_CATEGORY_STATUS"]] == list(INDEXES)
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"fileproc-{role}"
    assert variables["ENVIRONMENT"] == "sandbox"
    if role != "api":  # the processors tell their last delivery by it
        assert variables["MAX_RECEIVE_COUNT"] == str(MAX_RECEIVE_COUNT)


@pytest.mark.parametrize("processor", PROCESSORS)
def test_queue_redrives_to_its_own_dlq_and_feeds_its_function(stack: Stack, processor: str) -> None:
    sqs = stack.client("sqs")
    url, dlq_url = stack.outputs["queue_urls"][processor], stack.outputs["dlq_urls"][processor]
    arn, dlq_arn = queue_arn(stack, url), queue_arn(stack, dlq_url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    # Six times the function's timeout (plus the batching window, 0 here), as AWS advises.
    timeout = OVERRIDES["functions"][processor]["timeout_seconds"]
    assert int(attributes["VisibilityTimeout"]) == 6 * timeout
    assert attributes["SqsManagedSseEnabled"] == "true"

    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert json.loads(dlq["RedriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [arn],
    }

    function = f"{stack.prefix}-{processor}"
    (mapping,) = stack.client("lambda").list_event_source_mappings(FunctionName=function)[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == arn
    assert mapping["State"] == "Enabled"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    batch_size, concurrency = MAPPING_DEFAULTS[processor]
    assert mapping["BatchSize"] == batch_size
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": concurrency}


def test_document_queue_turns_failures_around_quickly_in_these_tests(stack: Stack) -> None:
    # The retry tests count on it: a failed delivery comes back after 30 s, not 3 min.
    url = stack.outputs["queue_urls"]["document"]
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert int(attributes["VisibilityTimeout"]) == 6 * DOCUMENT_TIMEOUT_SECONDS


def test_notifications_route_each_extension_to_its_processor_queue(stack: Stack) -> None:
    queue_arns = {p: queue_arn(stack, stack.outputs["queue_urls"][p]) for p in PROCESSORS}
    config = stack.client("s3").get_bucket_notification_configuration(Bucket=stack.bucket)
    assert not config.get("LambdaFunctionConfigurations")
    assert not config.get("TopicConfigurations")
    routes: dict[str, str] = {}
    for queue in config["QueueConfigurations"]:
        rules = {r["Name"].lower(): r["Value"] for r in queue["Filter"]["Key"]["FilterRules"]}
        assert rules["prefix"] == "uploads/", queue
        assert sorted(queue["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], queue
        assert rules["suffix"] not in routes, f"{rules['suffix']} routed twice"
        routes[rules["suffix"]] = queue["QueueArn"]
    # fileproc.keys is what the code accepts; S3 suffixes are case-sensitive, so both cases.
    expected = {
        suffix: queue_arns[category.value]
        for extension, category in EXTENSIONS.items()
        for suffix in (extension, extension.upper())
    }
    assert routes == expected


def test_api_requires_a_key_on_every_method_and_throttles_per_key(stack: Stack) -> None:
    apigateway = stack.client("apigateway")
    api_id = stack.outputs["api_id"]
    methods = {
        (resource["path"], verb): apigateway.get_method(
            restApiId=api_id, resourceId=resource["id"], httpMethod=verb
        )
        for resource in apigateway.get_resources(restApiId=api_id)["items"]
        for verb in resource.get("resourceMethods", {})
        if verb != "OPTIONS"  # CORS preflights carry no key, as browsers send none
    }
    assert sorted(methods) == [
        ("/console", "GET"),
        ("/console/{asset}", "GET"),
        ("/files", "GET"),
        ("/files", "POST"),
        ("/files/{file_id}", "GET"),
        ("/files/{file_id}/download", "GET"),
    ]
    # The console's page and files are public; every data route needs the key.
    for (path, verb), method in methods.items():
        assert method["apiKeyRequired"] is (not path.startswith("/console")), (path, verb)
    stage = apigateway.get_stage(restApiId=api_id, stageName=stack.outputs["api_stage_name"])
    assert stage["tracingEnabled"] is True
    (plan,) = [
        p
        for p in apigateway.get_usage_plans(keyId=stack.outputs["api_key_id"])["items"]
        if p["name"].startswith(stack.prefix)
    ]
    assert plan["throttle"] == {"rateLimit": 100.0, "burstLimit": 200}
    assert plan["apiStages"] == [{"apiId": api_id, "stage": stack.outputs["api_stage_name"]}]
