"""Plain text (.txt): encoding, line, word and character counts, and a preview.

Metadata: ``format`` "TXT", ``encoding`` (Python codec name: "utf-8",
"utf-8-sig", "utf-16", "cp1252"...), ``lines``, ``words``, ``characters``
(decoded characters; a CRLF counts as one) and ``preview``. The text is read
as a stream; only its first TEXT_MAX_CHARS characters are kept (as
``Extraction.text``, for the optional summary).
"""

from __future__ import annotations

import io
from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import ContentMismatch
from fileproc.processors import charset, sniff
from fileproc.processors.base import Extraction
from fileproc.processors.streams import read_head, rejoined
from fileproc.processors.textstats import TextCounter, preview

# Small enough that the words of one chunk (split() makes a list) stay small.
READ_CHARS = 64 * 1024


def process(stream: BinaryIO, *, settings: Settings) -> Extraction:
    head = read_head(stream, charset.SAMPLE_BYTES)
    sniff.check(head, ".txt")
    encoding = charset.detect(head, complete=len(head) < charset.SAMPLE_BYTES)
    if encoding is None:
        raise ContentMismatch(
            "content does not match extension: the .txt file holds binary data, not text"
        )
    # errors="replace": a stray byte past the sample costs one character, not the file.
    text = io.TextIOWrapper(rejoined(head, stream), encoding=encoding, errors="replace")
    counter = TextCounter()
    kept: list[str] = []
    room = settings.text_max_chars
    while chunk := text.read(READ_CHARS):
        counter.feed(chunk)
        if room > 0:
            kept.append(chunk[:room])
            room -= len(kept[-1])
    start = "".join(kept)
    metadata = {
        "format": "TXT",
        "encoding": encoding,
        "lines": counter.lines,
        "words": counter.words,
        "characters": counter.characters,
        "preview": preview(start, settings.preview_chars),
    }
    return Extraction(metadata=metadata, text=start or None)
