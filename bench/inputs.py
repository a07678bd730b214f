"""The benchmark's inputs, generated from a seed so that every run measures the same bytes.

- ``photo_jpeg``: a camera-sized JPEG with photo-like detail and camera EXIF.
- ``write_csv``: a CSV of a given size, either "mixed" (a customer-like table:
  integers, floats, ISO dates and date-times, booleans, strings, some empty
  cells and quoted text with commas) or "numeric" (a sensor-like table of
  integers and floats only, the worst case for exact numeric statistics).
- ``report_pdf``: a multi-page text PDF (pypdf writes it; Helvetica text).
- ``write_json``: 400 k customer-like records (~67 MB) as one JSON array
  ("array") or as JSON Lines ("lines"): integers, floats, strings, booleans,
  nulls, a small array of tags and a nested address object per record, written
  as ``json.dumps`` writes them.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from PIL.ExifTags import IFD, Base

SEED = 20241124
MB = 1024 * 1024
CSV_KINDS = ("mixed", "numeric")
JSON_KINDS = ("array", "lines")
JSON_RECORDS = 400_000

_WORDS = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
]  # fmt: skip
_COUNTRIES = ("FR", "DE", "US", "GB", "ES", "IT", "NL", "BE", "SE", "PL", "JP", "BR")


def photo_jpeg(width: int = 4000, height: int = 3000, seed: int = SEED) -> bytes:
    """A 12-megapixel (by default) JPEG: noise and gradients, quality 90, camera EXIF.

    Noise makes the entropy decoder do the work a real photo needs (a flat
    image would decode unrealistically fast).
    """
    rng = random.Random(seed)
    sigma = 30 + rng.random() * 20
    noise = Image.effect_noise((width, height), sigma)
    ramp = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "Canon EOS 5D Mark IV"
    exif[Base.Orientation] = 6
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _mixed_rows(rng: random.Random) -> tuple[str, Callable[[int], str]]:
    header = (
        "id,customer,email,amount,quantity,discount,active,signup_date,last_seen,country,"
        "score,note\n"
    )
    start = date(2015, 1, 1)

    def row(index: int) -> str:
        word = rng.choice(_WORDS)
        quantity = "" if rng.random() < 0.05 else str(rng.randint(1, 500))
        discount = "" if rng.random() < 0.3 else f"{rng.random() * 0.5:.3f}"
        signup = start + timedelta(days=rng.randint(0, 3650))
        seen = f"{signup.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        score = "" if rng.random() < 0.1 else f"{rng.gauss(50, 15):.4f}"
        roll = rng.random()
        note = '"late, then paid"' if roll < 0.05 else ("" if roll < 0.8 else f"{word} order")
        return (
            f"{index},{word.title()} {rng.choice(_WORDS).title()},{word}{index}@example.com,"
            f"{rng.randint(100, 99_999) / 100:.2f},{quantity},{discount},"
            f"{'true' if rng.random() < 0.7 else 'false'},{signup.isoformat()},{seen},"
            f"{rng.choice(_COUNTRIES)},{score},{note}\n"
        )

    return header, row


def _numeric_rows(rng: random.Random) -> tuple[str, Callable[[int], str]]:
    header = "sensor,timestamp,reading_1,reading_2,reading_3,reading_4,count,errors,voltage\n"

    def row(index: int) -> str:
        return (
            f"{rng.randint(1, 5000)},{1_700_000_000 + index * 10},"
            f"{rng.gauss(20, 5):.3f},{rng.gauss(1013, 8):.2f},{rng.random() * 100:.4f},"
            f"{rng.uniform(-40, 40):.1f},{rng.randint(0, 100_000)},{rng.randint(0, 9)},"
            f"{rng.uniform(3.1, 3.4):.5f}\n"
        )

    return header, row


def csv_chunks(size_bytes: int, kind: str, seed: int = SEED) -> Iterator[bytes]:
    """The bytes of a CSV of about ``size_bytes`` (whole rows), in chunks of about 1 MB."""
    if kind not in CSV_KINDS:
        raise ValueError(f"CSV kind {kind!r} is not one of {CSV_KINDS}")
    rng = random.Random(seed)
    header, row = _mixed_rows(rng) if kind == "mixed" else _numeric_rows(rng)
    yield header.encode()
    written = len(header)
    index = 0
    while written < size_bytes:
        block = []
        block_size = 0
        while block_size < MB and written + block_size < size_bytes:
            line = row(index)
            index += 1
            block.append(line)
            block_size += len(line)
        data = "".join(block).encode()
        written += len(data)
        yield data


def write_csv(path: Path, size_bytes: int, kind: str, seed: int = SEED) -> Path:
    """Write the CSV once; a file already there with the same name is reused.

    The name carries size, kind and seed, so a reused file has the same bytes.
    """
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        for chunk in csv_chunks(size_bytes, kind, seed):
            file.write(chunk)
    partial.rename(path)
    return path


def csv_path(directory: Path, size_bytes: int, kind: str, seed: int = SEED) -> Path:
    return directory / f"{kind}-{size_bytes}-{seed}.csv"


def report_pdf(pages: int, lines_per_page: int = 45, seed: int = SEED) -> bytes:
    """A text report of ``pages`` pages: Helvetica lines of words and numbers, compressed."""
    rng = random.Random(seed)
    texts = []
    for number in range(1, pages + 1):
        lines = [f"Page {number}"]
        for _ in range(lines_per_page):
            words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14)))
            lines.append(f"{words} {rng.randint(0, 10_000)}")
        texts.append(lines)
    # Imported here: bench workers run under the Lambda runtime's Python with the layer,
    # which has no pypdf (PDFs are read with PDFium), and import this module for the CSVs.
    from fileproc_tools.pdfs import text_pdf

    return text_pdf(
        texts,
        metadata={"/Title": "Benchmark report", "/Author": "fileproc bench"},
        font_size=10,
        origin=(60, 750),
    )


def json_records(count: int, seed: int = SEED) -> Iterator[dict[str, object]]:
    """``count`` customer-like records: about 170 bytes each as ``json.dumps`` writes them."""
    rng = random.Random(seed)
    for index in range(count):
        word = rng.choice(_WORDS)
        yield {
            "id": index,
            "customer": f"{word.title()} {rng.choice(_WORDS).title()}",
            "amount": rng.randint(100, 99_999) / 100,
            "quantity": None if rng.random() < 0.05 else rng.randint(1, 500),
            "active": rng.random() < 0.7,
            "tags": rng.sample(_WORDS, rng.randint(0, 3)),
            "address": {"city": rng.choice(_WORDS).title(), "country": rng.choice(_COUNTRIES)},
        }


def write_json(path: Path, kind: str, count: int = JSON_RECORDS, seed: int = SEED) -> Path:
    """Write the records once as a JSON array or JSON Lines; a file already there is reused
    (its name carries kind, count and seed: the same bytes)."""
    if kind not in JSON_KINDS:
        raise ValueError(f"JSON kind {kind!r} is not one of {JSON_KINDS}")
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as file:
        if kind == "array":
            file.write("[")
            for index, record in enumerate(json_records(count, seed)):
                file.write((",\n" if index else "\n") + json.dumps(record))
            file.write("\n]\n")
        else:
            for record in json_records(count, seed):
                file.write(json.dumps(record) + "\n")
    partial.rename(path)
    return path


def json_path(directory: Path, kind: str, count: int = JSON_RECORDS, seed: int = SEED) -> Path:
    return directory / f"records-{count}-{seed}.{'json' if kind == 'array' else 'jsonl'}"


def messy_csvs(directory: Path) -> list[Path]:
    """CSVs as people's tools write them, each with a clean 2,000-row start so that a
    reader's sniffer settles first: ragged rows, an unterminated quote, mixed and
    CR-only line endings, a BOM, NULs, cp1252, Shift-JIS and UTF-16 text."""
    rng = random.Random(SEED)
    header = "id,name,amount,day\n"
    clean = "".join(
        f"{i},{rng.choice(_WORDS)},{rng.randint(100, 99_999) / 100:.2f},2024-05-{1 + i % 28:02d}\n"
        for i in range(2_000)
    )
    tails = {
        "ragged": "2001,short\n2002,long,1.00,2024-05-01,extra\n2003,ok,2.00,2024-05-02\n",
        "unterminated-quote": '2001,"open,1.00,2024-05-01\n2002,after,2.00,2024-05-02\n',
        "trailing-delimiter": "2001,x,1.00,2024-05-01,\n2002,y,2.00,2024-05-02\n",
        "blank-lines": "\n2001,x,1.00,2024-05-01\n\n\n2002,y,2.00,2024-05-02\n",
        "nul": "2001,x\x00y,1.00,2024-05-01\n2002,y,2.00,2024-05-02\n",
    }
    files: dict[str, bytes] = {
        name: (header + clean + tail).encode() for name, tail in tails.items()
    }
    body = header + clean
    files["mixed-endings"] = (body.replace("\n", "\r\n") + "2001,x,1.00,2024-05-01\n").encode()
    files["cr-only"] = body.replace("\n", "\r").encode()
    files["bom"] = b"\xef\xbb\xbf" + body.encode()
    accents = header + clean.replace("alpha", "Zürich").replace("bravo", "Café")
    files["cp1252"] = accents.encode("cp1252")
    files["utf-16"] = accents.encode("utf-16")
    files["shift-jis"] = (header + clean.replace("alpha", "東京").replace("bravo", "大阪")).encode(
        "shift_jis"
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = directory / f"messy-{name}.csv"
        path.write_bytes(data)
        paths.append(path)
    return paths
