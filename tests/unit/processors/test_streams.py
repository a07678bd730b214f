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
