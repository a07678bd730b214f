"""S3 event notifications as they arrive in an SQS message body.

S3 sends one JSON document per notification: either ``{"Records": [...]}``
(event structure 2.x) or, once when a notification configuration is saved, an
``s3:TestEvent``. Keys arrive URL-encoded the way HTML forms are (spaces as
``+``), so they are decoded with ``unquote_plus``.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

TEST_EVENT = "s3:TestEvent"
# Versions 2.1 to 2.3 (and the unified 2.4+) share the fields read here.
SUPPORTED_MAJOR_VERSION = "2"
MAX_SEQUENCER_LENGTH = 32
_HEX = frozenset("0123456789abcdefABCDEF")


class InvalidMessage(ValueError):
    """The message body is not an S3 event notification this pipeline can read.

    A property of the message, not of a file: retrying it would fail the same
    way, so the handler logs it and acknowledges the message.
    """


@dataclass(frozen=True)
class S3EventRecord:
    event_name: str  # without the "s3:" prefix, e.g. "ObjectCreated:Put"
    bucket: str
    key: str  # URL-decoded
    version_id: str | None  # None for an unversioned bucket
    sequencer: str | None  # hex, S3's order of events on one key
    size: int | None  # absent on ObjectRemoved
    etag: str | None
    event_time: datetime  # timezone-aware, UTC
    request_id: str | None = None  # x-amz-request-id of the request that caused it

    @property
    def is_created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")

    @property
    def is_removed(self) -> bool:
        return self.event_name.startswith("ObjectRemoved:")

    @property
    def is_delete_marker(self) -> bool:
        return self.event_name == "ObjectRemoved:DeleteMarkerCreated"


def parse_body(body: str) -> list[S3EventRecord]:
    """The S3 event records of one SQS message body; [] for ``s3:TestEvent``.

    Raises InvalidMessage for anything that is not an S3 event notification.
    """
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidMessage(f"message body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidMessage("message body is not a JSON object")
    if document.get("Event") == TEST_EVENT:
        return []
    records = document.get("Records")
    if not isinstance(records, list) or not records:
        hint = " (an SNS envelope?)" if "Message" in document else ""
        raise InvalidMessage(f"message body has no S3 'Records' list{hint}")
    return [parse_record(record) for record in records]


def parse_record(record: Any) -> S3EventRecord:
    """One element of ``Records``, checked field by field."""
    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        raise InvalidMessage("record is not an S3 event (eventSource is not aws:s3)")
    version = str(record.get("eventVersion", ""))
    if version.split(".")[0] != SUPPORTED_MAJOR_VERSION:
        raise InvalidMessage(f"unsupported S3 event version {version!r}")
    try:
        s3 = record["s3"]
        obj = s3["object"]
        bucket = s3["bucket"]["name"]
        raw_key = obj["key"]
        event_name = record["eventName"]
        event_time = _parse_time(record["eventTime"])
    except (KeyError, TypeError) as exc:
        raise InvalidMessage(f"S3 event record lacks {exc}") from None
    if not isinstance(bucket, str) or not isinstance(raw_key, str) or not raw_key:
        raise InvalidMessage("S3 event record has no bucket name or object key")
    response = record.get("responseElements")
    request_id = response.get("x-amz-request-id") if isinstance(response, dict) else None
    return S3EventRecord(
        event_name=str(event_name).removeprefix("s3:"),
        bucket=bucket,
        key=unquote_plus(raw_key),
        version_id=_optional_str(obj.get("versionId")),
        sequencer=_sequencer(obj.get("sequencer")),
        size=_size(obj.get("size")),
        etag=_optional_str(obj.get("eTag")),
        event_time=event_time,
        request_id=_optional_str(request_id),
    )


def _optional_str(value: Any) -> str | None:
    # S3 sends "null" for the version id of an object in an unversioned bucket.
    if value is None or value in ("", "null"):
        return None
    return str(value)


def _sequencer(value: Any) -> str | None:
    text = _optional_str(value)
    if text is None:
        return None
    if len(text) > MAX_SEQUENCER_LENGTH or not set(text) <= _HEX:
        raise InvalidMessage(f"S3 sequencer {text!r} is not a hex string of up to 32 digits")
    return text.upper()


def _size(value: Any) -> int | None:
    if value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise InvalidMessage(f"S3 object size {value!r} is not an integer") from None
    if size < 0:
        raise InvalidMessage(f"S3 object size {size} is negative")
    return size


def _parse_time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidMessage(f"eventTime {value!r} is not ISO-8601") from None
    # S3 always sends UTC with "Z"; a naive time (some emulators) is taken as UTC too.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
