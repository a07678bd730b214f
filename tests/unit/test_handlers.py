"""The Lambda handlers: SQS events in, batch item failures out, records in moto.

The first part builds a handler with make_sqs_handler and a test-local
processor; the second runs the deployed handler modules with the real
processors end to end.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Aws, FakeLambdaContext
from pipeline_events import Uploads, s3_test_event_body, sqs_event, sqs_message
from pipeline_fakes import FakeProcessor

from fileproc.config import Settings
from fileproc.keys import Category, file_id_for_key
from fileproc.pipeline import Clients, DeadlineGuard, TimeBudget, make_sqs_handler
from fileproc.records import Records
from fileproc_tools.inprocess import notification

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100

Handler = Callable[[dict[str, Any], Any], Any]


@pytest.fixture
def process() -> FakeProcessor:
    return FakeProcessor()


@pytest.fixture
def handler(aws: Aws, process: FakeProcessor) -> Handler:
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    return make_sqs_handler(Category.IMAGE, process, settings=Settings.from_env(), clients=clients)


@pytest.fixture
def uploads(aws: Aws) -> Uploads:
    return Uploads(aws.s3, aws.bucket)


def status(aws: Aws, key: str) -> tuple[str, int] | None:
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, key))
    return None if item is None else (item["status"], int(item["attempts"]))


def failing_for(aws: Aws, monkeypatch: pytest.MonkeyPatch, key: str, error: ClientError) -> None:
    """S3 GetObject fails with ``error`` for ``key`` only."""
    get_object = aws.s3.get_object

    def flaky(**kwargs: Any) -> Any:
        if kwargs["Key"] == key:
            raise error
        return get_object(**kwargs)

    monkeypatch.setattr(aws.s3, "get_object", flaky)


THROTTLED = ClientError(
    {
        "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    },
    "GetObject",
)
SERVER_FAULT = ClientError(
    {
        "Error": {"Code": "InternalError", "Message": "We encountered an internal error."},
        "ResponseMetadata": {"HTTPStatusCode": 500},
    },
    "GetObject",
)


def emf_blobs(out: str) -> list[dict[str, Any]]:
    return [
        blob
        for blob in (json.loads(line) for line in out.splitlines() if line.startswith("{"))
        if "_aws" in blob
    ]


@pytest.mark.parametrize("error", [THROTTLED, SERVER_FAULT], ids=["throttling", "5xx"])
def test_a_transient_error_fails_exactly_that_message(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    error: ClientError,
) -> None:
    messages = [
        sqs_message(notification(uploads.put(f"uploads/{name}.png", PNG)))
        for name in ("a", "b", "c")
    ]
    event = sqs_event(*messages)
    with monkeypatch.context() as patch:
        failing_for(aws, patch, "uploads/b.png", error)
        response = handler(event, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": messages[1]["messageId"]}]}
    assert status(aws, "uploads/a.png") == ("PROCESSED", 1)
    assert status(aws, "uploads/b.png") == ("PROCESSING", 1)
    assert status(aws, "uploads/c.png") == ("PROCESSED", 1)

    # SQS redelivers only the failed message; this time S3 answers.
    redelivery = dict(
        messages[1], attributes={**messages[1]["attributes"], "ApproximateReceiveCount": "2"}
    )
    assert handler(sqs_event(redelivery), lambda_context) == {"batchItemFailures": []}
    assert status(aws, "uploads/b.png") == ("PROCESSED", 2)


def test_the_receive_count_tells_the_last_delivery(
    aws: Aws,
    uploads: Uploads,
    process: FakeProcessor,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ApproximateReceiveCount = MAX_RECEIVE_COUNT: the message goes to the DLQ after
    this failure, and the record says FAILED (retryable) instead of PROCESSING."""
    settings = Settings.from_env({**os.environ, "MAX_RECEIVE_COUNT": "5"})
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    handler = make_sqs_handler(Category.IMAGE, process, settings=settings, clients=clients)
    body = notification(uploads.put("uploads/a.png", PNG))
    failing_for(aws, monkeypatch, "uploads/a.png", SERVER_FAULT)
    for count, expected in ((4, "PROCESSING"), (5, "FAILED")):
        message = sqs_message(body, receive_count=count)
        response = handler(sqs_event(message), lambda_context)
        assert response == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}
        item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, "uploads/a.png"))
        assert item is not None
        assert item["status"] == expected
    assert item["error"]["type"] == "RetriesExhausted"


def test_a_batch_that_fails_entirely_is_reported_not_raised(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)))
    failing_for(aws, monkeypatch, "uploads/a.png", THROTTLED)
    capsys.readouterr()
    assert handler(sqs_event(message), lambda_context) == {
        "batchItemFailures": [{"itemIdentifier": message["messageId"]}]
    }
    [blob] = emf_blobs(capsys.readouterr().out)
    assert blob["MessagesRetried"] == [1.0]


def test_a_record_that_cannot_be_written_is_redelivered_not_dropped(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    process: FakeProcessor,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AccessDenied on the table is not the file's fault: nothing may be acknowledged."""
    denied = ClientError(
        {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "UpdateItem",
    )

    def update_item(**_: Any) -> Any:
        raise denied

    monkeypatch.setattr(aws.dynamodb, "update_item", update_item)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)))
    assert handler(sqs_event(message), lambda_context) == {
        "batchItemFailures": [{"itemIdentifier": message["messageId"]}]
    }
    assert process.calls == []


def test_a_message_with_several_records_is_retried_whole_and_stays_idempotent(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    process: FakeProcessor,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = sqs_message(
        notification(uploads.put("uploads/a.png", PNG), uploads.put("uploads/b.png", PNG))
    )
    with monkeypatch.context() as patch:
        failing_for(aws, patch, "uploads/b.png", THROTTLED)
        response = handler(sqs_event(message), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}
    assert handler(sqs_event(message), lambda_context) == {"batchItemFailures": []}
    # a.png was processed once: the redelivered record was a duplicate.
    assert len(process.calls) == 2
    assert status(aws, "uploads/a.png") == ("PROCESSED", 1)
    assert status(aws, "uploads/b.png") == ("PROCESSED", 2)


def test_permanent_failures_and_junk_are_acknowledged(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
) -> None:
    pdf_named_png = uploads.put("uploads/fake.png", b"%PDF-1.7\n%%EOF\n")
    event = sqs_event(
        sqs_message(notification(pdf_named_png)),
        sqs_message(s3_test_event_body(aws.bucket)),
        sqs_message("this is not JSON"),
        sqs_message(json.dumps({"Records": [{"eventSource": "aws:sqs"}]})),
    )
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    assert status(aws, "uploads/fake.png") == ("FAILED", 1)


def test_the_same_message_delivered_twice_processes_once(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    process: FakeProcessor,
    lambda_context: FakeLambdaContext,
) -> None:
    body = notification(uploads.put("uploads/a.png", PNG))
    # At-least-once: two deliveries of one notification, even in one batch.
    event = sqs_event(sqs_message(body), sqs_message(body))
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(process.calls) == 1
    assert status(aws, "uploads/a.png") == ("PROCESSED", 1)


def test_out_of_order_delivery_keeps_the_newest_version(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
) -> None:
    old = uploads.put("uploads/a.png", PNG + b"old")
    new = uploads.put("uploads/a.png", PNG + b"new!")
    event = sqs_event(sqs_message(notification(new)), sqs_message(notification(old)))
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, "uploads/a.png"))
    assert item is not None
    assert item["version_id"] == new["s3"]["object"]["versionId"]
    assert item["size"] == len(PNG + b"new!")


def test_metrics_are_emitted_as_emf_per_category(
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = sqs_event(
        sqs_message(notification(uploads.put("uploads/a.png", PNG))),
        sqs_message(notification(uploads.put("uploads/b.png", b"%PDF-1.7\n"))),
        sqs_message("junk"),
    )
    capsys.readouterr()
    handler(event, lambda_context)
    [blob] = emf_blobs(capsys.readouterr().out)
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "fileproc"
    assert set(directive["Dimensions"][0]) == {"service", "environment", "category"}
    assert (blob["category"], blob["environment"]) == ("image", "test")
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units["ProcessingTime"] == "Milliseconds"
    counts = [blob[name] for name in ("FilesProcessed", "FilesFailed", "InvalidMessages")]
    assert counts == [[1.0], [1.0], [1.0]]
    assert len(blob["ProcessingTime"]) == 1


def test_log_lines_carry_the_lambda_context_correlation_id_and_file_id(
    aws: Aws,
    uploads: Uploads,
    handler: Handler,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)))
    capsys.readouterr()
    handler(sqs_event(message), lambda_context)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    logs = [line for line in lines if "_aws" not in line]  # the last line is the EMF blob
    assert logs
    for line in logs:
        assert line["function_request_id"] == lambda_context.aws_request_id
        assert line["correlation_id"] == message["messageId"]
        assert line["file_id"] == file_id_for_key(aws.bucket, "uploads/a.png")


# --- the deployed handler modules with the real processors -------------------------


def handler_module(name: str) -> Any:
    pytest.importorskip(f"fileproc.processors.{name}")
    return importlib.import_module(f"fileproc.handlers.{name}")


def png_bytes(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_image_handler_end_to_end(
    aws: Aws, uploads: Uploads, lambda_context: FakeLambdaContext
) -> None:
    from PIL import Image

    module = handler_module("image")
    # Written straight to the bucket (the API would have recorded the key first).
    key = "uploads/0123456789abcdef0123456789abcdef/Red Square.PNG"
    file_id = file_id_for_key(aws.bucket, key)
    record = uploads.put(key, png_bytes(640, 480), "image/png")
    message = sqs_message(notification(record))
    assert module.handler(sqs_event(message), lambda_context) == {"batchItemFailures": []}

    item = Records(aws.dynamodb, aws.table).get(file_id)
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert (item["metadata"]["format"], item["metadata"]["width"]) == ("PNG", 640)
    assert item["metadata"]["height"] == 480
    thumbnail_key = f"derived/{file_id}/thumbnail.jpg"
    assert item["derived"] == {"thumbnail": thumbnail_key}
    thumbnail = aws.s3.get_object(Bucket=aws.bucket, Key=thumbnail_key)
    assert thumbnail["ContentType"] == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail["Body"].read())) as image:
        assert (image.format, image.size) == ("JPEG", (256, 192))


def test_image_handler_fails_a_pdf_named_jpg(
    aws: Aws, uploads: Uploads, lambda_context: FakeLambdaContext
) -> None:
    from pypdf import PdfWriter

    module = handler_module("image")
    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(pdf)
    message = sqs_message(notification(uploads.put("uploads/cat.jpg", pdf.getvalue())))
    assert module.handler(sqs_event(message), lambda_context) == {"batchItemFailures": []}
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, "uploads/cat.jpg"))
    assert item is not None
    assert item["status"] == "FAILED"
    assert item["error"]["type"] == "ContentMismatch"
    assert "content does not match extension" in item["error"]["message"]
    assert "derived" not in item


def test_document_handler_end_to_end(
    aws: Aws, uploads: Uploads, lambda_context: FakeLambdaContext
) -> None:
    module = handler_module("document")
    text = "Grüße aus Köln.\nSecond line of the memo.\n"
    record = uploads.put("uploads/memo.txt", text.encode("utf-8"), "text/plain")
    assert module.handler(sqs_event(sqs_message(notification(record))), lambda_context) == {
        "batchItemFailures": []
    }
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, "uploads/memo.txt"))
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert item["metadata"]["lines"] == 2
    assert item["metadata"]["words"] == 8
    assert "ai" not in item  # BEDROCK_ENABLED=false in the test environment


def test_data_handler_end_to_end(
    aws: Aws, uploads: Uploads, lambda_context: FakeLambdaContext
) -> None:
    module = handler_module("data")
    csv = b"id;name;price\n1;apple;0.5\n2;pear;0.75\n"
    record = uploads.put("uploads/Prices.CSV", csv, "text/csv")
    assert module.handler(sqs_event(sqs_message(notification(record))), lambda_context) == {
        "batchItemFailures": []
    }
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, "uploads/Prices.CSV"))
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert item["category"] == "data"
    assert (item["metadata"]["rows"], item["metadata"]["columns"]) == (2, 3)


def test_notifications_from_moto_s3_through_sqs(
    aws: Aws, lambda_context: FakeLambdaContext
) -> None:
    """The body S3 (here moto) really sends through SQS, in the event Lambda builds from it.

    moto 5.2.1 leaves out the sequencer and the version id and stamps a time without
    a zone; the pipeline still processes the latest version, ordered by event time.
    """
    module = handler_module("image")
    queue_url = aws.sqs.create_queue(QueueName="fileproc-test-image")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    aws.s3.put_bucket_notification_configuration(
        Bucket=aws.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    key = "uploads/summer trip/Beach + Sea.png"
    aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=png_bytes(64, 32))
    received = aws.sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    # Lambda's SQS event: the received messages with its own field names.
    event = sqs_event(
        *(
            dict(
                sqs_message(m["Body"], message_id=m["MessageId"]),
                receiptHandle=m["ReceiptHandle"],
            )
            for m in received
        )
    )
    assert module.handler(event, lambda_context) == {"batchItemFailures": []}
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, key))
    assert item is not None
    assert (item["status"], item["key"]) == ("PROCESSED", key)
    assert (item["metadata"]["width"], item["metadata"]["height"]) == (64, 32)


def test_handler_modules_import_only_their_own_processor() -> None:
    """Cold start: the image function must not pay for PDFium, nor documents for Pillow."""
    import subprocess
    import sys

    handler_module("image")
    code = (
        "import sys, fileproc.handlers.image; "
        "print(','.join(m for m in ('pypdfium2', 'fileproc.processors.document') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""


class ShrinkingContext(FakeLambdaContext):
    """An invocation whose remaining time a test sets (remaining_ms[0])."""

    def __init__(self, remaining_ms: list[int]) -> None:
        super().__init__()
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms[0]


def test_a_message_is_not_started_without_time_for_it(
    aws: Aws, uploads: Uploads, handler: Handler, process: FakeProcessor
) -> None:
    """The unstarted message alone comes back; the finished one is acknowledged (a timeout
    would have returned both, each losing a receive)."""
    first, second = (
        sqs_message(notification(uploads.put(f"uploads/{name}.png", PNG))) for name in "ab"
    )
    context = ShrinkingContext([60_000])
    # Processing the first file uses up the invocation: 1 s is left after it.
    process.during = lambda: context.remaining_ms.__setitem__(0, 1_000)
    response = handler(sqs_event(first, second), context)
    assert response == {"batchItemFailures": [{"itemIdentifier": second["messageId"]}]}
    assert status(aws, "uploads/a.png") == ("PROCESSED", 1)
    assert status(aws, "uploads/b.png") is None  # never started: no record, no attempt


def test_the_last_delivery_is_started_whatever_the_time_left(
    aws: Aws, uploads: Uploads, process: FakeProcessor
) -> None:
    settings = Settings.from_env({**os.environ, "MAX_RECEIVE_COUNT": "3"})
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    handler = make_sqs_handler(Category.IMAGE, process, settings=settings, clients=clients)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=3)
    assert handler(sqs_event(message), ShrinkingContext([1_000])) == {"batchItemFailures": []}
    assert status(aws, "uploads/a.png") == ("PROCESSED", 1)


def test_time_budget_learns_the_longest_message() -> None:
    budget = TimeBudget()
    with budget.timing():  # an invocation's first message has started
        pass
    assert budget.may_start(TimeBudget.MIN_START_MS)
    assert not budget.may_start(TimeBudget.MIN_START_MS - 1)
    budget.longest_ms = 10_000
    assert not budget.may_start(19_999)
    assert budget.may_start(20_000)
    with budget.timing():
        pass
    assert budget.longest_ms == 10_000  # a quick message does not lower it


def test_time_budget_always_starts_an_invocations_first_message() -> None:
    budget = TimeBudget()
    budget.longest_ms = 200_000  # one file once took 200 s of a 300 s timeout
    assert budget.may_start(1_000)
    with budget.timing():
        pass
    assert not budget.may_start(299_000)
    budget.new_invocation()
    assert budget.may_start(299_000)


def test_an_invocations_first_message_runs_whatever_the_budget(
    aws: Aws, uploads: Uploads, handler: Handler, process: FakeProcessor
) -> None:
    """An invocation with less time left than the budget asks for still runs its first
    message (nothing finished can be lost with it); only the second is returned."""
    first, second, third = (
        sqs_message(notification(uploads.put(f"uploads/{name}.png", PNG))) for name in "abc"
    )
    context = ShrinkingContext([60_000])
    process.during = lambda: context.remaining_ms.__setitem__(0, 1_000)
    assert handler(sqs_event(first), context) == {"batchItemFailures": []}
    context.remaining_ms[0] = 2_000  # less than MIN_START_MS and than twice the longest
    response = handler(sqs_event(second, third), context)
    assert response == {"batchItemFailures": [{"itemIdentifier": third["messageId"]}]}
    assert status(aws, "uploads/b.png") == ("PROCESSED", 1)
    assert status(aws, "uploads/c.png") is None


class Deadline(FakeLambdaContext):
    """An invocation that really runs out: its remaining time falls with the clock."""

    def __init__(self, remaining_ms: int) -> None:
        super().__init__()
        self.ends = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends - time.monotonic()) * 1000))


def last_delivery_handler(aws: Aws, process: FakeProcessor) -> Handler:
    settings = Settings.from_env({**os.environ, "MAX_RECEIVE_COUNT": "3"})
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    return make_sqs_handler(Category.IMAGE, process, settings=settings, clients=clients)


def record(aws: Aws, key: str) -> dict[str, Any]:
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, key))
    assert item is not None
    return item


def test_a_file_out_of_time_on_its_last_delivery_is_recorded_failed(
    aws: Aws, uploads: Uploads, process: FakeProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda kills the runtime at the timeout: the record must say FAILED before that,
    and the message goes to the DLQ with it."""
    monkeypatch.setattr(DeadlineGuard, "MARGIN_MS", 300)
    process.during = lambda: time.sleep(0.6)  # past the guard at 0.2 s, as if killed later
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=3)
    response = last_delivery_handler(aws, process)(sqs_event(message), Deadline(500))
    assert response == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}
    item = record(aws, "uploads/a.png")
    assert item["status"] == "FAILED"
    assert item["error"]["type"] == "RetriesExhausted"
    assert item["error"]["retryable"] is True
    assert "before the function's timeout on the last delivery (3 of 3)" in item["error"]["message"]
    assert "derived" not in item  # this attempt's artefacts were removed


def test_a_quick_file_on_its_last_delivery_disarms_the_guard(
    aws: Aws, uploads: Uploads, process: FakeProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DeadlineGuard, "MARGIN_MS", 300)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=3)
    handler = last_delivery_handler(aws, process)
    assert handler(sqs_event(message), Deadline(600)) == {"batchItemFailures": []}
    time.sleep(0.5)  # after the moment the guard would have fired
    assert record(aws, "uploads/a.png")["status"] == "PROCESSED"


def test_the_guard_is_only_for_the_last_delivery(
    aws: Aws, uploads: Uploads, handler: Handler, process: FakeProcessor
) -> None:
    """Earlier deliveries leave the record PROCESSING when they time out: the next
    delivery takes it over (a timer would only fail a file that may still succeed)."""
    process.during = lambda: time.sleep(0.3)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=1)
    assert handler(sqs_event(message), Deadline(100)) == {"batchItemFailures": []}
    assert record(aws, "uploads/a.png")["status"] == "PROCESSED"


def test_with_little_time_left_the_guard_waits_half_of_it(
    aws: Aws, uploads: Uploads, process: FakeProcessor
) -> None:
    """A last delivery started near the deadline (less than twice the margin left) is
    not failed on the spot: a file that finishes in half the time left is PROCESSED."""
    process.during = lambda: time.sleep(0.05)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=3)
    handler = last_delivery_handler(aws, process)
    assert handler(sqs_event(message), Deadline(1_000)) == {"batchItemFailures": []}
    assert record(aws, "uploads/a.png")["status"] == "PROCESSED"


def test_a_guard_that_cannot_write_leaves_the_attempt_alone(
    aws: Aws, uploads: Uploads, process: FakeProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB refusing the guard's write (throttled) is logged; the attempt goes on and,
    if it finishes after all, its result stands."""

    def throttled(*args: Any, **kwargs: Any) -> bool:
        raise ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")

    monkeypatch.setattr(DeadlineGuard, "MARGIN_MS", 300)
    monkeypatch.setattr(Records, "fail", throttled)
    process.during = lambda: time.sleep(0.4)
    message = sqs_message(notification(uploads.put("uploads/a.png", PNG)), receive_count=3)
    response = last_delivery_handler(aws, process)(sqs_event(message), Deadline(500))
    assert response == {"batchItemFailures": []}
    assert record(aws, "uploads/a.png")["status"] == "PROCESSED"
