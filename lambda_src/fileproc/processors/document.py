"""Document processor (.pdf .txt): routes by extension to the PDF or the plain-text reader."""

from __future__ import annotations

from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import Unsupported
from fileproc.processors import plain_text
from fileproc.processors.base import Extraction


def process(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
    if extension == ".pdf":
        # pypdfium2 (which loads the PDFium library) is a large part of a cold start:
        # imported by the first PDF, so a function that reads text files never pays it.
        from fileproc.processors import pdf

        return pdf.process(stream, settings=settings)
    if extension == ".txt":
        return plain_text.process(stream, settings=settings)
    raise Unsupported(f"the document processor does not handle {extension or 'no extension'}")
