"""Real files of every kind the pipeline takes, made here with Pillow and pypdf, and the
metadata each one must come back with (what a reader of the file would see, not a copy of
the processors' output)."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from PIL import Image
from PIL.ExifTags import IFD, Base

from fileproc_tools.pdfs import text_pdf


@dataclass(frozen=True)
class Sample:
    filename: str
    content_type: str
    body: bytes
    category: str
    # Checks of the PROCESSED record's metadata and derived artefacts.
    check: Callable[[dict[str, Any]], None]


def _encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def photo_jpeg() -> bytes:
    """640x480, taken by a camera held on its side (EXIF orientation 6)."""
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "Canon EOS R6"
    exif[Base.Orientation] = 6
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    image.paste((30, 30, 200), (320, 0, 640, 480))
    return _encode(image, "JPEG", quality=90, exif=exif)


def logo_png() -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (150, 0, 300, 120))
    return _encode(image, "PNG")


def scan_jpeg() -> bytes:
    return _encode(Image.new("L", (100, 400), 128), "JPEG")


def report_pdf(pages: list[list[str]], title: str, author: str) -> bytes:
    """A PDF with real text (Helvetica) on each page, and document information."""
    return text_pdf(pages, metadata={"/Title": title, "/Author": author}, font_size=12)


NOTES_TXT = "Café crème, déjà vu.\nSecond line here\nthird\n"
TABLE_CSV = "city,population,area_km2,capital\nParis,2102650,105.4,true\nLyon,522250,47.87,false\n"
RECORDS = [
    {"id": 1, "name": "alpha", "tags": ["a"]},
    {"id": 2, "name": "beta", "score": 9.5},
    {"id": 3, "name": None},
]
EVENTS_JSONL = '{"event": "login", "user": 7}\n{"event": "logout", "user": 7, "ms": 1200}\n'
PDF_PAGES = [["Quarterly report", "Revenue grew by four percent"], ["Second page", "The end"]]


def _field(record: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in record["metadata"]["fields"] if f["name"] == name)
    return found


def check_photo(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["width"], meta["height"]) == ("JPEG", 640, 480)
    assert meta["exif"]["make"] == "Canon"
    assert meta["exif"]["model"] == "Canon EOS R6"
    assert meta["exif"]["orientation"] == 6
    assert meta["exif"]["date_taken"].startswith("2024-05-01T12:34:56")
    assert "gps" not in meta["exif"]
    # Fitted into 256 px, then turned upright: portrait.
    assert (meta["thumbnail"]["width"], meta["thumbnail"]["height"]) == (192, 256)
    assert record["derived"]["thumbnail"] == f"derived/{record['file_id']}/thumbnail.jpg"


def check_logo(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["width"], meta["height"]) == ("PNG", 300, 120)
    assert meta["mode"] == "RGBA"
    assert meta["animated"] is False
    assert (meta["thumbnail"]["width"], meta["thumbnail"]["height"]) == (256, 102)
    assert record["derived"]["thumbnail"] == f"derived/{record['file_id']}/thumbnail.jpg"


def check_scan(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["width"], meta["height"], meta["mode"]) == ("JPEG", 100, 400, "L")
    assert (meta["thumbnail"]["width"], meta["thumbnail"]["height"]) == (64, 256)


def check_report(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["pages"], meta["encrypted"]) == ("PDF", 2, False)
    assert (meta["title"], meta["author"]) == ("Quarterly report", "Finance team")
    assert meta["words"] == sum(len(line.split()) for page in PDF_PAGES for line in page)
    assert meta["preview"].startswith("Quarterly report")
    assert meta["text_pages"] == 2
    assert record["derived"]["text"] == f"derived/{record['file_id']}/text.txt"
    # Page 1 drawn as the images' thumbnails are sized (a US-letter page).
    assert record["derived"]["thumbnail"] == f"derived/{record['file_id']}/thumbnail.jpg"
    assert (meta["thumbnail"]["width"], meta["thumbnail"]["height"]) == (198, 256)


def check_notes(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["encoding"]) == ("TXT", "utf-8")
    assert (meta["lines"], meta["words"], meta["characters"]) == (3, 8, len(NOTES_TXT))
    assert meta["preview"].startswith("Café crème")


def check_table(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["header"], meta["rows"], meta["columns"]) == ("CSV", True, 2, 4)
    profiles = {p["name"]: p for p in meta["column_profiles"]}
    assert [p["name"] for p in meta["column_profiles"]] == [
        "city",
        "population",
        "area_km2",
        "capital",
    ]
    assert profiles["city"]["type"] == "string"
    assert profiles["population"]["type"] == "integer"
    assert (profiles["population"]["min"], profiles["population"]["max"]) == (522250, 2102650)
    assert profiles["area_km2"]["type"] == "float"
    assert profiles["capital"]["type"] == "boolean"


def check_records(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["top_level"], meta["records"]) == ("JSON", "array", 3)
    assert meta["element_types"] == {"object": 3}
    assert _field(record, "id")["present"] == 3
    assert _field(record, "score")["present"] == 1
    assert sorted(_field(record, "name")["types"]) == ["null", "string"]


def check_events(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["top_level"], meta["records"]) == ("JSON Lines", "lines", 2)
    assert _field(record, "ms")["present"] == 1


def readings_parquet() -> bytes:
    """A Parquet file as a data tool writes one (DuckDB, zstd, two row groups), big
    enough that its data lies well beyond what the processor fetches."""
    select = (
        "SELECT i AS id, md5(i::VARCHAR) AS digest, "
        "CASE WHEN i % 10 = 0 THEN NULL ELSE i / 4 END AS quarter, "
        "{'x': i % 7, 'tags': ['a', 'b']} AS extra FROM range(250000) t(i)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "readings.parquet"
        with duckdb.connect(":memory:", config={"threads": 1}) as con:
            options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 200000"
            con.execute(f"COPY ({select}) TO '{path}' ({options})")
        return path.read_bytes()


def check_parquet(record: dict[str, Any]) -> None:
    meta = record["metadata"]
    assert (meta["format"], meta["rows"], meta["row_groups"]) == ("Parquet", 250000, 2)
    assert meta["compression"] == ["ZSTD"]
    assert [f["name"] for f in meta["fields"]] == ["id", "digest", "quarter", "extra"]
    columns = {c["path"]: c for c in meta["schema"]}
    assert list(columns) == ["id", "digest", "quarter", "extra.x", "extra.tags.list.element"]
    assert (columns["id"]["min"], columns["id"]["max"], columns["id"]["null_count"]) == (
        0,
        249999,
        0,
    )
    assert columns["quarter"]["null_count"] == 25000
    assert columns["extra.tags.list.element"]["repeated"] is True
    assert sum(group["rows"] for group in meta["row_group_sizes"]) == 250000


def good_files() -> list[Sample]:
    """One file of every kind, uploaded through the API."""
    return [
        Sample("holiday photo.jpg", "image/jpeg", photo_jpeg(), "image", check_photo),
        Sample("logo.png", "image/png", logo_png(), "image", check_logo),
        Sample(
            "report.pdf",
            "application/pdf",
            report_pdf(PDF_PAGES, "Quarterly report", "Finance team"),
            "document",
            check_report,
        ),
        Sample("notes.txt", "text/plain", NOTES_TXT.encode(), "document", check_notes),
        Sample("cities.csv", "text/csv", TABLE_CSV.encode(), "data", check_table),
        Sample(
            "records.json", "application/json", json.dumps(RECORDS).encode(), "data", check_records
        ),
        Sample("events.jsonl", "application/jsonl", EVENTS_JSONL.encode(), "data", check_events),
        Sample(
            "readings.parquet",
            "application/vnd.apache.parquet",
            readings_parquet(),
            "data",
            check_parquet,
        ),
    ]


def truncated_jpeg() -> bytes:
    """A real JPEG cut after its first kilobyte, as an interrupted copy leaves it."""
    return photo_jpeg()[:1024]


def pdf_named_png() -> bytes:
    return report_pdf([["not an image"]], "Misnamed", "Nobody")
