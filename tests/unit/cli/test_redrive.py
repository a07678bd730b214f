"""redrive on moto's SQS: messages go back with body and attributes, counted per queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from fileproc_tools.cli import QueuePair, queue_pairs, redrive

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
