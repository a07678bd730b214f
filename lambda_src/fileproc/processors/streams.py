"""Byte-stream plumbing shared by the processors.

A processor gets an S3 ``StreamingBody``: readable once, front to back, with
``read(n)`` and nothing else. Each processor first reads a small head to check
the content against the extension, then either puts the head back in front of
the rest (``rejoined``: a buffered reader that ``io.TextIOWrapper`` accepts) or
copies everything to a temporary file (``spooled``) for the libraries that must
seek (Pillow, pypdf). Spooling in small chunks keeps the Python heap flat
whatever the object's size; on Lambda the file lives in ephemeral storage.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# Big enough to amortise the per-call cost of a network stream (each read of an
# S3 body also updates its checksum; spooling a 6 MB photo took 1.1 ms more CPU
# in 64 KB reads), small enough that the copy is a rounding error next to the
# decoded data (the photo's peak memory is the decode's, not the spool's).
CHUNK_BYTES = 256 * 1024


class ByteStream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_head(stream: ByteStream, size: int) -> bytes:
    """Up to ``size`` bytes from the front (fewer only at the end of the stream).

    A network stream may return short reads before its end, so read until full.
    """
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


class _Rejoined(io.RawIOBase):
    """The bytes of ``head`` followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: ByteStream) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        target = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(target), len(self._head))
            target[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._stream.read(len(target))
        target[: len(data)] = data
        return len(data)


def rejoined(head: bytes, stream: ByteStream, buffer_size: int = CHUNK_BYTES) -> io.BufferedReader:
    """A buffered reader over ``head`` + the rest of ``stream`` (for TextIOWrapper, csv)."""
    return io.BufferedReader(_Rejoined(head, stream), buffer_size)


@contextmanager
def spooled(head: bytes, stream: ByteStream) -> Iterator[BinaryIO]:
    """``head`` + the rest of ``stream`` in a seekable temporary file, deleted on exit."""
    with tempfile.TemporaryFile(prefix="fileproc-") as file:
        file.write(head)
        while chunk := stream.read(CHUNK_BYTES):
            file.write(chunk)
        file.seek(0)
        yield file
