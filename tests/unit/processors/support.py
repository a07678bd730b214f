"""Streams and settings for the processor tests.

Processors get an S3 StreamingBody: ``read(n)`` only, once, front to back.
These readers offer exactly that (no seek, tell or seekable), so a processor
that tries to rewind fails here as it would on Lambda.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, cast

from fileproc.config import Settings
from fileproc.processors.base import Extraction, Processor


def once(data: bytes) -> BinaryIO:
    """``data`` as the stream a processor is given (typed as the processors expect)."""
    return cast(BinaryIO, OnceReader(data))


class OnceReader:
    """``data`` readable once through ``read(n)``; short reads like a network stream."""

    def __init__(self, data: bytes, max_read: int = 64 * 1024) -> None:
        self._data = data
        self._pos = 0
        self._max_read = max_read
        self.closed_early = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data) - self._pos
        size = min(size, self._max_read)
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    @property
    def consumed(self) -> int:
        return self._pos


class GeneratedStream:
    """Bytes produced on demand from ``chunks``: a large object that is never in memory."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < size or size < 0:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if size < 0:
            size = len(self._pending)
        chunk, self._pending = self._pending[:size], self._pending[size:]
        self.size += len(chunk)
        return chunk


def settings(**overrides: Any) -> Settings:
    return Settings(table_name="t", bucket_name="b", **overrides)


def run(processor: Processor, data: bytes, extension: str, **overrides: Any) -> Extraction:
    """``processor`` over ``data`` as a once-readable stream, with default settings."""
    return processor(
        once(data), size=len(data), extension=extension, settings=settings(**overrides)
    )
