"""The stream plumbing: head, rejoin and spool over a once-readable stream."""

from __future__ import annotations

import io

from fileproc.processors import streams

from .support import OnceReader

DATA = bytes(range(256)) * 1000


def test_read_head_collects_short_reads() -> None:
    stream = OnceReader(DATA, max_read=7)

    head = streams.read_head(stream, 100)

    assert head == DATA[:100]
    assert stream.consumed == 100


def test_read_head_of_a_short_stream() -> None:
    assert streams.read_head(OnceReader(b"abc"), 100) == b"abc"


def test_rejoined_gives_back_head_and_rest_in_order() -> None:
    stream = OnceReader(DATA, max_read=1000)
    head = streams.read_head(stream, 3000)

    reader = streams.rejoined(head, stream, buffer_size=4096)
    text = io.TextIOWrapper(streams.rejoined(b"caf\xc3", OnceReader(b"\xa9\n")), "utf-8")

    assert reader.read(10) == DATA[:10]
    assert reader.read() == DATA[10:]
    assert text.read() == "café\n"


def test_spooled_file_is_seekable_and_complete() -> None:
    stream = OnceReader(DATA, max_read=5000)
    head = streams.read_head(stream, 10)

    with streams.spooled(head, stream) as file:
        assert file.read() == DATA
        file.seek(-256, io.SEEK_END)
        assert file.read() == bytes(range(256))
    assert file.closed


def test_spooled_copies_in_few_large_reads() -> None:
    """Every read of an S3 body is a call through botocore and a checksum update:
    the spool asks for CHUNK_BYTES at a time (a 6 MB photo in 24 reads, not 94)."""
    data = bytes(6 * 1024 * 1024)
    asked: list[int] = []

    class CountingReader(OnceReader):
        def read(self, size: int = -1) -> bytes:
            asked.append(size)
            return super().read(size)

    stream = CountingReader(data, max_read=len(data))
    with streams.spooled(b"", stream) as file:
        assert file.read() == data
    assert set(asked) == {streams.CHUNK_BYTES}
    assert len(asked) == len(data) // streams.CHUNK_BYTES + 1  # the last read says "end"
    assert streams.CHUNK_BYTES >= 256 * 1024
