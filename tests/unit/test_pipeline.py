"""handle_record / handle_message against moto, with test-local processors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError, ResponseStreamingError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from conftest import Aws
from pipeline_events import Uploads, s3_test_event_body
from pipeline_fakes import FakeProcessor, RaisingProcessor

from fileproc.ai import SYSTEM_PROMPT
from fileproc.api.store import FileStore
from fileproc.api.uploads import UploadPlan, pending_record
from fileproc.config import Settings
from fileproc.errors import Corrupt
from fileproc.events import parse_body
from fileproc.keys import Category, file_id_for_key, upload_key
from fileproc.pipeline import Clients, Outcome, handle_message, handle_record, human_size
from fileproc.processors import data
from fileproc.processors.base import Processor
from fileproc.records import Records
from fileproc_tools.inprocess import notification, s3_record

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 10
API_FILE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture
def clients(aws: Aws) -> Clients:
    return Clients(s3=aws.s3, dynamodb=aws.dynamodb)


@pytest.fixture
def uploads(aws: Aws) -> Uploads:
    return Uploads(aws.s3, aws.bucket)


@pytest.fixture
def run(settings: Settings, clients: Clients) -> Callable[..., Outcome]:
    def run(
        record: dict[str, Any],
        process: Processor,
        category: Category = Category.IMAGE,
        settings: Settings = settings,
        clients: Clients = clients,
    ) -> Outcome:
        [event] = parse_body(notification(record))
        return handle_record(event, category, process, settings, clients)

    return run


def stored(aws: Aws, key: str, file_id: str | None = None) -> dict[str, Any] | None:
    """The record of a key written straight to the bucket, or of the API's ``file_id``."""
    return Records(aws.dynamodb, aws.table).get(file_id or file_id_for_key(aws.bucket, key))


def requested(aws: Aws, settings: Settings, file_id: str, filename: str) -> str:
    """POST /files's side: the PENDING record of an upload; returns the key it issued."""
    plan = UploadPlan(
        file_id=file_id,
        key=upload_key(file_id, filename, settings.upload_prefix),
        category=Category.IMAGE,
        filename=filename,
        content_type="image/png",
        size=len(PNG),
    )
    item = pending_record(plan, aws.bucket, datetime.now(UTC), settings.upload_url_ttl_seconds)
    FileStore(aws.dynamodb, aws.table).create(item)
    return plan.key


def body_of(aws: Aws, key: str) -> bytes:
    return aws.s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read()


def versions_under(aws: Aws, prefix: str) -> list[str]:
    listing = aws.s3.list_object_versions(Bucket=aws.bucket, Prefix=prefix)
    return [v["Key"] for v in listing.get("Versions", [])]


def test_a_file_is_processed_into_its_record_and_artefacts(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], settings: Settings
) -> None:
    key = requested(aws, settings, API_FILE_ID, "photo.png")
    record = uploads.put(key, PNG, "image/png")
    process = FakeProcessor()
    assert run(record, process) is Outcome.PROCESSED
    item = stored(aws, key, API_FILE_ID)
    assert item is not None
    assert item["file_id"] == API_FILE_ID
    assert (item["key"], item["filename"]) == (key, "photo.png")
    assert item["status"] == "PROCESSED"
    assert item["content_type"] == "image/png"
    assert item["version_id"] == record["s3"]["object"]["versionId"]
    assert item["metadata"]["bytes"] == len(PNG)
    artefact = f"derived/{API_FILE_ID}/summary.txt"
    assert item["derived"] == {"summary": artefact}
    assert body_of(aws, artefact) == f"sha256 {item['metadata']['sha256']}\n".encode()
    head = aws.s3.head_object(Bucket=aws.bucket, Key=artefact)
    assert head["ContentType"] == "text/plain"
    [call] = process.calls
    assert (call.size, call.extension) == (len(PNG), ".png")


def test_the_processor_gets_the_unseekable_stream_and_it_is_closed(
    uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[StreamingBody] = []
    original_close = StreamingBody.close

    def spy_close(self: StreamingBody) -> None:
        closed.append(self)
        original_close(self)

    monkeypatch.setattr(StreamingBody, "close", spy_close)
    process = FakeProcessor()
    run(uploads.put("uploads/a.png", PNG), process)
    [call] = process.calls
    assert isinstance(call.stream, StreamingBody)
    assert call.seekable is False
    assert call.stream in closed


def test_the_stream_is_closed_when_the_processor_raises(
    uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[StreamingBody] = []
    original_close = StreamingBody.close
    monkeypatch.setattr(
        StreamingBody, "close", lambda self: (closed.append(self), original_close(self))[1]
    )
    assert run(uploads.put("uploads/a.png", PNG), RaisingProcessor(Corrupt("bad"))) is (
        Outcome.FAILED
    )
    assert len(closed) == 1


def test_the_exact_version_of_the_event_is_read(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    first = uploads.put("uploads/a.png", PNG + b"first")
    uploads.put("uploads/a.png", PNG + b"second, longer")
    process = FakeProcessor()
    run(first, process)
    assert process.calls[0].size == len(PNG + b"first")


@pytest.mark.parametrize(
    "key",
    [
        "uploads/my holiday photo.png",
        "uploads/a+b=c&d.png",
        "uploads/été/漢字 (1).png",
        "uploads/100% sure.png",
    ],
)
def test_encoded_keys_are_decoded_and_found(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], key: str
) -> None:
    record = uploads.put(key, PNG)
    assert record["s3"]["object"]["key"] != key  # S3 sends it URL-encoded
    assert run(record, FakeProcessor()) is Outcome.PROCESSED
    item = stored(aws, key)
    assert item is not None
    assert item["key"] == key
    assert item["filename"] == key.rsplit("/", 1)[-1]


def test_upper_case_extensions_are_processed_with_the_lowercase_extension(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    process = FakeProcessor()
    assert run(uploads.put("uploads/SCAN.PNG", PNG), process) is Outcome.PROCESSED
    assert process.calls[0].extension == ".png"
    item = stored(aws, "uploads/SCAN.PNG")
    assert item is not None
    assert item["category"] == "image"


@pytest.mark.parametrize(
    "key", ["elsewhere/a.png", "derived/0123/a.png", "uploadsX/a.png", "a.png"]
)
def test_keys_outside_the_upload_prefix_are_skipped_untouched(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], key: str
) -> None:
    process = FakeProcessor()
    assert run(uploads.put(key, PNG), process) is Outcome.SKIPPED
    assert process.calls == []
    assert stored(aws, key) is None


def test_a_derived_prefix_inside_the_upload_prefix_is_skipped(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], settings: Settings
) -> None:
    nested = dataclasses.replace(settings, upload_prefix="files/", derived_prefix="files/derived/")
    process = FakeProcessor()
    key = "files/derived/abc/thumbnail.png"
    assert run(uploads.put(key, PNG), process, settings=nested) is Outcome.SKIPPED
    assert process.calls == []


def test_the_same_event_twice_leaves_one_record_and_one_set_of_artefacts(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []
    update_item = aws.dynamodb.update_item

    def counting(**kwargs: Any) -> Any:
        writes.append(kwargs["ConditionExpression"])
        return update_item(**kwargs)

    monkeypatch.setattr(aws.dynamodb, "update_item", counting)
    record = uploads.put("uploads/a.png", PNG)
    process = FakeProcessor()
    assert run(record, process) is Outcome.PROCESSED
    assert len(writes) == 2  # begin + complete
    before = stored(aws, "uploads/a.png")
    assert run(record, process) is Outcome.SKIPPED
    assert len(process.calls) == 1
    assert stored(aws, "uploads/a.png") == before
    file_id = file_id_for_key(aws.bucket, "uploads/a.png")
    assert versions_under(aws, f"derived/{file_id}/") == [f"derived/{file_id}/summary.txt"]


def test_an_older_version_arriving_late_never_overwrites_the_newer(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    old = uploads.put("uploads/a.png", PNG + b"old")
    new = uploads.put("uploads/a.png", PNG + b"new")
    assert run(new, FakeProcessor()) is Outcome.PROCESSED
    late = FakeProcessor()
    assert run(old, late) is Outcome.SKIPPED
    assert late.calls == []
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["version_id"] == new["s3"]["object"]["versionId"]
    assert item["metadata"]["bytes"] == len(PNG + b"new")


def test_a_newer_version_during_processing_wins_and_the_old_artefacts_are_undone(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    key = "uploads/a.png"
    file_id = file_id_for_key(aws.bucket, key)
    artefact = f"derived/{file_id}/summary.txt"
    old = uploads.put(key, PNG + b"old")
    newer: list[Outcome] = []

    def newer_upload_processed_meanwhile() -> None:
        newer.append(run(uploads.put(key, PNG + b"new"), FakeProcessor()))

    slow = FakeProcessor(during=newer_upload_processed_meanwhile)
    assert run(old, slow) is Outcome.SKIPPED
    assert newer == [Outcome.PROCESSED]
    item = stored(aws, key)
    assert item is not None
    assert item["metadata"]["bytes"] == len(PNG + b"new")
    # The slow attempt wrote its artefact last; removing its version restores the newer one.
    assert body_of(aws, artefact) == f"sha256 {item['metadata']['sha256']}\n".encode()
    assert versions_under(aws, artefact) == [artefact]


def test_a_failure_overtaken_by_a_newer_version_is_discarded(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    key = "uploads/a.png"
    old = uploads.put(key, PNG + b"old")

    class NewerThenCorrupt(FakeProcessor):
        def __call__(self, stream: Any, **kwargs: Any) -> Any:
            run(uploads.put(key, PNG + b"new"), FakeProcessor())
            raise Corrupt("the old version was damaged")

    assert run(old, NewerThenCorrupt()) is Outcome.SKIPPED
    item = stored(aws, key)
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert "error" not in item


def test_a_failure_to_undo_artefacts_is_only_logged(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "uploads/a.png"
    old = uploads.put(key, PNG + b"old")

    def newer_meanwhile() -> None:
        run(uploads.put(key, PNG + b"new"), FakeProcessor())
        monkeypatch.setattr(aws.s3, "delete_object", pytest.fail)  # e.g. AccessDenied

    assert run(old, FakeProcessor(during=newer_meanwhile)) is Outcome.SKIPPED
    item = stored(aws, key)
    assert item is not None
    assert item["metadata"]["bytes"] == len(PNG + b"new")


def test_a_mismatched_extension_fails_without_artefacts(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    key = "uploads/invoice.png"
    assert run(uploads.put(key, PDF, "image/png"), FakeProcessor()) is Outcome.FAILED
    item = stored(aws, key)
    assert item is not None
    assert item["status"] == "FAILED"
    assert item["error"] == {
        "type": "ContentMismatch",
        "message": "content does not match extension: .png file is a PDF",
        "retryable": False,
    }
    assert item["content_type"] == "image/png"
    assert "derived" not in item
    assert versions_under(aws, "derived/") == []


def test_too_large_fails_before_downloading(
    aws: Aws, run: Callable[..., Outcome], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws.s3, "get_object", pytest.fail)
    record = s3_record(
        "ObjectCreated:Put", aws.bucket, "uploads/huge.png", sequencer="0A", size=64_172_851
    )
    process = FakeProcessor()
    assert run(record, process) is Outcome.FAILED
    assert process.calls == []
    item = stored(aws, "uploads/huge.png")
    assert item is not None
    assert item["error"]["type"] == "TooLarge"
    assert item["error"]["message"] == "file is 61.2 MB; the limit for images is 50 MB"


def test_the_size_limit_is_per_category(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], settings: Settings
) -> None:
    small = dataclasses.replace(settings, max_document_bytes=100, max_image_bytes=10_000)
    assert run(uploads.put("uploads/a.pdf", PDF), FakeProcessor(), Category.DOCUMENT, small) is (
        Outcome.FAILED
    )
    item = stored(aws, "uploads/a.pdf")
    assert item is not None
    assert item["error"]["message"] == (
        f"file is {len(PDF)} bytes; the limit for documents is 100 bytes"
    )
    assert run(uploads.put("uploads/a.png", PNG), FakeProcessor(), Category.IMAGE, small) is (
        Outcome.PROCESSED
    )


def test_the_size_is_checked_against_the_object_when_the_event_has_none(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], settings: Settings
) -> None:
    record = uploads.put("uploads/a.png", PNG)
    del record["s3"]["object"]["size"]
    small = dataclasses.replace(settings, max_image_bytes=100)
    process = FakeProcessor()
    assert run(record, process, settings=small) is Outcome.FAILED
    assert process.calls == []


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (17, "17 bytes"),
        (1024, "1 KB"),
        (831_488, "812 KB"),
        (50 * 1024**2, "50 MB"),
        (64_172_851, "61.2 MB"),
        (5 * 1024**3, "5 GB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_limits_that_round_alike_show_bytes(
    aws: Aws, run: Callable[..., Outcome], settings: Settings
) -> None:
    limit = settings.max_image_bytes
    record = s3_record(
        "ObjectCreated:Put", aws.bucket, "uploads/a.png", sequencer="1", size=limit + 1
    )
    run(record, FakeProcessor())
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["error"]["message"] == (
        f"file is {limit + 1} bytes; the limit for images is {limit} bytes"
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("uploads/a.gif", "extension .gif is not handled by the image processor"),
        ("uploads/a.pdf", "extension .pdf is not handled by the image processor"),
        ("uploads/README", "a file without an extension is not handled by the image processor"),
    ],
)
def test_an_extension_of_another_category_is_unsupported(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], key: str, message: str
) -> None:
    process = FakeProcessor()
    assert run(uploads.put(key, PNG), process) is Outcome.FAILED
    assert process.calls == []
    item = stored(aws, key)
    assert item is not None
    assert item["error"]["type"] == "Unsupported"
    assert item["error"]["message"].startswith(message)
    assert "(it takes .jpeg, .jpg, .png)" in item["error"]["message"]


def test_an_object_deleted_before_processing_fails_as_missing(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    record = uploads.put("uploads/a.png", PNG)
    uploads.delete("uploads/a.png", version_id=record["s3"]["object"]["versionId"])
    assert run(record, FakeProcessor()) is Outcome.FAILED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["error"]["type"] == "ObjectMissing"
    assert "no longer exists" in item["error"]["message"]


def test_a_removed_object_is_marked_deleted(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    assert run(uploads.put("uploads/a.png", PNG), FakeProcessor()) is Outcome.PROCESSED
    removal = uploads.delete("uploads/a.png")
    assert removal["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert run(removal, FakeProcessor()) is Outcome.DELETED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "DELETED"
    assert run(removal, FakeProcessor()) is Outcome.SKIPPED


def test_a_creation_arriving_after_its_removal_is_skipped(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    created = uploads.put("uploads/a.png", PNG)
    removed = uploads.delete("uploads/a.png")
    process = FakeProcessor()
    assert run(removed, process) is Outcome.DELETED
    assert run(created, process) is Outcome.SKIPPED
    assert process.calls == []


def test_other_event_types_are_skipped(aws: Aws, run: Callable[..., Outcome]) -> None:
    record = s3_record("ObjectRestore:Completed", aws.bucket, "uploads/a.png", sequencer="1")
    assert run(record, FakeProcessor()) is Outcome.SKIPPED
    assert stored(aws, "uploads/a.png") is None


@pytest.mark.parametrize(
    "error",
    [
        ClientError(
            {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
            "GetObject",
        ),
        ClientError(
            {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
            "GetObject",
        ),
        ReadTimeoutError(endpoint_url="https://s3.amazonaws.com"),
    ],
)
def test_transient_errors_propagate_and_the_retry_takes_over(
    aws: Aws,
    uploads: Uploads,
    run: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    record = uploads.put("uploads/a.png", PNG)
    with monkeypatch.context() as patch:
        patch.setattr(aws.s3, "get_object", lambda **_: (_ for _ in ()).throw(error))
        with pytest.raises(type(error)):
            run(record, FakeProcessor())
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert (item["status"], item["attempts"]) == ("PROCESSING", 1)
    assert run(record, FakeProcessor()) is Outcome.PROCESSED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert (item["status"], item["attempts"]) == ("PROCESSED", 2)


SLOW_DOWN = ClientError(
    {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "GetObject"
)


def _run_at(record: dict[str, Any], settings: Settings, clients: Clients, delivery: int) -> Outcome:
    [event] = parse_body(notification(record))
    return handle_record(
        event, Category.IMAGE, FakeProcessor(), settings, clients, delivery=delivery
    )


def test_the_last_delivery_records_failed_retryable_and_still_redelivers(
    aws: Aws,
    uploads: Uploads,
    settings: Settings,
    clients: Clients,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the receive after which SQS moves the message to the DLQ, the record says so
    (FAILED, retryable) rather than staying PROCESSING forever; the message still fails."""
    settings = dataclasses.replace(settings, max_receive_count=3)
    record = uploads.put("uploads/a.png", PNG)
    with monkeypatch.context() as patch:
        patch.setattr(aws.s3, "get_object", lambda **_: (_ for _ in ()).throw(SLOW_DOWN))
        for delivery in (1, 2):
            with pytest.raises(ClientError):
                _run_at(record, settings, clients, delivery)
            item = stored(aws, "uploads/a.png")
            assert item is not None
            assert (item["status"], item["attempts"]) == ("PROCESSING", delivery)
        with pytest.raises(ClientError, match="SlowDown"):
            _run_at(record, settings, clients, 3)
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "FAILED"
    assert item["attempts"] == 3
    assert item["error"]["type"] == "RetriesExhausted"
    assert item["error"]["retryable"] is True
    assert "gave up after 3 deliveries" in item["error"]["message"]
    assert "SlowDown" in item["error"]["message"]
    assert "redrive" in item["error"]["message"]
    # The redriven message (a new message: its receive count starts again) takes over.
    assert _run_at(record, settings, clients, 1) is Outcome.PROCESSED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert (item["status"], item["attempts"]) == ("PROCESSED", 4)
    assert "error" not in item


def test_without_max_receive_count_the_record_stays_processing(
    aws: Aws,
    uploads: Uploads,
    settings: Settings,
    clients: Clients,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings.max_receive_count is None
    record = uploads.put("uploads/a.png", PNG)
    monkeypatch.setattr(aws.s3, "get_object", lambda **_: (_ for _ in ()).throw(SLOW_DOWN))
    with pytest.raises(ClientError):
        _run_at(record, settings, clients, 50)
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "PROCESSING"


def test_a_permanent_failure_is_not_retaken_by_a_redelivery(
    aws: Aws, uploads: Uploads, settings: Settings, clients: Clients
) -> None:
    record = uploads.put("uploads/a.png", PDF)  # a PDF named .png: ContentMismatch
    assert _run_at(record, settings, clients, 1) is Outcome.FAILED
    assert _run_at(record, settings, clients, 1) is Outcome.SKIPPED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert (item["status"], item["attempts"]) == ("FAILED", 1)
    assert item["error"]["retryable"] is False


def test_a_give_up_that_cannot_be_recorded_still_redelivers(
    aws: Aws,
    uploads: Uploads,
    settings: Settings,
    clients: Clients,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = dataclasses.replace(settings, max_receive_count=1)
    record = uploads.put("uploads/a.png", PNG)
    monkeypatch.setattr(aws.s3, "get_object", lambda **_: (_ for _ in ()).throw(SLOW_DOWN))
    monkeypatch.setattr(
        Records, "fail", lambda *_, **__: (_ for _ in ()).throw(RuntimeError("table gone"))
    )
    with pytest.raises(ClientError, match="SlowDown"):
        _run_at(record, settings, clients, 1)
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "PROCESSING"


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://s3.amazonaws.com"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
    ],
)
def test_a_transient_error_inside_the_processor_propagates(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], error: Exception
) -> None:
    with pytest.raises(type(error)):
        run(uploads.put("uploads/a.png", PNG), RaisingProcessor(error))
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "PROCESSING"


def test_a_transient_dynamodb_error_propagates(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = ClientError(
        {
            "Error": {"Code": "ProvisionedThroughputExceededException"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "UpdateItem",
    )
    monkeypatch.setattr(aws.dynamodb, "update_item", lambda **_: (_ for _ in ()).throw(error))
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        run(uploads.put("uploads/a.png", PNG), FakeProcessor())


def test_aws_refusals_are_redelivered_not_failed(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    """AccessDenied (say, a KMS key policy) is the platform's fault, not the file's."""
    denied = ClientError(
        {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        "GetObject",
    )

    def get_object(**_: Any) -> Any:
        raise denied

    record = uploads.put("uploads/a.png", PNG)
    monkeypatch.setattr(aws.s3, "get_object", get_object)
    with pytest.raises(ClientError, match="AccessDenied"):
        run(record, FakeProcessor())
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "PROCESSING"


def test_a_broken_download_stream_is_redelivered(
    uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    error = ResponseStreamingError(error=ConnectionResetError("Connection reset by peer"))
    with pytest.raises(ResponseStreamingError):
        run(uploads.put("uploads/a.png", PNG), RaisingProcessor(error))


def test_a_record_dynamodb_refuses_fails_the_file(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    # DynamoDB refuses an item over 400 KB atomically. moto 5.2.1 applies part of
    # the update before refusing it, so the refusal is made here as AWS makes it.
    update_item = aws.dynamodb.update_item

    def refuse_metadata(**kwargs: Any) -> Any:
        if "#metadata = " in kwargs["UpdateExpression"]:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Item size has exceeded the maximum allowed size",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "UpdateItem",
            )
        return update_item(**kwargs)

    monkeypatch.setattr(aws.dynamodb, "update_item", refuse_metadata)
    assert run(uploads.put("uploads/a.png", PNG), FakeProcessor()) is Outcome.FAILED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["error"]["type"] == "InternalError"
    assert "Item size has exceeded the maximum allowed size" in item["error"]["message"]


def test_a_record_write_refused_for_its_content_is_failed_not_retried(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What DynamoDB answers to a string it cannot read: the file's fault, the
    # same on every delivery, so FAILED at once rather than redelivered to the DLQ.
    update_item = aws.dynamodb.update_item

    def refuse_metadata(**kwargs: Any) -> Any:
        if "#metadata = " in kwargs["UpdateExpression"]:
            raise ClientError(
                {
                    "Error": {
                        "Code": "SerializationException",
                        "Message": "Start of structure or map found where not expected.",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "UpdateItem",
            )
        return update_item(**kwargs)

    monkeypatch.setattr(aws.dynamodb, "update_item", refuse_metadata)
    assert run(uploads.put("uploads/a.png", PNG), FakeProcessor()) is Outcome.FAILED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["status"] == "FAILED"
    assert item["error"]["retryable"] is False
    assert "SerializationException" in item["error"]["message"]
    assert "metadata" not in item


def test_a_json_key_with_a_lone_surrogate_is_processed_whole(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    # {"\uDFAA": 0} used to reach DynamoDB as is: the write failed half-way in
    # moto (PROCESSED without metadata) and would be refused by DynamoDB.
    body = b'[{"\\uDFAA": 0, "name\\ud800": "x\\udc00"}, {"id": 1}]'
    record = uploads.put("uploads/keys.json", body)

    assert run(record, data.process, Category.DATA) is Outcome.PROCESSED

    item = stored(aws, "uploads/keys.json")
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert "processed_at" in item
    assert [field["name"] for field in item["metadata"]["fields"]] == ["\ufffd", "name\ufffd", "id"]


def test_an_unexpected_error_fails_the_file_as_internal_error(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    process = RaisingProcessor(ZeroDivisionError("division by zero"))
    assert run(uploads.put("uploads/a.png", PNG), process) is Outcome.FAILED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["error"] == {
        "type": "InternalError",
        "message": "unexpected error while processing: ZeroDivisionError: division by zero",
        "retryable": False,
    }


def test_metadata_that_is_not_json_like_is_an_internal_error(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    class BadProcessor(FakeProcessor):
        def __call__(self, stream: Any, **kwargs: Any) -> Any:
            extraction = super().__call__(stream, **kwargs)
            extraction.metadata["when"] = object()
            return extraction

    assert run(uploads.put("uploads/a.png", PNG), BadProcessor()) is Outcome.FAILED
    item = stored(aws, "uploads/a.png")
    assert item is not None
    assert item["error"]["type"] == "InternalError"
    assert "value.when is a object" in item["error"]["message"]


def test_every_log_line_about_a_file_carries_its_file_id(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    run(uploads.put("uploads/a.png", PNG), FakeProcessor())
    run(uploads.put("uploads/b.png", PDF), FakeProcessor())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    messages = {line["message"] for line in lines}
    assert {"Processing", "File processed", "File failed"} <= messages
    ids = {file_id_for_key(aws.bucket, k) for k in ("uploads/a.png", "uploads/b.png")}
    assert {line.get("file_id") for line in lines} == ids


def test_handle_message_handles_every_record_and_acknowledges_junk(
    aws: Aws, uploads: Uploads, settings: Settings, clients: Clients
) -> None:
    body = notification(uploads.put("uploads/a.png", PNG), uploads.put("uploads/b.png", PNG))
    process = FakeProcessor()
    assert handle_message(body, Category.IMAGE, process, settings, clients) == [
        Outcome.PROCESSED,
        Outcome.PROCESSED,
    ]
    assert handle_message("{oops", Category.IMAGE, process, settings, clients) == []
    test_event = s3_test_event_body(aws.bucket)
    assert handle_message(test_event, Category.IMAGE, process, settings, clients) == []
    assert len(process.calls) == 2


def stub_converse(stubber: Stubber, text: str, model_id: str) -> None:
    stubber.add_response(
        "converse",
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
            "metrics": {"latencyMs": 120},
        },
        {
            "modelId": model_id,
            "system": [{"text": SYSTEM_PROMPT}],
            "messages": [{"role": "user", "content": [{"text": "Quarterly report. " * 3}]}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.0},
        },
    )


@pytest.fixture
def bedrock() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


def test_documents_get_an_ai_summary_when_enabled(
    aws: Aws, uploads: Uploads, settings: Settings, bedrock: Any, run: Callable[..., Outcome]
) -> None:
    enabled = dataclasses.replace(settings, bedrock_enabled=True)
    with Stubber(bedrock) as stubber:
        stub_converse(stubber, "A quarterly report.", enabled.bedrock_model_id)
        process = FakeProcessor(text="Quarterly report. " * 3)
        outcome = run(
            uploads.put("uploads/report.pdf", PDF),
            process,
            Category.DOCUMENT,
            enabled,
            Clients(s3=aws.s3, dynamodb=aws.dynamodb, bedrock=bedrock),
        )
        stubber.assert_no_pending_responses()
    assert outcome is Outcome.PROCESSED
    item = stored(aws, "uploads/report.pdf")
    assert item is not None
    assert item["ai"] == {"model_id": enabled.bedrock_model_id, "summary": "A quarterly report."}


def test_an_ai_failure_never_fails_the_file(
    aws: Aws, uploads: Uploads, settings: Settings, bedrock: Any, run: Callable[..., Outcome]
) -> None:
    enabled = dataclasses.replace(settings, bedrock_enabled=True)
    with Stubber(bedrock) as stubber:
        stubber.add_client_error(
            "converse", "AccessDeniedException", "You don't have access to the model", 403
        )
        outcome = run(
            uploads.put("uploads/report.pdf", PDF),
            FakeProcessor(text="Quarterly report."),
            Category.DOCUMENT,
            enabled,
            Clients(s3=aws.s3, dynamodb=aws.dynamodb, bedrock=bedrock),
        )
    assert outcome is Outcome.PROCESSED
    item = stored(aws, "uploads/report.pdf")
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert item["ai"] == {"error": "AccessDeniedException: You don't have access to the model"}


@pytest.mark.parametrize(
    ("category", "enabled", "text"),
    [
        (Category.DOCUMENT, False, "some text"),  # off by default
        (Category.DOCUMENT, True, None),  # the processor extracted no text
        (Category.DATA, True, "some text"),  # summaries are for documents only
    ],
)
def test_no_ai_call_unless_a_document_has_text_and_summaries_are_on(
    aws: Aws,
    uploads: Uploads,
    settings: Settings,
    bedrock: Any,
    run: Callable[..., Outcome],
    category: Category,
    enabled: bool,
    text: str | None,
) -> None:
    chosen = dataclasses.replace(settings, bedrock_enabled=enabled)
    key = "uploads/a.pdf" if category is Category.DOCUMENT else "uploads/a.csv"
    with Stubber(bedrock):  # no response queued: any call would raise
        outcome = run(
            uploads.put(key, b"a,b\n1,2\n"),
            FakeProcessor(text=text),
            category,
            chosen,
            Clients(s3=aws.s3, dynamodb=aws.dynamodb, bedrock=bedrock),
        )
    assert outcome is Outcome.PROCESSED
    item = stored(aws, key)
    assert item is not None
    assert "ai" not in item


def test_clients_have_bedrock_only_where_summaries_are_on(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    enabled = dataclasses.replace(settings, bedrock_enabled=True)
    documents = Clients.create(enabled, summaries=True)
    assert documents.bedrock is not None
    assert documents.bedrock.meta.service_model.service_name == "bedrock-runtime"
    # boto3 reads the sandbox endpoint from the environment; the code has no switch for it.
    assert documents.s3.meta.endpoint_url == "http://127.0.0.1:4566"
    assert Clients.create(enabled).bedrock is None
    assert Clients.create(settings, summaries=True).bedrock is None


def test_events_of_other_buckets_use_their_own_bucket(
    aws: Aws, run: Callable[..., Outcome]
) -> None:
    aws.s3.create_bucket(Bucket="other-bucket")
    aws.s3.put_object(Bucket="other-bucket", Key="uploads/a.png", Body=PNG)
    record = s3_record(
        "ObjectCreated:Put", "other-bucket", "uploads/a.png", sequencer="1", size=len(PNG)
    )
    assert run(record, FakeProcessor()) is Outcome.PROCESSED
    file_id = file_id_for_key("other-bucket", "uploads/a.png")
    assert aws.s3.head_object(Bucket="other-bucket", Key=f"derived/{file_id}/summary.txt")


def test_another_object_under_an_api_upload_s_folder_has_its_own_record(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome], settings: Settings
) -> None:
    # Written straight to the bucket next to an API upload: it took the API file's
    # record over (keeping the first name), and deleting the first object then said
    # DELETED for both. Each key now has its own record, in any order of events.
    issued = requested(aws, settings, API_FILE_ID, "photo.png")
    other = f"uploads/{API_FILE_ID}/other.png"
    assert run(uploads.put(issued, PNG, "image/png"), FakeProcessor()) is Outcome.PROCESSED
    assert run(uploads.put(other, PNG + b"other", "image/png"), FakeProcessor()) is (
        Outcome.PROCESSED
    )

    first, second = stored(aws, issued, API_FILE_ID), stored(aws, other)
    assert first is not None
    assert second is not None
    assert second["file_id"] not in (API_FILE_ID, None)
    assert (first["key"], first["filename"], first["size"]) == (issued, "photo.png", len(PNG))
    assert (second["key"], second["filename"]) == (other, "other.png")
    assert second["size"] == len(PNG) + len(b"other")
    assert first["derived"] == {"summary": f"derived/{API_FILE_ID}/summary.txt"}
    assert second["derived"] == {"summary": f"derived/{second['file_id']}/summary.txt"}

    assert run(uploads.delete(issued), FakeProcessor()) is Outcome.DELETED
    first, second = stored(aws, issued, API_FILE_ID), stored(aws, other)
    assert first is not None
    assert second is not None
    assert (first["status"], second["status"]) == ("DELETED", "PROCESSED")

    assert run(uploads.delete(other), FakeProcessor()) is Outcome.DELETED
    second = stored(aws, other)
    assert second is not None
    assert second["status"] == "DELETED"


def test_objects_under_a_hex_folder_the_api_never_issued_have_their_own_records(
    aws: Aws, uploads: Uploads, run: Callable[..., Outcome]
) -> None:
    folder = "ab" * 16  # looks like a file id, but no upload was asked for
    keys = [f"uploads/{folder}/a.png", f"uploads/{folder}/b.png"]
    for key in keys:
        assert run(uploads.put(key, PNG), FakeProcessor()) is Outcome.PROCESSED
    assert run(uploads.delete(keys[0]), FakeProcessor()) is Outcome.DELETED

    assert stored(aws, keys[0], folder) is None
    records = [stored(aws, key) for key in keys]
    assert [(r or {}).get("key") for r in records] == keys
    assert [(r or {}).get("status") for r in records] == ["DELETED", "PROCESSED"]
