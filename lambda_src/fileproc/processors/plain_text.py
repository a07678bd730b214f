"""Plain text (.txt): encoding, line, word and character counts, and a preview.

Metadata: ``format`` "TXT", ``encoding`` (Python codec name: "utf-8",
"utf-8-sig", "utf-16", "cp1252", "iso8859-2", "cp037"...: the best guess),
``encoding_confidence`` (0..1; 1.0 for a byte-order mark or valid UTF-8),
``lines``, ``words``, ``characters``
(decoded characters; a CRLF counts as one) and ``preview``. The text is read
as a stream, and only what is needed is kept: the preview's characters, and,
when the AI summary is on, the first BEDROCK_MAX_INPUT_CHARS characters (the
model's input, as ``Extraction.text``). A text file has no text artefact: it is
its own text. Text without binary signatures (see ``charset``) is text: bytes
the guessed encoding cannot decode become U+FFFD, never a refusal.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import ContentMismatch
from fileproc.processors import charset, sniff
from fileproc.processors.base import Extraction
from fileproc.processors.streams import read_head, rejoined
from fileproc.processors.textstats import PreviewBuilder, TextCounter

# Small enough that the words of one chunk (split() makes a list) stay small.
READ_CHARS = 64 * 1024


def process(stream: BinaryIO, *, settings: Settings) -> Extraction:
    head = read_head(stream, charset.SAMPLE_BYTES)
    sniff.check(head, ".txt")
    guess = charset.guess(head, complete=len(head) < charset.SAMPLE_BYTES)
    if guess is None:
        raise ContentMismatch(
            "content does not match extension: the .txt file holds binary data, not text"
        )
    # errors="replace": a stray byte past the sample costs one character, not the file.
    text = io.TextIOWrapper(rejoined(head, stream), encoding=guess.encoding, errors="replace")
    counter = TextCounter()
    start = PreviewBuilder(settings.preview_chars)
    summary_input: list[str] = []
    room = settings.bedrock_max_input_chars if settings.bedrock_enabled else 0
    while chunk := text.read(READ_CHARS):
        counter.feed(chunk)
        start.feed(chunk)
        if room > 0:
            summary_input.append(chunk[:room])
            room -= len(summary_input[-1])
    metadata = {
        "format": "TXT",
        "encoding": guess.encoding,
        "encoding_confidence": guess.confidence,
        "lines": counter.lines,
        "words": counter.words,
        "characters": counter.characters,
        "preview": start.preview,
    }
    return Extraction(metadata=metadata, text="".join(summary_input) or None)
