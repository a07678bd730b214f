"""Each file's extraction in a child process: real children that segfault, abort, run out
of memory and hang, in a real batch whose other files are processed.

The second part runs the child's side (serve) and the parent's reading of it
(outcome) in-process, where coverage sees them.
"""

from __future__ import annotations

import ctypes
import faulthandler
import io
import os
import signal
import time
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from conftest import Aws, FakeLambdaContext
from PIL import Image
from pipeline_events import Uploads, sqs_event, sqs_message

from fileproc import isolation
from fileproc.config import Settings
from fileproc.errors import (
    ContentMismatch,
    Corrupt,
    Crashed,
    OutOfMemory,
    PermanentError,
    TimedOut,
    is_transient,
)
from fileproc.isolation import ForkFailed, Isolated, Job, Limits, OutOfTime, isolated
from fileproc.keys import Category, file_id_for_key
from fileproc.pipeline import Clients, DeadlineGuard, make_sqs_handler
from fileproc.processors import image
from fileproc.processors.base import Artefact, Extraction
from fileproc.processors.streams import read_head, rejoined
from fileproc.records import Records
from fileproc_tools.inprocess import notification

MiB = 1024 * 1024


def photo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def hostile(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
    """What a native library might do on a hostile file, chosen by the file's first bytes;
    a real PNG otherwise (the image processor)."""
    head = read_head(stream, 4)
    if head in (b"SEGV", b"ABRT"):
        faulthandler.disable()  # pytest's traceback dump of the dying child: noise here
    if head == b"SEGV":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if head == b"ABRT":
        os.abort()
    if head == b"HOG!":  # a library allocating row after row of a huge image
        rows = [bytearray(16 * MiB) for _ in range(256)]
        return Extraction(metadata={"rows": len(rows)})
    if head == b"WIDE":  # the same in native code: Pillow asked for a 1.6 GB image
        Image.new("RGBA", (20_000, 20_000))
    if head == b"CMAL":  # a C library allocating until malloc fails, then abort()ing
        faulthandler.disable()
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        while block := libc.malloc(4 * MiB):
            ctypes.memset(block, 1, 4 * MiB)  # resident, as a decoder's output is
        os.abort()
    if head == b"HANG":
        time.sleep(3600)
    if head == b"SPIN":
        while True:
            pass
    return image.process(rejoined(head, stream), size=size, extension=extension, settings=settings)


class FixedTime(FakeLambdaContext):
    def __init__(self, remaining_ms: int) -> None:
        super().__init__()
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def record(aws: Aws, key: str) -> dict[str, Any]:
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, key))
    assert item is not None
    return item


@pytest.fixture
def uploads(aws: Aws) -> Uploads:
    return Uploads(aws.s3, aws.bucket)


def handler(aws: Aws) -> Any:
    # 1 MB of function memory: each child gets the minimum, MIN_CHILD_BYTES.
    process = isolated(hostile, memory_mb=1)
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    return make_sqs_handler(Category.IMAGE, process, settings=Settings.from_env(), clients=clients)


def test_crashes_and_memory_end_their_file_and_the_batch_goes_on(
    aws: Aws, uploads: Uploads
) -> None:
    contents = {
        "ok1": photo_png(),
        "segv": b"SEGV",
        "abrt": b"ABRT",
        "hog": b"HOG!",
        "wide": b"WIDE",
        "cmal": b"CMAL",
        "ok2": photo_png(),
        "spin": b"SPIN",  # not the invocation's first file: comes back
    }
    messages = {
        name: sqs_message(notification(uploads.put(f"uploads/{name}.png", data)))
        for name, data in contents.items()
    }

    # 6 s left throughout: each file may start while the longest so far took under 3 s.
    response = handler(aws)(sqs_event(*messages.values()), FixedTime(6_000))

    assert response == {"batchItemFailures": [{"itemIdentifier": messages["spin"]["messageId"]}]}
    for name in ("ok1", "ok2"):
        item = record(aws, f"uploads/{name}.png")
        assert item["status"] == "PROCESSED"
        assert item["metadata"]["thumbnail"] == {"width": 256, "height": 128}
        assert item["derived"]["thumbnail"].endswith("/thumbnail.jpg")
    failed = ("segv", "abrt", "hog", "wide", "cmal")
    errors = {name: record(aws, f"uploads/{name}.png")["error"] for name in failed}
    assert {name: error["type"] for name, error in errors.items()} == {
        "segv": "Crashed",
        "abrt": "Crashed",
        "hog": "OutOfMemory",
        "wide": "OutOfMemory",
        # Killed by SIGABRT too, but at its memory limit: what ran out was memory.
        "cmal": "OutOfMemory",
    }
    assert all(error["retryable"] is False for error in errors.values())
    assert "SIGSEGV" in errors["segv"]["message"]
    assert "SIGABRT" in errors["abrt"]["message"]
    limit = f"more than the {isolation.MIN_CHILD_BYTES // MiB} MB a file may use"
    assert limit in errors["hog"]["message"]
    assert limit in errors["wide"]["message"]
    assert limit in errors["cmal"]["message"]
    assert "an allocation failed at the limit (SIGABRT" in errors["cmal"]["message"]
    # Stopped at its limit (3 s of the 6 s left), then handed back to SQS.
    assert record(aws, "uploads/spin.png")["status"] == "PROCESSING"


def test_a_hang_that_had_the_whole_invocation_is_timed_out(aws: Aws, uploads: Uploads) -> None:
    hang = sqs_message(notification(uploads.put("uploads/hang.png", b"HANG")))
    after = sqs_message(notification(uploads.put("uploads/after.png", photo_png())))

    function = handler(aws)

    # Killed at the later of 4 s - RESERVE_MS and 40 % of 4 s: 1.6 s.
    assert function(sqs_event(hang), FixedTime(4_000)) == {"batchItemFailures": []}
    error = record(aws, "uploads/hang.png")["error"]
    assert error["type"] == "TimedOut"
    assert error["retryable"] is False
    assert "did not finish in the 1.6 s" in error["message"]
    # The function lives on: its next invocation is processed.
    assert function(sqs_event(after), FixedTime(4_000)) == {"batchItemFailures": []}
    assert record(aws, "uploads/after.png")["status"] == "PROCESSED"


def test_on_the_last_delivery_the_hang_is_timed_out_before_the_guard_fires(
    aws: Aws, uploads: Uploads
) -> None:
    """The guard's timer thread is alive when the child is forked; the child is
    stopped first (5 s of the 8 s left, the guard at 6 s), so the record says
    TimedOut, not RetriesExhausted, and the message is acknowledged."""
    settings = Settings.from_env({**os.environ, "MAX_RECEIVE_COUNT": "3"})
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    process = isolated(hostile, memory_mb=1)
    last = make_sqs_handler(Category.IMAGE, process, settings=settings, clients=clients)
    hang = sqs_message(notification(uploads.put("uploads/hang.png", b"HANG")), receive_count=3)

    assert last(sqs_event(hang), FixedTime(8_000)) == {"batchItemFailures": []}

    error = record(aws, "uploads/hang.png")["error"]
    assert (error["type"], error["retryable"]) == ("TimedOut", False)
    assert "did not finish in the 5.0 s" in error["message"]


def test_the_child_is_stopped_before_the_deadline_guard_fires() -> None:
    assert isolation.RESERVE_MS > DeadlineGuard.MARGIN_MS
    process = isolated(hostile)
    for remaining in (100, 1_000, 4_000, 60_000):
        with isolation.deadline(lambda ms=remaining: ms, whole_invocation=True):
            seconds = process.limits().seconds
        assert seconds is not None
        guard_s = max(remaining - DeadlineGuard.MARGIN_MS, remaining / 2) / 1000
        assert seconds < guard_s


def test_without_time_left_the_file_is_not_started() -> None:
    with (
        isolation.deadline(lambda: 0, whole_invocation=False),
        pytest.raises(OutOfTime, match="no time left"),
    ):
        isolated(hostile)(io.BytesIO(b"HANG"), size=4, extension=".png", settings=settings())


def settings() -> Settings:
    return Settings(table_name="t", bucket_name="b")


class CountingReader:
    """A once-readable stream that counts what was read; fails after ``fail_after`` reads."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self._data, self._pos, self._reads, self._fail_after = data, 0, 0, fail_after

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        if self._fail_after is not None and self._reads > self._fail_after:
            raise ConnectionError("connection reset by peer")
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    @property
    def consumed(self) -> int:
        return self._pos


def test_a_refused_head_stops_the_download() -> None:
    data = b"%PDF-1.7\n" + os.urandom(8 * MiB)
    stream = CountingReader(data)

    with pytest.raises(ContentMismatch, match="holds a PDF document"):
        isolated(image.process)(
            cast(BinaryIO, stream), size=len(data), extension=".png", settings=settings()
        )

    # The pipe holds 64 KB and the child read the head only: the rest stayed in S3.
    assert stream.consumed < MiB


def _children() -> set[int]:
    """This process's children, zombies included (earlier tests may have left some)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def test_a_broken_download_fails_the_message_and_leaves_no_child() -> None:
    data = photo_png() + b"\x00" * (2 * MiB)
    before = _children()

    with pytest.raises(ConnectionError):
        isolated(image.process)(
            cast(BinaryIO, CountingReader(data, fail_after=2)),
            size=len(data),
            extension=".png",
            settings=settings(),
        )

    assert _children() <= before  # the extraction's child was reaped: no zombie left


def test_a_real_image_comes_back_whole() -> None:
    data = photo_png()

    extraction = isolated(image.process)(
        io.BytesIO(data), size=len(data), extension=".png", settings=settings()
    )

    assert extraction == image.process(
        io.BytesIO(data), size=len(data), extension=".png", settings=settings()
    )


# ---------------------------------------------------------------- in-process


def served(process: Any, data: bytes = b"input") -> tuple[int, bytes]:
    """serve() in this process over real pipes: (exit status, answer)."""
    input_r, input_w = os.pipe()
    answer_r, answer_w = os.pipe()
    os.write(input_w, data)
    os.close(input_w)
    status = isolation.serve(process, Job(len(data), ".png", settings()), input_r, answer_w)
    with os.fdopen(answer_r, "rb") as answer:
        return status, answer.read()


LIMITS = Limits(memory_bytes=200 * MiB, function_mb=1024, seconds=10.0)
# peak_mb=300 below: grown by 100 MB from 200 MB, by 66 MB from 234 MB (a third of
# the 200 MB limit is 66.7 MB).
NEAR = Limits(200 * MiB, 1024, 10.0, inherited_bytes=200 * MiB)
FAR = Limits(200 * MiB, 1024, 10.0, inherited_bytes=234 * MiB)


def test_serve_returns_metadata_text_and_artefacts() -> None:
    def process(stream: BinaryIO, **_: Any) -> Extraction:
        body = stream.read()
        return Extraction(
            metadata={"bytes": len(body), "name": "\udfaa lone", "nested": {"a": [1, 2.5, None]}},
            artefacts={
                "thumbnail": Artefact("thumbnail.jpg", b"\xff\xd8" + body, "image/jpeg"),
                "text": Artefact("text.txt", "été".encode(), "text/plain"),
            },
            text="some text",
        )

    status, answer = served(process, b"pixels")

    assert status == 0
    assert isolation.decode(answer, LIMITS) == process(io.BytesIO(b"pixels"))


class Odd(PermanentError):
    type = "Odd"

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


class LibraryError(Exception):
    pass


@pytest.mark.parametrize(
    ("raised", "expected_class", "expected_type", "message"),
    [
        (Corrupt("damaged PNG image"), Corrupt, "Corrupt", "damaged PNG image"),
        (Odd(7, "odd"), PermanentError, "Odd", "7: odd"),
        (TypeError("bad operand"), TypeError, None, "bad operand"),
        (LibraryError("boom"), RuntimeError, None, "test_isolation.LibraryError: boom"),
        (
            # Regression: its five-argument constructor made rebuilt() raise TypeError.
            UnicodeDecodeError("utf-16-le", b"\x00\xdc", 0, 2, "illegal encoding"),
            RuntimeError,
            None,
            "builtins.UnicodeDecodeError: 'utf-16-le' codec can't decode",
        ),
        (MemoryError(), OutOfMemory, "OutOfMemory", "a file may use in this function"),
    ],
)
def test_serve_sends_back_what_the_processor_raised(
    raised: BaseException, expected_class: type, expected_type: str | None, message: str
) -> None:
    def process(stream: BinaryIO, **_: Any) -> Extraction:
        stream.read(2)
        raise raised

    status, answer = served(process)

    assert status == 0
    with pytest.raises(expected_class, match=message) as caught:
        isolation.decode(answer, LIMITS)
    if expected_type is not None:
        assert caught.value.type == expected_type  # type: ignore[attr-defined]
    if expected_class in (TypeError, RuntimeError):
        assert "In the extraction's child process" in caught.value.__notes__[0]


def test_serve_reports_out_of_memory_without_memory_to_report_it() -> None:
    def process(stream: BinaryIO, **_: Any) -> Extraction:
        raise MemoryError

    def failing_encoder(exc: BaseException) -> bytes:
        raise MemoryError

    original = isolation.encode_error
    isolation.encode_error = failing_encoder  # type: ignore[assignment]
    try:
        status, answer = served(process)
    finally:
        isolation.encode_error = original
    assert status == 0
    with pytest.raises(OutOfMemory):
        isolation.decode(answer, LIMITS)


def test_serve_without_a_parent_to_answer_exits_without_an_answer() -> None:
    input_r, input_w = os.pipe()
    answer_r, answer_w = os.pipe()
    os.close(input_w)
    os.close(answer_r)

    status = isolation.serve(
        lambda stream, **_: Extraction(metadata={}), Job(0, ".png", settings()), input_r, answer_w
    )

    assert status == isolation.EXIT_NO_ANSWER


def killed_by(number: int) -> int:
    return number  # a wait status's low 7 bits: the signal


def exited(code: int) -> int:
    return code << 8


@pytest.mark.parametrize(
    ("status", "timed_out", "limits", "expected", "message"),
    [
        (killed_by(signal.SIGKILL), True, LIMITS, TimedOut, "did not finish in the 10.0 s"),
        (
            killed_by(signal.SIGKILL),
            True,
            Limits(None, None, 2.5, whole_invocation=False),
            OutOfTime,
            "stopped after 2.5 s",
        ),
        (killed_by(signal.SIGXCPU), False, LIMITS, TimedOut, "10.0 s"),
        (killed_by(signal.SIGKILL), False, LIMITS, OutOfMemory, "more than the 200 MB"),
        (killed_by(signal.SIGBUS), False, FAR, Crashed, "SIGBUS"),
        # The child grew by 100 MB (300 MB peak), over a third of its 200 MB limit,
        # where a buffer doubled by a copy asks for twice what it holds.
        (killed_by(signal.SIGABRT), False, NEAR, OutOfMemory, "failed at the limit .SIGABRT"),
        (killed_by(signal.SIGSEGV), False, NEAR, OutOfMemory, "200 MB a file may use.*SIGSEGV"),
        (killed_by(signal.SIGSEGV), False, FAR, Crashed, "SIGSEGV"),
        (killed_by(signal.SIGABRT), False, Limits(None, None, None), Crashed, "SIGABRT"),
        (exited(isolation.EXIT_OUT_OF_MEMORY), False, LIMITS, OutOfMemory, "1024 MB"),
        (
            exited(isolation.EXIT_OUT_OF_MEMORY),
            False,
            Limits(None, None, None),
            OutOfMemory,
            "ran out of memory",
        ),
        (exited(0), False, LIMITS, Crashed, "without an answer"),
        (exited(1), False, LIMITS, Crashed, "exit status 1"),
    ],
)
def test_how_a_child_ended_is_the_files_error(
    status: int, timed_out: bool, limits: Limits, expected: type, message: str
) -> None:
    with pytest.raises(expected, match=message):
        isolation.outcome(b"", status, timed_out=timed_out, limits=limits, peak_mb=300)


def test_memory_limit_is_the_functions_memory_less_what_the_function_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    process = isolated(hostile)
    assert process.memory_mb == 1024
    held = isolation._resident_bytes()
    assert held > 10 * MiB

    memory = process.limits().memory_bytes

    assert memory is not None
    expected = 1024 * MiB - held - isolation.MAX_RESERVE_BYTES
    assert abs(memory - expected) < 16 * MiB  # the test process grows a little meanwhile
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    assert Isolated(hostile, isolation.function_memory_mb()).limits().memory_bytes is None


def test_a_small_function_keeps_an_eighth_for_itself_and_gives_the_file_the_rest() -> None:
    assert isolation.reserve_bytes(128) == 16 * MiB
    assert isolation.reserve_bytes(256) == 32 * MiB
    assert isolation.reserve_bytes(2048) == isolation.MAX_RESERVE_BYTES
    limits = Isolated(hostile, 256).limits()
    assert limits.memory_bytes is not None
    # Never more than the function has, counting what the function holds.
    room = 256 * MiB - isolation._resident_bytes() - 32 * MiB
    assert abs(limits.memory_bytes - max(room, isolation.MIN_CHILD_BYTES)) < 8 * MiB
    # What the child starts with resident: the function's anonymous memory.
    assert 0 < limits.inherited_bytes < isolation._resident_bytes()


def test_the_processor_is_told_what_a_file_may_use() -> None:
    def tell(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
        return Extraction(metadata={"file_memory_mb": settings.file_memory_mb})

    process = isolated(tell, memory_mb=4096)
    told = process(io.BytesIO(b""), size=0, extension=".png", settings=settings())

    limit = process.limits().memory_bytes
    assert limit is not None
    assert abs(told.metadata["file_memory_mb"] - limit // MiB) <= 8  # RSS moves a little
    unlimited = isolated(tell)(io.BytesIO(b""), size=0, extension=".png", settings=settings())
    assert unlimited.metadata["file_memory_mb"] is None


def test_the_data_limit_starts_from_what_the_process_has_mapped() -> None:
    # What RLIMIT_DATA counts already: the child's limit is set above it.
    assert isolation._mapped_data_bytes() > isolation._resident_bytes() // 4


def test_an_oversized_answer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "MAX_ANSWER_BYTES", 1000)
    data = photo_png()

    with pytest.raises(RuntimeError, match="answer is over 1000 bytes"):
        isolated(image.process)(
            io.BytesIO(data), size=len(data), extension=".png", settings=settings()
        )


def test_a_failed_fork_leaves_no_pipe_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    before = len(os.listdir("/proc/self/fd"))

    with pytest.raises(ForkFailed, match=r"Resource temporarily unavailable.*redelivered") as e:
        isolated(image.process)(io.BytesIO(b"x"), size=1, extension=".png", settings=settings())

    assert len(os.listdir("/proc/self/fd")) == before
    assert is_transient(e.value)


def test_a_failed_fork_has_the_message_redelivered(
    aws: Aws, uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the file's fault: no FAILED record, the message comes back; on its last
    delivery the record says why it went to the DLQ."""

    def no_memory() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_memory)
    settings = Settings.from_env({**os.environ, "MAX_RECEIVE_COUNT": "3"})
    clients = Clients(s3=aws.s3, dynamodb=aws.dynamodb)
    function = make_sqs_handler(
        Category.IMAGE, isolated(image.process), settings=settings, clients=clients
    )
    first = sqs_message(notification(uploads.put("uploads/a.png", photo_png())))
    last = sqs_message(notification(uploads.put("uploads/b.png", photo_png())), receive_count=3)

    response = function(sqs_event(first, last), FakeLambdaContext())

    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": first["messageId"]},
            {"itemIdentifier": last["messageId"]},
        ]
    }
    assert record(aws, "uploads/a.png")["status"] == "PROCESSING"
    error = record(aws, "uploads/b.png")["error"]
    assert (error["type"], error["retryable"]) == ("RetriesExhausted", True)
    assert "ForkFailed: could not start the extraction's child process" in error["message"]
