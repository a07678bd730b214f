"""The runner does with SQS event source mappings what Lambda does.

The test function reports every record it sees to a witness queue (through
boto3 and AWS_ENDPOINT_URL, as deployed code does), then fails, raises or
hangs on request, so that deletes, retries and the DLQ can be counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sandbox_helpers import Queue, Sandbox, drain, unique, wait_for, zip_of

pytestmark = pytest.mark.slow

WITNESS_HANDLER = """
    import json
    import os
    import time

    import boto3

    VERSION = {version}
    sqs = boto3.client("sqs")
    invocations = 0  # per execution environment: shows warm reuse


    def handler(event, context):
        global invocations
        invocations += 1
        failures = []
        for record in event["Records"]:
            body = record["body"]
            sqs.send_message(
                QueueUrl=os.environ["WITNESS_URL"],
                MessageBody=json.dumps(
                    {{
                        "body": body,
                        "receive_count": int(record["attributes"]["ApproximateReceiveCount"]),
                        "batch": len(event["Records"]),
                        "invocations": invocations,
                        "greeting": os.environ.get("GREETING"),
                        "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                        "remaining_ms": context.get_remaining_time_in_millis(),
                        "version": VERSION,
                        "source": record["eventSourceARN"],
                    }}
                ),
            )
            if body == "fail":
                failures.append({{"itemIdentifier": record["messageId"]}})
            elif body == "boom":
                raise RuntimeError("boom")
            elif body == "hang":
                time.sleep(60)
        return {{"batchItemFailures": failures}}
"""


def handler_source(version: int = 1) -> str:
    return WITNESS_HANDLER.format(version=version)


class Witness:
    def __init__(self, box: Sandbox, queue: Queue) -> None:
        self.sqs = box.client("sqs")
        self.queue = queue
        self.seen: list[dict[str, Any]] = []

    def collect(self) -> list[dict[str, Any]]:
        self.seen += [json.loads(m["Body"]) for m in drain(self.sqs, self.queue.url)]
        return self.seen

    def bodies(self) -> list[str]:
        return sorted(seen["body"] for seen in self.collect())


@pytest.fixture
def witness(box: Sandbox, make_queue: Callable[..., Queue]) -> Witness:
    return Witness(box, make_queue())


def map_queue(box: Sandbox, queue: Queue, function_arn: str, **settings: Any) -> str:
    mapping = box.client("lambda").create_event_source_mapping(
        EventSourceArn=queue.arn,
        FunctionName=function_arn,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        **{"BatchSize": 10, **settings},
    )
    uuid: str = mapping["UUID"]
    return uuid


def queue_is_empty(box: Sandbox, queue: Queue) -> bool:
    attributes = box.client("sqs").get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def test_successes_are_deleted_and_item_failures_reach_the_dlq_after_max_receives(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    dlq = make_queue()
    # The visibility timeout runs from the receive, the cold start included: at a load of
    # 6-12 on 2 cores an init took several seconds, the success's visibility ran out before
    # the runner deleted it, and it was received twice. Lambda's own advice is 6x the timeout.
    queue = make_queue(dlq=dlq, max_receives=3, visibility=10)
    function = deploy_function(
        handler_source(),
        timeout=4,
        environment={"WITNESS_URL": witness.queue.url, "GREETING": "hello"},
    )
    map_queue(box, queue, function)
    sqs = box.client("sqs")
    sqs.send_message(QueueUrl=queue.url, MessageBody="ok")
    sqs.send_message(QueueUrl=queue.url, MessageBody="fail")

    dead = wait_for(lambda: drain(sqs, dlq.url), timeout=90)  # 3 receives, 10 s apart
    assert [m["Body"] for m in dead] == ["fail"]
    # The count moves with the message: 3 receives by the runner, then this one.
    assert dead[0]["Attributes"]["ApproximateReceiveCount"] == "4"
    assert wait_for(lambda: queue_is_empty(box, queue))

    seen = witness.collect()
    attempts = sorted((s["body"], s["receive_count"]) for s in seen)
    # Exactly as configured: the success once, the failure on each of its 3 receives.
    assert attempts == [("fail", 1), ("fail", 2), ("fail", 3), ("ok", 1)]
    first = seen[0]
    assert first["greeting"] == "hello"
    assert first["function"] == function.split(":")[-1]
    assert first["source"] == queue.arn
    assert 0 < first["remaining_ms"] <= 4_000


def test_an_error_or_a_timeout_fails_the_whole_batch_and_the_environment_is_replaced(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    dlq = make_queue()
    queue = make_queue(dlq=dlq, max_receives=2, visibility=2)
    function = deploy_function(
        handler_source(), timeout=1, environment={"WITNESS_URL": witness.queue.url}
    )
    map_queue(box, queue, function, BatchSize=1)
    sqs = box.client("sqs")
    sqs.send_message(QueueUrl=queue.url, MessageBody="boom")
    sqs.send_message(QueueUrl=queue.url, MessageBody="hang")

    dead: list[dict[str, Any]] = []
    wait_for(lambda: len(dead.__iadd__(drain(sqs, dlq.url))) == 2)
    assert sorted(m["Body"] for m in dead) == ["boom", "hang"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in dead} == {"3"}
    assert witness.bodies() == ["boom", "boom", "hang", "hang"]
    log = box.log()
    assert "Status: Sandbox.Timedout" in log
    assert "RuntimeError: boom" in log

    # The killed environment is gone; the next message gets a fresh one.
    sqs.send_message(QueueUrl=queue.url, MessageBody="ok")
    wait_for(lambda: "ok" in witness.bodies())


def test_batch_size_and_batching_window(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    queue = make_queue(visibility=30)
    function = deploy_function(handler_source(), environment={"WITNESS_URL": witness.queue.url})
    map_queue(box, queue, function, BatchSize=3, MaximumBatchingWindowInSeconds=2)
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(7)]
    box.client("sqs").send_message_batch(QueueUrl=queue.url, Entries=entries)

    wait_for(lambda: len(witness.collect()) >= 7)
    assert witness.bodies() == [f"m{i}" for i in range(7)]
    batches = [seen["batch"] for seen in witness.seen]
    assert max(batches) == 3
    assert wait_for(lambda: queue_is_empty(box, queue))


def test_code_and_configuration_updates_replace_warm_environments(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    queue = make_queue(visibility=30)
    function = deploy_function(
        handler_source(version=1),
        environment={"WITNESS_URL": witness.queue.url, "GREETING": "one"},
    )
    map_queue(box, queue, function, ScalingConfig={"MaximumConcurrency": 2})
    sqs = box.client("sqs")
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)
        wait_for(lambda body=body: body in witness.bodies())
    assert [s["invocations"] for s in witness.seen] == [1, 2]  # the same warm environment

    lam = box.client("lambda")
    lam.update_function_code(FunctionName=function, ZipFile=zip_of({"app.py": handler_source(2)}))
    lam.update_function_configuration(
        FunctionName=function,
        Environment={"Variables": {"WITNESS_URL": witness.queue.url, "GREETING": "two"}},
    )
    sqs.send_message(QueueUrl=queue.url, MessageBody="c")
    wait_for(lambda: "c" in witness.bodies())
    last = witness.seen[-1]
    assert (last["version"], last["greeting"], last["invocations"]) == (2, "two", 1)


def test_a_disabled_mapping_is_not_polled_until_enabled(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    queue = make_queue(visibility=30)
    function = deploy_function(handler_source(), environment={"WITNESS_URL": witness.queue.url})
    uuid = map_queue(box, queue, function, Enabled=False)
    other = map_queue(box, make_queue(), function)  # a sync that saw this one saw both

    def polled() -> set[str]:
        import fileproc_sandbox as sandbox

        health = sandbox.health(box.settings) or {}
        return {m["uuid"] for m in health.get("event_source_mappings", [])}

    wait_for(lambda: other in polled())
    assert uuid not in polled()
    box.client("sqs").send_message(QueueUrl=queue.url, MessageBody="later")
    box.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_for(lambda: "later" in witness.bodies())


def test_layers_are_on_the_path(
    box: Sandbox,
    make_queue: Callable[..., Queue],
    deploy_function: Callable[..., str],
    witness: Witness,
) -> None:
    layer = box.client("lambda").publish_layer_version(
        LayerName=unique("layer"),
        Content={"ZipFile": zip_of({"python/greeting.py": "TEXT = 'from the layer'\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    source = handler_source().replace('os.environ.get("GREETING")', "__import__('greeting').TEXT")
    queue = make_queue(visibility=30)
    function = deploy_function(
        source, environment={"WITNESS_URL": witness.queue.url}, layers=[layer["LayerVersionArn"]]
    )
    map_queue(box, queue, function)
    box.client("sqs").send_message(QueueUrl=queue.url, MessageBody="x")
    wait_for(lambda: witness.collect())
    assert witness.seen[0]["greeting"] == "from the layer"


PRINTING_HANDLER = """
    def handler(event, context):
        print("hello from", context.function_name)
        if event.get("fail"):
            raise KeyError("missing")
        return {"doubled": event["n"] * 2}
"""


def test_invoke_runs_the_function_and_its_output_reaches_its_log_group(
    box: Sandbox, deploy_function: Callable[..., str]
) -> None:
    function = deploy_function(PRINTING_HANDLER)
    name = function.split(":")[-1]
    logs = box.client("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")  # Terraform's job in the stack
    lam = box.client("lambda")

    ok = lam.invoke(FunctionName=name, Payload=json.dumps({"n": 21}))
    assert json.loads(ok["Payload"].read()) == {"doubled": 42}
    assert "FunctionError" not in ok
    failed = lam.invoke(FunctionName=name, Payload=json.dumps({"fail": True}))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "KeyError"

    def messages() -> list[str]:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return [event["message"] for event in events]

    wait_for(lambda: sum(m.startswith("REPORT RequestId") for m in messages()) == 2)
    lines = messages()
    assert f"hello from {name}" in lines
    assert any(line.startswith("START RequestId") for line in lines)
    assert any("KeyError" in line for line in lines)
