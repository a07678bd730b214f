"""A file whose processing fails transiently every time: the DLQ after exactly N receives,
the CLI's redrive, and a late duplicate of its notification that changes nothing.

The transient failure is real AWS behaviour made on purpose: the sandbox answers every
GetObject of that one file with 503 SlowDown (fileproc_sandbox.faults, a test-only
control of the emulator) until the fault is lifted. Neither the code nor the modules know.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import pytest

from fileproc_cli import outputs, queue_pairs, redrive, sqs_client
from fileproc_sandbox import faults

from . import samples
from .stack import DOCUMENT_TIMEOUT_SECONDS, ENV, MAX_RECEIVE_COUNT, Stack, Ticket

pytestmark = pytest.mark.integration

NAME = "flaky report.pdf"
BODY = samples.report_pdf(samples.PDF_PAGES, "Quarterly report", "Finance team")
# N deliveries, each back after the visibility timeout, then the move; plus a margin.
DEAD_LETTER_SECONDS = MAX_RECEIVE_COUNT * 6 * DOCUMENT_TIMEOUT_SECONDS + 90


@dataclass(frozen=True)
class DeadLettered:
    ticket: Ticket
    message: dict[str, Any]  # as received from the DLQ
    record: dict[str, Any]  # once the message was there
    fault_hits: int


@dataclass(frozen=True)
class Redriven:
    moved: dict[str, int]
    record: dict[str, Any]


def peek(stack: Stack, queue_url: str) -> dict[str, Any] | None:
    """A message of the queue, left visible for the next consumer."""
    messages = stack.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"], VisibilityTimeout=0
    )
    found: list[dict[str, Any]] = messages.get("Messages", [])
    return found[0] if found else None


@pytest.fixture(scope="module")
def dead_lettered(stack: Stack) -> Iterator[DeadLettered]:
    ticket = stack.request_upload(NAME, "application/pdf", len(BODY))
    # Before the bytes arrive. 503 ServiceUnavailable rather than SlowDown: the SDK backs
    # off up to 7 s over its retries of a throttling error, more than this test's 5 s
    # function timeout, and a timed-out invocation cannot record the last delivery's
    # failure. Any other 5xx is retried within 0.4 s; SQS then redelivers just the same.
    faults.inject(
        stack.endpoint,
        stack.bucket,
        ticket.key,
        code="ServiceUnavailable",
        message="Service is unable to handle request.",
    )
    try:
        stack.send_upload(ticket, NAME, "application/pdf", BODY)
        message = stack.wait_for(
            f"the notification of {ticket.key} in the document DLQ",
            lambda: peek(stack, stack.outputs["dlq_urls"]["document"]),
            lambda found: found is not None,
            timeout=DEAD_LETTER_SECONDS,
            interval=2,
        )
        assert message is not None
        record = stack.record(ticket.file_id)
        assert record is not None
        hits = faults.hits(stack.endpoint, stack.bucket, ticket.key)
        yield DeadLettered(ticket, message, record, hits)
    finally:
        faults.lift_all(stack.endpoint)


@pytest.fixture(scope="module")
def redriven(stack: Stack, dead_lettered: DeadLettered) -> Redriven:
    faults.lift_all(stack.endpoint)  # the cause is fixed...
    deployed = outputs.load(ENV)  # ...and the operator redrives, as `fileproc redrive` does
    moved = redrive(sqs_client(ENV, deployed), queue_pairs(deployed))
    record = stack.wait_for_status(dead_lettered.ticket.file_id, "PROCESSED")
    return Redriven({m.pair.name: m.moved for m in moved}, record)


def test_a_file_failing_transiently_every_time_reaches_the_dlq_after_exactly_n_receives(
    stack: Stack, dead_lettered: DeadLettered
) -> None:
    event = json.loads(dead_lettered.message["Body"])["Records"][0]
    assert event["eventName"].startswith("ObjectCreated:")
    assert unquote_plus(event["s3"]["object"]["key"]) == dead_lettered.ticket.key
    # N receives by the function's event source, then this test's own.
    assert dead_lettered.message["Attributes"]["ApproximateReceiveCount"] == str(
        MAX_RECEIVE_COUNT + 1
    )
    record = dead_lettered.record
    assert record["attempts"] == MAX_RECEIVE_COUNT
    # On the last delivery the code records why, and that a redrive can fix it.
    assert record["status"] == "FAILED"
    assert record["error"]["type"] == "RetriesExhausted"
    assert record["error"]["retryable"] is True
    assert "ServiceUnavailable" in record["error"]["message"]
    # Every delivery asked S3 for the object (the SDK retried within each, too).
    assert dead_lettered.fault_hits >= MAX_RECEIVE_COUNT
    assert stack.queue_depth(stack.outputs["queue_urls"]["document"]) == 0


def test_redrive_brings_it_back_and_it_ends_processed(stack: Stack, redriven: Redriven) -> None:
    assert redriven.moved == {"data": 0, "document": 1, "image": 0}
    record = redriven.record
    assert record["attempts"] == MAX_RECEIVE_COUNT + 1
    assert "error" not in record
    samples.check_report(record)
    assert stack.queue_depth(stack.outputs["dlq_urls"]["document"]) == 0


def skip_logs(stack: Stack, file_id: str) -> list[dict[str, Any]]:
    """The document function's log lines saying it skipped an event of this file."""
    logs = stack.client("logs")
    group = f"/aws/lambda/{stack.prefix}-document"
    found = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            try:
                line = json.loads(event["message"])
            except ValueError:
                continue  # START/END/REPORT lines
            if line.get("message") == "Event skipped" and line.get("file_id") == file_id:
                found.append(line)
    return found


def test_a_duplicate_notification_leaves_one_record_and_one_artefact_version(
    stack: Stack, dead_lettered: DeadLettered, redriven: Redriven
) -> None:
    file_id = dead_lettered.ticket.file_id
    s3 = stack.client("s3")
    prefix = f"derived/{file_id}/"
    versions_before = s3.list_object_versions(Bucket=stack.bucket, Prefix=prefix)["Versions"]
    # One version of each artefact: the page-1 preview and the text.
    assert sorted(v["Key"] for v in versions_before) == [
        f"{prefix}text.txt",
        f"{prefix}thumbnail.jpg",
    ]
    assert skip_logs(stack, file_id) == []

    # S3 delivers at least once: the same notification again, byte for byte.
    queue = stack.outputs["queue_urls"]["document"]
    stack.client("sqs").send_message(QueueUrl=queue, MessageBody=dead_lettered.message["Body"])
    skipped = stack.wait_for(
        "the document function to skip the duplicate",
        lambda: skip_logs(stack, file_id),
        lambda found: len(found) == 1,
    )
    assert skipped[0]["reason"].startswith("duplicate delivery"), skipped

    assert stack.record(file_id) == redriven.record  # attempts, times: nothing moved
    versions_after = s3.list_object_versions(Bucket=stack.bucket, Prefix=prefix)["Versions"]
    assert [v["VersionId"] for v in versions_after] == [v["VersionId"] for v in versions_before]
    items = stack.client("dynamodb").scan(
        TableName=stack.table,
        FilterExpression="#k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": dead_lettered.ticket.key}},
    )["Items"]
    assert [item["file_id"]["S"] for item in items] == [file_id]
    assert (
        stack.wait_for(
            "the document queue to be empty",
            lambda: stack.queue_depth(queue),
            lambda depth: depth == 0,
        )
        == 0
    )
