from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Aws

from fileproc.events import parse_body
from fileproc.listing import shard_of
from fileproc.records import (
    Attempt,
    Records,
    Skip,
    Status,
    stored_sequencer,
    timestamp,
    to_dynamodb,
)
from fileproc_tools.inprocess import notification, s3_record

FILE_ID = "0123456789abcdef0123456789abcdef"
KEY = f"uploads/{FILE_ID}/holiday photo.jpg"
SHARD = f"{shard_of(FILE_ID):02d}"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def event(
    sequencer: str | None,
    name: str = "ObjectCreated:Put",
    *,
    version: str | None = "v1",
    time: str = "2026-11-24T09:30:00.125Z",
):
    size = None if name.startswith("ObjectRemoved") else 2048
    record = s3_record(
        name,
        "bucket",
        KEY,
        sequencer=sequencer,
        size=size,
        etag="etag-" + (version or "none"),
        version_id=version,
        event_time=time,
    )
    return parse_body(notification(record))[0]


@pytest.fixture
def records(aws: Aws) -> Records:
    return Records(aws.dynamodb, aws.table)


def begin(records: Records, sequencer: str | None, **kwargs: Any) -> Attempt | Skip:
    return records.begin(event(sequencer, **kwargs), file_id=FILE_ID, category="image")


def test_begin_writes_the_processing_record_of_the_contract(records: Records) -> None:
    attempt = begin(records, "0055AED6DCD90281E5")
    assert attempt == Attempt(FILE_ID, "00000000000000" + "0055AED6DCD90281E5", 1)
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "PROCESSING"
    assert item["category"] == "image"
    # The listing indexes' partition keys, sharded by the file id (fileproc.listing).
    assert item["list_all"] == f"file#{SHARD}"
    assert item["list_status"] == f"PROCESSING#{SHARD}"
    assert item["list_category"] == f"image#{SHARD}"
    assert item["list_category_status"] == f"image#PROCESSING#{SHARD}"
    assert item["bucket"] == "bucket"
    assert item["key"] == KEY
    assert item["filename"] == "holiday photo.jpg"
    assert item["version_id"] == "v1"
    assert item["etag"] == "etag-v1"
    assert item["size"] == 2048
    assert item["sequencer"] == "000000000000000055AED6DCD90281E5"
    assert item["attempts"] == 1
    assert item["uploaded_at"] == "2026-11-24T09:30:00.125Z"
    assert ISO_MS.match(item["updated_at"])


def put_pending(aws: Aws) -> None:
    """The record POST /files wrote before the listing was sharded (its index keys
    ``category_status`` and ``listing``), expiring by the table's TTL unless the file comes."""
    aws.dynamodb.put_item(
        TableName=aws.table,
        Item={
            "file_id": {"S": FILE_ID},
            "filename": {"S": "Holiday Photo (1).JPG"},
            "content_type": {"S": "image/jpeg"},
            "status": {"S": "PENDING"},
            "category": {"S": "image"},
            "category_status": {"S": "image#PENDING"},
            "listing": {"S": "file"},
            "uploaded_at": {"S": "2026-11-24T09:29:00.000Z"},
            "expires_at": {"N": "1795639740"},
        },
    )


def test_a_pending_record_from_the_api_is_taken_over(aws: Aws, records: Records) -> None:
    put_pending(aws)
    assert isinstance(begin(records, "0A"), Attempt)
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "PROCESSING"
    assert item["filename"] == "Holiday Photo (1).JPG"  # the user's name, not the key's
    assert item["uploaded_at"] == "2026-11-24T09:30:00.125Z"  # when the bytes arrived
    assert "expires_at" not in item  # the file came: DynamoDB's TTL must not delete it
    # Its next write gives a record of the design before sharding its listing keys.
    assert item["list_status"] == f"PROCESSING#{SHARD}"
    assert item["list_category_status"] == f"image#PROCESSING#{SHARD}"
    assert "listing" not in item
    assert "category_status" not in item


def test_a_pending_record_removed_before_processing_does_not_expire(
    aws: Aws, records: Records
) -> None:
    put_pending(aws)
    removal = event("0B", "ObjectRemoved:DeleteMarkerCreated", version="marker")
    assert records.mark_deleted(removal, file_id=FILE_ID, category="image")
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "DELETED"
    assert "expires_at" not in item


def test_complete_records_the_result_with_decimals(records: Records) -> None:
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    assert records.complete(
        attempt,
        category="image",
        metadata={"width": 640, "ratio": 1.5, "exif": {"make": "Canon"}, "tags": [0.25, None]},
        derived={"thumbnail": f"derived/{FILE_ID}/thumbnail.jpg"},
        content_type="image/jpeg",
    )
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert item["list_category_status"] == f"image#PROCESSED#{SHARD}"
    assert item["metadata"] == {
        "width": 640,
        "ratio": Decimal("1.5"),
        "exif": {"make": "Canon"},
        "tags": [Decimal("0.25"), None],
    }
    assert item["derived"] == {"thumbnail": f"derived/{FILE_ID}/thumbnail.jpg"}
    assert item["content_type"] == "image/jpeg"
    assert ISO_MS.match(item["processed_at"])
    assert "error" not in item
    assert "ai" not in item


def test_lone_surrogates_are_stored_as_replacement_characters(records: Records) -> None:
    # What a JSON "\\uDFAA" decodes to: DynamoDB cannot read it (no UTF-8 form).
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    metadata = {
        "fields": [{"name": "\udfaa", "types": ["integer"]}],
        "\ud800key": {"nested \udc00": "value \udbff end", "ok": "Zoë 😀"},
    }

    assert records.complete(
        attempt, category="data", metadata=metadata, derived={}, content_type=None
    )

    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "PROCESSED"
    assert ISO_MS.match(item["processed_at"])
    assert item["metadata"] == {
        "fields": [{"name": "\ufffd", "types": ["integer"]}],
        "\ufffdkey": {"nested \ufffd": "value \ufffd end", "ok": "Zoë 😀"},
    }


def test_a_failure_message_is_made_storable_too(records: Records) -> None:
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    error = {"type": "InvalidJson", "message": "bad \udfaa", "retryable": False}

    assert records.fail(attempt, category="data", error=error)

    item = records.get(FILE_ID)
    assert item is not None
    assert item["error"]["message"] == "bad \ufffd"


def test_complete_stores_the_ai_summary(records: Records) -> None:
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    ai = {"model_id": "m", "summary": "A short text."}
    records.complete(
        attempt, category="document", metadata={}, derived={}, content_type=None, ai=ai
    )
    item = records.get(FILE_ID)
    assert item is not None
    assert item["ai"] == ai
    assert item["list_category_status"] == f"document#PROCESSED#{SHARD}"


def test_fail_records_the_error_and_drops_results(records: Records) -> None:
    first = begin(records, "0A")
    assert isinstance(first, Attempt)
    records.complete(
        first, category="image", metadata={"a": 1}, derived={"t": "x"}, content_type=None
    )
    second = begin(records, "0B", version="v2")
    assert isinstance(second, Attempt)
    error = {"type": "Corrupt", "message": "the JPEG is truncated", "retryable": False}
    assert records.fail(second, category="image", error=error, content_type="image/jpeg")
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "FAILED"
    assert item["list_category_status"] == f"image#FAILED#{SHARD}"
    assert item["error"] == error
    assert item["version_id"] == "v2"
    assert "metadata" not in item
    assert "derived" not in item


def test_a_new_version_clears_what_was_said_about_the_old_one(records: Records) -> None:
    first = begin(records, "0A")
    assert isinstance(first, Attempt)
    records.fail(first, category="image", error={"type": "Corrupt", "message": "m"})
    assert isinstance(begin(records, "0B", version="v2"), Attempt)
    item = records.get(FILE_ID)
    assert item is not None
    assert "error" not in item
    assert "processed_at" not in item
    assert item["attempts"] == 1


def test_a_duplicate_of_a_finished_event_is_skipped(records: Records) -> None:
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    records.complete(attempt, category="image", metadata={}, derived={}, content_type=None)
    before = records.get(FILE_ID)
    skip = begin(records, "0A")
    assert isinstance(skip, Skip)
    assert "duplicate delivery" in skip.reason
    assert "PROCESSED" in skip.reason
    assert records.get(FILE_ID) == before


def test_an_older_event_never_overwrites_a_newer_one(records: Records) -> None:
    newer = begin(records, "0B", version="v2")
    assert isinstance(newer, Attempt)
    records.complete(newer, category="image", metadata={"v": 2}, derived={}, content_type=None)
    skip = begin(records, "0A", version="v1")
    assert isinstance(skip, Skip)
    assert "out of order" in skip.reason
    item = records.get(FILE_ID)
    assert item is not None
    assert (item["version_id"], item["status"], item["metadata"]) == ("v2", "PROCESSED", {"v": 2})


def test_sequencers_of_different_lengths_compare_as_numbers(records: Records) -> None:
    # "FF" > "100" as strings, but 0xFF < 0x100: the padding makes DynamoDB agree.
    assert isinstance(begin(records, "100", version="v2"), Attempt)
    assert isinstance(begin(records, "FF", version="v1"), Skip)


def test_an_unfinished_attempt_is_retried_and_counted(records: Records) -> None:
    assert begin(records, "0A") == Attempt(FILE_ID, "0A".rjust(32, "0"), 1)
    assert begin(records, "0A") == Attempt(FILE_ID, "0A".rjust(32, "0"), 2)
    item = records.get(FILE_ID)
    assert item is not None
    assert (item["status"], item["attempts"]) == ("PROCESSING", 2)


def test_a_retry_that_loses_a_race_is_skipped(
    records: Records, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the refused claim and the retry write, a newer event takes the record."""
    assert isinstance(begin(records, "0A"), Attempt)
    write = records._write
    calls: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # just before the retry write
            assert isinstance(begin(Records(aws.dynamodb, aws.table), "0B", version="v2"), Attempt)
        return write(*args, **kwargs)

    monkeypatch.setattr(records, "_write", racing)
    skip = begin(records, "0A")
    assert isinstance(skip, Skip)
    assert "out of order" in skip.reason


def test_a_superseded_attempt_cannot_finish(records: Records) -> None:
    old = begin(records, "0A")
    assert isinstance(old, Attempt)
    new = begin(records, "0B", version="v2")
    assert isinstance(new, Attempt)
    assert not records.complete(old, category="image", metadata={}, derived={}, content_type=None)
    assert not records.fail(old, category="image", error={"type": "Corrupt", "message": "m"})
    item = records.get(FILE_ID)
    assert item is not None
    assert (item["status"], item["version_id"]) == ("PROCESSING", "v2")


def test_removal_marks_deleted_and_keeps_what_was_known(records: Records) -> None:
    attempt = begin(records, "0A")
    assert isinstance(attempt, Attempt)
    records.complete(attempt, category="image", metadata={"w": 1}, derived={}, content_type=None)
    removal = event("0B", "ObjectRemoved:DeleteMarkerCreated", version="marker")
    assert records.mark_deleted(removal, file_id=FILE_ID, category="image")
    item = records.get(FILE_ID)
    assert item is not None
    assert (item["status"], item["list_status"]) == ("DELETED", f"DELETED#{SHARD}")
    assert (item["version_id"], item["metadata"]) == ("v1", {"w": 1})
    # The same removal again changes nothing.
    assert not records.mark_deleted(removal, file_id=FILE_ID, category="image")


def test_a_removal_older_than_the_record_is_ignored(records: Records) -> None:
    assert isinstance(begin(records, "0B", version="v2"), Attempt)
    removal = event("0A", "ObjectRemoved:DeleteMarkerCreated", version="marker")
    assert not records.mark_deleted(removal, file_id=FILE_ID, category="image")
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "PROCESSING"


def test_a_removal_before_its_creation_blocks_the_late_creation(records: Records) -> None:
    removal = event("0B", "ObjectRemoved:DeleteMarkerCreated", version="marker")
    assert records.mark_deleted(removal, file_id=FILE_ID, category="image")
    item = records.get(FILE_ID)
    assert item is not None
    assert (item["status"], item["key"], item["list_all"]) == ("DELETED", KEY, f"file#{SHARD}")
    assert item["uploaded_at"] == "2026-11-24T09:30:00.125Z"
    assert isinstance(begin(records, "0A"), Skip)


def test_deleting_an_old_version_leaves_the_current_one(records: Records) -> None:
    current = begin(records, "0B", version="v2")
    assert isinstance(current, Attempt)
    records.complete(current, category="image", metadata={}, derived={}, content_type=None)
    old_version_gone = event("0C", "ObjectRemoved:Delete", version="v1")
    assert not records.mark_deleted(old_version_gone, file_id=FILE_ID, category="image")
    current_gone = event("0D", "ObjectRemoved:Delete", version="v2")
    assert records.mark_deleted(current_gone, file_id=FILE_ID, category="image")
    item = records.get(FILE_ID)
    assert item is not None
    assert item["status"] == "DELETED"


def test_skip_reasons_name_what_the_record_holds() -> None:
    from fileproc.records import _skip_reason

    ours = "0A".rjust(32, "0")
    assert _skip_reason({"status": "DELETED", "sequencer": ours}, ours).startswith("duplicate")
    assert _skip_reason({"status": "PENDING"}, ours) == (
        "the record changed meanwhile (PENDING, sequencer None)"
    )


def test_other_dynamodb_errors_propagate(aws: Aws) -> None:
    records = Records(aws.dynamodb, "no-such-table")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        begin(records, "0A")


def test_stored_sequencer_pads_and_falls_back_to_the_event_time() -> None:
    assert stored_sequencer(event("55aed6")) == "55AED6".rjust(32, "0")
    early = stored_sequencer(event(None, time="2026-11-24T09:30:00.125Z"))
    later = stored_sequencer(event(None, time="2026-11-24T09:30:00.126Z"))
    assert len(early) == 32
    assert early < later
    assert early == stored_sequencer(event(None, time="2026-11-24T09:30:00.125Z"))


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 11, 24, 9, 30, 0, 125999, tzinfo=UTC)
    assert timestamp(moment) == "2026-11-24T09:30:00.125Z"


def test_to_dynamodb_converts_json_like_values() -> None:
    assert to_dynamodb({"f": 0.1, "i": 7, "b": True, "n": None, "t": (1, 2.5)}) == {
        "f": Decimal("0.1"),
        "i": 7,
        "b": True,
        "n": None,
        "t": [1, Decimal("2.5")],
    }
    assert to_dynamodb(0.0) == Decimal("0.0")
    # What DynamoDB cannot hold is kept as text rather than lost.
    assert to_dynamodb(float("nan")) == "nan"
    assert to_dynamodb(float("inf")) == "inf"
    assert to_dynamodb(1e300) == "1e+300"
    assert to_dynamodb(1e-200) == "1e-200"
    assert to_dynamodb(10**40) == str(10**40)
    assert to_dynamodb(10**37) == 10**37


def test_to_dynamodb_refuses_values_that_are_not_json_like() -> None:
    with pytest.raises(TypeError, match=r"value\.when is a datetime"):
        to_dynamodb({"when": datetime(2026, 1, 1, tzinfo=UTC)})


def test_status_values() -> None:
    assert [s.value for s in Status] == ["PENDING", "PROCESSING", "PROCESSED", "FAILED", "DELETED"]
