"""redrive on moto's SQS: messages go back with body and attributes, counted per queue."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from fileproc_cli import QueuePair, main, queue_pairs, redrive, sqs_client

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef


@pytest.fixture
def sqs() -> Iterator[SQSClient]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def make_pair(sqs: SQSClient, name: str) -> QueuePair:
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    queue_url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return QueuePair(name, dlq_url, queue_url)


def drain(sqs: SQSClient, url: str) -> list[MessageTypeDef]:
    found: list[MessageTypeDef] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        found += batch
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_messages_go_back_with_their_body_and_attributes(sqs: SQSClient) -> None:
    image, data = make_pair(sqs, "image"), make_pair(sqs, "data")
    bodies = [json.dumps({"Records": [{"s3": {"object": {"key": f"uploads/{i}.jpg"}}}]})
              for i in range(13)]  # fmt: skip
    for body in bodies:
        sqs.send_message(
            QueueUrl=image.dlq_url,
            MessageBody=body,
            MessageAttributes={
                "origin": {"DataType": "String", "StringValue": "s3"},
                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            },
        )

    moved = redrive(sqs, [image, data], wait_seconds=0)

    assert [(m.pair.name, m.moved, m.failed) for m in moved] == [("image", 13, 0), ("data", 0, 0)]
    back = drain(sqs, image.queue_url)
    assert sorted(m["Body"] for m in back) == sorted(bodies)
    attributes = back[0]["MessageAttributes"]
    assert attributes["origin"]["StringValue"] == "s3"
    assert attributes["blob"]["BinaryValue"] == b"\x00\x01"
    assert drain(sqs, image.dlq_url) == []


def test_dry_run_counts_and_moves_nothing(sqs: SQSClient) -> None:
    document = make_pair(sqs, "document")
    for index in range(3):
        sqs.send_message(QueueUrl=document.dlq_url, MessageBody=f"m{index}")
    moved = redrive(sqs, [document], dry_run=True)
    assert [(m.moved, m.dry_run) for m in moved] == [(3, True)]
    assert len(drain(sqs, document.dlq_url)) == 3
    assert drain(sqs, document.queue_url) == []


def test_pairs_come_from_the_outputs() -> None:
    outputs = {
        "dlq_urls": {"image": "https://q/image-dlq", "data": "https://q/data-dlq"},
        "queue_urls": {"image": "https://q/image", "data": "https://q/data"},
    }
    assert queue_pairs(outputs) == [
        QueuePair("data", "https://q/data-dlq", "https://q/data"),
        QueuePair("image", "https://q/image-dlq", "https://q/image"),
    ]
    assert queue_pairs({}) == []


def test_sqs_client_per_environment() -> None:
    sandbox = sqs_client("sandbox", {"region": "us-east-1"}, endpoint="http://127.0.0.1:4999")
    assert sandbox.meta.endpoint_url == "http://127.0.0.1:4999"
    real = sqs_client("prod", {"region": "eu-west-1"})
    assert real.meta.region_name == "eu-west-1"
    assert real.meta.endpoint_url == "https://sqs.eu-west-1.amazonaws.com"


def test_the_redrive_command_on_a_sandbox(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fileproc redrive end to end: outputs file, SANDBOX_PORT, a real SQS endpoint (moto's)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        monkeypatch.setenv("SANDBOX_PORT", str(port))
        sqs = sqs_client("sandbox", {"region": "us-east-1"})
        pair = make_pair(sqs, "image")
        sqs.send_message(QueueUrl=pair.dlq_url, MessageBody="event")
        isolated.mkdir(parents=True)
        (isolated / "outputs-sandbox.json").write_text(
            json.dumps(
                {
                    "region": "us-east-1",
                    "dlq_urls": {"image": pair.dlq_url},
                    "queue_urls": {"image": pair.queue_url},
                }
            )
        )
        out, err = io.StringIO(), io.StringIO()
        assert main(["redrive", "--dry-run"], out=out, err=err) == 0
        assert out.getvalue() == "image: 1 message waiting\n"
        out = io.StringIO()
        assert main(["redrive"], out=out, err=err) == 0
        assert out.getvalue() == "image: 1 message moved back\n"
        assert [m["Body"] for m in drain(sqs, pair.queue_url)] == ["event"]
    finally:
        server.stop()
    out, err = io.StringIO(), io.StringIO()
    assert main(["redrive"], out=out, err=err) == 3  # the same sandbox, stopped
    assert err.getvalue().startswith("fileproc: error: cannot reach SQS at http://127.0.0.1:")
