"""UTF-8 JSON Lines and JSON arrays read with msgspec, in blocks; the scanner has the last word.

json_profile's scanner decodes every value with Python's json and walks the
text around it in Python: about 30-45 MB/s on records. msgspec (BSD-3-Clause, a
C decoder; BENCHMARKS.md's "JSON engine" says why this one) decodes the same
records several times faster. It is used only where its answer is exactly the
scanner's:

- msgspec is strict RFC 8259 like the scanner: NaN, Infinity, comments,
  trailing commas, control characters in strings, invalid UTF-8 are refused;
  integers of any length (up to Python's digit limit) are integers, floats
  floats, duplicate keys keep the last value in the first key's place, as
  Python's json does. Nesting deeper than Python's recursion limit is a
  RecursionError in both.
- What msgspec refuses is not a verdict: that line (JSON Lines) or the rest of
  the file (an array) goes to the scanner, which accepts what it accepts (a
  lone surrogate, 1e999 read as infinity) and reports the fault with its line
  and column. A profile is never msgspec's guess.

JSON Lines: blocks of whole lines (READ_BYTES at a time), each non-blank line
decoded on its own. A line longer than MAX_VALUE_CHARS characters is TooLarge,
as in the scanner; memory holds a block and at most one such line.

A JSON array: the bytes after "[" are cut at a separator (the last "," in the
block that looks like one between elements) and ``[`` + the part before it +
``]`` is decoded in one call. A wrong cut cannot be taken for a right one: a
"," inside a string leaves that string open, one inside an element leaves a
bracket open, and either is a fault, so a part that decodes is a run of whole
elements. A part is at most MAX_VALUE_CHARS bytes (no element in it can be
over the bound); a fault, a cut that never comes within that, or a part with no
element hand the rest of the file to the scanner, at its line and column. A
top-level object or scalar is the scanner's from the start.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO, NoReturn

import msgspec

from fileproc.errors import InvalidJson
from fileproc.processors import json_profile
from fileproc.processors.json_profile import BLANK, Summary, Window, line_value
from fileproc.processors.streams import rejoined

BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\n\r"
# A separator between two elements that are objects or arrays: "}," or "]," then "{" or
# "[" (the second group, the element's first byte, is checked against the first element's).
_CONTAINER_SEPARATOR = re.compile(rb"[}\]][ \t\n\r]*(,)[ \t\n\r]*([{\[])")
# Elements are decoded about this many bytes at a time: msgspec is fastest on small
# parts (a list of 100 records decodes 1.7x faster a record than one of 6,000,
# which the cyclic garbage collector walks again and again while it grows).
PART_BYTES = 16 * 1024
# Separators tried for one part before the rest of the file goes to the scanner.
RETRIES = 8
_NO_SEPARATOR = -2
# JSON Lines decoded in one C loop (as for array parts, a small list decodes faster a
# record than a big one).
LINES_PER_RUN = 100
# What msgspec raises on bytes it does not take (DecodeError, ValidationError: both
# msgspec.MsgspecError) or nests too deeply.
_REFUSED = (msgspec.MsgspecError, RecursionError, ValueError)


_TEXT_DECODER = msgspec.json.Decoder()


def decode_part(text: str) -> list[Any] | None:
    """The scanner's part decoder (Window.decode_part): a run of elements as a list, or
    None where msgspec refuses it."""
    try:
        values = _TEXT_DECODER.decode(text)
    except _REFUSED:
        return None
    return values if type(values) is list else None


def scanner_window(raw: Any, encoding: str, *, line: int = 1, column: int = 0) -> Window:
    window = Window(raw, encoding, line=line, column=column)
    window.decode_part = decode_part
    return window


def profile(raw: BinaryIO, *, lines: bool, bom: bool) -> dict[str, Any]:
    """The JSON profile of UTF-8 bytes (after the BOM if ``bom``): json_profile's fields
    and ``engine``."""
    decoder = msgspec.json.Decoder()
    if lines:
        return _Lines(raw, decoder.decode).profile(skip=len(BOM) if bom else 0)
    return _document(raw, decoder.decode, bom=bom)


# ---------------------------------------------------------------- JSON Lines


class _Lines:
    def __init__(self, raw: BinaryIO, decode: Any) -> None:
        self.raw, self.decode = raw, decode
        self.summary = Summary()
        self.blank_lines = 0
        self.line = 1  # number of the next line
        self.scanner_lines = 0

    def profile(self, skip: int) -> dict[str, Any]:
        self.raw.read(skip)  # the BOM
        rest = b""
        while True:
            chunk = self.raw.read(max(json_profile.READ_BYTES, len(rest)))
            data = rest + chunk if rest else chunk
            if not chunk:
                if data:
                    self._block([data])
                break
            if data.find(b"\n", len(rest)) < 0:
                rest = data
                self._check_length(rest, self.line)
                continue
            lines = data.split(b"\n")
            rest = lines.pop()  # the start of a line that the next read ends
            if len(data) > json_profile.MAX_VALUE_CHARS:
                for index, line in enumerate(lines):
                    self._check_length(line, self.line + index)
            del data, chunk  # held only as lines from here
            self._block(lines)
        return {
            "top_level": "lines",
            **self.summary.describe_records(),
            "blank_lines": self.blank_lines,
            "engine": "msgspec+scanner" if self.scanner_lines else "msgspec",
        }

    def _block(self, lines: list[bytes]) -> None:
        add_many, decode = self.summary.add_many, self.decode
        # Runs of LINES_PER_RUN lines decoded by a C loop; a run with a line that
        # msgspec refuses (or a blank one) is read line by line.
        for start in range(0, len(lines), LINES_PER_RUN):
            run = lines[start : start + LINES_PER_RUN]
            try:
                values = list(map(decode, run))
            except _REFUSED:
                self._one_by_one(run, self.line + start)
            else:
                add_many(values)
        self.line += len(lines)

    def _one_by_one(self, lines: list[bytes], first: int) -> None:
        add, decode = self.summary.add, self.decode
        for index, line in enumerate(lines):
            try:
                value = decode(line)
            except _REFUSED:
                self._by_scanner(line, first + index)
            else:
                add(value)

    def _by_scanner(self, line: bytes, number: int) -> None:
        """A line msgspec refused (or a blank one): the scanner's verdict."""
        self.scanner_lines += 1
        text = _text(line, number)

        def fail(message: str, index: int) -> NoReturn:
            raise _invalid(number, index + 1, message)

        value = line_value(text, fail)
        if value is BLANK:
            self.blank_lines += 1
        else:
            self.summary.add(value)

    @staticmethod
    def _check_length(line: bytes, number: int) -> None:
        """Bytes are at least as many as characters: these are counted only past the bound."""
        limit = json_profile.MAX_VALUE_CHARS
        if len(line) > limit and len(_text(line, number)) > limit:
            raise json_profile.too_large("line", number, 1)


def _text(line: bytes, number: int) -> str:
    """A line's text; bytes that are not UTF-8 are InvalidJson where the scanner puts them."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(line[: exc.start].decode("utf-8")) + 1
        raise _invalid(
            number, column, f"not valid utf-8 text (byte 0x{line[exc.start]:02x})"
        ) from None


def _invalid(line: int, column: int, message: str) -> InvalidJson:
    return InvalidJson(f"invalid JSON at line {line}, column {column}: {message}")


# ---------------------------------------------------------------- JSON documents


def _document(raw: BinaryIO, decode: Any, *, bom: bool) -> dict[str, Any]:
    """A top-level array read by msgspec; anything else by the scanner from the start."""
    head = raw.read(json_profile.READ_BYTES)
    start = len(BOM) if bom else 0
    while True:
        first = _first_non_whitespace(head, start)
        if first >= 0:
            break
        more = raw.read(max(json_profile.READ_BYTES, len(head)))
        if not more:
            break
        head += more
    if first < 0 or head[first : first + 1] != b"[":
        return _scanner(rejoined(head, raw), bom=bom)
    array = _Array(raw, decode, head, first, bom)
    del head  # the array's buffer holds what it needs
    return array.profile()


def _first_non_whitespace(data: bytes, start: int) -> int:
    stripped = data[start:].lstrip(_WHITESPACE)
    return len(data) - len(stripped) if stripped else -1


def _scanner(raw: Any, *, bom: bool) -> dict[str, Any]:
    window = scanner_window(raw, "utf-8-sig" if bom else "utf-8")
    return {**json_profile.walk_document(window), "engine": "scanner"}


class _Array:
    def __init__(self, raw: BinaryIO, decode: Any, head: bytes, bracket: int, bom: bool) -> None:
        self.raw, self.decode, self.bom = raw, decode, bom
        self.prefix = head[: bracket + 1]  # what precedes the buffer, while nothing is consumed
        self.buffer = head[bracket + 1 :]  # unread bytes, after "[" or a separator
        self.line, self.column = 1, 0  # where buffer[0] is (column: characters before it)
        self._advance(head[len(BOM) if bom else 0 : bracket + 1])
        self.summary = Summary()
        self.consumed = False  # elements read: buffer starts after a separator
        self.eof = False
        self.starter = b""  # the first byte of the first element

    def profile(self) -> dict[str, Any]:
        while True:
            if not self.starter:
                first = _first_non_whitespace(self.buffer, 0)
                if first >= 0:
                    self.starter = self.buffer[first : first + 1]
            start = 0  # of the next part
            while (cut := self._separator(start + PART_BYTES)) >= 0:
                end = self._part(start, cut)
                if end == _NO_SEPARATOR:
                    break  # the rest waits for more bytes (or is the last part)
                if end < 0:
                    self._consume(start)
                    return self._hand_over()
                start = end + 1
                self.consumed = True
            self._consume(start)
            if self.eof:
                return self._last_part()
            if len(self.buffer) > PART_BYTES + json_profile.MAX_VALUE_CHARS:
                return self._hand_over()  # no separator within the bound: the scanner's
            self._read()

    def _part(self, start: int, cut: int) -> int:
        """Decode the elements from ``start`` to a separator at or after ``cut``; the
        separator's index, _NO_SEPARATOR when the buffer has no more to try, or -1. A ","
        inside an element fails to decode: the next separators are tried (RETRIES in all)."""
        for _ in range(RETRIES):
            if cut - start > json_profile.MAX_VALUE_CHARS:
                return -1
            if self._decoded(self.buffer[start:cut], at_end=False):
                return cut
            cut = self._separator(cut + 1)
            if cut < 0:
                return _NO_SEPARATOR
        return -1

    def _read(self) -> None:
        more = self.raw.read(max(json_profile.READ_BYTES, len(self.buffer)))
        if more:
            self.buffer += more
        else:
            self.eof = True

    def _consume(self, end: int) -> None:
        if end:
            self._advance(self.buffer[:end])
            self.buffer = self.buffer[end:]

    def _separator(self, since: int) -> int:
        """Index of the first "," from ``since`` that may separate two elements; -1 if none."""
        buffer = self.buffer
        if since >= len(buffer):
            return -1
        if self.starter in (b"{", b"["):
            while found := _CONTAINER_SEPARATOR.search(buffer, since):
                if found[2] == self.starter:
                    return found.start(1)
                since = found.start(2)
            return -1
        return buffer.find(b",", since)

    def _decoded(self, part: bytes, *, at_end: bool) -> bool:
        """Decode ``part`` (whole elements, then "]" if ``at_end``) into the summary."""
        try:
            values = self.decode(b"[" + part if at_end else b"[" + part + b"]")
        except _REFUSED:
            return False
        if not values and (self.consumed or not at_end):
            return False  # "[," or ",]": no element where one must be
        self.summary.add_many(values)
        return True

    def _last_part(self) -> dict[str, Any]:
        """The end of the file: the last elements, "]" and whitespace."""
        if len(self.buffer) > json_profile.MAX_VALUE_CHARS or not self._decoded(
            self.buffer, at_end=True
        ):
            return self._hand_over()
        return {
            "top_level": "array",
            **self.summary.describe_records(),
            "engine": "msgspec",
        }

    def _hand_over(self) -> dict[str, Any]:
        """The scanner reads the rest of the file (all of it if nothing was consumed)."""
        # The buffer moves to the scanner's stream: held once, and dropped as it is read.
        buffer, self.buffer = self.buffer, b""
        if not self.consumed:
            buffer = self.prefix + buffer
            return _scanner(rejoined(buffer, self.raw), bom=self.bom)
        window = scanner_window(
            rejoined(buffer, self.raw), "utf-8", line=self.line, column=self.column
        )
        profile = json_profile.rest_of_array(window, self.summary)
        return {**profile, "engine": "msgspec+scanner"}

    def _advance(self, consumed: bytes) -> None:
        """Move the position of buffer[0] past ``consumed`` (valid UTF-8)."""
        newline = consumed.rfind(b"\n")
        if newline < 0:
            self.column += len(consumed.decode("utf-8", "replace"))
        else:
            self.line += consumed.count(b"\n")
            self.column = len(consumed[newline + 1 :].decode("utf-8", "replace"))
