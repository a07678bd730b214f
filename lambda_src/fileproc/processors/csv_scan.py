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
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

# Characters read per block: big enough that the per-block work (a few dozen
# calls per column) is small, small enough that a block's line and cell
# strings stay in the CPU cache while each column is profiled (measured on a
# mixed and a numeric 50 MB table: 64 KB was fastest, 1 MB about 25% slower).
BLOCK_CHARS = 64 * 1024

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
        """(whole lines, the part line after them, whether the text has ended)."""
        parts = [carry]
        while True:
            chunk = self._text.read(BLOCK_CHARS)
            if not chunk:
                return "".join(parts), "", True
            parts.append(chunk)
            # A "\r" that ends the chunk may be the first half of a "\r\n".
            end = len(chunk) - 1 if chunk.endswith("\r") else len(chunk)
            newline = max(chunk.rfind("\n", 0, end), chunk.rfind("\r", 0, end))
            if newline >= 0:
                text = "".join(parts)
                cut = len(text) - len(chunk) + newline + 1
                return text[:cut], text[cut:], False

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
                    if exhausted and not final:
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
            special.update(index for index, line in enumerate(lines) if len(line) > limit)
        return special
