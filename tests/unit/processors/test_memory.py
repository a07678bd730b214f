"""Memory stays flat whatever the size of the object: measured with tracemalloc.

Each case processes a small and an eight-times larger object produced on the
fly (never held in memory) and compares the peaks of the Python heap.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

import pytest

from fileproc.errors import InvalidJson, PermanentError, TooLarge
from fileproc.processors import data, document, image, json_profile
from fileproc.processors.base import Extraction

from . import images
from .support import GeneratedStream, OnceReader, settings

MB = 1024 * 1024


def peak_while(work: Callable[[], Extraction]) -> tuple[int, Extraction]:
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def csv_rows(rows: int) -> Iterator[bytes]:
    yield b"id,name,price,active,created,note\n"
    block: list[str] = []
    for index in range(rows):
        note = '"quoted, with comma"' if index % 7 == 0 else ""
        block.append(
            f"{index},name {index % 977},{index * 0.37:.2f},{index % 3 == 0},"
            f"2024-{1 + index % 12:02d}-{1 + index % 28:02d},{note}\n"
        )
        if len(block) == 1000:
            yield "".join(block).encode()
            block = []
    yield "".join(block).encode()


def csv_cr_rows(rows: int) -> Iterator[bytes]:
    """Classic Mac OS line endings: a lone CR, no LF anywhere in the file."""
    for chunk in csv_rows(rows):
        yield chunk.replace(b"\n", b"\r")


def json_array(records: int) -> Iterator[bytes]:
    yield b"["
    for index in range(records):
        record = {"id": index, "name": f"n{index}", "tags": ["a", "b"], "score": index / 3}
        yield (b"," if index else b"") + json.dumps(record).encode()
    yield b"]"


def json_object_of_records(records: int) -> Iterator[bytes]:
    """The common API export shape: {"meta": {...}, "data": [...records...]}."""
    yield b'{"meta": {"source": "export", "version": 2}, "data": '
    yield from json_array(records)
    yield b', "count": %d}' % records


def json_lines(records: int) -> Iterator[bytes]:
    for index in range(records):
        yield json.dumps({"id": index, "text": "lorem ipsum " * 5}).encode() + b"\n"


def text_lines(lines: int) -> Iterator[bytes]:
    chunk = "Le château, la colline et le siècle.\n" * 1000
    for _ in range(lines // 1000):
        yield chunk.encode()


def measure(
    process: Callable[..., Extraction], chunks: Iterator[bytes], extension: str
) -> tuple[int, Extraction, int]:
    stream = GeneratedStream(chunks)
    peak, result = peak_while(
        lambda: process(cast(BinaryIO, stream), size=0, extension=extension, settings=settings())
    )
    return peak, result, stream.size


def counted(result: Extraction, key: str) -> int:
    """The count of the file, or of its "data" member for a top-level object."""
    metadata = result.metadata
    if metadata.get("top_level") == "object":
        (member,) = (m for m in metadata["member_profiles"] if m["name"] == "data")
        return int(member[key])
    return int(metadata[key])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("process", "generator", "extension", "small", "count_key"),
    [
        (data.process, csv_rows, ".csv", 10_000, "rows"),
        (data.process, csv_cr_rows, ".csv", 10_000, "rows"),
        (data.process, json_array, ".json", 8_000, "records"),
        (data.process, json_object_of_records, ".json", 8_000, "records"),
        (data.process, json_lines, ".jsonl", 8_000, "records"),
        (document.process, text_lines, ".txt", 20_000, "lines"),
    ],
    ids=["csv", "csv-cr-only", "json-array", "json-object", "json-lines", "text"],
)
def test_peak_memory_does_not_grow_with_the_size(
    process: Callable[..., Extraction],
    generator: Callable[[int], Iterator[bytes]],
    extension: str,
    small: int,
    count_key: str,
) -> None:
    small_peak, small_result, small_size = measure(process, generator(small), extension)
    large_peak, large_result, large_size = measure(process, generator(small * 8), extension)

    assert counted(large_result, count_key) == 8 * counted(small_result, count_key)
    # The small object already fills every buffer (a few hundred kilobytes).
    assert small_size > 400_000
    assert large_size > 7 * small_size
    # Flat: eight times the data, the same peak (within 10%), below the large size.
    assert large_peak < small_peak * 1.1
    assert large_peak < min(large_size, 3 * MB)


@pytest.mark.slow
@pytest.mark.parametrize("summaries", [False, True])
def test_a_text_file_keeps_only_its_preview_and_the_summary_input(summaries: bool) -> None:
    """The default TEXT_MAX_CHARS (1M characters) is for a PDF's text artefact; a .txt
    keeps the preview, plus the model's input when summaries are on."""
    options = settings(bedrock_enabled=summaries, bedrock_model_id="m")
    assert options.text_max_chars == 1_000_000
    stream = GeneratedStream(text_lines(100_000))  # 3.8 MB, 3.7M characters

    peak, result = peak_while(
        lambda: document.process(cast(BinaryIO, stream), size=0, extension=".txt", settings=options)
    )

    assert result.metadata["lines"] == 100_000
    assert len(result.metadata["preview"]) == options.preview_chars
    if summaries:
        assert result.text is not None
        assert len(result.text) == options.bedrock_max_input_chars
    else:
        assert result.text is None
    # Read buffers and the words of one chunk take about 1.5 MB; the million
    # characters kept before took 1 MB more (2 MB while joined).
    assert peak < 2 * MB


@pytest.mark.slow
def test_image_bytes_are_spooled_not_held() -> None:
    photo = images.noisy_photo(3000, 2000)
    assert len(photo) > 2 * MB

    peak, result = peak_while(
        lambda: image.process(
            cast(BinaryIO, OnceReader(photo)), size=len(photo), extension=".jpg",
            settings=settings(),
        )
    )  # fmt: skip

    assert result.metadata["width"] == 3000
    # The compressed photo never sits in the Python heap (only read chunks and
    # the small thumbnail do).
    assert peak < len(photo) / 4


def one_long_line(size: int) -> Iterator[bytes]:
    """A CSV without a line break: millions of columns in one record."""
    yield b"id,name\n"
    chunk = b"12345," * 10_000
    for _ in range(size // len(chunk)):
        yield chunk


def one_long_field(size: int) -> Iterator[bytes]:
    """A quoted field of ``size`` bytes, with line breaks, between two short records."""
    yield b'id,note\n1,"'
    chunk = (b"x" * 99 + b"\n") * 600
    for _ in range(size // len(chunk)):
        yield chunk
    yield b'"\n2,short\n'


@pytest.mark.slow
@pytest.mark.parametrize(
    ("generator", "error"),
    [
        (one_long_line, "record longer than 1048576 characters (not read)"),
        (one_long_field, "field larger than field limit (131072)"),
    ],
    ids=["line", "field"],
)
def test_an_overlong_csv_record_is_never_held(
    generator: Callable[[int], Iterator[bytes]], error: str
) -> None:
    small_peak, small_result, small_size = measure(data.process, generator(2 * MB), ".csv")
    large_peak, large_result, large_size = measure(data.process, generator(20 * MB), ".csv")

    assert large_size > 9 * small_size
    for result in small_result, large_result:
        assert result.metadata["malformed_rows"]["count"] == 1
        (example,) = result.metadata["malformed_rows"]["examples"]
        assert example["error"] == error
    # The same peak for 2 and 20 MB: the record's text is read through, never kept.
    assert large_peak < small_peak * 1.1
    assert large_peak < 3 * MB


def one_json_string(size: int) -> Iterator[bytes]:
    yield b'"'
    for _ in range(size // 65536):
        yield b"s" * 65536
    yield b'"'


def json_lines_without_a_newline(size: int) -> Iterator[bytes]:
    yield b'{"a": 1}\n['
    for _ in range(size // 60000):
        yield b"12345," * 10_000
    yield b"0]"


def unclosed_nesting(size: int) -> Iterator[bytes]:
    for _ in range(size // 65536):
        yield b"[" * 65536


def peak_of_failure(
    chunks: Iterator[bytes], extension: str, expected: type[PermanentError]
) -> tuple[int, str]:
    stream = GeneratedStream(chunks)
    tracemalloc.start()
    try:
        with pytest.raises(expected) as raised:
            data.process(cast(BinaryIO, stream), size=0, extension=extension, settings=settings())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, str(raised.value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("generator", "extension", "expected"),
    [
        (one_json_string, ".json", TooLarge),
        (json_lines_without_a_newline, ".jsonl", TooLarge),
        (unclosed_nesting, ".json", InvalidJson),
    ],
    ids=["json-string", "json-lines-one-line", "unclosed-nesting"],
)
def test_a_json_value_over_the_bound_is_never_held(
    generator: Callable[[int], Iterator[bytes]],
    extension: str,
    expected: type[PermanentError],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A smaller bound than the default, so that 2 MB is well over it.
    monkeypatch.setattr(json_profile, "MAX_VALUE_CHARS", 256 * 1024)
    small_peak, small_message = peak_of_failure(generator(2 * MB), extension, expected)
    large_peak, large_message = peak_of_failure(generator(20 * MB), extension, expected)

    if expected is TooLarge:
        assert small_message == large_message
        assert "longer than 262144 characters" in small_message
    else:
        assert "unclosed arrays or objects" in large_message
    assert large_peak < small_peak * 1.1
    assert large_peak < 3 * MB
