"""Counts and previews of extracted or decoded text, shared by the document processors."""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")
_SPACES = re.compile(r"\s+")


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


class PreviewBuilder:
    """``preview(text, limit)`` of a text fed in chunks, holding at most ``limit + 1``
    characters between chunks.

    Whitespace runs are collapsed as the chunks come, as ``preview`` does, so what
    is kept is the start of the preview itself: once it holds more than ``limit``
    characters, no later chunk can change the preview.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._start = ""

    def feed(self, chunk: str) -> None:
        if len(self._start) <= self._limit:
            collapsed = _SPACES.sub(" ", self._start + chunk).lstrip()
            self._start = collapsed[: self._limit + 1]

    @property
    def preview(self) -> str:
        return preview(self._start, self._limit)


def valid_unicode(text: str) -> str:
    """``text`` without lone surrogates (a PDF font can map to them; UTF-8 cannot hold them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
