"""The demo's sample files: one real file of each kind the pipeline takes, and a damaged one.

``python -m fileproc_tools.samples`` writes them to ``samples/`` (committed, so
the demo needs no generation step); ``--check`` regenerates them elsewhere and
says whether the committed ones are still what this script makes. The files
are made from fixed inputs only (no clock, no randomness), so a run writes the
same bytes as long as Pillow's JPEG encoder and pypdf's writer stay the same.

- ``photo.jpg``: a drawn landscape stored sideways with EXIF orientation 6
  (rotate 90° to view, as phones store portrait shots), camera make and model,
  date taken;
- ``report.pdf``: three pages of text in Helvetica, with title, author,
  subject and dates in the document information;
- ``notes.txt``: UTF-8 text with accents, symbols and non-Latin scripts;
- ``measurements.csv``: integers, decimals, dates, booleans, text and empty cells;
- ``catalog.json``: an array of objects whose fields vary in type and presence;
- ``readings.parquet``: sensor readings written by DuckDB (zstd, three row
  groups): text, timestamps, a nullable decimal, doubles, a list and a struct
  column, with statistics in the footer;
- ``broken-photo.jpg``: the first half of ``photo.jpg``, which the image
  processor must reject as Corrupt.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from PIL.ExifTags import IFD, Base
from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "samples"


@dataclass(frozen=True)
class Sample:
    filename: str
    category: str
    expected_status: str  # what the deployed pipeline must record for it
    about: str


SAMPLES = (
    Sample("photo.jpg", "image", "PROCESSED", "JPEG photo with EXIF (orientation 6)"),
    Sample("report.pdf", "document", "PROCESSED", "3-page PDF with text and metadata"),
    Sample("notes.txt", "document", "PROCESSED", "UTF-8 text"),
    Sample("measurements.csv", "data", "PROCESSED", "CSV with mixed column types"),
    Sample("catalog.json", "data", "PROCESSED", "JSON array of objects"),
    Sample("readings.parquet", "data", "PROCESSED", "Parquet table, nested and nullable columns"),
    Sample("broken-photo.jpg", "image", "FAILED", "truncated JPEG (corrupt on purpose)"),
)

PHOTO_SIZE = (640, 480)
ORIENTATION_ROTATE_90_CW = 6


def photo_jpeg() -> bytes:
    """A landscape drawn with gradients and shapes, saved as a camera would (EXIF, sideways)."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    horizon = height * 3 // 5
    for y in range(horizon):  # sky: deep blue to pale at the horizon
        shade = y / horizon
        draw.line([(0, y), (width, y)], fill=(int(40 + 150 * shade), int(90 + 130 * shade), 230))
    for y in range(horizon, height):  # meadow: darker towards the bottom
        shade = (y - horizon) / (height - horizon)
        draw.line([(0, y), (width, y)], fill=(int(70 - 40 * shade), int(160 - 70 * shade), 60))
    draw.ellipse((470, 50, 550, 130), fill=(255, 215, 90))
    draw.polygon([(0, horizon), (180, 150), (360, horizon)], fill=(95, 105, 125))
    draw.polygon([(220, horizon), (420, 120), (640, horizon)], fill=(120, 130, 150))
    draw.polygon([(375, 170), (420, 120), (462, 168)], fill=(245, 245, 250))
    draw.rectangle((90, 300, 104, 350), fill=(90, 60, 30))
    draw.ellipse((60, 240, 134, 314), fill=(40, 110, 50))

    exif = Image.Exif()
    exif[Base.Make] = "Fileproc Optics"
    exif[Base.Model] = "Sample Camera 1"
    exif[Base.Orientation] = ORIENTATION_ROTATE_90_CW
    exif[Base.DateTime] = "2024:05:18 10:42:07"
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:18 10:42:07"
    exif.get_ifd(IFD.Exif)[Base.OffsetTimeOriginal] = "+02:00"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def broken_jpeg() -> bytes:
    """A JPEG cut off halfway: valid header and EXIF, then the scan data stops."""
    whole = photo_jpeg()
    return whole[: len(whole) // 2]


REPORT_PAGES = (
    (
        "Quarterly processing report",
        "",
        "This document is a sample for the fileproc pipeline. The document",
        "processor reads its text page by page, counts words and characters,",
        "keeps a short preview in the record and stores the full text as a",
        "derived artefact next to the upload.",
    ),
    (
        "Volumes",
        "",
        "Images: 1,284 files, 2.1 GB in total, 12 rejected as corrupt.",
        "Documents: 392 files, 41 of them scanned without a text layer.",
        "Data: 87 files, the largest a 1.3 GB CSV export of sensor readings.",
    ),
    (
        "Next steps",
        "",
        "Replay the dead-letter queues after the decoder upgrade, then",
        "compare the failure rate per category with the previous quarter.",
    ),
)
REPORT_METADATA = {
    "/Title": "Quarterly processing report",
    "/Author": "Fileproc Samples",
    "/Subject": "A multi-page PDF for the fileproc demo",
    "/Creator": "fileproc_tools.samples",
    "/CreationDate": "D:20240518104207+02'00'",
    "/ModDate": "D:20240520090000+02'00'",
}


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def report_pdf() -> bytes:
    """Text pages drawn with the standard Helvetica font (no font file to embed)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    for number, lines in enumerate(REPORT_PAGES, start=1):
        page = writer.add_blank_page(612, 792)
        operators = ["BT", "/F1 12 Tf", "16 TL", "72 720 Td"]
        operators += [f"{_pdf_string(line)} Tj T*" for line in lines]
        operators += ["ET", "BT", "/F1 9 Tf", "300 40 Td", f"{_pdf_string(str(number))} Tj", "ET"]
        content = ContentStream(None, writer)
        content.set_data("\n".join(operators).encode("cp1252"))
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        page.replace_contents(content)
        page.compress_content_streams()
    writer.add_metadata(REPORT_METADATA)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


NOTES_TEXT = """\
Field notes: uploads from the Zürich office
===========================================

Café receipts were scanned at 300 dpi; the naïve OCR pass missed the € signs.
Temperatures ranged from -3 °C to 24 °C during the survey week.
Greetings in the shared inbox: Grüezi, Bonjour, Привет, こんにちは, مرحبا.

The text processor detects the encoding (UTF-8 here), counts lines, words
and characters, and keeps the first characters as a preview.
"""

CSV_ROWS = (
    ("station", "date", "temperature_c", "humidity_pct", "rain_mm", "calibrated", "note"),
    ("ZRH-01", "2024-05-13", "14.2", "71", "0.0", "true", ""),
    ("ZRH-01", "2024-05-14", "16.8", "64", "1.2", "true", "light shower"),
    ("ZRH-02", "2024-05-13", "13.9", "75", "0.0", "false", ""),
    ("ZRH-02", "2024-05-14", "", "80", "4.6", "false", "sensor offline 09:00-11:00"),
    ("GVA-01", "2024-05-13", "17.5", "58", "0.0", "true", ""),
    ("GVA-01", "2024-05-14", "19.1", "55", "0.0", "true", "clear, windy"),
    ("BSL-01", "2024-05-13", "15.0", "69", "2.4", "true", ""),
    ("BSL-01", "2024-05-14", "-0.5", "90", "12.8", "true", 'frost at dawn, "unusual"'),
)

CATALOG = [
    {"sku": "CAM-100", "name": "Field camera", "price": 349.0, "in_stock": True,
     "tags": ["photo", "outdoor"], "dimensions": {"w": 12.5, "h": 8.0, "d": 6.2}},
    {"sku": "CAM-200", "name": "Studio camera", "price": 1299.99, "in_stock": False,
     "tags": ["photo"], "dimensions": {"w": 14.0, "h": 10.2, "d": 8.1}},
    {"sku": "LNS-35", "name": "35 mm lens", "price": 420, "in_stock": True, "tags": []},
    {"sku": "TRP-01", "name": "Tripod", "price": 89.5, "in_stock": True,
     "tags": ["support"], "discontinued_at": None},
    {"sku": "BAG-07", "name": "Camera bag", "price": 59, "in_stock": True,
     "tags": ["carry", "outdoor"], "colour": "olive"},
    {"sku": "SD-128", "name": "Memory card 128 GB", "price": 24.9, "in_stock": True,
     "tags": ["storage"], "speed_class": "V30"},
]  # fmt: skip


def notes_txt() -> bytes:
    return NOTES_TEXT.encode("utf-8")


def measurements_csv() -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(CSV_ROWS)
    return out.getvalue().encode("utf-8")


def catalog_json() -> bytes:
    return (json.dumps(CATALOG, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# Every value is a function of the row number: the same bytes on every run (one
# thread, so the row groups are cut at the same rows).
READINGS_SQL = """
COPY (
    SELECT
        ['ZRH-01', 'ZRH-02', 'GVA-01', 'BSL-01'][i % 4 + 1] AS station,
        TIMESTAMP '2024-05-13 00:00:00' + INTERVAL (i * 10) MINUTE AS taken_at,
        CASE WHEN i % 97 = 0 THEN NULL
             ELSE round(12 + 8 * sin(i / 40.0), 1)::DECIMAL(4, 1) END AS temperature_c,
        (55 + i % 36)::SMALLINT AS humidity_pct,
        CASE WHEN i % 5 = 0 THEN (i % 13) * 0.4 ELSE 0 END::DOUBLE AS rain_mm,
        CASE WHEN i % 50 = 0 THEN ['calibrated', 'manual'] ELSE ['automatic'] END AS tags,
        {'lat': (47.0 + (i % 4) * 0.25)::DOUBLE, 'lon': (7.5 + (i % 4) * 0.5)::DOUBLE} AS position
    FROM range(5000) AS t(i)
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)
"""


def readings_parquet() -> bytes:
    import duckdb  # the development environment has it (pyproject): only this sample needs it

    with tempfile.TemporaryDirectory(prefix="fileproc-samples-") as scratch:
        path = Path(scratch) / "readings.parquet"
        with duckdb.connect(":memory:", config={"threads": 1}) as con:
            con.execute(READINGS_SQL.replace("{path}", str(path)))
        return path.read_bytes()


BUILDERS: dict[str, Callable[[], bytes]] = {
    "photo.jpg": photo_jpeg,
    "report.pdf": report_pdf,
    "notes.txt": notes_txt,
    "measurements.csv": measurements_csv,
    "catalog.json": catalog_json,
    "readings.parquet": readings_parquet,
    "broken-photo.jpg": broken_jpeg,
}


def generate(directory: Path) -> list[Path]:
    """Write every sample into ``directory``; their paths, in SAMPLES order."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for sample in SAMPLES:
        path = directory / sample.filename
        path.write_bytes(BUILDERS[sample.filename]())
        paths.append(path)
    return paths


def sample_paths(directory: Path = SAMPLES_DIR) -> list[Path]:
    return [directory / sample.filename for sample in SAMPLES]


def differences(directory: Path = SAMPLES_DIR) -> list[str]:
    """Names of the samples in ``directory`` that differ from a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="fileproc-samples-") as fresh:
        generated = generate(Path(fresh))
        return [
            path.name
            for path in generated
            if not (directory / path.name).is_file()
            or not filecmp.cmp(path, directory / path.name, shallow=False)
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fileproc_tools.samples", description="Write the demo's sample files."
    )
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="default: samples/")
    parser.add_argument(
        "--check", action="store_true", help="compare --out with a fresh generation, write nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        changed = differences(args.out)
        if changed:
            print(f"differ from a fresh generation: {', '.join(changed)}", file=sys.stderr)
            return 1
        print(f"{args.out}: all {len(SAMPLES)} samples are up to date")
        return 0
    for path in generate(args.out):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
