"""The document processor on real PDF files, made with pypdf or written object by object."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from fileproc.errors import ContentMismatch, Corrupt, Unsupported
from fileproc.processors import document, pdf
from fileproc_tools.pdfs import (
    abbreviated_filters_pdf,
    pages_pdf,
    raw_pdf,
    stream,
    text_operators,
    text_pdf,
)

from . import images
from .support import run

PAGES = [
    ["Quarterly report", "Revenue grew in every region."],
    ["Second page: costs", "Costs (fixed) fell by 3%."],
    ["Third page", "Outlook: stable."],
]
METADATA = {
    "/Title": "Quarterly report",
    "/Author": "Ada Lovelace",
    "/Subject": "Finance",
    "/Creator": "fileproc tests",
    "/CreationDate": "D:20240501123456+02'00'",
    "/ModDate": "D:20240502080000Z",
}


def test_multi_page_pdf_text_metadata_and_artefact() -> None:
    result = run(document.process, text_pdf(PAGES, metadata=METADATA), ".pdf")

    text = result.text
    assert text is not None
    assert text.index("Quarterly report") < text.index("Second page") < text.index("Outlook")
    assert "Costs (fixed) fell by 3%." in text
    metadata = result.metadata
    assert metadata == {
        "format": "PDF",
        "version": metadata["version"],
        "encrypted": False,
        "pages": 3,
        "title": "Quarterly report",
        "author": "Ada Lovelace",
        "subject": "Finance",
        "creator": "fileproc tests",
        "producer": "pypdf",
        "created": "2024-05-01T12:34:56+02:00",
        "modified": "2024-05-02T08:00:00+00:00",
        "thumbnail": {"width": 198, "height": 256},
        "characters": len(text),
        "words": len(text.split()),
        "preview": " ".join(text.split()),
        "text_pages": 3,
        "text_truncated": False,
        "page_errors": [],
        "page_error_count": 0,
    }
    assert metadata["version"] in ("1.3", "1.4", "1.5", "1.6", "1.7", "2.0")
    assert metadata["words"] == 19
    artefact = result.artefacts["text"]
    assert artefact.filename == "text.txt"
    assert artefact.content_type == "text/plain; charset=utf-8"
    assert artefact.body.decode("utf-8") == text


def test_preview_is_short() -> None:
    result = run(document.process, text_pdf(PAGES), ".pdf", preview_chars=20)

    assert result.metadata["preview"] == "Quarterly report Rev"


def test_text_stops_at_the_page_limit() -> None:
    result = run(document.process, text_pdf(PAGES), ".pdf", text_max_pages=2)

    assert result.text is not None
    assert "Second page" in result.text
    assert "Outlook" not in result.text
    assert result.metadata["pages"] == 3
    assert result.metadata["text_pages"] == 2
    assert result.metadata["text_truncated"] is True


def test_text_stops_at_the_character_limit() -> None:
    many = [[f"Page {number} says something long enough."] * 5 for number in range(40)]

    result = run(document.process, text_pdf(many), ".pdf", text_max_chars=500)

    assert result.text is not None
    assert len(result.text) == 500
    assert result.artefacts["text"].body == result.text.encode()
    assert result.metadata["characters"] == 500
    assert result.metadata["text_truncated"] is True
    # Reading stopped once the limit was reached, not after all 40 pages.
    assert result.metadata["text_pages"] < 10


def test_encrypted_pdf_without_the_password_is_processed_without_text() -> None:
    data = text_pdf(PAGES, metadata=METADATA, user_password="s3cret")

    result = run(document.process, data, ".pdf")

    assert result.metadata == {
        "format": "PDF",
        "version": result.metadata["version"],
        "encrypted": True,
        "pages": None,
        "title": None,
        "author": None,
        "subject": None,
        "creator": None,
        "producer": None,
        "created": None,
        "modified": None,
        "thumbnail": None,
    }
    assert result.text is None
    assert result.artefacts == {}


def test_encrypted_pdf_with_an_empty_user_password_is_read() -> None:
    data = text_pdf(PAGES, metadata=METADATA, user_password="")

    result = run(document.process, data, ".pdf")

    assert result.metadata["encrypted"] is True
    assert result.metadata["pages"] == 3
    assert result.metadata["title"] == "Quarterly report"
    assert result.text is not None
    assert "Revenue grew" in result.text


def test_pdf_without_text_has_no_text_artefact() -> None:
    result = run(document.process, text_pdf([[], []]), ".pdf")

    assert result.metadata["pages"] == 2
    assert result.metadata["characters"] == 0
    assert result.metadata["words"] == 0
    assert result.metadata["preview"] == ""
    assert result.text is None
    assert list(result.artefacts) == ["thumbnail"]  # a blank page still has its preview


def test_pdf_without_information_dictionary() -> None:
    data = text_pdf(PAGES)
    # pypdf always writes /Producer; drop the Info reference from the trailer.
    data = data.replace(b"/Info", b"/Xnfo")

    result = run(document.process, data, ".pdf")

    assert result.metadata["title"] is None
    assert result.metadata["producer"] is None
    assert result.metadata["pages"] == 3


def test_malformed_dates_read_as_absent() -> None:
    data = text_pdf(PAGES, metadata={"/Title": "T", "/CreationDate": "yesterday"})

    result = run(document.process, data, ".pdf")

    assert result.metadata["title"] == "T"
    assert result.metadata["created"] is None


def test_header_after_leading_junk_is_accepted() -> None:
    data = b"\x00" * 100 + text_pdf(PAGES)

    result = run(document.process, data, ".pdf")

    assert result.metadata["pages"] == 3


def compressed(lines: list[str]) -> bytes:
    return stream(b"/Filter /FlateDecode", zlib.compress(text_operators(lines)))


def test_one_failing_page_does_not_cost_the_others() -> None:
    # Page 2's entry in the page tree is a string, not a page: PDFium counts it
    # but cannot load it.
    data = pages_pdf([compressed(["First page"]), None, compressed(["Third page"])])

    result = run(document.process, data, ".pdf")

    assert result.metadata["pages"] == 3
    assert result.metadata["page_errors"] == [2]
    assert result.metadata["page_error_count"] == 1
    assert result.metadata["text_pages"] == 3
    assert result.text == "First page\n\nThird page"


def test_a_failing_first_page_costs_the_preview_only() -> None:
    data = pages_pdf([None, compressed(["Second page"])])

    result = run(document.process, data, ".pdf")

    assert result.metadata["page_errors"] == [1]
    assert result.metadata["thumbnail"] is None
    assert list(result.artefacts) == ["text"]
    assert result.text == "Second page"


def test_page_errors_are_listed_up_to_a_limit() -> None:
    data = pages_pdf([None] * 25 + [compressed(["Last page"])])

    result = run(document.process, data, ".pdf")

    assert result.metadata["page_errors"] == list(range(1, 21))
    assert result.metadata["page_error_count"] == 25
    assert result.metadata["text_pages"] == 26
    assert result.text == "Last page"


def test_abbreviated_filter_names_are_read() -> None:
    # /AHx /Fl /A85 /LZW /RL content streams, and inline images in every
    # abbreviated filter (/CCF and /DCT too), which page 1's preview decodes.
    data = abbreviated_filters_pdf()

    result = run(document.process, data, ".pdf")

    assert result.metadata["page_errors"] == []
    assert result.text == (
        "Abbreviated filters\nFl after AHx on this page.\n\n"
        "Second page\nLZW after A85.\n\nThird page\nRun length."
    )
    with Image.open(io.BytesIO(result.artefacts["thumbnail"].body)) as preview:
        grey = preview.convert("L")
    # The seven 40-point images sit in a row, 50 points apart, from x 72 and y
    # 500..540 (from the bottom); the preview is the page at 256 / 792.
    scale = 256 / 792

    def darkest(left: int, right: int) -> int:
        box = (left * scale, (792 - 540) * scale, right * scale, (792 - 500) * scale)
        return int(grey.crop(tuple(round(edge) for edge in box)).getextrema()[0])

    assert [darkest(x + 4, x + 36) < 100 for x in range(72, 420, 50)] == [True] * 7
    assert darkest(10, 60) > 240  # the margin left of them


def test_attachment_only_encryption_is_read_without_a_password() -> None:
    data = text_pdf(PAGES, metadata=METADATA, user_password="s3cret", attachments_only=True)

    result = run(document.process, data, ".pdf")

    assert result.metadata["encrypted"] is True
    assert result.metadata["pages"] == 3
    assert result.metadata["title"] == "Quarterly report"
    assert result.text is not None
    assert "Revenue grew" in result.text


def test_unsupported_security_handler_is_processed_as_encrypted() -> None:
    # Certificate encryption (Adobe.PubSec): only the recipient's key opens it.
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 /Recipients [<3082>] >>",
    ]
    file_id = b"<00112233445566778899aabbccddeeff>"
    data = raw_pdf(objects, trailer=b"/Encrypt 3 0 R /ID [%s %s] " % (file_id, file_id))

    result = run(document.process, data, ".pdf")

    assert (result.metadata["encrypted"], result.metadata["pages"]) == (True, None)
    assert result.artefacts == {}


def test_a_repairable_cross_reference_table_is_repaired() -> None:
    # Every offset in the xref table off by 7 bytes (an editor that added a line
    # at the top): PDFium rebuilds the table from the objects, as viewers do.
    data = text_pdf(PAGES).replace(b"%PDF-1.3\n", b"%PDF-1.3\n%extra\n", 1)

    result = run(document.process, data, ".pdf")

    assert result.metadata["pages"] == 3
    assert "Outlook" in (result.text or "")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-40], id="end-cut"),
        pytest.param(lambda data: data[: data.rindex(b"xref")], id="cut-before-xref"),
        pytest.param(lambda data: b"%PDF-1.7\n" + bytes(range(256)) * 20, id="garbled"),
        pytest.param(lambda data: b"%PDF-1.4\n%%EOF\n", id="header-only"),
    ],
)
def test_damaged_pdf_is_corrupt(damage: object) -> None:
    data = damage(text_pdf(PAGES))  # type: ignore[operator]

    with pytest.raises(Corrupt, match="damaged PDF"):
        run(document.process, data, ".pdf")


def test_pdf_content_must_match_the_extension() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.pdf file holds a PNG image"):
        run(document.process, images.png_with_alpha(), ".pdf")


def test_empty_pdf_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="empty"):
        run(document.process, b"", ".pdf")


def test_other_extensions_are_unsupported() -> None:
    with pytest.raises(Unsupported, match=r"\.docx"):
        run(document.process, b"PK\x03\x04", ".docx")


def test_document_module_loads_pdfium_only_for_a_pdf() -> None:
    # Cold start: a document function reading text files never pays for PDFium.
    code = (
        "import sys, io; from fileproc.processors import document; "
        "print('pypdfium2' in sys.modules, end=' '); "
        "from fileproc.config import Settings; "
        "document.process(io.BytesIO(b'hello'), size=5, extension='.txt', "
        "settings=Settings(table_name='t', bucket_name='b')); "
        "print('pypdfium2' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert loaded == "False False"
    # ...and a PDF still gets its text (the import happens on the first one).
    result = run(document.process, text_pdf([["lazy import works"]]), ".pdf")
    assert "lazy import works" in result.metadata["preview"]


# -- the preview of page 1 ---------------------------------------------------


def preview_of(data: bytes, **overrides: object) -> tuple[dict[str, int], Image.Image]:
    result = run(document.process, data, ".pdf", **overrides)
    with Image.open(io.BytesIO(result.artefacts["thumbnail"].body)) as image:
        image.load()
    assert image.format == "JPEG"
    assert result.artefacts["thumbnail"].filename == "thumbnail.jpg"
    assert result.artefacts["thumbnail"].content_type == "image/jpeg"
    size = result.metadata["thumbnail"]
    assert (size["width"], size["height"]) == image.size
    return size, image


def test_preview_draws_the_first_page_in_the_box() -> None:
    # A black square at the top left of page 1, text below; page 2 is not drawn.
    square = b"0 g 36 684 144 72 re f " + text_operators(["under the square"])
    data = pages_pdf([stream(b"", square), stream(b"", b"0 g 0 0 612 792 re f")])

    size, image = preview_of(data)

    assert size == {"width": 198, "height": 256}  # 612 x 792 points, longest side 256
    grey = image.convert("L")
    scale = 256 / 792
    inside = (round(72 * scale), round((792 - 720) * scale))
    assert grey.getpixel(inside) < 40
    assert grey.getpixel((150, 200)) > 240  # the rest of page 1 is white


@pytest.mark.parametrize(
    ("media_box", "entries", "expected"),
    [
        pytest.param("0 0 792 612", "", (256, 198), id="landscape"),
        pytest.param("0 0 612 792", "/Rotate 90", (256, 198), id="rotated"),
        pytest.param("0 0 14400 14400", "", (256, 256), id="largest-page"),
        pytest.param("0 0 14400 3", "", (256, 1), id="sliver"),
        pytest.param("0 0 100 50", "", (256, 128), id="small-page-drawn-at-box-size"),
        pytest.param("0 0 612 792", "/UserUnit 75000", (198, 256), id="user-unit"),
        # PDFium reads an empty or inverted box as US letter, as viewers do.
        pytest.param("0 0 0 0", "", (198, 256), id="empty-box"),
        pytest.param("10 10 10 800", "", (198, 256), id="zero-width-box"),
    ],
)
def test_preview_size_follows_the_page_shape(
    media_box: str, entries: str, expected: tuple[int, int]
) -> None:
    # A 14400-point page (200 inches) would be a 200-megapixel image at
    # 72 dpi; it is drawn straight at 256 px.
    data = pages_pdf(
        [stream(b"", b"0 g 0 0 10 10 re f")], media_box=media_box, page_entries=entries
    )

    size, _ = preview_of(data)

    assert (size["width"], size["height"]) == expected


def test_preview_follows_thumbnail_max_px() -> None:
    size, _ = preview_of(text_pdf(PAGES), thumbnail_max_px=64)

    assert size == {"width": 49, "height": 64}


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (612.0, 792.0, (198, 256)),
        (1.0, 1e9, (1, 256)),
        (0.0, 792.0, None),
        (-612.0, 792.0, None),
        (float("nan"), 792.0, None),
        (float("inf"), 792.0, None),
    ],
)
def test_fit_box(width: float, height: float, expected: tuple[int, int] | None) -> None:
    assert pdf.fit_box(width, height, 256) == expected


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("D:20240501123456+02'00'", "2024-05-01T12:34:56+02:00"),
        ("D:20240501123456-05'30", "2024-05-01T12:34:56-05:30"),
        ("D:20240502080000Z", "2024-05-02T08:00:00+00:00"),
        ("D:20240502080000Z00'00'", "2024-05-02T08:00:00+00:00"),
        ("D:2024", "2024-01-01T00:00:00"),
        ("20240501", "2024-05-01T00:00:00"),
        ("D:20241301000000", None),  # month 13
        ("D:20240501123456+25'00'", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_pdf_dates(text: str, iso: str | None) -> None:
    assert pdf.pdf_date(text) == iso


def test_the_spooled_copy_is_removed_whatever_the_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # Lambda's /tmp

    run(document.process, text_pdf(PAGES), ".pdf")
    with pytest.raises(Corrupt):
        run(document.process, text_pdf(PAGES)[:500], ".pdf")

    assert list(tmp_path.iterdir()) == []


def test_a_huge_image_on_page_1_is_drawn_without_decoding_it_whole(tmp_path: Path) -> None:
    # 6000 x 6000 RGB (108 MB decoded) in a 0.4 MB file: PDFium decodes it at the
    # preview's size. Peak RSS growth (C allocations too) in a fresh process.
    side = 6000
    pixels = bytes(range(256)) * (side * side * 3 // 256)
    image = b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (side, side)
    image += b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        stream(b"", b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
        stream(image, zlib.compress(pixels, 6)),
    ]
    path = tmp_path / "huge-image.pdf"
    path.write_bytes(raw_pdf(objects))
    code = f"""
import io, re
from fileproc.config import Settings
from fileproc.processors import document, pdf
settings = Settings(table_name="t", bucket_name="b")
data = open({str(path)!r}, "rb").read()
def status(key):
    return int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # resets VmHWM to the current RSS
before = status("VmRSS")
result = document.process(io.BytesIO(data), size=len(data), extension=".pdf", settings=settings)
print(result.metadata["thumbnail"]["width"], (status("VmHWM") - before) // 1024)
"""
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    width, growth_mb = map(int, completed.stdout.split())

    assert width == 198
    assert growth_mb < 48, f"peak RSS grew by {growth_mb} MB"
