"""Alarms: functions, queues and the API, all to one SNS topic."""

from __future__ import annotations

import pytest
from tfplan import Plan

pytestmark = pytest.mark.terraform


def _alarms(plan: Plan) -> dict[str, dict]:
    return {a.values["alarm_name"]: a.values for a in plan.of_type("aws_cloudwatch_metric_alarm")}


def _metric(alarm: dict) -> tuple:
    return (
        alarm["namespace"],
        alarm["metric_name"],
        alarm["dimensions"],
        alarm["comparison_operator"],
        alarm["threshold"],
    )


def test_every_alarm_notifies_the_topic(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    account = plan.one("aws_s3_bucket").values["bucket"].rsplit("-", 1)[1]
    topic = f"arn:aws:sns:us-east-1:{account}:fileproc-{env}-alarms"
    assert plan.one("aws_sns_topic").values["name"] == f"fileproc-{env}-alarms"
    alarms = _alarms(plan)
    assert len(alarms) == 16
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == [topic], name
        assert alarm["ok_actions"] == [topic], name
        assert alarm["treat_missing_data"] == "notBreaching", name


def test_function_errors_and_throttles(dev: Plan) -> None:
    alarms = _alarms(dev)
    for role in ("image", "document", "data", "api"):
        function = {"FunctionName": f"fileproc-dev-{role}"}
        errors = alarms[f"fileproc-dev-{role}-errors"]
        assert _metric(errors) == ("AWS/Lambda", "Errors", function, "GreaterThanThreshold", 0)
        assert errors["statistic"] == "Sum"
        throttles = alarms[f"fileproc-dev-{role}-throttles"]
        assert _metric(throttles) == (
            "AWS/Lambda",
            "Throttles",
            function,
            "GreaterThanThreshold",
            0,
        )


def test_dlq_depth_above_zero_and_oldest_message_age(dev: Plan) -> None:
    alarms = _alarms(dev)
    for processor in ("image", "document", "data"):
        depth = alarms[f"fileproc-dev-{processor}-dlq-not-empty"]
        assert _metric(depth) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": f"fileproc-dev-{processor}-dlq"},
            "GreaterThanThreshold",
            0,
        )
        age = alarms[f"fileproc-dev-{processor}-queue-behind"]
        assert _metric(age) == (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            {"QueueName": f"fileproc-dev-{processor}-queue"},
            "GreaterThanThreshold",
            1800,
        )


def test_api_5xx_rate_and_latency(dev: Plan, variant: Plan) -> None:
    alarms = _alarms(dev)
    api = {"ApiName": "fileproc-dev-api", "Stage": "v1"}
    rate = alarms["fileproc-dev-api-5xx-rate"]
    assert _metric(rate) == ("AWS/ApiGateway", "5XXError", api, "GreaterThanThreshold", 0.05)
    assert rate["statistic"] == "Average"  # 5XXError is 0 or 1 per request: a rate
    latency = alarms["fileproc-dev-api-latency-p99"]
    assert _metric(latency) == ("AWS/ApiGateway", "Latency", api, "GreaterThanThreshold", 3000)
    assert latency["extended_statistic"] == "p99"
    # The stage name is the variant's.
    assert _alarms(variant)["fileproc-dev-api-5xx-rate"]["dimensions"]["Stage"] == "live"


def test_email_subscription_is_optional(dev: Plan, prod: Plan) -> None:
    assert dev.count("aws_sns_topic_subscription") == 0
    subscription = prod.one("aws_sns_topic_subscription").values
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "fileproc-oncall@example.com"


def test_topic_is_encrypted_with_the_customer_key(dev: Plan, prod: Plan) -> None:
    assert prod.one("aws_sns_topic").is_unknown("kms_master_key_id")
    # Not aws/sns: CloudWatch cannot publish to a topic under that key.
    assert dev.one("aws_sns_topic").values["kms_master_key_id"] is None
