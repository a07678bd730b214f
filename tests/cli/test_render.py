"""Summaries and tables from records whose metadata the real processors made from the samples."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from fileproc.config import Settings
from fileproc.errors import PermanentError
from fileproc.keys import category_for
from fileproc.processors import data, document, image
from fileproc_cli.progress import Progress, elapsed
from fileproc_cli.render import describe, details, human_size, records_table
from fileproc_tools.samples import SAMPLES, SAMPLES_DIR

# The modules' default limits (the class defaults), without a function environment.
SETTINGS = Settings(table_name="files", bucket_name="uploads")

PROCESSORS = {"image": image, "document": document, "data": data}


def processed(name: str) -> dict[str, Any]:
    """The record the pipeline would write for a committed sample (processor run in-process)."""
    body = (SAMPLES_DIR / name).read_bytes()
    extension = Path(name).suffix
    category = str(category_for(name))
    record: dict[str, Any] = {
        "file_id": "0123456789abcdef0123456789abcdef",
        "filename": name,
        "category": category,
        "size": len(body),
        "bucket": "b",
        "key": f"uploads/0123456789abcdef0123456789abcdef/{name}",
    }
    try:
        extraction = PROCESSORS[category].process(
            io.BytesIO(body),
            size=len(body),
            extension=extension,
            settings=SETTINGS,
        )
    except PermanentError as exc:
        record.update(status="FAILED", error=exc.as_record())
    else:
        record.update(status="PROCESSED", metadata=extraction.metadata)
    return record


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.filename)
def test_each_sample_ends_as_the_demo_expects(sample: Any) -> None:
    record = processed(sample.filename)
    assert record["category"] == sample.category
    assert record["status"] == sample.expected_status


def test_summaries_carry_the_key_metadata_of_each_kind() -> None:
    assert details(processed("photo.jpg")) == "JPEG 640x480, EXIF orientation 6, thumbnail 192x256"
    assert details(processed("report.pdf")) == (
        "PDF, 3 pages, 105 words, 'Quarterly processing report' by Fileproc Samples"
    )
    assert details(processed("notes.txt")).startswith("TXT utf-8, 9 lines, ")
    assert details(processed("measurements.csv")) == (
        "CSV 8 rows x 7 columns, types boolean/date/float/integer/string"
    )
    assert details(processed("catalog.json")) == "JSON array, 6 records, 9 fields"
    assert details(processed("readings.parquet")) == (
        "Parquet 5000 rows x 8 columns, 3 row groups, ZSTD"
    )
    assert details(processed("broken-photo.jpg")).startswith(
        "Corrupt: damaged JPEG image: image file is truncated"
    )


def test_summaries_survive_partial_records() -> None:
    assert details({"status": "PENDING"}) == ""
    assert details({"status": "PROCESSED", "metadata": {"format": "TIFF"}}) == "TIFF"
    assert details({"status": "PROCESSED", "metadata": {"format": "PDF", "pages": None}}) == (
        "PDF, encrypted (not readable without its password)"
    )
    lines = {"format": "JSON Lines", "top_level": "lines", "records": 1, "fields": []}
    assert details({"metadata": lines}) == "JSON Lines, 1 record, 0 fields"


def test_table_aligns_columns_and_shortens_long_cells() -> None:
    long_name = "a-very-long-file-name-that-goes-on-and-on-and-on.csv"
    records = [processed("photo.jpg"), {**processed("notes.txt"), "filename": long_name}]
    lines = records_table(records, with_id=False).splitlines()
    assert lines[0].split() == ["NAME", "CATEGORY", "STATUS", "SIZE", "DETAILS"]
    assert lines[1].index("image") == lines[0].index("CATEGORY")
    assert "a-very-long-file-name-that-goes…" in lines[2]
    assert all(len(line) <= 32 + 8 + 9 + 7 + 80 + 8 for line in lines)


def test_table_with_ids() -> None:
    header = records_table([processed("report.pdf")]).splitlines()[0]
    assert header.startswith("FILE ID")


def test_describe_shows_the_record_and_nested_metadata() -> None:
    photo = describe(processed("photo.jpg"))
    assert "      make: Fileproc Optics\n      model: Sample Camera 1\n" in photo
    text = describe(processed("measurements.csv"))
    assert text.splitlines()[0] == "measurements.csv  (file 0123456789abcdef0123456789abcdef)"
    assert "  status     PROCESSED" in text
    assert "  file       data, 431 B" in text
    assert "      - name: temperature_c, type: float, empty: 1, min: -0.5, max: 19.1" in text
    failed = describe(processed("broken-photo.jpg"))
    assert "  error      Corrupt: damaged JPEG image" in failed


def test_sizes_for_people() -> None:
    assert [human_size(n) for n in (0, 1023, 15112, 5 * 1024**3, None)] == [
        "0 B",
        "1023 B",
        "14.8 KB",
        "5.0 GB",
        "-",
    ]


def test_elapsed() -> None:
    assert [elapsed(s) for s in (0.4, 59.9, 65, 600)] == [
        "0 s",
        "59 s",
        "1 min 05 s",
        "10 min 00 s",
    ]


def test_progress_in_a_log_prints_live_lines_now_and_then() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, tty=False, plain_interval=10, clock=lambda: now[0])
    for second in range(25):
        now[0] = second
        progress.live(f"working {second}")
    progress.note("done")
    assert out.getvalue().splitlines() == [
        "... working 0",
        "... working 10",
        "... working 20",
        "done",
    ]


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    out = io.StringIO()
    progress = Progress(out, tty=True)
    progress.live("one")
    progress.live("two")
    progress.note("kept")
    text = out.getvalue()
    assert text.count("\r\x1b[K") == 3
    assert text.endswith("\r\x1b[Kkept\n")
