"""Counts and previews of extracted or decoded text, shared by the document processors."""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")


class TextCounter:
    """Lines, words and characters of a text fed in chunks.

    A word cut by a chunk boundary is counted once; a last line without a
    final newline still counts as a line.
    """

    def __init__(self) -> None:
        self.characters = 0
        self.words = 0
        self._newlines = 0
        self._in_word = False
        self._ends_with_newline = False

    def feed(self, chunk: str) -> None:
        if not chunk:
            return
        self.characters += len(chunk)
        self._newlines += chunk.count("\n")
        words = len(chunk.split())
        if words and self._in_word and not chunk[0].isspace():
            words -= 1
        self.words += words
        self._in_word = not chunk[-1].isspace()
        self._ends_with_newline = chunk[-1] == "\n"

    @property
    def lines(self) -> int:
        partial_last_line = self.characters > 0 and not self._ends_with_newline
        return self._newlines + partial_last_line


def preview(text: str, limit: int) -> str:
    """The start of ``text``, whitespace runs collapsed to one space, at most ``limit`` chars."""
    words: list[str] = []
    length = -1
    for match in _WORD.finditer(text):
        if length >= limit:
            break
        words.append(match.group())
        length += len(words[-1]) + 1
    return " ".join(words)[:limit]


def valid_unicode(text: str) -> str:
    """``text`` without lone surrogates (a PDF font can map to them; UTF-8 cannot hold them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
