"""PDF documents with PDFium (pypdfium2): pages, document information, encryption, text
and a preview of the first page.

Metadata: ``format`` "PDF", ``version`` ("1.7", from the header), ``pages``,
``encrypted``, ``title`` ``author`` ``subject`` ``creator`` ``producer`` (None
when absent), ``created``/``modified`` (ISO-8601), ``thumbnail`` (``width``,
``height`` of the preview, None when page 1 could not be drawn), and for a
readable document ``characters``, ``words``, ``preview``, ``text_pages`` (pages
read), ``text_truncated``, ``page_errors`` (the first 20 1-based pages that could not
be loaded: each costs its own text, never the file's) and ``page_error_count``
(all of them, among the pages read). An encrypted PDF that the
empty password does not open is processed with ``encrypted: true``, ``pages:
null`` and no text: without the key not even the page tree can be read. A PDF
whose strings and streams are in clear (only its attachments are encrypted,
``/StmF /Identity``) opens without a password and is read whole.

Artefacts: ``text`` (``text.txt``, UTF-8, at most TEXT_MAX_CHARS characters from
at most TEXT_MAX_PAGES pages) and ``thumbnail`` (``thumbnail.jpg``, page 1 drawn
with its longest side THUMBNAIL_MAX_PX, the images' rule).

Memory: the object is spooled to a temporary file that PDFium reads as it needs
(never loaded whole), each page is closed before the next is loaded, a page's
text is read only up to the characters still allowed, and the preview is drawn
straight at its own size (at most THUMBNAIL_MAX_PX squared pixels), never the
page at full size; PDFium decodes the images it draws at about that size too (a
6000 x 6000 RGB image, 108 MB decoded, costs a few MB: tested). What PDFium
holds for a page's content, a font or an object stream is the PDF's own (each
is decoded whole: a 1 MB file whose content stream inflates to 1 GB needs about
2 GB), so the file's memory limit bounds it: the isolation's child limit, the
function's memory less what the function holds and a reserve (about 35 MB in a
128 MB function). PDFium aborts when an allocation fails there, and the record
says OutOfMemory with that limit (fileproc.isolation), not Crashed; the function
goes on. Not bounded beforehand by inflating the streams here: that would mean
parsing the PDF a second time by hand (and encrypted streams cannot be inflated
without their key), for a limit the child already enforces.

Why PDFium rather than pypdf: 2-3x faster on text, it reads the PDFs real
producers write that pypdf refuses (abbreviated filter names, attachment-only
encryption, broken page entries), decrypts AES itself (no cryptography wheel in
the layer) and draws pages, which pypdf cannot.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any, BinaryIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from fileproc.config import Settings
from fileproc.errors import Corrupt
from fileproc.keys import ArtefactName
from fileproc.processors import sniff
from fileproc.processors.base import Artefact, Extraction
from fileproc.processors.streams import CHUNK_BYTES, read_head
from fileproc.processors.textstats import TextCounter, preview, valid_unicode

PAGE_SEPARATOR = "\n\n"
MAX_INFO_TEXT = 1000
MAX_PAGE_ERRORS = 20
THUMBNAIL_QUALITY = 85  # as the image processor's thumbnails
# Acrobat requires the %%EOF marker within the last 1024 bytes; a file without
# one whose cross-reference table PDFium also had to rebuild was cut short.
EOF_WINDOW = 1024
_VERSION = re.compile(rb"%PDF-(\d+\.\d+)")
# PDF dates (ISO 32000-1, 7.9.4): D:YYYYMMDDHHmmSSOHH'mm', every part after the
# year optional; "Z00'00'" is a common variant of Z.
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?"
    r"(?:(Z)(?:00'?00'?)?|([+-])(\d\d)'?(?:(\d\d)'?)?)?"
)
_INFO_TEXT = (
    ("title", "Title"),
    ("author", "Author"),
    ("subject", "Subject"),
    ("creator", "Creator"),
    ("producer", "Producer"),
)
_INFO_DATES = (("created", "CreationDate"), ("modified", "ModDate"))
# What FPDF_LoadCustomDocument reports for a file it opened but cannot decrypt:
# a user password is needed, or the security handler is not the standard one
# (certificates, a DRM plug-in). Either way the file is encrypted, not damaged.
_LOCKED = frozenset({pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY})
_RENDER_FLAGS = pdfium_c.FPDF_ANNOT  # annotations (stamps, highlights) as a viewer shows them
WHITE = (255, 255, 255, 255)


def process(stream: BinaryIO, *, settings: Settings) -> Extraction:
    head = read_head(stream, sniff.HEAD_BYTES)
    sniff.check(head, ".pdf")
    version = _VERSION.search(head)
    metadata: dict[str, Any] = {
        "format": "PDF",
        "version": version.group(1).decode() if version else None,
    }
    with _spooled_to_path(head, stream) as file:
        document = _open(file)
        if document is None:
            metadata.update(encrypted=True, pages=None, thumbnail=None)
            metadata.update(dict.fromkeys(_field_names(), None))
            return Extraction(metadata=metadata)
        try:
            metadata["encrypted"] = pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1
            pages = len(document)
            metadata["pages"] = pages
            metadata.update(_document_info(document))
            reading = _read_pages(document, pages, settings)
        finally:
            document.close()

    text = reading.text
    counter = TextCounter()
    counter.feed(text)
    metadata.update(
        thumbnail=reading.thumbnail_size,
        characters=counter.characters,
        words=counter.words,
        preview=preview(text, settings.preview_chars),
        text_pages=reading.pages_read,
        text_truncated=reading.pages_read < pages or counter.characters >= settings.text_max_chars,
        page_errors=reading.page_errors,
        page_error_count=reading.page_error_count,
    )
    artefacts: dict[str, Artefact] = {}
    if reading.thumbnail is not None:
        artefacts[ArtefactName.THUMBNAIL] = Artefact(
            "thumbnail.jpg", reading.thumbnail, "image/jpeg"
        )
    if not text:
        return Extraction(metadata=metadata, artefacts=artefacts)
    artefacts[ArtefactName.TEXT] = Artefact(
        "text.txt", text.encode("utf-8"), "text/plain; charset=utf-8"
    )
    return Extraction(metadata=metadata, artefacts=artefacts, text=text)


@contextmanager
def _spooled_to_path(head: bytes, stream: BinaryIO) -> Iterator[IO[bytes]]:
    """``head`` + the rest of ``stream`` in a named temporary file (Lambda's /tmp),
    deleted on exit. PDFium reads a path with its own file access; a Python file
    object would cost a ctypes callback into Python on every read."""
    with tempfile.NamedTemporaryFile(prefix="fileproc-", suffix=".pdf") as file:
        file.write(head)
        while chunk := stream.read(CHUNK_BYTES):
            file.write(chunk)
        file.flush()
        yield file


def _open(file: IO[bytes]) -> pdfium.PdfDocument | None:
    """The document, None if it is encrypted and the empty password does not open it;
    Corrupt if PDFium cannot read it or it was cut short."""
    try:
        document = pdfium.PdfDocument(file.name)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in _LOCKED:
            return None
        raise Corrupt(f"damaged PDF: {_reason(exc)}") from None
    if not pdfium_c.FPDF_DocumentHasValidCrossReferenceTable(document) and _truncated(file):
        document.close()
        raise Corrupt(
            f"damaged PDF: truncated (no %%EOF in its last {EOF_WINDOW} bytes, and its "
            "cross-reference table does not match the file)"
        )
    return document


def _reason(exc: pdfium.PdfiumError) -> str:
    # "Failed to load document (PDFium: Data format error)." -> "data format error"
    found = re.search(r"PDFium: ([^)]+)", str(exc))
    return found.group(1).lower() if found else str(exc)


def _truncated(file: IO[bytes]) -> bool:
    size = file.seek(0, io.SEEK_END)
    file.seek(max(0, size - EOF_WINDOW))
    return b"%%EOF" not in file.read(EOF_WINDOW)


class _Reading:
    """What one pass over the first pages gives: their text, the preview of page 1."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.pages_read = 0
        self.page_errors: list[int] = []
        self.page_error_count = 0
        self.thumbnail: bytes | None = None
        self.thumbnail_size: dict[str, int] | None = None

    @property
    def text(self) -> str:
        text = PAGE_SEPARATOR.join(self.parts)[: self.max_chars]
        if text.isspace():
            text = ""  # e.g. the separators between pages of a scanned document
        return valid_unicode(text)


def _read_pages(document: pdfium.PdfDocument, pages: int, settings: Settings) -> _Reading:
    """Text of the first pages up to the page and character limits; page 1 drawn."""
    reading = _Reading(settings.text_max_chars)
    length = 0  # of the text so far, separators included
    for number in range(min(pages, settings.text_max_pages)):
        reading.pages_read += 1
        try:
            page = document[number]
        except pdfium.PdfiumError:
            # A page entry PDFium cannot load costs that page's text, not the file.
            reading.page_error_count += 1
            if len(reading.page_errors) < MAX_PAGE_ERRORS:
                reading.page_errors.append(number + 1)
            continue
        try:
            if number == 0:
                _draw_thumbnail(page, settings.thumbnail_max_px, reading)
            page_text = _page_text(page, settings.text_max_chars - length)
        finally:
            page.close()
        reading.parts.append(page_text)
        length += len(page_text) + len(PAGE_SEPARATOR)
        if length >= settings.text_max_chars:
            break
    return reading


def _page_text(page: pdfium.PdfPage, room: int) -> str:
    """The page's text, read only as far as ``room`` characters need (PDFium ends lines
    with CRLF, made LF here: twice the room read covers any number of them)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()  # -1 when PDFium could not read the page's text
        if count <= 0:
            return ""
        text: str = textpage.get_text_range(0, min(count, 2 * room + 1))
    finally:
        textpage.close()
    return text.replace("\r\n", "\n")


def _draw_thumbnail(page: pdfium.PdfPage, max_px: int, reading: _Reading) -> None:
    width, height = page.get_size()  # points, after the page's /Rotate
    size = fit_box(width, height, max_px)
    if size is None:
        return  # a degenerate page box (zero, negative, not a number): nothing to draw
    bitmap = pdfium.PdfBitmap.new_native(*size, pdfium_c.FPDFBitmap_BGR)
    try:
        bitmap.fill_rect(WHITE, 0, 0, *size)
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, *size, 0, _RENDER_FLAGS)
        image = bitmap.to_pil()
        body = io.BytesIO()
        image.save(body, "JPEG", quality=THUMBNAIL_QUALITY)
    finally:
        bitmap.close()
    reading.thumbnail = body.getvalue()
    reading.thumbnail_size = {"width": size[0], "height": size[1]}


def fit_box(width: float, height: float, max_px: int) -> tuple[int, int] | None:
    """Pixel size of a ``width`` x ``height`` page drawn with its longest side ``max_px``
    (a page has no pixel size of its own: it is drawn at the scale that fits the box);
    None for a page box that cannot be drawn."""
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        return None
    scale = max_px / max(width, height)
    return max(1, min(max_px, round(width * scale))), max(1, min(max_px, round(height * scale)))


def _field_names() -> list[str]:
    return [key for key, _ in _INFO_TEXT] + [key for key, _ in _INFO_DATES]


def _document_info(document: pdfium.PdfDocument) -> dict[str, Any]:
    """The Info dictionary's standard entries; an empty or malformed entry reads as absent."""
    info = {name: _info_text(document, name) for name in pdfium.PdfDocument.METADATA_KEYS}
    fields: dict[str, Any] = dict.fromkeys(_field_names(), None)
    for key, name in _INFO_TEXT:
        value = info.get(name)
        if value:
            fields[key] = valid_unicode(value)[:MAX_INFO_TEXT]
    for key, name in _INFO_DATES:
        fields[key] = pdf_date(info.get(name) or "")
    return fields


def _info_text(document: pdfium.PdfDocument, name: str) -> str:
    """One Info entry as PDFium gives it (UTF-16LE), decoded with replacement: a lone
    surrogate in a title made pypdfium2's strict decode raise, losing the whole file."""
    key = name.encode("ascii") + b"\x00"
    size = pdfium_c.FPDF_GetMetaText(document, key, None, 0)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDF_GetMetaText(document, key, buffer, size)
    return buffer.raw[: max(size - 2, 0)].decode("utf-16-le", errors="replace")


def pdf_date(text: str) -> str | None:
    """A PDF date string as ISO-8601 (with its offset when it has one); None if unusable."""
    found = _PDF_DATE.fullmatch(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, off_hours, off_minutes = found.groups()
    zone = None
    if zulu:
        zone = UTC
    elif sign:
        offset = timedelta(hours=int(off_hours), minutes=int(off_minutes or 0))
        try:
            zone = timezone(-offset if sign == "-" else offset)
        except ValueError:
            return None  # an offset of a day or more
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return moment.isoformat()
