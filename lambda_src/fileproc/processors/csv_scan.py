"""The records of a CSV text, read in blocks: plain lines are left to ``str.split``, the
rest is parsed by ``csv.reader``, so that the records are exactly csv.reader's.

Why: csv.reader costs about as much per field as profiling the field does, and
most lines of most CSV files hold no quote character. csv.reader (with no
escape character, which is how the profiler calls it) reads such a line as
``line.split(delimiter)``, and an empty line as ``[]``. So the scanner cuts the
text into blocks of whole lines and yields runs of those plain lines as they
are (``PlainLines``: the caller splits a whole run with one call and slices
columns out of it), and lists of records parsed by csv.reader for the lines
that hold a quote character (plus whatever lines a quoted field spans), or
that are longer than csv's field size limit (so its error is raised, as it
would be). csv.reader is always started at a record boundary, so it returns
the records, errors and line numbers it would return reading the whole text.

Line breaks are csv's (a text opened with ``newline=""``): "\\r\\n", "\\n" and a
lone "\\r" (classic Mac OS, Excel's "CSV (Macintosh)") each end a line. Blocks
are cut after any of them (never between the "\\r" and "\\n" of a pair), and a
block's line breaks all become "\\n" before splitting, so CR-only and mixed
files take the fast path too; inside a quoted field that changes a string
value, never its type or emptiness.

Bounds: a record (its text, quoted line breaks included) longer than
MAX_RECORD_CHARS is never materialised: it is read through in chunks to its
end (the first line break outside quotes, quote characters counted in pairs as
RFC 4180 writes them) and reported malformed. A field longer than csv's
``field_size_limit()`` (131,072 characters, left at csv's default) is
reported malformed by csv.reader, as reading the whole text would. So the text
held at once is at most a block plus one record.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

# Characters read per block: big enough that the per-block work (a few dozen
# calls per column) is small, small enough that a block's line and cell
# strings stay in the CPU cache while each column is profiled (measured on a
# mixed and a numeric 50 MB table: 64 KB was fastest, 1 MB about 25% slower).
BLOCK_CHARS = 64 * 1024
# The longest record that is parsed. The widest real tables fit (100,000
# columns of 10 characters); a record costs its text plus its cells (a cell is
# a str of ~50 bytes, so 2-character cells make ~20x the text), and a longer
# one would make the memory a function of the file's shape, not of this bound.
MAX_RECORD_CHARS = 1024 * 1024

Record = list[str]


@dataclass(frozen=True)
class PlainLines:
    """Consecutive lines without a quote character or line break: each line's record
    is ``line.split(delimiter)``, and an empty line is a blank line."""

    lines: list[str]


Piece = PlainLines | list[Record]


class Scanner:
    """Iterates over the pieces of ``text`` in order; ``on_malformed(line, error)`` is
    called for each record csv.reader rejects (``line``: its last line, 1-based)."""

    def __init__(
        self,
        text: TextIO,
        *,
        delimiter: str,
        quotechar: str,
        on_malformed: Callable[[int, str], None],
    ) -> None:
        self._text = text
        self._delimiter = delimiter
        self._quotechar = quotechar
        self._on_malformed = on_malformed
        self._lines_done = 0  # lines of the text before the current block
        quote = re.escape(quotechar)
        # The longest run of text without a line break outside quotes (possessive:
        # no backtracking, no state kept per field).
        self._balanced = re.compile(f"(?:[^{quote}\r\n]++|{quote}[^{quote}]*+{quote})*+")
        self._ended_with_cr = False
        self._skip_reason = ""  # why the record that starts the next block is skipped

    def __iter__(self) -> Iterator[list[Piece]]:
        """The pieces of each block of the text, in the order of the text."""
        carry = ""
        while True:
            block, rest, final = self._read_block(carry)
            if not block:
                return
            pieces, unparsed = self._block(block, final)
            if pieces:
                yield pieces
            # A record still open at the end of a block (a quoted field with a
            # line break cut by the block) comes back to start the next block.
            carry = unparsed + rest

    def _read_block(self, carry: str) -> tuple[str, str, bool]:
        """(whole lines, the part line after them, whether the text has ended).

        ``carry`` starts a record, and so does the text after a skipped record.
        """
        parts = [carry]
        size = len(carry)  # characters of the open record: no line break after carry
        while True:
            if size > MAX_RECORD_CHARS or self._skip_reason:
                after, final = self._skip_record("".join(parts))
                if final:
                    return "", "", True
                cut = _last_line_break(after, False)
                if cut:
                    return after[:cut], after[cut:], False
                parts, size = [after], len(after)
            chunk = self._text.read(BLOCK_CHARS)
            if not chunk:
                return "".join(parts), "", True
            parts.append(chunk)
            size += len(chunk)
            newline = _last_line_break(chunk, False)
            if newline > 0:
                text = "".join(parts)
                cut = len(text) - len(chunk) + newline
                return text[:cut], text[cut:], False

    def _skip_record(self, text: str) -> tuple[str, bool]:
        """Read through the record that starts ``text`` and goes on in the stream, and
        report it malformed: (the text after it, whether the text has ended)."""
        quoted = False
        breaks = 0  # line breaks of the record
        while True:
            end, quoted = self._record_end(text, quoted)
            if end >= 0:
                break
            breaks += _line_breaks(text)
            following = self._text.read(BLOCK_CHARS)
            if text.endswith("\r") and following.startswith("\n"):
                breaks -= 1  # one "\r\n", counted in both chunks
            text = following
            if not text:
                self._skipped(breaks + 1)
                return "", True
        breaks += _line_breaks(text[:end])
        text = text[end:]
        if not text and self._ended_with_cr:
            # The record ended at a "\r" that ended the chunk: its "\n" may follow.
            text = self._text.read(BLOCK_CHARS)
            text = text.removeprefix("\n")
        self._skipped(breaks)
        return text, False

    def _record_end(self, text: str, quoted: bool) -> tuple[int, bool]:
        """(index after the first line break outside quotes or -1, whether ``text``
        ends inside quotes), from the start of ``text`` in the given state."""
        pos = 0
        quotechar = self._quotechar
        while True:
            if quoted:
                pos = text.find(quotechar, pos)
                if pos < 0:
                    return -1, True
                pos += 1
                quoted = False
            # Unquoted text and whole quoted fields in one C-level match: a long
            # record of short quoted fields is read through at the speed of re.
            # (Never None: the pattern matches the empty string.)
            pos = self._balanced.match(text, pos).end()  # type: ignore[union-attr]
            if pos == len(text):
                return -1, False
            if text[pos] == quotechar:
                quoted = True  # a quote closed beyond this text
                pos += 1
                continue
            pos += 1  # a line break
            self._ended_with_cr = text[pos - 1] == "\r" and pos == len(text)
            if text[pos - 1] == "\r" and text.startswith("\n", pos):
                pos += 1
            return pos, False

    def _skipped(self, breaks: int) -> None:
        reason = self._skip_reason or f"record longer than {MAX_RECORD_CHARS} characters (not read)"
        self._on_malformed(self._lines_done + max(breaks, 1), reason)
        self._lines_done += breaks
        self._skip_reason = ""

    def _block(self, block: str, final: bool) -> tuple[list[Piece], str]:
        """The pieces of ``block``, and the text of a record that it leaves open."""
        if "\r" in block:
            # "\r\n" first: its "\r" is not a line break of its own.
            block = block.replace("\r\n", "\n").replace("\r", "\n")
        lines = block.split("\n")
        if not lines[-1]:
            lines.pop()  # the block ends with a line break
        special = self._special_lines(block, lines)
        if not special:
            self._lines_done += len(lines)
            return [PlainLines(lines)], ""

        # One csv.reader for the block, fed from a cursor that skips the plain
        # lines: it is only ever asked for a record at a record boundary.
        cursor = 0
        exhausted = False

        def feed() -> Iterator[str]:
            nonlocal cursor, exhausted
            while cursor < len(lines):
                line = lines[cursor]
                cursor += 1
                yield line + "\n"
            exhausted = True

        # strict: text after a closing quote is a malformed record, not glued on.
        reader = csv.reader(
            feed(), delimiter=self._delimiter, quotechar=self._quotechar, strict=True
        )
        pieces: list[Piece] = []
        records: list[Record] = []
        for index in sorted(special):
            if index < cursor:
                continue  # a line of a record parsed already
            if index > cursor:
                if records:
                    pieces.append(records)
                    records = []
                pieces.append(PlainLines(lines[cursor:index]))
                cursor = index
            while cursor < len(lines) and cursor in special:
                record_start = cursor
                try:
                    records.append(next(reader))
                except StopIteration:
                    break
                except csv.Error as exc:
                    too_long = str(exc).startswith("field larger than field limit")
                    if too_long:
                        # Not the rest of the record as records of their own (a
                        # long quoted text's lines): it is read through, not parsed.
                        self._skip_reason = str(exc)
                    if too_long or (exhausted and not final):
                        # The block ended inside a quoted field: parse it again
                        # from its first line at the start of the next block.
                        if records:
                            pieces.append(records)
                        self._lines_done += record_start
                        return pieces, "".join(line + "\n" for line in lines[record_start:])
                    self._on_malformed(self._lines_done + cursor, str(exc))
        if records:
            pieces.append(records)
        if cursor < len(lines):
            pieces.append(PlainLines(lines[cursor:]))
        self._lines_done += len(lines)
        return pieces, ""

    def _special_lines(self, block: str, lines: list[str]) -> set[int]:
        """Lines that csv.reader must see: with a quote character, or too long."""
        special: set[int] = set()
        quotechar = self._quotechar
        if quotechar in block:
            special.update(index for index, line in enumerate(lines) if quotechar in line)
        limit = csv.field_size_limit()
        if len(block) > limit and max(map(len, lines)) > limit:
            # Only a line with a field over the limit, so that csv.reader raises its
            # error: the fields of a long line are not built just to be checked.
            # (The look-behind starts a match at a field's start only: linear time.)
            delimiter = re.escape(self._delimiter)
            too_long = re.compile(f"(?<![^{delimiter}])[^{delimiter}]{{{limit + 1}}}")
            special.update(
                index
                for index, line in enumerate(lines)
                if len(line) > limit and too_long.search(line)
            )
        return special


def _last_line_break(text: str, final: bool) -> int:
    """The index after the last line break of ``text`` (0 if none). A "\\r" that ends a
    text still read may be the first half of a "\\r\\n": not a break yet."""
    end = len(text) - 1 if text.endswith("\r") and not final else len(text)
    return max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")
