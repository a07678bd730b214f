"""Magic bytes: what a file really is, checked against its extension."""

from __future__ import annotations

import json

import pytest

from fileproc.errors import ContentMismatch, Corrupt
from fileproc.processors import data, document, sniff
from fileproc_tools.pdfs import text_pdf

from . import images
from .support import run


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (images.photo(20, 10), "jpeg"),
        (images.png_with_alpha(), "png"),
        (images.encode(images.halves(4, 4, images.RED, images.BLUE), "GIF"), "gif"),
        (images.encode(images.halves(4, 4, images.RED, images.BLUE), "WEBP"), "webp"),
        (images.encode(images.halves(4, 4, images.RED, images.BLUE), "TIFF"), "tiff"),
        (text_pdf([["x"]]), "pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "ole"),
        (b"\x7fELF\x02\x01\x01", "elf"),
        (b"SQLite format 3\x00\x10\x00", "sqlite"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "wav"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "heif"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "avif"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "mp4"),
    ],
)
def test_identify_known_formats(head: bytes, kind: str) -> None:
    known = sniff.identify(head[: sniff.HEAD_BYTES])

    assert known is not None
    assert known[0] == kind


@pytest.mark.parametrize(
    "head",
    [
        b"id,name\n1,BMW\n",
        b"PAR1 is a column name,x\n",
        b'{"json": true}',
        "Grüße aus Zürich\n".encode("utf-16"),
        b"",
    ],
)
def test_text_matches_no_signature(head: bytes) -> None:
    assert sniff.identify(head) is None


def test_identify_reads_only_the_start() -> None:
    assert sniff.identify(b"junk before the header\n%PDF-1.4\n") is None


def test_a_pdf_header_after_junk_is_a_pdf() -> None:
    sniff.check(b"junk before the header\n%PDF-1.4\n" + text_pdf([["x"]]), ".pdf")
    sniff.check(b" " * 1000 + b"%PDF-1.4\n", ".pdf")


def test_pdf_header_further_than_1024_bytes_is_not_a_pdf() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.pdf file holds text"):
        sniff.check(b" " * 1100 + b"%PDF-1.4", ".pdf")


# Text that talks about PDF versions near its start is still text.
MENTIONS_PDF = "Exported as %PDF-1.7 by the scanner, see the archive copy."


@pytest.mark.parametrize(
    ("extension", "content", "kind"),
    [
        (".txt", f"Notes\n{MENTIONS_PDF}\n", "TXT"),
        (".csv", f'id,comment\n1,"{MENTIONS_PDF}"\n2,none\n', "CSV"),
        (".json", json.dumps([{"id": 1, "comment": MENTIONS_PDF}]), "JSON"),
        (".jsonl", json.dumps({"id": 1, "comment": MENTIONS_PDF}) + "\n", "JSON Lines"),
    ],
)
def test_text_mentioning_the_pdf_marker_is_processed(
    extension: str, content: str, kind: str
) -> None:
    processor = document.process if extension == ".txt" else data.process

    result = run(processor, content.encode(), extension)

    assert result.metadata["format"] == kind
    sniff.check(content.encode(), extension)


@pytest.mark.parametrize(
    ("head", "description"),
    [
        (b"plain text", "text"),
        ("café".encode()[:-1], "text"),  # a character cut by the end of the head
        (b"text with \x00 NUL", "unrecognised binary data"),
        (b"\xff\xfe\xfd\xfc" * 10, "unrecognised binary data"),
        (b"%PDF-1.7", "a PDF document"),
    ],
)
def test_describe(head: bytes, description: str) -> None:
    assert sniff.describe(head) == description


def test_check_accepts_matching_content() -> None:
    sniff.check(images.photo(20, 10), ".jpg")
    sniff.check(images.png_with_alpha(), ".png")
    sniff.check(text_pdf([["x"]]), ".pdf")
    sniff.check(b"a,b\n", ".csv")
    sniff.check(b"", ".txt")


def test_check_names_what_the_content_really_is() -> None:
    with pytest.raises(ContentMismatch) as raised:
        sniff.check(text_pdf([["x"]]), ".jpg")

    assert str(raised.value) == (
        "content does not match extension: the .jpg file holds a PDF document"
    )
    assert raised.value.as_record() == {
        "type": "ContentMismatch",
        "message": str(raised.value),
        "retryable": False,
    }


def test_check_rejects_a_binary_format_under_a_text_extension() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.csv file holds a ZIP archive"):
        sniff.check(b"PK\x03\x04rest", ".csv")


def test_empty_binary_file_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="the file is empty, expected a JPEG image"):
        sniff.check(b"", ".jpeg")


def test_parquet_magic_counts_only_in_a_parquet_file() -> None:
    """PAR1 is plain ASCII: a CSV whose first column is named PAR1 stays a CSV."""
    sniff.check(b"PAR1\x15\x04\x15\x80", ".parquet")
    sniff.check(b"PAR1,name\n1,x\n", ".csv")
    with pytest.raises(ContentMismatch, match=r"the \.parquet file holds text"):
        sniff.check(b"id,name\n1,x\n", ".parquet")
    with pytest.raises(ContentMismatch, match=r"the \.parquet file holds a ZIP archive"):
        sniff.check(b"PK\x03\x04rest", ".parquet")
    with pytest.raises(Corrupt, match="the file is empty, expected a Parquet file"):
        sniff.check(b"", ".parquet")
