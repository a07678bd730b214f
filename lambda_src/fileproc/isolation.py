"""Each file's extraction in a child process, so that no file can take its function down.

A processor parses bytes that anyone may upload, with native libraries (libjpeg,
libpng, zlib...). In the function's own process, a file that needs more memory
than the function has gets the whole runtime killed by Lambda, a segfault or an
abort in a library kills it too, and a hang holds it until the timeout: each
time, the other messages of the batch are lost with it and the file's record
stays PROCESSING until the DLQ. ``isolated(process)`` is a Processor that runs
``process`` in a child process instead, so that those end that file only:

- OutOfMemory: the child hit its memory limit: a MemoryError, the kernel killed
  it, or a native library died of a signal (abort, segfault) once the child's
  memory had grown to at least NEAR_LIMIT of its limit: allocators grow a buffer
  by doubling it and copying (realloc, std::vector), so the request that failed
  at the limit can be twice what the child held (PDFium inflating a 1 GB stream
  holds it in pieces, then asks for 1 GB more to join them, and aborts with
  SIGABRT when that does not fit). The limit is the function's
  memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) less what the function itself holds
  when the child starts, less reserve_bytes() (16-64 MB), applied as RLIMIT_DATA
  above what the child inherits; processors see it as Settings.file_memory_mb
  and bound their own budgets by it (the image decode budget).
- TimedOut: the child was still working when the time left for the file ran
  out: the invocation's time left less RESERVE_MS, in which the parent records
  the result before DeadlineGuard's margin. When the file was not the first of
  its invocation, other files had used part of the time, so the message is
  redelivered instead (OutOfTime, transient): a retry may have the whole timeout.
- Crashed: the child died of a signal (SIGSEGV, SIGABRT, SIGBUS...) well below
  its memory limit, or exited without an answer.
Each is a PermanentError: FAILED with that type, the limit in the message,
retryable false; the function goes on with the rest of its batch. A child that
cannot be started (fork fails: EAGAIN, ENOMEM) is the function's trouble, not the
file's: ForkFailed, a RetryLater, has the message redelivered.

Design choices, for Lambda as it is:
- os.fork per file, from the handler's thread: the child starts with the
  libraries and Pillow's plugins already imported (no interpreter start-up,
  about a millisecond) and shares the parent's pages copy-on-write; gc.freeze()
  first thing in the child keeps its collector off the inherited objects, which
  would copy them. The only other thread that can be alive is DeadlineGuard's
  timer on a last delivery, parked on a condition; the child touches nothing
  it could hold (no logging, no AWS client: processors and raw file
  descriptors only). Lambda has no /dev/shm, so multiprocessing's Queue, Pool
  and Lock fail there; pipes and fork work, and need no writable code directory.
- The parent keeps the S3 stream and feeds its bytes through a pipe: the child
  never calls AWS and the processor sees the same once-readable, unseekable
  stream as before. The answer comes back through a second pipe as one JSON
  header line plus the artefacts' bytes, not a pickle: the parent never
  unpickles what a process that parsed hostile bytes wrote.
- The parent waits with poll() on both pipes, up to the time limit, then kills
  the child and reaps it with wait4 (its exit status and peak memory): no
  thread, no signal handler in the parent. The child also sets RLIMIT_CPU and
  an alarm, so that it dies on its own if the parent is gone.
- Code run only in the child is small (_child, _apply_limits); serve(), its
  logic, runs in-process in the unit tests too, since coverage is not recorded
  in a child that leaves with os._exit.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json
import math
import os
import resource
import select
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, BinaryIO, NoReturn

from fileproc.config import Settings
from fileproc.errors import Crashed, OutOfMemory, PermanentError, RetryLater, TimedOut
from fileproc.observability import logger
from fileproc.processors.base import Artefact, Extraction, Processor

MiB = 1024 * 1024
# Time kept back from the invocation's time left for the parent to record the
# outcome; more than DeadlineGuard.MARGIN_MS, so the child is stopped first.
RESERVE_MS = 3_000
# Memory kept back for the parent (it receives the answer: at most TEXT_MAX_CHARS
# of text and a thumbnail) and for the parent's pages that the child copies on
# write, which RLIMIT_DATA does not count: an eighth of the function's memory,
# within these bounds, so that a 128 MB function keeps 16 MB and leaves the
# file about 35 MB (a deployed function holds about 77 MB: bench, hostile).
MIN_RESERVE_BYTES = 16 * MiB
MAX_RESERVE_BYTES = 64 * MiB
# A child always gets at least this much, however much the parent holds.
MIN_CHILD_BYTES = 32 * MiB
# A child killed by a signal once its memory had grown to this share of its
# limit ran out of memory (see the module's docstring: held + twice held > limit
# from a third on); below it, it crashed.
NEAR_LIMIT = 1 / 3
# Bytes moved per read and write between the pipes (streams.CHUNK_BYTES).
CHUNK_BYTES = 256 * 1024
# An answer larger than this is refused (metadata must fit a DynamoDB item,
# and the text artefact is TEXT_MAX_CHARS at most).
MAX_ANSWER_BYTES = 256 * MiB
# Exit status of a child that could not even report a MemoryError.
EXIT_OUT_OF_MEMORY = 90
EXIT_NO_ANSWER = 91
_MEMORY_ANSWER = b'{"ok": false, "error": {"class": "builtins.MemoryError", "message": ""}}\n'


class OutOfTime(TimeoutError):
    """The time left ran out for a file that did not have the whole invocation: a
    TimeoutError, so the pipeline has the message redelivered."""


class ForkFailed(RetryLater):
    """The extraction's child process could not be started (the function was short of
    processes or memory): not the file's fault, so the message is redelivered."""


@dataclass(frozen=True)
class Deadline:
    remaining_ms: Callable[[], int]
    # The file started first in its invocation: more time takes a longer function
    # timeout, not a retry.
    whole_invocation: bool


_deadline: ContextVar[Deadline | None] = ContextVar("fileproc_isolation_deadline", default=None)


@contextlib.contextmanager
def deadline(remaining_ms: Callable[[], int], *, whole_invocation: bool) -> Iterator[None]:
    """The invocation's time for the isolated processors called inside (make_sqs_handler)."""
    token = _deadline.set(Deadline(remaining_ms, whole_invocation))
    try:
        yield
    finally:
        _deadline.reset(token)


@dataclass(frozen=True)
class Limits:
    """What one child may use; None: no such limit (outside Lambda, no deadline)."""

    memory_bytes: int | None  # memory the child may map beyond what it inherits
    function_mb: int | None
    seconds: float | None
    whole_invocation: bool = True
    # The function's anonymous resident memory when the child was forked: what the
    # child starts with resident (fork copies the page tables of anonymous memory,
    # not those of library code, which the child faults in as it runs it); the
    # child's peak less this is about what the file made it grow by.
    inherited_bytes: int = 0


@dataclass(frozen=True)
class Job:
    size: int
    extension: str
    settings: Settings


def function_memory_mb() -> int | None:
    """The function's memory as Lambda sets it for the runtime; None elsewhere."""
    raw = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def isolated(process: Processor, *, memory_mb: int | None = None) -> Isolated:
    """``process`` run in a child process per file; ``memory_mb`` defaults to the function's."""
    return Isolated(process, memory_mb if memory_mb is not None else function_memory_mb())


@dataclass(frozen=True)
class Isolated:
    process: Processor
    memory_mb: int | None

    def __call__(
        self, stream: BinaryIO, *, size: int, extension: str, settings: Settings
    ) -> Extraction:
        limits = self.limits()
        if limits.seconds is not None and limits.seconds <= 0:
            raise OutOfTime("no time left in the invocation to process the file")
        if limits.memory_bytes is not None:
            settings = replace(settings, file_memory_mb=limits.memory_bytes // MiB)
        job = Job(size, extension, settings)
        to_child_r, to_child = os.pipe()
        from_child, from_child_w = os.pipe()
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns when other threads exist: see the module's docstring.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError as exc:  # EAGAIN, ENOMEM: no child, no pipes left open
            for fd in (to_child_r, to_child, from_child, from_child_w):
                os.close(fd)
            raise ForkFailed(
                f"could not start the extraction's child process ({exc}); "
                "the message is redelivered"
            ) from exc
        if pid == 0:  # pragma: no cover - the child; its coverage is not recorded
            _child(self.process, job, limits, (to_child_r, from_child_w), (to_child, from_child))
        os.close(to_child_r)
        os.close(from_child_w)
        feed = _Input(to_child)
        status: int | None = None
        try:
            answer, timed_out = _exchange(stream, feed, from_child, limits.seconds)
            if timed_out:
                os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
        finally:
            feed.close()
            os.close(from_child)
            if status is None:  # the stream failed (an S3 error): the child goes too
                os.kill(pid, signal.SIGKILL)
                os.wait4(pid, 0)
        peak_mb = usage.ru_maxrss // 1024  # Linux reports kilobytes
        logger.info(
            "Extraction child finished",
            extra={
                "child_ms": round((time.perf_counter() - started) * 1000, 1),
                "child_cpu_ms": round((usage.ru_utime + usage.ru_stime) * 1000, 1),
                "child_peak_mb": peak_mb,
            },
        )
        return outcome(answer, status, timed_out=timed_out, limits=limits, peak_mb=peak_mb)

    def limits(self) -> Limits:
        memory = None
        if self.memory_mb is not None:
            function = self.memory_mb * MiB
            held = _resident_bytes()
            memory = max(function - held - reserve_bytes(self.memory_mb), MIN_CHILD_BYTES)
        inherited = _status_bytes(b"RssAnon:")
        current = _deadline.get()
        if current is None:
            return Limits(memory, self.memory_mb, None, inherited_bytes=inherited)
        remaining = current.remaining_ms()
        # Never later than DeadlineGuard (which fires at the later of remaining
        # - MARGIN_MS and remaining / 2): the file's own outcome is recorded first.
        seconds = max(remaining - RESERVE_MS, remaining * 0.4) / 1000
        return Limits(memory, self.memory_mb, seconds, current.whole_invocation, inherited)


def reserve_bytes(function_mb: int) -> int:
    """Memory kept out of the child's limit in a function of ``function_mb``."""
    return min(max(function_mb * MiB // 8, MIN_RESERVE_BYTES), MAX_RESERVE_BYTES)


def _resident_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# ---------------------------------------------------------------- parent side


class _Input:
    """The write end of the child's input, closed once: closing a descriptor number
    twice could close another thread's file that reused it."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)


def _exchange(
    stream: BinaryIO, feed: _Input, from_child: int, seconds: float | None
) -> tuple[bytes, bool]:
    """Feed the object to the child while collecting its answer: (answer, timed out).

    The answer is complete when the child closes its end (it exits). A child that
    stops reading early (the content was refused by its head) closes the input:
    the rest of the object is not read.
    """
    ends = None if seconds is None else time.monotonic() + seconds
    assert feed.fd is not None
    to_child = feed.fd
    os.set_blocking(to_child, False)
    poller = select.poll()
    poller.register(from_child, select.POLLIN)
    poller.register(to_child, select.POLLOUT)
    feeding = True
    pending = memoryview(b"")
    answer = bytearray()
    while True:
        timeout_ms = None
        if ends is not None:
            left = ends - time.monotonic()
            if left <= 0:
                return bytes(answer), True
            timeout_ms = math.ceil(left * 1000)
        for fd, _ in poller.poll(timeout_ms):
            if fd == from_child:
                chunk = os.read(from_child, CHUNK_BYTES)
                if not chunk:
                    return bytes(answer), False
                answer += chunk
                if len(answer) > MAX_ANSWER_BYTES:
                    raise RuntimeError(f"the processor's answer is over {MAX_ANSWER_BYTES} bytes")
                continue
            if not feeding:
                continue
            if not pending:
                pending = memoryview(stream.read(CHUNK_BYTES))
            try:
                written = os.write(to_child, pending) if pending else 0
            except BlockingIOError:
                continue
            except BrokenPipeError:
                written = len(pending)
                feeding = False  # the child stopped reading: it has what it needs
            pending = pending[written:]
            if not feeding or not written:  # refused, or the end of the object
                feeding = False
                poller.unregister(to_child)
                feed.close()


def outcome(
    answer: bytes, status: int, *, timed_out: bool, limits: Limits, peak_mb: int = 0
) -> Extraction:
    """The child's Extraction, or the error that says how it ended."""
    if timed_out:
        raise _out_of_time(limits)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number in (signal.SIGXCPU, signal.SIGALRM):
            raise _out_of_time(limits)
        if number == signal.SIGKILL:  # not ours (that is timed_out): the kernel's OOM killer
            raise _out_of_memory(
                limits, f"killed by the system (SIGKILL); peak resident memory {peak_mb} MB"
            )
        name = signal.Signals(number).name
        grown = peak_mb * MiB - limits.inherited_bytes
        if limits.memory_bytes is not None and grown >= limits.memory_bytes * NEAR_LIMIT:
            raise _out_of_memory(
                limits,
                f"a native library gave up when an allocation failed at the limit ({name}; "
                f"peak resident memory {peak_mb} MB)",
            )
        raise Crashed(
            f"a native library crashed while processing the file ({name}: "
            f"{signal.strsignal(number)}; peak resident memory {peak_mb} MB)"
        )
    code = os.WEXITSTATUS(status)
    if code == EXIT_OUT_OF_MEMORY:
        raise _out_of_memory(limits, f"peak resident memory {peak_mb} MB")
    if code != 0 or not answer:
        raise Crashed(f"the processing ended without an answer (exit status {code})")
    return decode(answer, limits)


def _out_of_time(limits: Limits) -> Exception:
    seconds = f"{limits.seconds:.1f} s" if limits.seconds is not None else "its CPU time"
    if limits.whole_invocation:
        return TimedOut(
            f"processing did not finish in the {seconds} the function's timeout leaves for "
            f"a file (the timeout less {RESERVE_MS // 1000} s to record the result)"
        )
    return OutOfTime(
        f"stopped after {seconds}, the time other files of the invocation had left it; "
        "the message is redelivered"
    )


def _out_of_memory(limits: Limits, detail: str) -> OutOfMemory:
    if limits.memory_bytes is None:
        return OutOfMemory(f"processing ran out of memory ({detail})")
    return OutOfMemory(
        f"processing needed more than the {limits.memory_bytes // MiB} MB a file may use "
        f"in this function ({limits.function_mb} MB less what the function itself holds); "
        f"{detail}"
    )


def decode(answer: bytes, limits: Limits) -> Extraction:
    """An answer (see encode_extraction, encode_error) back into an Extraction or an error."""
    header_end = answer.index(b"\n")
    header = json.loads(answer[:header_end])
    if not header["ok"]:
        raise rebuilt(header["error"], limits)
    artefacts: dict[str, Artefact] = {}
    offset = header_end + 1
    for name, filename, content_type, length in header["artefacts"]:
        artefacts[name] = Artefact(filename, answer[offset : offset + length], content_type)
        offset += length
    return Extraction(metadata=header["metadata"], artefacts=artefacts, text=header["text"])


def rebuilt(error: dict[str, Any], limits: Limits) -> BaseException:
    """The child's exception as the pipeline expects it: a PermanentError of the same
    class and message, MemoryError as OutOfMemory, a built-in exception as itself, any
    other as a RuntimeError naming it; the child's traceback as a note."""
    name, message = error["class"], error["message"]
    exc: BaseException
    if name == "builtins.MemoryError":
        return _out_of_memory(limits, "MemoryError")
    if "permanent_type" in error:
        try:
            permanent = _permanent_errors().get(name, PermanentError)(message)
        except TypeError:  # a subclass with another constructor
            permanent = PermanentError(message)
        permanent.type = error["permanent_type"]
        exc = permanent
    else:
        module, _, qualname = name.rpartition(".")
        builtin = getattr(builtins, qualname, None) if module == "builtins" else None
        exc = RuntimeError(f"{name}: {message}")
        if isinstance(builtin, type) and issubclass(builtin, Exception):
            # UnicodeDecodeError and a few others take more than a message: those
            # stay a RuntimeError (an InternalError record), not a TypeError here.
            with contextlib.suppress(TypeError):
                exc = builtin(message)
    if error.get("traceback"):
        exc.add_note(f"In the extraction's child process:\n{error['traceback']}")
    return exc


def _permanent_errors() -> dict[str, type[PermanentError]]:
    found: dict[str, type[PermanentError]] = {}
    pending: list[type[PermanentError]] = [PermanentError]
    while pending:
        cls = pending.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        pending.extend(cls.__subclasses__())
    return found


# ---------------------------------------------------------------- child side


def _child(
    process: Processor,
    job: Job,
    limits: Limits,
    own: tuple[int, int],
    parents: tuple[int, int],
) -> NoReturn:  # pragma: no cover - runs only in the child
    code = EXIT_NO_ANSWER
    try:
        gc.freeze()  # inherited objects: never scanned, so never copied
        for fd in parents:
            os.close(fd)
        _apply_limits(limits)
        code = serve(process, job, *own)
    finally:
        os._exit(code)  # no atexit, no flush of the parent's buffers, no finalizers


def _apply_limits(limits: Limits) -> None:  # pragma: no cover - runs only in the child
    for number in (signal.SIGALRM, signal.SIGXCPU, signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    if limits.memory_bytes is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        soft = _mapped_data_bytes() + limits.memory_bytes
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
    if limits.seconds is not None:
        # Backstops for a parent that is gone: the parent kills the child at the limit.
        seconds = math.ceil(limits.seconds) + 1
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))
        signal.alarm(seconds + 1)


def _mapped_data_bytes() -> int:
    """VmData: the private writable memory RLIMIT_DATA counts, inherited mappings included."""
    return _status_bytes(b"VmData:")


def _status_bytes(field: bytes) -> int:
    """A size from this process's /proc/self/status (0 where there is none)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def serve(process: Processor, job: Job, input_fd: int, answer_fd: int) -> int:
    """Run ``process`` on the bytes of ``input_fd``; write its answer to ``answer_fd``.

    Returns the child's exit status. Takes ownership of both descriptors.
    """
    answer = _answer(process, job, input_fd)
    try:
        with os.fdopen(answer_fd, "wb", buffering=0) as channel:
            view = memoryview(answer)
            while view:
                view = view[channel.write(view) or 0 :]
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except BrokenPipeError:
        return EXIT_NO_ANSWER  # the parent is gone
    return 0


def _answer(process: Processor, job: Job, input_fd: int) -> bytes:
    try:
        with os.fdopen(input_fd, "rb", buffering=0) as stream:
            extraction = process(
                stream, size=job.size, extension=job.extension, settings=job.settings
            )
            return encode_extraction(extraction)
    except MemoryError:
        return _MEMORY_ANSWER  # made in advance: there may be no memory left to make it
    except BaseException as exc:  # everything goes back to the parent
        try:
            return encode_error(exc)
        except MemoryError:
            return _MEMORY_ANSWER


def encode_extraction(extraction: Extraction) -> bytes:
    """One JSON line (metadata, text, the artefacts' names and lengths), then their bytes."""
    artefacts = list(extraction.artefacts.items())
    header = {
        "ok": True,
        "metadata": extraction.metadata,
        "text": extraction.text,
        "artefacts": [
            [name, item.filename, item.content_type, len(item.body)] for name, item in artefacts
        ],
    }
    return b"".join([json.dumps(header).encode(), b"\n", *(item.body for _, item in artefacts)])


def encode_error(exc: BaseException) -> bytes:
    cls = type(exc)
    error: dict[str, Any] = {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
    }
    if isinstance(exc, PermanentError):
        error["permanent_type"] = exc.type
    return json.dumps({"ok": False, "error": error}).encode() + b"\n"
