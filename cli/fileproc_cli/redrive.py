"""Move the messages of each dead-letter queue back to its processor's queue.

A message lands in a DLQ after ``max_receive_count`` failed receives (a
transient fault that outlasted the retries); once the fault is fixed,
``fileproc redrive`` gives each message a fresh set of receives.

How: receive from the DLQ, send the same body, message attributes and trace
header to the source queue, then delete from the DLQ, in batches of ten, until
a receive comes back empty. SQS has a native redrive (StartMessageMoveTask),
but moto 5.2.1 does not implement it (no message-move operation in
``moto/sqs``), it is asynchronous (a task to poll) and needs the DLQ's
redrive-allow policy; this loop works the same on AWS and in the sandbox.
Sending before deleting means a crash in between can leave a message in both
queues, never in neither; the pipeline ignores a duplicate event for a
version it has already recorded. The stack's queues are standard queues (a
FIFO queue would also need the group and deduplication ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageAttributeValueTypeDef,
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

BATCH = 10  # SQS's most per receive, send and delete batch
RECEIVE_WAIT_SECONDS = 1  # long polling: an empty answer means empty, not "asked one host"
# Long enough to send and delete a batch; a message whose send failed comes back after it.
VISIBILITY_SECONDS = 30


@dataclass(frozen=True)
class QueuePair:
    name: str  # the processor: image, document, data
    dlq_url: str
    queue_url: str


@dataclass(frozen=True)
class Moved:
    """What redrive did (or, in a dry run, would do) for one DLQ."""

    pair: QueuePair
    moved: int  # in a dry run: the messages waiting in the DLQ
    failed: int = 0  # sends the source queue refused; those stay in the DLQ
    dry_run: bool = False


def queue_pairs(outputs: Mapping[str, Any]) -> list[QueuePair]:
    """Each DLQ with its source queue, from a deployment's outputs (dlq_urls, queue_urls)."""
    dlqs: Mapping[str, str] = outputs.get("dlq_urls") or {}
    queues: Mapping[str, str] = outputs.get("queue_urls") or {}
    return [
        QueuePair(name=name, dlq_url=dlqs[name], queue_url=queues[name])
        for name in sorted(dlqs)
        if name in queues
    ]


def waiting(sqs: SQSClient, queue_url: str) -> int:
    """Messages in a queue, visible or in flight (SQS's approximate counts)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _resend_entry(index: int, message: MessageTypeDef) -> SendMessageBatchRequestEntryTypeDef:
    entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(index), "MessageBody": message["Body"]}
    # Received attributes carry empty StringListValues/BinaryListValues, which SQS
    # reserves and does not take back on send.
    attributes = {
        name: cast(
            "MessageAttributeValueTypeDef",
            {key: value for key, value in attribute.items() if value not in ([], None)},
        )
        for name, attribute in (message.get("MessageAttributes") or {}).items()
    }
    if attributes:
        entry["MessageAttributes"] = attributes
    trace = (message.get("Attributes") or {}).get("AWSTraceHeader")
    if trace:
        entry["MessageSystemAttributes"] = {
            "AWSTraceHeader": {"StringValue": trace, "DataType": "String"}
        }
    return entry


def move_messages(
    sqs: SQSClient, pair: QueuePair, *, wait_seconds: int = RECEIVE_WAIT_SECONDS
) -> Moved:
    moved = failed = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=pair.dlq_url,
            MaxNumberOfMessages=BATCH,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["AWSTraceHeader"],
        ).get("Messages", [])
        if not messages:
            return Moved(pair, moved, failed)
        sent = sqs.send_message_batch(
            QueueUrl=pair.queue_url,
            Entries=[_resend_entry(index, message) for index, message in enumerate(messages)],
        )
        done = [messages[int(entry["Id"])] for entry in sent.get("Successful", [])]
        failed += len(sent.get("Failed", []))
        if done:
            sqs.delete_message_batch(
                QueueUrl=pair.dlq_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        moved += len(done)
        if not done:
            # Every send failed: receiving again would only meet the same messages later.
            return Moved(pair, moved, failed)


def redrive(
    sqs: SQSClient,
    pairs: Sequence[QueuePair],
    *,
    dry_run: bool = False,
    wait_seconds: int = RECEIVE_WAIT_SECONDS,
) -> list[Moved]:
    """Move every DLQ's messages back to its source queue; per queue, how many."""
    if dry_run:
        return [Moved(pair, waiting(sqs, pair.dlq_url), dry_run=True) for pair in pairs]
    return [move_messages(sqs, pair, wait_seconds=wait_seconds) for pair in pairs]


def sqs_client(env: str, outputs: Mapping[str, Any], endpoint: str | None = None) -> SQSClient:
    """SQS of the environment: the sandbox's endpoint (``endpoint``, default from
    SANDBOX_PORT) with its fake credentials for ``sandbox``, the default AWS credential
    chain (profile, SSO, role) for the others."""
    import boto3

    import fileproc_sandbox as sandbox
    from fileproc_sandbox import credentials

    region = str(outputs.get("region") or "us-east-1")
    if env != sandbox.ENV_NAME:
        return boto3.client("sqs", region_name=region)
    return credentials.client("sqs", endpoint or sandbox.endpoint_url(), region)
