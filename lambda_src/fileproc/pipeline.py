"""From an SQS batch of S3 notifications to the DynamoDB record of each file.

The processors are pure functions of a byte stream (processors/base.py); this
module does the I/O and the bookkeeping around them:

    SQS message -> S3 event records -> per record: scope and category checks,
    claim the record (records.begin), stream the object version into the
    processor (of a Parquet file, only its ends, where the footer is), write
    its artefacts under derived/<file_id>/, optional AI summary, record
    PROCESSED or FAILED.

How each kind of failure ends:

- PermanentError (corrupt, unsupported, too large, content not matching the
  extension...): FAILED with the error's type and message; message acknowledged.
- Errors of AWS calls (botocore ClientError and BotoCoreError: throttling,
  5xx, timeouts, a broken download stream, but also AccessDenied or a
  disabled KMS key): re-raised, so the BatchProcessor reports only that
  message as a batch item failure; SQS redelivers it after the visibility
  timeout and moves it to the DLQ after N receives, where an alarm fires and a
  redrive recovers it once the cause is fixed. The record stays PROCESSING and
  the next attempt takes it over; on the last delivery (MAX_RECEIVE_COUNT, the
  queue's maxReceiveCount) it says FAILED with type RetriesExhausted and
  retryable true, so nobody waits on a PROCESSING that will not end, and the
  redriven message takes the record over again. These are faults of the
  platform, not of the file, so they never end the file as FAILED for good.
- Anything else (a bug, or a library blowing up on a strange file), and
  DynamoDB refusing the record (an item over 400 KB): FAILED with type
  "InternalError" and the exception in the message, acknowledged. Retrying
  would fail the same way N times and then park the message in the DLQ with
  the record stuck in PROCESSING; a FAILED record instead says what happened,
  where the API shows it, and the log has the traceback. After a fix,
  re-uploading (or copying the object onto itself) reprocesses the file.
- A message that is not an S3 notification: logged and acknowledged.
- A message the invocation has too little time left for (TimeBudget) is not
  started and comes back alone, instead of a timeout returning the whole batch.
- A file still processing shortly before the function's timeout on the last
  delivery (DeadlineGuard): FAILED RetriesExhausted (retryable) is recorded from
  a timer thread, since Lambda kills the runtime at the timeout without running
  more of our code; the message goes to the DLQ with a record that says why.
- The handlers run each processor isolated in a child process
  (fileproc.isolation): a file that runs it out of memory, crashes a native
  library or hangs ends FAILED OutOfMemory, Crashed or TimedOut (permanent
  errors, as above), and the function goes on with its batch.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from fileproc import ai, isolation, observability
from fileproc.config import Settings
from fileproc.errors import PermanentError, TooLarge, Unsupported, is_transient
from fileproc.events import InvalidMessage, S3EventRecord, parse_body
from fileproc.keys import (
    EXTENSIONS,
    Category,
    category_for,
    derived_key,
    extension,
    file_id_for_key,
    issued_file_id,
)
from fileproc.observability import logger, metrics, tracer
from fileproc.processors import parquet
from fileproc.processors.base import Extraction, Processor
from fileproc.records import Attempt, Records, Skip
from fileproc.s3io import (
    OpenedObject,
    WrittenObject,
    delete_versions,
    open_ends,
    open_object,
    put_artefact,
)

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

INTERNAL_ERROR = "InternalError"
RETRIES_EXHAUSTED = "RetriesExhausted"
_PLURAL = {Category.IMAGE: "images", Category.DOCUMENT: "documents", Category.DATA: "data files"}
# Standard retry mode: AWS's recommended backoff for throttling and 5xx inside
# one attempt, before a failure becomes an SQS redelivery.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


class Outcome(StrEnum):
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"
    DELETED = "DELETED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class Clients:
    s3: S3Client
    dynamodb: DynamoDBClient
    bedrock: BedrockRuntimeClient | None = None  # only where summaries are on

    @classmethod
    def create(cls, settings: Settings, *, summaries: bool = False) -> Clients:
        """The clients of one function; region and endpoint come from the environment."""
        bedrock = None
        if summaries and settings.bedrock_enabled:
            bedrock = boto3.client("bedrock-runtime", config=_CLIENT_CONFIG)
        return cls(
            s3=boto3.client("s3", config=_CLIENT_CONFIG),
            dynamodb=boto3.client("dynamodb", config=_CLIENT_CONFIG),
            bedrock=bedrock,
        )


def make_sqs_handler(
    category: Category, process: Processor, *, settings: Settings, clients: Clients
) -> Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]:
    """The Lambda handler of one processing function (one category, one queue).

    The event source mapping must have ReportBatchItemFailures on: the
    response lists the messages to redeliver, and only those.
    """
    # Report all-failed batches in the response too, rather than by raising:
    # the effect on SQS is the same and the response always has one shape.
    batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    metrics.set_default_dimensions(environment=settings.environment)

    budget = TimeBudget()

    def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
        delivery = int(record.attributes.approximate_receive_count)
        with logger.append_context_keys(correlation_id=record.message_id, receive_count=delivery):
            last = settings.max_receive_count is not None and delivery >= settings.max_receive_count
            if not last and not budget.may_start(lambda_context.get_remaining_time_in_millis()):
                # Starting it would risk the invocation's timeout, which returns every
                # message of the batch, finished ones included; this one alone comes back.
                logger.warning("Too little time left in this invocation: message returned")
                observability.count(observability.MESSAGES_RETRIED)
                raise NotStarted(f"message {record.message_id} not started: too little time left")
            # A hang in an isolated processor is stopped before the invocation's end;
            # only an invocation's first file has had all its time (fileproc.isolation).
            first = budget.messages_started == 0
            remaining = lambda_context.get_remaining_time_in_millis
            with budget.timing(), isolation.deadline(remaining, whole_invocation=first):
                handle_message(
                    record.body,
                    category,
                    process,
                    settings,
                    clients,
                    delivery=delivery,
                    remaining_ms=lambda_context.get_remaining_time_in_millis,
                )

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        metrics.add_dimension(name="category", value=category.value)
        budget.new_invocation()
        return process_partial_response(
            event=event, record_handler=record_handler, processor=batch, context=context
        )

    return handler


class NotStarted(Exception):
    """A message left for redelivery because the invocation had too little time left."""


class TimeBudget:
    """Whether one more message fits in what is left of the invocation.

    A message may start while the time left is at least twice the longest one
    this container has processed (and at least MIN_START_MS): a batch then ends
    with its unstarted messages returned to the queue rather than with a timeout,
    which would return the finished ones too and cost every one a receive. The
    first message of an invocation always starts: nothing finished can be lost
    with it, and a container that once took most of its timeout on one big file
    would otherwise refuse every later message until its last delivery.
    """

    MIN_START_MS = 3_000

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.messages_started = 0  # in the current invocation

    def new_invocation(self) -> None:
        self.messages_started = 0

    def may_start(self, remaining_ms: int) -> bool:
        if self.messages_started == 0:
            return True
        return remaining_ms >= max(self.MIN_START_MS, 2 * self.longest_ms)

    @contextlib.contextmanager
    def timing(self) -> Iterator[None]:
        self.messages_started += 1
        started = time.perf_counter()
        try:
            yield
        finally:
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)


def handle_message(
    body: str,
    category: Category,
    process: Processor,
    settings: Settings,
    clients: Clients,
    *,
    delivery: int = 1,
    remaining_ms: Callable[[], int] | None = None,
) -> list[Outcome]:
    """Every S3 event record of one SQS message body, in order.

    delivery: the message's receive count (1 on its first delivery).
    remaining_ms: the invocation's time left (LambdaContext), for DeadlineGuard.
    """
    try:
        events = parse_body(body)
    except InvalidMessage as exc:
        # Acknowledged: the same body would fail the same way on every retry.
        logger.error(
            "Not an S3 event notification", extra={"reason": str(exc), "body": body[:1000]}
        )
        observability.count(observability.INVALID_MESSAGES)
        return []
    if not events:
        logger.info("S3 test event: nothing to process")
    return [
        handle_record(
            event,
            category,
            process,
            settings,
            clients,
            delivery=delivery,
            remaining_ms=remaining_ms,
        )
        for event in events
    ]


@tracer.capture_method(capture_response=False)
def handle_record(
    event: S3EventRecord,
    category: Category,
    process: Processor,
    settings: Settings,
    clients: Clients,
    *,
    delivery: int = 1,
    remaining_ms: Callable[[], int] | None = None,
) -> Outcome:
    """Process, delete or skip the file of one S3 event record."""
    key = event.key
    if not key.startswith(settings.upload_prefix) or key.startswith(settings.derived_prefix):
        logger.info("Key outside the upload prefix: skipped", extra={"key": key})
        observability.count(observability.EVENTS_SKIPPED)
        return Outcome.SKIPPED
    records = Records(clients.dynamodb, settings.table_name)
    file_id = record_id(records, event.bucket, key, settings.upload_prefix)
    file_category = category_for(key) or category
    with logger.append_context_keys(
        file_id=file_id, key=key, event_name=event.event_name, s3_request_id=event.request_id
    ):
        tracer.put_annotation(key="file_id", value=file_id)
        try:
            if event.is_removed:
                return _delete(records, event, file_id, file_category)
            if not event.is_created:
                logger.info("Event type not handled: skipped")
                observability.count(observability.EVENTS_SKIPPED)
                return Outcome.SKIPPED
            claim = records.begin(event, file_id=file_id, category=file_category)
            if isinstance(claim, Skip):
                logger.info("Event skipped", extra={"reason": claim.reason})
                observability.count(observability.EVENTS_SKIPPED)
                return Outcome.SKIPPED
            guard = DeadlineGuard(records, claim, file_category, delivery, settings)
            with guard.armed(remaining_ms):
                outcome = _attempt(
                    claim,
                    records,
                    event,
                    category,
                    file_category,
                    process,
                    settings,
                    clients,
                    delivery,
                )
            if guard.fired:
                # The record already says FAILED (retryable): the message goes to the
                # DLQ with it, whatever this attempt managed in its last seconds.
                raise RanOutOfTime(f"file {file_id} was recorded as out of time")
            return outcome
        except RanOutOfTime:
            observability.count(observability.MESSAGES_RETRIED)
            raise
        except Exception as exc:
            # Whatever escapes fails this SQS message only; SQS redelivers it.
            if is_transient(exc):
                logger.warning("Transient error: the message will be redelivered", exc_info=True)
            else:  # e.g. AccessDenied: a configuration fault, not the file's
                logger.exception("Error: the message will be redelivered")
            observability.count(observability.MESSAGES_RETRIED)
            raise


def record_id(records: Records, bucket: str, key: str, upload_prefix: str) -> str:
    """The id of the key's record (keys.file_id_for_key): the id in a key the API
    issued only while that id's record holds exactly this key.

    The API writes the PENDING record before it hands out the upload form, so the
    record is there before any event of the key; no other writer gives a record
    the API's id, so the answer does not change between a key's events.
    """
    candidate = issued_file_id(key, upload_prefix)
    recorded = records.get(candidate) if candidate is not None else None
    recorded_key = recorded.get("key") if recorded is not None else None
    return file_id_for_key(bucket, key, upload_prefix, recorded_key)


def _delete(records: Records, event: S3EventRecord, file_id: str, category: Category) -> Outcome:
    if records.mark_deleted(event, file_id=file_id, category=category):
        logger.info("File deleted")
        observability.count(observability.FILES_DELETED)
        return Outcome.DELETED
    logger.info("Removal skipped: the record holds a newer event or another version")
    observability.count(observability.EVENTS_SKIPPED)
    return Outcome.SKIPPED


def _attempt(
    attempt: Attempt,
    records: Records,
    event: S3EventRecord,
    category: Category,
    file_category: Category,
    process: Processor,
    settings: Settings,
    clients: Clients,
    delivery: int,
) -> Outcome:
    started = time.perf_counter()
    content_type: str | None = None
    written: list[WrittenObject] = []
    logger.info("Processing", extra={"attempt": attempt.number, "size": event.size})
    try:
        _check_category(event.key, category, file_category)
        if event.size is not None:
            _check_size(event.size, category, settings)
        with _open(clients, event) as obj:
            content_type = obj.content_type
            _check_size(obj.size, category, settings)
            extraction = process(
                obj.stream, size=obj.size, extension=extension(event.key), settings=settings
            )
        derived, written = _write_artefacts(
            extraction, attempt.file_id, event.bucket, settings, clients
        )
        summary = _summary(extraction, category, settings, clients)
        if not records.complete(
            attempt,
            category=file_category,
            metadata=extraction.metadata,
            derived=derived,
            content_type=content_type,
            ai=summary,
        ):
            return _superseded(clients, event.bucket, written)
    except PermanentError as exc:
        logger.info("File failed", extra={"error_type": exc.type, "reason": str(exc)})
        return _fail(records, attempt, file_category, exc.as_record(), content_type)
    except ClientError as exc:
        if not _record_refused(exc):
            # AWS said no (throttled, down, access denied...): SQS redelivers
            _give_up_if_last(records, attempt, file_category, exc, delivery, settings)
            raise
        logger.exception("DynamoDB refused the record: recording the file as FAILED")
        return _fail(records, attempt, file_category, _internal_error(exc), content_type)
    except BotoCoreError as exc:
        # a connection, timeout or stream error of an AWS call: SQS redelivers
        _give_up_if_last(records, attempt, file_category, exc, delivery, settings)
        raise
    except Exception as exc:
        if is_transient(exc):
            _give_up_if_last(records, attempt, file_category, exc, delivery, settings)
            raise
        logger.exception("Unexpected error: recording the file as FAILED")
        return _fail(records, attempt, file_category, _internal_error(exc), content_type)
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("File processed", extra={"duration_ms": round(elapsed_ms, 1), "derived": derived})
    observability.count(observability.FILES_PROCESSED)
    observability.processing_time(elapsed_ms)
    return Outcome.PROCESSED


class RanOutOfTime(Exception):
    """The last delivery's deadline passed while processing (DeadlineGuard fired)."""


class DeadlineGuard:
    """On a message's last delivery, record FAILED shortly before the function's timeout.

    Lambda kills the runtime at the timeout without running any more of our code,
    so a file that times out on every delivery would reach the DLQ with its record
    still PROCESSING. A timer thread writes the FAILED record MARGIN_MS before the
    deadline instead (conditionally, like any result: only while this attempt
    holds the record). Pillow and the PDF and CSV code are Python or release the
    GIL between blocks, so the timer gets to run while they work.
    """

    MARGIN_MS = 2_000

    def __init__(
        self,
        records: Records,
        attempt: Attempt,
        category: Category,
        delivery: int,
        settings: Settings,
    ) -> None:
        self._records, self._attempt, self._category = records, attempt, category
        self._delivery, self._limit = delivery, settings.max_receive_count
        self.fired = False

    @contextlib.contextmanager
    def armed(self, remaining_ms: Callable[[], int] | None) -> Iterator[None]:
        last = self._limit is not None and self._delivery >= self._limit
        if remaining_ms is None or not last:
            yield
            return
        remaining = remaining_ms()
        # With less than twice the margin left, half of what is left: a file that
        # would finish in time is not failed on the spot.
        delay_ms = max(remaining - self.MARGIN_MS, remaining / 2)
        timer = threading.Timer(delay_ms / 1000, self._record)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            timer.join()  # a write under way finishes before the caller reads `fired`

    def _record(self) -> None:
        error = {
            "type": RETRIES_EXHAUSTED,
            "message": f"processing had not finished {self.MARGIN_MS // 1000} s before the "
            f"function's timeout on the last delivery ({self._delivery} of {self._limit}); "
            "the message is in the dead-letter queue: raise the function's timeout or "
            "memory, then redrive it",
            "retryable": True,
        }
        try:
            self.fired = self._records.fail(self._attempt, category=self._category, error=error)
        except Exception:
            logger.warning("Could not record the timeout", exc_info=True)
            return
        if self.fired:
            logger.error("Out of time on the last delivery: recorded as FAILED")


def _record_refused(exc: ClientError) -> bool:
    """DynamoDB rejected what the file produced (an item over 400 KB, nesting too deep,
    a string it cannot read): the same file would be refused on every retry."""
    code = exc.response.get("Error", {}).get("Code")
    return exc.operation_name == "UpdateItem" and code in (
        "ValidationException",
        "SerializationException",
    )


def _give_up_if_last(
    records: Records,
    attempt: Attempt,
    category: Category,
    exc: Exception,
    delivery: int,
    settings: Settings,
) -> None:
    """On the delivery after which SQS moves the message to the DLQ, record FAILED
    (retryable) so the record says what happened; the caller still re-raises."""
    limit = settings.max_receive_count
    if limit is None or delivery < limit:
        return
    cause = f"{type(exc).__name__}: {exc}"[:500]
    error = {
        "type": RETRIES_EXHAUSTED,
        "message": f"gave up after {delivery} deliveries ({cause}); the message is in the "
        "dead-letter queue: redrive it once the cause is fixed",
        "retryable": True,
    }
    try:
        _fail(records, attempt, category, error, None)
    except Exception:
        # The message goes to the DLQ all the same; the record stays PROCESSING.
        logger.warning("Could not record the give-up", exc_info=True)


def _internal_error(exc: Exception) -> dict[str, Any]:
    message = f"unexpected error while processing: {type(exc).__name__}: {exc}"
    return {"type": INTERNAL_ERROR, "message": message[:1000], "retryable": False}


def _open(clients: Clients, event: S3EventRecord) -> AbstractContextManager[OpenedObject]:
    """The object as its processor reads it: whole, or only its ends where the metadata
    is all at the end (a Parquet footer: the data is never downloaded)."""
    if extension(event.key) in parquet.EXTENSIONS:
        return open_ends(
            clients.s3,
            event.bucket,
            event.key,
            event.version_id,
            head_bytes=parquet.HEAD_BYTES,
            probe_bytes=parquet.TAIL_PROBE_BYTES,
            tail_bytes=parquet.tail_bytes,
        )
    return open_object(clients.s3, event.bucket, event.key, event.version_id)


def _check_category(key: str, category: Category, file_category: Category) -> None:
    ext = extension(key)
    if ext in EXTENSIONS and file_category is category:
        return
    handled = ", ".join(sorted(e for e, c in EXTENSIONS.items() if c is category))
    shown = f"extension {ext}" if ext else "a file without an extension"
    raise Unsupported(f"{shown} is not handled by the {category} processor (it takes {handled})")


def _check_size(size: int, category: Category, settings: Settings) -> None:
    limit = settings.max_bytes(category)
    if size <= limit:
        return
    actual, allowed = human_size(size), human_size(limit)
    if actual == allowed:  # rounding hid the difference: show the bytes
        actual, allowed = f"{size} bytes", f"{limit} bytes"
    raise TooLarge(f"file is {actual}; the limit for {_PLURAL[category]} is {allowed}")


def human_size(size: int) -> str:
    """61.2 MB, 50 MB, 5 GB, 812 KB, 17 bytes (binary multiples, as the limits are)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _write_artefacts(
    extraction: Extraction, file_id: str, bucket: str, settings: Settings, clients: Clients
) -> tuple[dict[str, str], list[WrittenObject]]:
    derived: dict[str, str] = {}
    written: list[WrittenObject] = []
    for name, artefact in extraction.artefacts.items():
        key = derived_key(file_id, artefact.filename, settings.derived_prefix)
        written.append(put_artefact(clients.s3, bucket, key, artefact.body, artefact.content_type))
        derived[name] = key
    return derived, written


def _summary(
    extraction: Extraction, category: Category, settings: Settings, clients: Clients
) -> dict[str, str] | None:
    if category is not Category.DOCUMENT or not settings.bedrock_enabled:
        return None
    if clients.bedrock is None or extraction.text is None:
        return None
    return ai.summarise(clients.bedrock, extraction.text, settings)


def _superseded(clients: Clients, bucket: str, written: list[WrittenObject]) -> Outcome:
    logger.info("A newer event took the record during processing: result discarded")
    try:
        delete_versions(clients.s3, bucket, written)
    except Exception:
        # Only tidiness is at stake: the record already points at the newer result.
        logger.warning("Could not remove this attempt's artefact versions", exc_info=True)
    observability.count(observability.EVENTS_SKIPPED)
    return Outcome.SKIPPED


def _fail(
    records: Records,
    attempt: Attempt,
    category: Category,
    error: dict[str, Any],
    content_type: str | None,
) -> Outcome:
    if not records.fail(attempt, category=category, error=error, content_type=content_type):
        logger.info("A newer event took the record during processing: failure discarded")
        observability.count(observability.EVENTS_SKIPPED)
        return Outcome.SKIPPED
    observability.count(observability.FILES_FAILED)
    return Outcome.FAILED
