"""The DynamoDB record of a file, written by the processors.

Every write is one conditional UpdateItem, so at-least-once delivery and
out-of-order events cannot corrupt a record:

- ``begin`` claims the record for an event (status PROCESSING) when the stored
  item has no sequencer (new, or PENDING from ``POST /files``, whose
  ``expires_at`` it removes) or an older one; it retries an attempt of the same
  event that never finished; it skips a duplicate of a finished event and an
  event older than the stored one.
- ``complete`` and ``fail`` apply only while the record is still PROCESSING for
  the same sequencer, so a slow attempt that a newer version overtook cannot
  overwrite the newer result.
- ``mark_deleted`` applies only when the removal is newer than what is stored.

The processor writes a file's record twice: begin + complete/fail (an upload
through the API adds the PENDING put before). The item shape is the one in
docs/contracts.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from fileproc.events import MAX_SEQUENCER_LENGTH, S3EventRecord
from fileproc.listing import LEGACY_ATTRIBUTES, listing_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# DynamoDB numbers: 38 significant digits, magnitude 1E-130 .. <1E+126.
_MAX_DIGITS = 38
_MIN_MAGNITUDE = 1e-130
_MAX_MAGNITUDE = 1e126

# DynamoDB strings are UTF-8, and a lone surrogate (what a JSON "\\uDFAA"
# decodes to) has no UTF-8 form: DynamoDB refuses the whole write
# (SerializationException). Text from files may hold them anywhere.
_SURROGATE = re.compile("[\ud800-\udfff]")

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class Status(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"
    DELETED = "DELETED"


FINAL = frozenset({Status.PROCESSED, Status.FAILED, Status.DELETED})


@dataclass(frozen=True)
class Attempt:
    """The record is ours for this event until complete() or fail()."""

    file_id: str
    sequencer: str  # as stored: 32 hex digits
    number: int  # 1 for the first attempt at this event


@dataclass(frozen=True)
class Skip:
    """The event changes nothing; ``reason`` says why (for the log)."""

    reason: str


def timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and "Z", e.g. 2026-11-24T09:30:00.125Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stored_sequencer(event: S3EventRecord) -> str:
    """The event's position in the order of events on its key, as the record stores it.

    Left-padded to 32 digits so that DynamoDB's string comparison orders them.
    S3 puts a sequencer on every ObjectCreated and ObjectRemoved event; should one
    lack it (some emulators), the event time in microseconds stands in, which
    keeps duplicates idempotent and orders events as well as their clocks do.
    """
    raw = event.sequencer
    if raw is None:
        raw = format(int(event.event_time.timestamp() * 1_000_000), "X")
    return raw.upper().rjust(MAX_SEQUENCER_LENGTH, "0")


def storable_text(text: str) -> str:
    """``text`` with each surrogate code point replaced by U+FFFD, as a UTF-8 decoder
    replaces what it cannot read."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def to_dynamodb(value: Any, path: str = "value") -> Any:
    """A JSON-like value in the types DynamoDB accepts.

    Floats become Decimal; a number DynamoDB cannot hold (NaN, infinity, more
    than 38 digits, out of its range) is kept as its string rather than lost.
    Every string, map keys included, is made storable (``storable_text``): every
    value of every write goes through here, so no file's text can get a record
    refused.
    """
    if isinstance(value, str):
        return storable_text(value)
    if value is None or isinstance(value, bool | Decimal):
        return value
    if isinstance(value, int):
        return value if len(str(abs(value))) <= _MAX_DIGITS else str(value)
    if isinstance(value, float):
        storable = math.isfinite(value) and (
            value == 0 or _MIN_MAGNITUDE <= abs(value) < _MAX_MAGNITUDE
        )
        return Decimal(repr(value)) if storable else repr(value)
    if isinstance(value, Mapping):
        return {storable_text(str(k)): to_dynamodb(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamodb(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{path} is a {type(value).__name__}, not a JSON-like value")


class _Update:
    """The expressions of one UpdateItem. Every attribute name is a placeholder
    because status, key, size and error are DynamoDB reserved words."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._set: list[str] = []
        self._remove: list[str] = []
        self._add: list[str] = []

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _SERIALIZER.serialize(to_dynamodb(value))
        return placeholder

    def set(self, attribute: str, value: Any) -> None:
        if value is None:
            self.remove(attribute)
        else:
            self._set.append(f"{self.name(attribute)} = {self.value(value)}")

    def set_if_absent(self, attribute: str, value: Any) -> None:
        name = self.name(attribute)
        self._set.append(f"{name} = if_not_exists({name}, {self.value(value)})")

    def set_status(self, status: Status, category: str, file_id: str) -> None:
        # The listing indexes' keys derive from status and category: they change in
        # the same write. Every write sets them, so a record written before they
        # existed gets them on its next write (fileproc migrate-listing does the rest).
        self.set("status", status)
        self.set("category", category)
        for attribute, value in listing_keys(file_id, status, category).items():
            self.set(attribute, value)
        self.remove(*LEGACY_ATTRIBUTES)

    def remove(self, *attributes: str) -> None:
        self._remove.extend(self.name(a) for a in attributes)

    def add(self, attribute: str, amount: int) -> None:
        self._add.append(f"{self.name(attribute)} {self.value(amount)}")

    def expression(self) -> str:
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (("SET", self._set), ("REMOVE", self._remove), ("ADD", self._add))
            if parts
        ]
        return " ".join(clauses)


@dataclass(frozen=True)
class _Outcome:
    applied: bool
    old: dict[str, Any] | None = None  # the stored item when the condition failed
    new: dict[str, Any] | None = None  # updated attributes when it applied


class Records:
    """Conditional writes of the file records in one table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._table = table_name
        self._now = now

    def get(self, file_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, Key={"file_id": {"S": file_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _deserialize(item) if item else None

    def begin(self, event: S3EventRecord, *, file_id: str, category: str) -> Attempt | Skip:
        """Claim the record for this ObjectCreated event, or say why not."""
        sequencer = stored_sequencer(event)
        now = timestamp(self._now())
        update = _Update()
        update.set("bucket", event.bucket)
        update.set("key", event.key)
        update.set("version_id", event.version_id)
        update.set("sequencer", sequencer)
        update.set("etag", event.etag)
        update.set("size", event.size)
        update.set_status(Status.PROCESSING, category, file_id)
        # The API stores the name the user gave; other keys are named by their last segment.
        update.set_if_absent("filename", event.key.rsplit("/", 1)[-1])
        update.set("uploaded_at", timestamp(event.event_time))
        update.set("updated_at", now)
        update.set("attempts", 1)
        # What the record said about an earlier version is not true of this one;
        # and the file has come, so a PENDING record's expiry (TTL) no longer applies.
        update.remove("error", "metadata", "derived", "ai", "processed_at", "expires_at")
        seq, v_seq = update.name("sequencer"), update.value(sequencer)
        condition = (
            f"attribute_not_exists({update.name('file_id')})"
            f" OR attribute_not_exists({seq}) OR {seq} < {v_seq}"
        )
        outcome = self._write(file_id, update, condition)
        if outcome.applied:
            return Attempt(file_id, sequencer, 1)
        old = outcome.old or self.get(file_id) or {}
        if old.get("sequencer") == sequencer and _unfinished(old):
            return self._retry(file_id, sequencer, category, now)
        return Skip(_skip_reason(old, sequencer))

    def _retry(self, file_id: str, sequencer: str, category: str, now: str) -> Attempt | Skip:
        """Another attempt at an event whose last attempt never finished (a timeout,
        a crash, a transient error) or gave up on a transient error (FAILED with
        error.retryable, the message then redriven from the DLQ)."""
        update = _Update()
        update.set_status(Status.PROCESSING, category, file_id)
        update.set("updated_at", now)
        update.add("attempts", 1)
        update.remove("error")
        status, error = update.name("status"), update.name("error")
        condition = (
            f"{update.name('sequencer')} = {update.value(sequencer)}"
            f" AND ({status} = {update.value(Status.PROCESSING)}"
            f" OR ({status} = {update.value(Status.FAILED)}"
            f" AND {error}.{update.name('retryable')} = {update.value(True)}))"
        )
        outcome = self._write(file_id, update, condition, return_new=True)
        if not outcome.applied:
            return Skip(_skip_reason(outcome.old or self.get(file_id) or {}, sequencer))
        return Attempt(file_id, sequencer, int((outcome.new or {}).get("attempts", 1)))

    def complete(
        self,
        attempt: Attempt,
        *,
        category: str,
        metadata: Mapping[str, Any],
        derived: Mapping[str, str],
        content_type: str | None,
        ai: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record PROCESSED; False when a newer event took the record meanwhile."""
        now = timestamp(self._now())
        update = _Update()
        update.set_status(Status.PROCESSED, category, attempt.file_id)
        update.set("metadata", dict(metadata))
        update.set("derived", dict(derived))
        update.set("content_type", content_type)
        update.set("ai", dict(ai) if ai is not None else None)
        update.set("processed_at", now)
        update.set("updated_at", now)
        update.remove("error")
        condition = self._ours(update, attempt.sequencer)
        return self._write(attempt.file_id, update, condition).applied

    def fail(
        self,
        attempt: Attempt,
        *,
        category: str,
        error: Mapping[str, Any],
        content_type: str | None = None,
    ) -> bool:
        """Record FAILED with ``error`` ({type, message, retryable}); False when superseded."""
        now = timestamp(self._now())
        update = _Update()
        update.set_status(Status.FAILED, category, attempt.file_id)
        update.set("error", dict(error))
        if content_type is not None:
            update.set("content_type", content_type)
        update.set("processed_at", now)
        update.set("updated_at", now)
        update.remove("metadata", "derived", "ai")
        condition = self._ours(update, attempt.sequencer)
        return self._write(attempt.file_id, update, condition).applied

    def mark_deleted(self, event: S3EventRecord, *, file_id: str, category: str) -> bool:
        """Record DELETED for an ObjectRemoved event newer than what is stored.

        The record keeps the version, metadata and artefacts it described, so
        it still says what was there. Deleting one specific version of a
        versioned object (not a delete marker) removes the file only when that
        version is the one the record describes; deleting an old version
        leaves the current one alone.
        """
        sequencer = stored_sequencer(event)
        update = _Update()
        update.set("sequencer", sequencer)
        update.set_status(Status.DELETED, category, file_id)
        update.set("updated_at", timestamp(self._now()))
        # A removal can arrive before (or instead of) its creation: the record
        # then starts here, and the late creation event is refused as older.
        update.set_if_absent("bucket", event.bucket)
        update.set_if_absent("key", event.key)
        update.set_if_absent("filename", event.key.rsplit("/", 1)[-1])
        update.set_if_absent("uploaded_at", timestamp(event.event_time))
        # A DELETED record stays, as the record of what was there.
        update.remove("expires_at")
        seq, v_seq = update.name("sequencer"), update.value(sequencer)
        condition = (
            f"(attribute_not_exists({update.name('file_id')})"
            f" OR attribute_not_exists({seq}) OR {seq} < {v_seq})"
        )
        if event.version_id is not None and not event.is_delete_marker:
            version = update.name("version_id")
            condition += (
                f" AND (attribute_not_exists({version})"
                f" OR {version} = {update.value(event.version_id)})"
            )
        return self._write(file_id, update, condition).applied

    @staticmethod
    def _ours(update: _Update, sequencer: str) -> str:
        return (
            f"{update.name('sequencer')} = {update.value(sequencer)}"
            f" AND {update.name('status')} = {update.value(Status.PROCESSING)}"
        )

    def _write(
        self, file_id: str, update: _Update, condition: str, *, return_new: bool = False
    ) -> _Outcome:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"file_id": {"S": file_id}},
                UpdateExpression=update.expression(),
                ConditionExpression=condition,
                ExpressionAttributeNames=update.names,
                ExpressionAttributeValues=update.values,
                ReturnValues="UPDATED_NEW" if return_new else "NONE",
                # The stored item comes back with the refusal: no extra read to log why.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            return _Outcome(applied=False, old=_deserialize(old) if isinstance(old, dict) else None)
        return _Outcome(applied=True, new=_deserialize(response.get("Attributes", {})))


def _deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _unfinished(old: Mapping[str, Any]) -> bool:
    """Still being processed, or given up on for a reason a retry may cure."""
    if old.get("status") == Status.PROCESSING:
        return True
    error = old.get("error")
    return (
        old.get("status") == Status.FAILED
        and isinstance(error, Mapping)
        and (error.get("retryable") is True)
    )


def _skip_reason(old: Mapping[str, Any], sequencer: str) -> str:
    stored = old.get("sequencer")
    status = old.get("status")
    if stored == sequencer:
        return f"duplicate delivery: the record is already {status} for this event"
    if isinstance(stored, str) and stored > sequencer:
        return f"out of order: the record holds a newer event ({status}, sequencer {stored})"
    return f"the record changed meanwhile ({status}, sequencer {stored})"
