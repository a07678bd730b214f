"""The document processor on real PDF files made with pypdf."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pypdf import PageObject

from fileproc.errors import ContentMismatch, Corrupt, Unsupported
from fileproc.processors import document
from fileproc_tools.pdfs import text_pdf

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
        "characters": len(text),
        "words": len(text.split()),
        "preview": " ".join(text.split()),
        "text_pages": 3,
        "text_truncated": False,
        "page_errors": [],
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
    assert result.artefacts == {}


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


def test_one_failing_page_does_not_cost_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    # pypdf raises from extract_text on some damaged content streams; simulate
    # one on page 2.
    original = PageObject.extract_text

    def extract_text(self: PageObject, *args: object, **kwargs: object) -> str:
        text = original(self, *args, **kwargs)  # type: ignore[arg-type]
        if "Second page" in text:
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(PageObject, "extract_text", extract_text)

    result = run(document.process, text_pdf(PAGES), ".pdf")

    assert result.metadata["page_errors"] == [2]
    assert result.text is not None
    assert "Quarterly report" in result.text
    assert "Outlook" in result.text


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
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


def test_document_module_loads_pypdf_only_for_a_pdf() -> None:
    # Cold start: a document function reading text files never pays for pypdf.
    code = (
        "import sys, io; from fileproc.processors import document; "
        "print('pypdf' in sys.modules, end=' '); "
        "from fileproc.config import Settings; "
        "document.process(io.BytesIO(b'hello'), size=5, extension='.txt', "
        "settings=Settings(table_name='t', bucket_name='b')); "
        "print('pypdf' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert loaded == "False False"
    # ...and a PDF still gets its text (the import happens on the first one).
    result = run(document.process, text_pdf([["lazy import works"]]), ".pdf")
    assert "lazy import works" in result.metadata["preview"]
