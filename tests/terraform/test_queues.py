"""modules/compute: queues, DLQs, event source mappings and the bucket notification."""

from __future__ import annotations

import json

import pytest
from tfplan import Plan, statements

from fileproc.keys import EXTENSIONS

pytestmark = pytest.mark.terraform

PROCESSORS = ("image", "document", "data")


def _queues(plan: Plan, name: str) -> dict[str, dict]:
    return {key: r.values for key, r in plan.by_index("aws_sqs_queue", name).items()}


def test_one_queue_and_one_dlq_per_processor(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    assert {k: q["name"] for k, q in _queues(plan, "this").items()} == {
        p: f"fileproc-{env}-{p}-queue" for p in PROCESSORS
    }
    assert {k: q["name"] for k, q in _queues(plan, "dlq").items()} == {
        p: f"fileproc-{env}-{p}-dlq" for p in PROCESSORS
    }


@pytest.mark.parametrize(("scenario", "receives"), [("dev", 5), ("sandbox", 3), ("variant", 7)])
def test_redrive_to_the_processors_own_dlq(
    all_plans: dict[str, Plan], scenario: str, receives: int
) -> None:
    plan = all_plans[scenario]
    region = "eu-west-1" if scenario == "variant" else "us-east-1"
    account = "123456789012" if scenario == "sandbox" else "111111111111"
    prefix = "fileproc-sandbox" if scenario == "sandbox" else "fileproc-dev"
    for processor, queue in _queues(plan, "this").items():
        assert json.loads(queue["redrive_policy"]) == {
            "deadLetterTargetArn": f"arn:aws:sqs:{region}:{account}:{prefix}-{processor}-dlq",
            "maxReceiveCount": receives,
        }


def test_each_dlq_accepts_only_its_own_queue(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    account = plan.one("aws_s3_bucket").values["bucket"].rsplit("-", 1)[1]
    allows = plan.by_index("aws_sqs_queue_redrive_allow_policy")
    assert set(allows) == set(PROCESSORS)
    for processor, allow in allows.items():
        assert json.loads(allow.values["redrive_allow_policy"]) == {
            "redrivePermission": "byQueue",
            "sourceQueueArns": [
                f"arn:aws:sqs:us-east-1:{account}:fileproc-{env}-{processor}-queue"
            ],
        }
    # Set on the processor's own DLQ (whose URL is known only after apply).
    assert "aws_sqs_queue.dlq" in plan.references(
        "compute", "aws_sqs_queue_redrive_allow_policy.dlq", "queue_url"
    )


def test_queues_are_encrypted(dev: Plan, prod: Plan) -> None:
    for resource in dev.of_type("aws_sqs_queue"):
        assert resource.values["sqs_managed_sse_enabled"] is True, resource.address
    for resource in prod.of_type("aws_sqs_queue"):
        assert resource.is_unknown("kms_master_key_id"), resource.address  # the stack key


def test_visibility_timeout_is_six_times_the_function_timeout_plus_window(
    all_plans: dict[str, Plan],
) -> None:
    for scenario, plan in all_plans.items():
        functions = plan.by_index("aws_lambda_function")
        mappings = plan.by_index("aws_lambda_event_source_mapping")
        for processor, queue in _queues(plan, "this").items():
            timeout = functions[processor].values["timeout"]
            window = mappings[processor].values["maximum_batching_window_in_seconds"]
            assert queue["visibility_timeout_seconds"] == 6 * timeout + window, scenario
    # The variant's document function: 600 s and a 10 s window.
    variant = _queues(all_plans["variant"], "this")["document"]
    assert variant["visibility_timeout_seconds"] == 3610


def test_only_the_bucket_may_send_to_a_queue(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    account = plan.one("aws_s3_bucket").values["bucket"].rsplit("-", 1)[1]
    bucket_arn = f"arn:aws:s3:::{plan.one('aws_s3_bucket').values['bucket']}"
    for processor, policy in plan.by_index("aws_sqs_queue_policy").items():
        (statement,) = statements(policy.values["policy"])
        assert statement.effect == "Allow"
        assert statement.principals == {"Service": {"s3.amazonaws.com"}}
        assert statement.actions == {"sqs:SendMessage"}
        assert statement.resources == {
            f"arn:aws:sqs:us-east-1:{account}:fileproc-{env}-{processor}-queue"
        }
        assert statement.conditions == {
            "ArnEquals": {"aws:SourceArn": bucket_arn},
            "StringEquals": {"aws:SourceAccount": account},
        }


def test_event_source_mappings(dev: Plan, variant: Plan) -> None:
    mappings = {k: m.values for k, m in dev.by_index("aws_lambda_event_source_mapping").items()}
    assert set(mappings) == set(PROCESSORS)
    assert {
        k: (m["batch_size"], m["maximum_batching_window_in_seconds"], m["scaling_config"])
        for k, m in mappings.items()
    } == {
        "image": (5, 1, [{"maximum_concurrency": 10}]),
        "document": (2, 1, [{"maximum_concurrency": 5}]),
        # One file per invocation: one CSV of max_data_bytes can take the
        # whole timeout, and batch-mates would time out with it, each losing
        # a receive towards the DLQ.
        "data": (1, 1, [{"maximum_concurrency": 5}]),
    }
    for mapping in mappings.values():
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    document = variant.by_index("aws_lambda_event_source_mapping")["document"].values
    assert (document["batch_size"], document["maximum_batching_window_in_seconds"]) == (20, 10)


def test_event_source_mappings_read_their_own_queue(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    account = plan.one("aws_s3_bucket").values["bucket"].rsplit("-", 1)[1]
    for processor, mapping in plan.by_index("aws_lambda_event_source_mapping").items():
        assert mapping.values["event_source_arn"] == (
            f"arn:aws:sqs:us-east-1:{account}:fileproc-{env}-{processor}-queue"
        )
        assert mapping.values["function_name"] == f"fileproc-{env}-{processor}"


# --- the bucket notification ---------------------------------------------------------


def test_the_bucket_has_a_single_notification(all_plans: dict[str, Plan]) -> None:
    for scenario, plan in all_plans.items():
        (notification,) = plan.of_type("aws_s3_bucket_notification")
        assert notification.values["bucket"] == plan.one("aws_s3_bucket").values["bucket"]
        assert notification.values["lambda_function"] == [], scenario
        assert notification.values["topic"] == [], scenario


def test_routing_by_suffix_in_lower_and_upper_case(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    notification = plan.one("aws_s3_bucket_notification").values
    routes = {}
    for queue in notification["queue"]:
        assert sorted(queue["events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
        assert queue["filter_prefix"] == "uploads/"
        assert queue["filter_suffix"] not in routes
        routes[queue["filter_suffix"]] = queue["queue_arn"].rsplit(":", 1)[1]
    # Exactly the extensions the code handles (fileproc.keys), in both cases,
    # each to the queue of its category.
    expected = {}
    for extension, category in EXTENSIONS.items():
        expected[extension] = f"fileproc-{env}-{category}-queue"
        expected[extension.upper()] = f"fileproc-{env}-{category}-queue"
    assert routes == expected
    assert routes[".JPG"] == f"fileproc-{env}-image-queue"  # IMG_001.JPG is processed
    assert routes[".PARQUET"] == f"fileproc-{env}-data-queue"  # a Spark or Hive export
    assert not any(suffix.startswith("derived") for suffix in routes)


def test_notification_waits_for_the_queue_policies(dev: Plan) -> None:
    config = dev.config_resource("compute", "aws_s3_bucket_notification.uploads")
    assert "aws_sqs_queue_policy.this" in config["depends_on"]
