"""Every resource of the stack that exists in the (emulated) account, by kind, found through
the AWS APIs by the stack's name prefix: what ``destroy`` must leave empty.

Each Terraform resource type the stack uses is either listed here as a kind of its own, or
named in PART_OF as something that lives and dies with another resource (a bucket's
policy, a role's inline policy...). A resource type in neither fails the destroy test, so a
new kind of resource cannot slip past it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .stack import Stack

# Terraform resource type -> the kind that lists it.
KINDS = {
    "aws_s3_bucket": "buckets",
    "aws_dynamodb_table": "tables",
    "aws_lambda_function": "functions",
    "aws_lambda_layer_version": "layers",
    "aws_lambda_event_source_mapping": "event source mappings",
    "aws_sqs_queue": "queues",
    "aws_iam_role": "roles",
    "aws_iam_policy": "policies",
    "aws_cloudwatch_log_group": "log groups",
    "aws_cloudwatch_metric_alarm": "alarms",
    "aws_sns_topic": "topics",
    "aws_sns_topic_subscription": "topic subscriptions",
    "aws_api_gateway_rest_api": "REST APIs",
    "aws_api_gateway_usage_plan": "usage plans",
    "aws_api_gateway_api_key": "API keys",
    "aws_kms_key": "KMS keys",
    "aws_kms_alias": "KMS aliases",
    "aws_backup_plan": "backup plans",
    "aws_backup_vault": "backup vaults",
}

# Types that are settings or parts of a resource above, gone with it.
PART_OF = {
    "aws_s3_bucket_ownership_controls": "aws_s3_bucket",
    "aws_s3_bucket_public_access_block": "aws_s3_bucket",
    "aws_s3_bucket_versioning": "aws_s3_bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "aws_s3_bucket",
    "aws_s3_bucket_policy": "aws_s3_bucket",
    "aws_s3_bucket_lifecycle_configuration": "aws_s3_bucket",
    "aws_s3_bucket_cors_configuration": "aws_s3_bucket",
    "aws_s3_bucket_notification": "aws_s3_bucket",
    "aws_sqs_queue_policy": "aws_sqs_queue",
    "aws_sqs_queue_redrive_allow_policy": "aws_sqs_queue",
    "aws_iam_role_policy": "aws_iam_role",
    "aws_iam_role_policy_attachment": "aws_iam_role",
    "aws_lambda_permission": "aws_lambda_function",
    "aws_sns_topic_policy": "aws_sns_topic",
    "aws_backup_selection": "aws_backup_plan",
    "aws_api_gateway_resource": "aws_api_gateway_rest_api",
    "aws_api_gateway_method": "aws_api_gateway_rest_api",
    "aws_api_gateway_integration": "aws_api_gateway_rest_api",
    "aws_api_gateway_method_response": "aws_api_gateway_rest_api",
    "aws_api_gateway_integration_response": "aws_api_gateway_rest_api",
    "aws_api_gateway_request_validator": "aws_api_gateway_rest_api",
    "aws_api_gateway_model": "aws_api_gateway_rest_api",
    "aws_api_gateway_gateway_response": "aws_api_gateway_rest_api",
    "aws_api_gateway_deployment": "aws_api_gateway_rest_api",
    "aws_api_gateway_stage": "aws_api_gateway_rest_api",
    "aws_api_gateway_method_settings": "aws_api_gateway_rest_api",
    "aws_api_gateway_usage_plan_key": "aws_api_gateway_usage_plan",
    # The region's API Gateway logging role setting: an account setting, not a resource
    # (destroy only forgets it); the role it names is listed with the roles.
    "aws_api_gateway_account": "aws_iam_role",
}


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterable[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def inventory(stack: Stack, state_bucket: str) -> dict[str, list[str]]:
    """kind -> names (or ids) of the stack's resources that exist now."""
    prefix = stack.prefix
    api_id = stack.outputs["api_id"]  # API Gateway names execution log groups after it
    ours: Callable[[str], bool] = lambda name: name.startswith(prefix)  # noqa: E731
    s3, lam, iam = stack.client("s3"), stack.client("lambda"), stack.client("iam")
    apigateway, kms, backup = (
        stack.client("apigateway"),
        stack.client("kms"),
        stack.client("backup"),
    )
    sns = stack.client("sns")

    def live_keys() -> list[str]:
        found = []
        for key in _pages(kms, "list_keys", "Keys"):
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            # A key cannot be deleted at once: scheduled for deletion counts as gone.
            if ours(meta.get("Description", "")) and meta["KeyState"] != "PendingDeletion":
                found.append(meta["KeyId"])
        return found

    topics = [t["TopicArn"] for t in _pages(sns, "list_topics", "Topics")]
    return {
        "buckets": [
            b["Name"]
            for b in s3.list_buckets()["Buckets"]
            if ours(b["Name"]) and b["Name"] != state_bucket
        ],
        "tables": [
            t for t in _pages(stack.client("dynamodb"), "list_tables", "TableNames") if ours(t)
        ],
        "functions": [
            f["FunctionName"]
            for f in _pages(lam, "list_functions", "Functions")
            if ours(f["FunctionName"])
        ],
        "layers": [
            layer["LayerName"]
            for layer in _pages(lam, "list_layers", "Layers")
            if ours(layer["LayerName"])
        ],
        "event source mappings": [
            m["UUID"]
            for m in _pages(lam, "list_event_source_mappings", "EventSourceMappings")
            if ours(m["FunctionArn"].split(":")[6]) or ours(m["EventSourceArn"].split(":")[-1])
        ],
        "queues": [
            url.rsplit("/", 1)[-1]
            for url in stack.client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
        ],
        "roles": [r["RoleName"] for r in _pages(iam, "list_roles", "Roles") if ours(r["RoleName"])],
        "policies": [
            p["PolicyName"]
            for p in _pages(iam, "list_policies", "Policies", Scope="Local")
            if ours(p["PolicyName"])
        ],
        "log groups": [
            g["logGroupName"]
            for g in _pages(stack.client("logs"), "describe_log_groups", "logGroups")
            if prefix in g["logGroupName"] or api_id in g["logGroupName"]
        ],
        "alarms": [
            a["AlarmName"]
            for a in _pages(
                stack.client("cloudwatch"),
                "describe_alarms",
                "MetricAlarms",
                AlarmNamePrefix=prefix,
            )
        ],
        "topics": [arn for arn in topics if ours(arn.rsplit(":", 1)[-1])],
        "topic subscriptions": [
            s["SubscriptionArn"]
            for s in _pages(sns, "list_subscriptions", "Subscriptions")
            if ours(s["TopicArn"].rsplit(":", 1)[-1])
        ],
        "REST APIs": [
            a["id"] for a in _pages(apigateway, "get_rest_apis", "items") if ours(a["name"])
        ],
        "usage plans": [
            p["id"] for p in _pages(apigateway, "get_usage_plans", "items") if ours(p["name"])
        ],
        "API keys": [
            k["id"] for k in _pages(apigateway, "get_api_keys", "items") if ours(k["name"])
        ],
        "KMS keys": live_keys(),
        "KMS aliases": [
            a["AliasName"]
            for a in _pages(kms, "list_aliases", "Aliases")
            if ours(a["AliasName"].removeprefix("alias/"))
        ],
        "backup plans": [
            p["BackupPlanName"]
            for p in backup.list_backup_plans()["BackupPlansList"]
            if ours(p["BackupPlanName"])
        ],
        "backup vaults": [
            v["BackupVaultName"]
            for v in backup.list_backup_vaults()["BackupVaultList"]
            if ours(v["BackupVaultName"])
        ],
    }
