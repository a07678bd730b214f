"""CSV (.csv): dialect, header, row and column counts and a profile of every column.

Metadata: ``format`` "CSV", ``encoding``, ``dialect`` (``delimiter``,
``quotechar``), ``header``, ``rows`` (data records, header and blank lines
excluded), ``columns`` (fields of the first record), ``column_profiles``
(``name``, ``type`` integer|float|boolean|date|string, ``empty`` (fields
with nothing between the delimiters) and, for numbers, ``min`` ``max``
``mean``; the first MAX_PROFILED_COLUMNS columns,
``columns_truncated`` says if there were more), ``blank_lines``,
``ragged_rows`` (records with another number of fields: ``count`` and
``examples`` of ``{row, fields}``) and ``malformed_rows`` (records the parser
rejects, e.g. text after a closing quote: ``count`` and ``examples`` of
``{line, error}``). Ragged and malformed records are reported, not fatal; the
column profiles cover the well-formed records. ``engine`` says what produced
the profile: "duckdb" (csv_engine: a large UTF-8 file whose profile DuckDB can
prove is this module's, with ``distinct_approx``, ``quantiles`` and
``top_values`` added to the columns) or "scanner" (this module;
``engine_fallback`` says why DuckDB was not used when it was tried).

Speed and memory: csv_scan reads the text in blocks of whole lines and leaves
the lines without a quote character to ``str.split`` (csv.reader parses the
others), so a block of records of the table's width becomes one flat list of
cells, and each column is a slice of it. Each column is profiled with C-level
passes (``map(int, ...)``, ``min``, ``max``, ``count``): a column's type only
widens (integer -> float -> string, boolean or date -> string), so a typed
column costs one conversion pass per block, and a string column only a count
of its empty cells. Memory stays flat whatever the file's size.

Bounds (what makes the peak a function of settings, not of the file's shape):
a record longer than csv_scan.MAX_RECORD_CHARS (1 Mi characters) and a field
longer than csv's field size limit (128 Ki characters) are counted in
``malformed_rows`` and read through without being built; only the first
MAX_PROFILED_COLUMNS cells of a record are split out of a plain line; the
header sample stops at HEADER_SAMPLE_CHARS. The text and cells held at once are
a block plus about two records: at worst (a record of 1 Mi characters of short
quoted fields, each a Python str) about 60 bytes a character, so ~64 MB, and a
few MB for ordinary tables.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, TextIO

from fileproc.errors import ContentMismatch
from fileproc.processors import charset, csv_engine, sniff
from fileproc.processors.base import MAX_NAME_CHARS, Extraction
from fileproc.processors.csv_scan import Piece, PlainLines, Record, Scanner
from fileproc.processors.streams import read_head, rejoined

DELIMITERS = ",;\t|"
SNIFF_CHARS = 16 * 1024
HEADER_SAMPLE_ROWS = 50
# The header sample also stops at this many characters of records, so that it
# holds a few records of a very wide table, not 50 records of up to
# csv_scan.MAX_RECORD_CHARS each.
HEADER_SAMPLE_CHARS = 256 * 1024
MAX_PROFILED_COLUMNS = 200
MAX_EXAMPLES = 10
MAX_REASON_CHARS = 200
_BOOLEANS = frozenset({"true", "false"})


class Kind(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    STRING = "string"


def process(stream: BinaryIO, *, size: int | None = None, engine: bool = True) -> Extraction:
    """The profile of the CSV in ``stream`` (``size`` bytes, if known). Through DuckDB
    (csv_engine) when ``engine`` and the file is large enough to pay for loading it and
    fits the temporary directory, and DuckDB's answer is provably the scanner's;
    through the scanner otherwise. ``engine`` in the metadata says which."""
    head = read_head(stream, charset.SAMPLE_BYTES)
    sniff.check(head, ".csv")
    complete = len(head) < charset.SAMPLE_BYTES
    encoding = charset.detect_with_stray_nuls(head, complete=complete)
    if encoding is None:
        raise ContentMismatch(
            "content does not match extension: the .csv file holds binary data, not text"
        )
    delimiter, quotechar = sniff_dialect(_sample_text(head, encoding, complete))
    metadata: dict[str, Any] = {
        "format": "CSV",
        "encoding": encoding,
        "dialect": {"delimiter": delimiter, "quotechar": quotechar},
    }
    known = size if size is not None else len(head) if complete else None
    if (
        engine
        and encoding in csv_engine.UTF8_ENCODINGS
        and known is not None
        and known >= csv_engine.ENGINE_MIN_BYTES
        and csv_engine.spool_fits(known)
        and csv_engine.memory_allows()
    ):
        check = csv_engine.ByteCheck(delimiter.encode(), quotechar.encode())
        with csv_engine.spooled(head, stream, check) as file:
            try:
                metadata.update(_through_engine(file.name, check, delimiter, quotechar))
                return Extraction(metadata=metadata)
            except csv_engine.NotExact as exc:
                reason = str(exc)
            with open(file.name, "rb") as again:
                metadata.update(_scanned(again, encoding, delimiter, quotechar))
            metadata["engine_fallback"] = reason[:MAX_REASON_CHARS]
            return Extraction(metadata=metadata)
    metadata.update(_scanned(rejoined(head, stream), encoding, delimiter, quotechar))
    return Extraction(metadata=metadata)


def _through_engine(
    path: str, check: csv_engine.ByteCheck, delimiter: str, quotechar: str
) -> dict[str, Any]:
    refusal = check.refusal()
    if refusal:
        raise csv_engine.NotExact(refusal)
    # The records the scanner decides the header on (HEADER_SAMPLE_ROWS, or fewer
    # once they reach HEADER_SAMPLE_CHARS) must all be in the head it profiles.
    with open(path, "rb") as spooled:
        first = spooled.read(csv_engine.HEAD_BYTES)
    complete = check.size == len(first)
    text = first.decode("utf-8-sig", errors="replace")
    with _cycle_collector_paused():
        head_info = csv_engine.head(
            text, delimiter=delimiter, quotechar=quotechar, complete=complete
        )
    profile = csv_engine.profile(path, head_info, check, delimiter=delimiter, quotechar=quotechar)
    return {**profile, "engine": "duckdb"}


def _scanned(raw: BinaryIO, encoding: str, delimiter: str, quotechar: str) -> dict[str, Any]:
    # newline="" as the csv module requires: quoted fields may hold line breaks.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    # Not the sniffed dialect: its doublequote=False only means that the sample
    # had no doubled quote, and RFC 4180 escaping must still work further on.
    with _cycle_collector_paused():
        profile = profile_text(text, delimiter=delimiter, quotechar=quotechar)
    return {**profile, "engine": "scanner"}


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a profile.

    Every record is a list, which the collector tracks; with a batch of them
    alive it runs every few hundred records, for about a tenth of the
    profiling time, though records never form cycles (reference counting frees
    them, so memory stays flat).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sample_text(head: bytes, encoding: str, complete: bool) -> str:
    text = head.decode(encoding, errors="replace")[:SNIFF_CHARS]
    # csv.Sniffer splits lines at "\n" only: a CR-only file would be one line to it.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if complete and len(text) < SNIFF_CHARS:
        return text
    # Whole lines only: a cut line would look like a different dialect.
    last_newline = text.rfind("\n")
    return text[:last_newline] if last_newline > 0 else text


def sniff_dialect(sample: str) -> tuple[str, str]:
    """(delimiter, quotechar) of the sample; the RFC 4180 comma and double quote if unclear."""
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return ",", '"'
    return dialect.delimiter, dialect.quotechar or '"'


@dataclass
class _Examples:
    """A count and its first few examples."""

    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, example: dict[str, Any]) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "examples": self.examples}


def profile_text(text: TextIO, *, delimiter: str, quotechar: str) -> dict[str, Any]:
    """Counts and column profiles of the records that ``csv.reader(text, delimiter=...,
    quotechar=..., strict=True)`` gives, at a fraction of its cost: see csv_scan for how
    the records are found (tests/unit/processors/test_csv_scan.py compares the two)."""
    malformed = _Examples()
    scanner = Scanner(
        text,
        delimiter=delimiter,
        quotechar=quotechar,
        on_malformed=lambda line, error: malformed.add({"line": line, "error": error}),
    )
    builder = _Builder(delimiter=delimiter)
    for pieces in scanner:
        builder.add_block(pieces)
    return builder.result(malformed)


class _Builder:
    """Feeds pieces of the text to a table, once the first records have said what it is."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.table: _Table | None = None
        self._pending: list[Record] = []  # records before the table starts
        self._pending_chars = 0
        self._leading_blank_lines = 0

    def add(self, records: list[Record]) -> None:
        if self.table is not None:
            self.table.add(records)
            return
        self._pending += records
        self._pending_chars += sum(map(_record_chars, records))
        self._start(final=False)

    def add_block(self, pieces: list[Piece]) -> None:
        if self.table is not None:
            self.table.add_block(pieces)
            return
        for records in _records_in_order(pieces, self.delimiter):
            self.add(records)

    def _start(self, *, final: bool) -> None:
        """Start the table from the first sample of HEADER_SAMPLE_ROWS records that holds
        a record; the records before the first one are blank lines."""
        while self.table is None and (
            len(self._pending) >= HEADER_SAMPLE_ROWS
            or self._pending_chars >= HEADER_SAMPLE_CHARS
            or (final and self._pending)
        ):
            sample = self._pending[:HEADER_SAMPLE_ROWS]
            rest = self._pending[HEADER_SAMPLE_ROWS:]
            self._pending = rest
            self._pending_chars = sum(map(_record_chars, rest))
            first = next((index for index, record in enumerate(sample) if record), None)
            if first is None:
                self._leading_blank_lines += len(sample)
                continue
            self._leading_blank_lines += first
            self.table = _Table.start(sample[first:], self.delimiter)
            self._pending = []
            self.table.add(sample[first + (1 if self.table.header else 0) :])
            self.table.add(rest)

    def result(self, malformed: _Examples) -> dict[str, Any]:
        self._start(final=True)
        table = self.table or _Table(width=0, header=False, columns=[], delimiter=",")
        result = table.describe()
        result["blank_lines"] += self._leading_blank_lines
        result["malformed_rows"] = malformed.as_dict()
        return result


@dataclass
class _Table:
    width: int
    header: bool
    columns: list[_Column]
    delimiter: str
    rows: int = 0
    blank_lines: int = 0
    ragged: _Examples = field(default_factory=_Examples)

    @classmethod
    def start(cls, records: list[Record], delimiter: str) -> _Table:
        first = records[0]
        header = has_header(records)
        # Names for the profiled columns only: a record may have a million fields.
        profiled = first[:MAX_PROFILED_COLUMNS]
        names = (
            [name.strip()[:MAX_NAME_CHARS] for name in profiled]
            if header
            else [f"column_{number}" for number in range(1, len(profiled) + 1)]
        )
        columns = list(map(_Column, names))
        return cls(width=len(first), header=header, columns=columns, delimiter=delimiter)

    def add(self, records: list[Record]) -> None:
        if not records:
            return
        if len(records[0]) == self.width and len(set(map(len, records))) == 1:
            good = records
            self.rows += len(records)
        else:
            good = self._sort_out(records)
        if good:
            # zip(*good) yields columns lazily: only the profiled ones are built.
            for column, values in zip(self.columns, zip(*good, strict=True), strict=False):
                column.add(values)

    def add_block(self, pieces: list[Piece]) -> None:
        """The pieces of a block (csv_scan). When every record has the table's width,
        the order of the records does not matter: the plain lines are split with one
        call, the parsed records appended, and each column profiled as a slice."""
        lines: list[str] = []
        records: list[Record] = []
        for piece in pieces:
            if isinstance(piece, PlainLines):
                lines += piece.lines
            else:
                records += piece
        if not (self._regular(lines) and all(len(record) == self.width for record in records)):
            self._add_in_order(pieces)
            return
        self.rows += len(lines) + len(records)
        delimiter, width = self.delimiter, self.width
        profiled = len(self.columns)
        if width > profiled:
            # The cells of the profiled columns only: a record may have a million fields.
            rows = [line.split(delimiter, profiled)[:profiled] for line in lines]
            rows += [record[:profiled] for record in records]
            cells = list(itertools.chain.from_iterable(rows))
            width = profiled
        else:
            cells = delimiter.join(lines).split(delimiter) if lines else []
            cells += itertools.chain.from_iterable(records)
        for index, column in enumerate(self.columns):
            column.add(cells[index::width])

    def _regular(self, lines: list[str]) -> bool:
        """Whether every line holds a record of the table's width (no blank line)."""
        if not lines:
            return True
        if self.width == 1 and "" in lines:
            return False
        delimiters = self.width - 1
        return set(map(str.count, lines, itertools.repeat(self.delimiter))) == {delimiters}

    def _add_in_order(self, pieces: list[Piece]) -> None:
        """Blank lines or ragged records: their row numbers need the text's order."""
        for records in _records_in_order(pieces, self.delimiter):
            self.add(records)

    def _sort_out(self, records: list[Record]) -> list[Record]:
        """The well-formed records; blank lines and ragged records counted."""
        good = []
        for record in records:
            if not record:
                self.blank_lines += 1
                continue
            self.rows += 1
            if len(record) == self.width:
                good.append(record)
            else:
                self.ragged.add({"row": self.rows, "fields": len(record)})
        return good

    def describe(self) -> dict[str, Any]:
        return {
            "header": self.header,
            "rows": self.rows,
            "columns": self.width,
            "column_profiles": [column.describe() for column in self.columns],
            "columns_truncated": self.width > len(self.columns),
            "blank_lines": self.blank_lines,
            "ragged_rows": self.ragged.as_dict(),
        }


def _records_in_order(pieces: list[Piece], delimiter: str) -> Iterator[list[Record]]:
    """The records of a block's pieces, piece by piece, in the text's order."""
    for piece in pieces:
        if isinstance(piece, PlainLines):
            yield [line.split(delimiter) if line else [] for line in piece.lines]
        else:
            yield piece


def has_header(records: list[list[str]]) -> bool:
    """Whether the first record names the columns.

    It does when its cells are distinct, non-empty, untyped strings that do not
    recur in their column below. (csv.Sniffer.has_header gives up on a column
    with one empty cell and calls every all-text table headerless.) Only the
    profiled columns are looked at: the names of the others are not reported.
    """
    width = len(records[0])
    first = records[0][:MAX_PROFILED_COLUMNS]
    if any(not cell.strip() for cell in first) or len(set(first)) < len(first):
        return False
    if any(infer(cell) is not Kind.STRING for cell in first):
        return False
    body = [record for record in records[1:HEADER_SAMPLE_ROWS] if len(record) == width]
    return not any(record[index] == cell for record in body for index, cell in enumerate(first))


def _record_chars(record: Record) -> int:
    return len(record) + sum(map(len, record))


def infer(value: str) -> Kind:
    """The narrowest type of one non-empty value."""
    scratch = _Column("")
    return next(
        (kind for kind in _CANDIDATES[None] if scratch.accepts(kind, (value,))), Kind.STRING
    )


# The types a column may take next, narrowest first (a type only widens).
_CANDIDATES: dict[Kind | None, tuple[Kind, ...]] = {
    None: (Kind.INTEGER, Kind.FLOAT, Kind.BOOLEAN, Kind.DATE),
    Kind.INTEGER: (Kind.INTEGER, Kind.FLOAT),
    Kind.FLOAT: (Kind.FLOAT,),
    Kind.BOOLEAN: (Kind.BOOLEAN,),
    Kind.DATE: (Kind.DATE,),
}
_NUMERIC = (Kind.INTEGER, Kind.FLOAT)


class _Column:
    __slots__ = ("count", "empty", "high", "kind", "low", "name", "total")

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind: Kind | None = None  # None until a non-empty value is seen
        self.empty = 0
        self.count = 0  # numeric values, for the mean
        self.low: float = 0
        self.high: float = 0
        self.total: float = 0

    def add(self, values: Sequence[str]) -> None:
        kind = self.kind
        # The common case first: a typed column whose values all still fit its
        # type. An empty cell fails every type, so nothing is counted then, and
        # the values are checked again without their empty cells.
        if kind is not None and kind is not Kind.STRING and self.accepts(kind, values):
            return
        empty = values.count("")
        self.empty += empty
        if kind is Kind.STRING:
            return
        present = list(filter(None, values)) if empty else values
        if not present:
            return
        for kind in _CANDIDATES[self.kind]:
            if self.accepts(kind, present):
                self.kind = kind
                return
        self.kind = Kind.STRING

    def accepts(self, kind: Kind, values: Sequence[str]) -> bool:
        """Whether every value is a ``kind``; numbers are added to the statistics."""
        numbers: list[int] | list[float]
        try:
            if kind is Kind.INTEGER:
                numbers = list(map(int, values))
            elif kind is Kind.FLOAT:
                numbers = list(map(float, values))
            elif kind is Kind.BOOLEAN:
                # Categorical values repeat: check each distinct one once.
                return {value.lower() for value in set(values)} <= _BOOLEANS
            else:
                # ISO-8601 dates and date-times ("2024-05-01", "2024-05-01T12:30:00Z").
                for _ in map(datetime.fromisoformat, set(values)):
                    pass
                return True
        except ValueError:
            return False
        total = sum(numbers)
        # float() accepts "nan" and "inf" (markers of missing data, not numbers),
        # and any of them makes the sum non-finite.
        if kind is Kind.FLOAT and not math.isfinite(total) and not all(map(math.isfinite, numbers)):
            return False
        low, high = min(numbers), max(numbers)
        first = self.count == 0
        self.low = low if first else min(self.low, low)
        self.high = high if first else max(self.high, high)
        self.total += total
        self.count += len(numbers)
        return True

    def describe(self) -> dict[str, Any]:
        kind = self.kind or Kind.STRING
        described: dict[str, Any] = {"name": self.name, "type": str(kind), "empty": self.empty}
        if kind in _NUMERIC and self.count:
            convert = int if kind is Kind.INTEGER else float
            try:
                mean: float | None = self.total / self.count
            except OverflowError:  # integers too large for a float
                mean = None
            described.update(
                min=convert(self.low),
                max=convert(self.high),
                mean=mean if mean is not None and math.isfinite(mean) else None,
            )
        return described
