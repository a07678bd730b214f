"""PDF documents with pypdf: pages, document information, encryption and text.

Metadata: ``format`` "PDF", ``version`` ("1.7"), ``pages``, ``encrypted``,
``title`` ``author`` ``subject`` ``creator`` ``producer`` (None when absent),
``created``/``modified`` (ISO-8601), and for a readable document
``characters``, ``words``, ``preview``, ``text_pages`` (pages read),
``text_truncated`` and ``page_errors`` (1-based pages whose text could not be
extracted). An encrypted PDF that the empty password does not open is
processed with ``encrypted: true``, ``pages: null`` and no text: without the
key pypdf cannot read even the page tree.
Artefact ``text``: ``text.txt`` (UTF-8), at most TEXT_MAX_CHARS characters
from at most TEXT_MAX_PAGES pages.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError

from fileproc.config import Settings
from fileproc.errors import Corrupt
from fileproc.keys import ArtefactName
from fileproc.processors import sniff
from fileproc.processors.base import Artefact, Extraction
from fileproc.processors.streams import read_head, spooled
from fileproc.processors.textstats import TextCounter, preview, valid_unicode

PAGE_SEPARATOR = "\n\n"
MAX_INFO_TEXT = 1000
MAX_PAGE_ERRORS = 20
_VERSION = re.compile(rb"%PDF-(\d+\.\d+)")

# Garbled input makes pypdf fail in many ways besides its own errors (a bad
# offset seeks before the start of the spooled file: OSError). Its
# DependencyError (a missing crypto library) is deliberately not here: that is
# a packaging fault to surface, not a property of the file.
_PDF_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    OSError,
    struct.error,
    zlib.error,
)
_INFO_TEXT = (
    ("title", "title"),
    ("author", "author"),
    ("subject", "subject"),
    ("creator", "creator"),
    ("producer", "producer"),
)
_INFO_DATES = (("created", "creation_date"), ("modified", "modification_date"))


def process(stream: BinaryIO, *, settings: Settings) -> Extraction:
    head = read_head(stream, sniff.HEAD_BYTES)
    sniff.check(head, ".pdf")
    version = _VERSION.search(head)
    metadata: dict[str, Any] = {
        "format": "PDF",
        "version": version.group(1).decode() if version else None,
    }
    with spooled(head, stream) as file, _corrupt_on_parse_errors():
        reader = PdfReader(file)
        metadata["encrypted"] = reader.is_encrypted
        # PdfReader has already tried the empty password; this asks how it went.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            metadata.update(pages=None, **dict.fromkeys(_field_names(), None))
            return Extraction(metadata=metadata)
        pages = len(reader.pages)
        metadata["pages"] = pages
        metadata.update(_document_info(reader))
        text, pages_read, page_errors = _extract_text(reader, pages, settings)

    counter = TextCounter()
    counter.feed(text)
    metadata.update(
        characters=counter.characters,
        words=counter.words,
        preview=preview(text, settings.preview_chars),
        text_pages=pages_read,
        text_truncated=pages_read < pages or counter.characters >= settings.text_max_chars,
        page_errors=page_errors,
    )
    if not text:
        return Extraction(metadata=metadata)
    artefact = Artefact("text.txt", text.encode("utf-8"), "text/plain; charset=utf-8")
    return Extraction(metadata=metadata, artefacts={ArtefactName.TEXT: artefact}, text=text)


@contextmanager
def _corrupt_on_parse_errors() -> Iterator[None]:
    try:
        yield
    except _PDF_ERRORS as exc:
        raise Corrupt(f"damaged PDF: {exc or type(exc).__name__}") from None


def _extract_text(reader: PdfReader, pages: int, settings: Settings) -> tuple[str, int, list[int]]:
    """Text of the first pages, stopping at the page or character limit."""
    parts: list[str] = []
    characters = 0
    page_errors: list[int] = []
    pages_read = 0
    for number in range(min(pages, settings.text_max_pages)):
        pages_read += 1
        try:
            page_text = reader.pages[number].extract_text()
        except _PDF_ERRORS:
            # One broken content stream should not cost the other pages' text.
            if len(page_errors) < MAX_PAGE_ERRORS:
                page_errors.append(number + 1)
            continue
        parts.append(page_text)
        characters += len(page_text) + len(PAGE_SEPARATOR)
        if characters >= settings.text_max_chars:
            break
    text = PAGE_SEPARATOR.join(parts)[: settings.text_max_chars]
    if text.isspace():
        text = ""  # e.g. the separators between pages of a scanned document
    return valid_unicode(text), pages_read, page_errors


def _field_names() -> list[str]:
    return [key for key, _ in _INFO_TEXT] + [key for key, _ in _INFO_DATES]


def _document_info(reader: PdfReader) -> dict[str, Any]:
    """The Info dictionary's standard entries; a malformed entry reads as absent."""
    fields: dict[str, Any] = dict.fromkeys(_field_names(), None)
    try:
        info = reader.metadata
    except _PDF_ERRORS:
        return fields
    if info is None:
        return fields
    for key, attribute in _INFO_TEXT:
        try:
            value = getattr(info, attribute)
        except _PDF_ERRORS:
            continue
        if value is not None:
            fields[key] = valid_unicode(str(value))[:MAX_INFO_TEXT]
    for key, attribute in _INFO_DATES:
        try:
            value = getattr(info, attribute)
        except _PDF_ERRORS:
            continue
        if value is not None:
            fields[key] = value.isoformat()
    return fields
