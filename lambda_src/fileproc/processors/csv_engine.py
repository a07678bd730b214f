"""CSV profiles through DuckDB, for the files where its answer is exactly the scanner's.

csv_scan and csv_profile define what a profile says (csv.reader's records,
Python's ``int``/``float``/``datetime.fromisoformat`` for the types); DuckDB
reads and aggregates the same table in C (BENCHMARKS.md, "CSV engine"), but its
reader and casts are more lenient: it drops a trailing delimiter, trims spaces
around quoted fields, skips blank lines, casts "1.5" to the integer 2, "+-1" to
the float -1 and takes "2024-1-1" as a date. So this module uses DuckDB only
where it can prove the answer is the scanner's, and says ``NotExact``
otherwise; the caller then profiles the same spooled bytes with the scanner. A
profile is never wrong, only sometimes slower.

What proves it:
- while the object is spooled to a file (DuckDB reads files; the scanner must be
  able to read the bytes again, and the S3 body reads once), ``ByteCheck``
  counts with C-level ``bytes`` methods: NUL bytes, lone CRs and mixed line
  endings, quote characters that do not open or close a field, "+-", line
  breaks (inside quotes and out) and the delimiters outside quoted fields. The
  delimiters must be (columns - 1) x records, so a record with a field more or
  less, which DuckDB can fold silently, is caught; the line breaks give the
  blank lines DuckDB skips.
- the head of the text is profiled by the scanner itself (exact): header,
  column names, width, and each column's type over the first records. A
  column's type only widens, so the rest of the file needs checking only
  against that candidate, value by value in DuckDB: an integer that prints back
  as itself, a finite float as DuckDB's reader parses it (fuzzed against
  Python's ``float``: only "+-" differs), an ISO date or date-time that formats
  back as itself, true/false in any case. All values pass: the type is exact.
  An integer column that does not print back gets a thorough pass (text read as
  Python's ``int`` and ``float`` would: "+1" and "007" are integers, "2.5"
  widens the column to float); anything else: not exact.
- DuckDB's reader runs strict (a ragged row or bad quoting is an error), with a
  line size bound of csv's field size limit (so no field or record over the
  scanner's bounds is ever taken), UTF-8 only; any error: not exact.

Added because the engine makes them cheap: ``distinct_approx`` (HyperLogLog),
numeric ``quantiles`` (p25, p50, p75 of a reservoir sample), ``top_values`` of
the other columns (the most frequent few, each cut to TOP_VALUE_CHARS: at most
200 columns x 3 x 64 characters, well inside a DynamoDB item with the rest).

Memory: DuckDB's own ``memory_limit`` (MEMORY_LIMIT_MB, below the isolation
child's RLIMIT_DATA; when the child's limit is lower still, DuckDB's allocation
fails and the scanner takes the file), 4 MB read buffers, no temporary
directory (an aggregate-only query never spills), threads from the function's
vCPUs. DuckDB is imported here only, in the isolation's child, when a file
takes this path: never by a handler at import (connect() starts threads, which
a process that forks must not have).
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from fileproc.processors.streams import CHUNK_BYTES, ByteStream

MiB = 1024 * 1024
# Below this size the scanner profiles the file in less time than DuckDB takes
# to import (about 0.1-0.2 s at cold start): small files never load the engine.
ENGINE_MIN_BYTES = 8 * MiB
# Spool only when the temporary directory keeps this much free after the file
# (Lambda's /tmp is 512 MB unless the function configures more).
SPOOL_RESERVE_BYTES = 32 * MiB
# DuckDB's buffer manager limit; the process adds the library and Python (~70 MB).
MEMORY_LIMIT_MB = 96
# DuckDB's CSV read buffer (its default is 32 MB, held a few times over): 93 MB peak RSS
# for the whole process at 4 MB against 146 MB, for ~5% more CPU.
BUFFER_BYTES = 4 * MiB
# Address space DuckDB needs beyond what the process maps (RLIMIT_DATA counts mappings,
# not resident pages): its memory_limit, the thread stacks connect() maps (eight, even
# at one worker thread) and the library's own. Measured through the isolation on the
# 200 MB mixed table: works with 137 MB left, fails its allocations with 105. Below
# this the engine is not tried (it would fail after the spool) and the scanner runs.
ENGINE_ADDRESS_BYTES = 160 * MiB
# The head the scanner profiles first: more than csv_profile.HEADER_SAMPLE_CHARS
# characters (UTF-8 has at most 4 bytes a character), so that it holds every record the
# scanner decides the header on.
HEAD_BYTES = 1024 * 1024
# Columns DuckDB is given (it must be told every column to read strictly).
MAX_ENGINE_COLUMNS = 2048
# Lambda gives a function one vCPU per 1,769 MB of memory.
MB_PER_VCPU = 1769
TOP_VALUES = 3
TOP_VALUE_CHARS = 64
QUANTILES = (0.25, 0.5, 0.75)
# The statistics the engine adds (distinct counts, quantiles, top values).
EXTRAS = True
UTF8_ENCODINGS = ("utf-8", "utf-8-sig", "ascii")
_BOOLEANS = ("true", "false")


class NotExact(Exception):
    """DuckDB's answer for this file could differ from the scanner's (the message says why)."""


# ---------------------------------------------------------------- bytes, while spooling


@dataclass
class ByteCheck:
    """What the raw bytes say, counted chunk by chunk at C speed (see the module's doc).

    Quote characters are followed through the chunk's parts between them (parts
    alternate outside and inside quoted fields; a doubled quote inside a field
    flips twice): each opening quote must start a field and each closing quote
    end one, as csv.reader (strict) and DuckDB both read them, or the file is
    refused (a quote inside an unquoted field is text to csv.reader, and spaces
    beside a quoted field are trimmed by DuckDB only).
    """

    delimiter: bytes
    quote: bytes
    size: int = 0
    nuls: int = 0
    crs: int = 0
    crlfs: int = 0
    newlines: int = 0
    quoted_newlines: int = 0
    delimiters_outside: int = 0
    stray_quote: bool = False
    plus_minus: bool = False  # "+-" somewhere: DuckDB's reader takes "+-1" as -1.0
    _inside: bool = False  # inside a quoted field at the end of the last chunk
    _before: bytes = b""  # the last byte of the previous chunk
    _closed_at_end: bool = False  # the previous chunk ended with a closing quote

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        # ``in`` first: a memchr, several times faster than a count that finds nothing.
        if b"\x00" in chunk:
            self.nuls += chunk.count(b"\x00")
        if b"\r" in chunk:
            self.crs += chunk.count(b"\r")
            self.crlfs += chunk.count(b"\r\n")
        if self._before == b"\r" and chunk.startswith(b"\n"):
            self.crlfs += 1
        self.newlines += chunk.count(b"\n")
        if not self.plus_minus and b"+" in chunk:
            self.plus_minus = b"+-" in chunk or (self._before == b"+" and chunk[:1] == b"-")
        elif self._before == b"+" and chunk[:1] == b"-":
            self.plus_minus = True
        if self._closed_at_end:
            self._closed_at_end = False
            if chunk[:1] not in (self.delimiter, b"\n", b"\r", self.quote):
                self.stray_quote = True
        if self.quote in chunk:
            self._quotes(chunk)
        elif self._inside:
            self.quoted_newlines += chunk.count(b"\n")
        else:
            self.delimiters_outside += chunk.count(self.delimiter)
        self._before = chunk[-1:]

    def _quotes(self, chunk: bytes) -> None:
        quote, delimiter = self.quote, self.delimiter
        starts = (delimiter, b"\n", b"\r", b"", quote)
        ends = (delimiter, b"\n", b"\r", quote)
        parts = chunk.split(quote)
        last = len(parts) - 1
        inside = self._inside
        for index, part in enumerate(parts):
            if inside:
                self.quoted_newlines += part.count(b"\n")
            else:
                self.delimiters_outside += part.count(delimiter)
            if index == last:
                break
            if inside:  # a closing quote (or the first of a doubled one)
                following = parts[index + 1]
                if following:
                    if following[:1] not in ends:
                        self.stray_quote = True
                elif index + 1 == last:
                    self._closed_at_end = True
            else:  # an opening quote (or the second of a doubled one)
                before = part[-1:] if part else (quote if index else self._before)
                if before not in starts:
                    self.stray_quote = True
            inside = not inside
        self._inside = inside

    def lines(self) -> int:
        """Lines of the text, as csv_scan counts them (the last one may lack a break)."""
        return self.newlines + (1 if self.size and self._before not in (b"\n", b"") else 0)

    def refusal(self) -> str | None:
        """Why DuckDB cannot be exact on these bytes, or None."""
        if self.nuls:
            return "NUL bytes"
        if self.crs != self.crlfs:
            return "lone CR line breaks"
        if self.crlfs and self.newlines != self.crlfs:
            return "mixed line endings"
        if self.stray_quote:
            return "a quote character inside a field or beside a quoted field"
        if self._inside:
            return "a quoted field left open"
        return None


@contextmanager
def spooled(head: bytes, stream: ByteStream, check: ByteCheck) -> Iterator[IO[bytes]]:
    """``head`` + the rest of ``stream`` in a named temporary file (DuckDB opens it by its
    path), counted by ``check`` on the way; deleted on exit."""
    with tempfile.NamedTemporaryFile(prefix="fileproc-csv-", suffix=".csv") as file:
        check.feed(head)
        file.write(head)
        while chunk := stream.read(CHUNK_BYTES):
            check.feed(chunk)
            file.write(chunk)
        file.flush()
        file.seek(0)
        yield file


def memory_allows() -> bool:
    """Whether this process's RLIMIT_DATA (the isolation's child) leaves DuckDB room."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    if soft == resource.RLIM_INFINITY:
        return True
    try:
        with open("/proc/self/status", "rb") as status:
            mapped = next(
                int(line.split()[1]) * 1024 for line in status if line.startswith(b"VmData:")
            )
    except (OSError, StopIteration, ValueError):
        return False
    return soft - mapped >= ENGINE_ADDRESS_BYTES


def spool_fits(size: int) -> bool:
    """Whether an object of ``size`` bytes fits the temporary directory with room to spare."""
    try:
        free = shutil.disk_usage(tempfile.gettempdir()).free
    except OSError:
        return False
    return size + SPOOL_RESERVE_BYTES <= free


# ---------------------------------------------------------------- the head, by the scanner


@dataclass(frozen=True)
class Head:
    """What the scanner says of the first records (see head())."""

    header: bool
    width: int
    names: list[str]
    kinds: list[str | None]  # each profiled column's type so far; None: no value yet


def head(text: str, *, delimiter: str, quotechar: str, complete: bool) -> Head:
    """The scanner's profile of the head of the text (whole lines), as candidates."""
    from fileproc.processors import csv_profile

    if not complete:
        cut = text.rfind("\n")
        if cut < 0:
            raise NotExact("no line break in the first records")
        text = text[: cut + 1]
    if not text or text[0] in "\r\n":
        raise NotExact("blank lines before the header")
    first_line = text.split("\n", 1)[0]
    if first_line.count(quotechar) % 2:
        raise NotExact("a first record over several lines")
    profile = csv_profile.profile_text(io.StringIO(text), delimiter=delimiter, quotechar=quotechar)
    if profile["malformed_rows"]["count"] or profile["ragged_rows"]["count"]:
        raise NotExact("malformed or ragged records in the first records")
    width = profile["columns"]
    if not 0 < width <= MAX_ENGINE_COLUMNS:
        raise NotExact(f"{width} columns")
    rows = profile["rows"]
    kinds: list[str | None] = []
    for column in profile["column_profiles"]:
        kinds.append(None if column["empty"] == rows else column["type"])
    values = _head_values(text, delimiter, quotechar, profile["header"], len(kinds))
    for kind, column_values in zip(kinds, values, strict=True):
        if kind == "string" and _numeric_and_date(column_values):
            # The scanner's verdict on numbers-that-are-dates (20240501) depends on
            # how its blocks cut the text: left to it.
            raise NotExact("values that are both numbers and dates")
    return Head(
        header=profile["header"],
        width=width,
        names=[column["name"] for column in profile["column_profiles"]],
        kinds=kinds,
    )


def _head_values(
    text: str, delimiter: str, quotechar: str, header: bool, profiled: int
) -> list[list[str]]:
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar))
    columns: list[list[str]] = [[] for _ in range(profiled)]
    for record in records[1 if header else 0 :]:
        for index, value in enumerate(record[:profiled]):
            if value:
                columns[index].append(value)
    return columns


def _numeric_and_date(values: list[str]) -> bool:
    from fileproc.processors.csv_profile import Kind, _Column

    scratch = _Column("")
    return any(
        scratch.accepts(Kind.FLOAT, (value,)) and scratch.accepts(Kind.DATE, (value,))
        for value in values
    )


# ---------------------------------------------------------------- the engine


def threads() -> int:
    """One DuckDB thread per vCPU Lambda gives the function (1 outside Lambda: the bench
    measures CPU time, which more threads only add to)."""
    raw = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    if not raw.isdigit():
        return 1
    return max(1, min(os.cpu_count() or 1, int(raw) // MB_PER_VCPU))


def profile(
    path: str, head_info: Head, check: ByteCheck, *, delimiter: str, quotechar: str
) -> dict[str, Any]:
    """The profile csv_profile.profile_text would give for the file at ``path``; NotExact
    where DuckDB cannot prove that."""
    import duckdb

    connection = duckdb.connect(
        config={
            "threads": threads(),
            "memory_limit": f"{MEMORY_LIMIT_MB}MB",
            "temp_directory": "",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "preserve_insertion_order": False,
        }
    )
    try:
        try:
            return _run(connection, path, head_info, check, delimiter, quotechar, False)
        except _Thorough:
            return _run(connection, path, head_info, check, delimiter, quotechar, True)
    finally:
        connection.close()


class _Thorough(Exception):
    """The quick pass cannot decide an integer column: a thorough pass will."""


def _run(
    connection: Any,
    path: str,
    head_info: Head,
    check: ByteCheck,
    delimiter: str,
    quotechar: str,
    thorough: bool,
) -> dict[str, Any]:
    import duckdb

    query, layout = _query(
        path,
        head_info,
        delimiter=delimiter,
        quotechar=quotechar,
        thorough=thorough,
        typed_floats=not check.plus_minus,
    )
    try:
        row = connection.execute(query).fetchone()
    except duckdb.Error as exc:
        if not thorough and isinstance(exc, duckdb.ConversionException):
            raise _Thorough from None  # a float column's value DuckDB's reader refused
        raise NotExact(f"DuckDB: {str(exc).splitlines()[0][:200]}") from None
    assert row is not None
    return _result(row, layout, head_info, check)


@dataclass
class _Layout:
    """Where each column's figures are in the query's one result row."""

    count: int = 0
    columns: list[dict[str, int]] = field(default_factory=list)
    width: int = 0

    def add(self, expressions: list[str], sql: str) -> int:
        expressions.append(sql)
        self.width += 1
        return self.width - 1


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _query(
    path: str,
    head_info: Head,
    *,
    delimiter: str,
    quotechar: str,
    thorough: bool,
    typed_floats: bool = False,
) -> tuple[str, _Layout]:
    """One aggregate row over a projection that computes each value's checks once.

    ``thorough``: integer columns checked value by value as Python's ``int``/``float``
    read them (non-canonical integers, integers widening to floats), where the quick
    pass found values that do not print back as themselves.

    ``typed_floats``: float columns parsed by DuckDB's reader as DOUBLE, not as text
    then cast (about half the cost of such a column): its parser differs from
    Python's ``float`` only by taking "+-1" (fuzzed: tests/unit/processors/
    test_csv_engine.py), which the caller rules out with ByteCheck.plus_minus, and
    "inf"/"nan", which ``isfinite`` catches; a value it refuses is a conversion
    error, and the thorough pass reads the column as text.
    """
    typed = {
        index
        for index, kind in enumerate(head_info.kinds)
        if kind == "float" and typed_floats and not thorough
    }
    columns = ", ".join(
        f"'c{index}': '{'DOUBLE' if index in typed else 'VARCHAR'}'"
        for index in range(head_info.width)
    )
    source = (
        f"read_csv({_sql_string(path)}, columns = {{{columns}}}, header = false, "
        f"skip = {1 if head_info.header else 0}, delim = {_sql_string(delimiter)}, "
        f"quote = {_sql_string(quotechar)}, escape = {_sql_string(quotechar)}, "
        "auto_detect = false, strict_mode = true, null_padding = false, "
        "ignore_errors = false, allow_quoted_nulls = true, encoding = 'utf-8', "
        # csv's field size limit: no record DuckDB takes holds a field over it.
        f"buffer_size = {BUFFER_BYTES}, max_line_size = {csv.field_size_limit()})"
    )
    projected: list[str] = []
    expressions: list[str] = []
    layout = _Layout()
    layout.count = layout.add(expressions, "count(*)")
    quantiles = ", ".join(map(str, QUANTILES))
    for index, kind in enumerate(head_info.kinds):
        c = f"c{index}"
        projected.append(c)
        where: dict[str, int] = {"n": layout.add(expressions, f"count({c})")}
        if EXTRAS:
            where["distinct"] = layout.add(expressions, f"approx_count_distinct({c})")
        if kind == "integer" and not thorough:
            # The common case, cheaply: integers that print back as themselves.
            projected.append(f"TRY_CAST({c} AS BIGINT) AS i{index}")
            where["int_exact"] = layout.add(
                expressions, f"count_if(CAST(i{index} AS VARCHAR) = {c})"
            )
            where["imin"] = layout.add(expressions, f"min(i{index})")
            where["imax"] = layout.add(expressions, f"max(i{index})")
            where["isum"] = layout.add(expressions, f"sum(i{index})")
            if EXTRAS:
                where["quantiles"] = layout.add(
                    expressions, f"reservoir_quantile(i{index}, [{quantiles}])"
                )
        elif index in typed:
            projected.append(f"c{index} AS d{index}")
            projected.append(f"isfinite(d{index}) AS f{index}")
            where["float_ok"] = layout.add(expressions, f"count_if(f{index})")
            where["dmin"] = layout.add(expressions, f"min(d{index})")
            where["dmax"] = layout.add(expressions, f"max(d{index})")
            where["dsum"] = layout.add(expressions, f"sum(d{index})")
            if EXTRAS:
                where["quantiles"] = layout.add(
                    expressions, f"reservoir_quantile(d{index}, [{quantiles}])"
                )
        elif kind in ("integer", "float"):
            # A float as Python's float() reads it: DuckDB also takes "+-1" (found by
            # fuzzing both; and "inf", "nan", which the scanner's float type refuses).
            projected.append(f"TRY_CAST({c} AS DOUBLE) AS d{index}")
            projected.append(
                f"isfinite(d{index}) AND (NOT signbit(d{index}) OR NOT contains({c}, '+-'))"
                f" AS f{index}"
            )
            where["float_ok"] = layout.add(expressions, f"count_if(f{index})")
            where["dmin"] = layout.add(expressions, f"min(d{index})")
            where["dmax"] = layout.add(expressions, f"max(d{index})")
            where["dsum"] = layout.add(expressions, f"sum(d{index})")
            if EXTRAS:
                where["quantiles"] = layout.add(
                    expressions, f"reservoir_quantile(d{index}, [{quantiles}])"
                )
        if kind == "integer" and thorough:
            # DuckDB casts "1.5" to 2: an integer is a float without '.', 'e' or 'E'.
            projected.append(
                f"f{index} AND (contains({c}, '.') OR contains({c}, 'e') OR contains({c}, 'E'))"
                f" AS r{index}"
            )
            projected.append(f"TRY_CAST({c} AS BIGINT) AS i{index}")
            where["float_fraction"] = layout.add(expressions, f"count_if(r{index})")
            # (No FILTER: any value that is not a finite float makes the file NotExact.)
            where["int_count"] = layout.add(expressions, f"count(i{index})")
            where["imin"] = layout.add(expressions, f"min(i{index})")
            where["imax"] = layout.add(expressions, f"max(i{index})")
            where["isum"] = layout.add(expressions, f"sum(i{index})")
        elif kind == "boolean":
            booleans = ", ".join(map(_sql_string, _BOOLEANS))
            where["ok"] = layout.add(expressions, f"count_if(lower({c}) IN ({booleans}))")
        elif kind == "date":
            where["ok"] = layout.add(expressions, f"count_if({_iso_date(c)})")
        if EXTRAS and kind in (None, "string", "boolean", "date"):
            where["top"] = layout.add(expressions, f"approx_top_k({c}, {TOP_VALUES})")
        layout.columns.append(where)
    # Built from our own names (c0, d0...) and literals quoted by _sql_string only.
    inner = f"SELECT {', '.join(projected) or '1'} FROM {source}"  # noqa: S608
    return f"SELECT {', '.join(expressions)} FROM ({inner})", layout  # noqa: S608


def _iso_date(c: str) -> str:
    """SQL: ``c`` is an ISO date or date-time in a form that formats back as itself (so
    that ``datetime.fromisoformat`` reads it: DuckDB alone takes "2024-1-1")."""
    stamp = f"TRY_CAST({c} AS TIMESTAMP)"
    return (
        f"CASE strlen({c}) "
        f"WHEN 10 THEN strftime({stamp}, '%Y-%m-%d') = {c} "
        f"WHEN 19 THEN strftime({stamp}, '%Y-%m-%dT%H:%M:%S') = {c} "
        f"OR strftime({stamp}, '%Y-%m-%d %H:%M:%S') = {c} "
        f"WHEN 20 THEN strftime({stamp}, '%Y-%m-%dT%H:%M:%SZ') = {c} "
        "ELSE false END"
    )


def _result(
    row: tuple[Any, ...], layout: _Layout, head_info: Head, check: ByteCheck
) -> dict[str, Any]:
    records = _count(row[layout.count])
    width = head_info.width
    header = 1 if head_info.header else 0
    expected = (width - 1) * (records + header)
    if check.delimiters_outside != expected:
        raise NotExact(
            f"{check.delimiters_outside} delimiters outside quotes where {width} columns "
            f"of {records} records have {expected}"
        )
    # Every line is a record's (with its quoted line breaks) or blank: DuckDB skips
    # the blank ones, the scanner counts them.
    blank_lines = check.lines() - records - header - check.quoted_newlines
    if blank_lines < 0:
        raise NotExact(f"{check.lines()} lines for {records} records")
    if width == 1 and (blank_lines or _count(row[layout.columns[0]["n"]]) != records):
        # One column: an empty line is a blank line to csv.reader, a record to DuckDB
        # (or skipped), and "" is a record to both: only a column without empties is sure.
        raise NotExact("empty lines or values in a one-column table")
    profiles = [
        _column(name, kind, row, where, records)
        for name, kind, where in zip(head_info.names, head_info.kinds, layout.columns, strict=True)
    ]
    return {
        "header": head_info.header,
        "rows": records,
        "columns": width,
        "column_profiles": profiles,
        "columns_truncated": width > len(profiles),
        "blank_lines": blank_lines,
        "ragged_rows": {"count": 0, "examples": []},
        "malformed_rows": {"count": 0, "examples": []},
    }


def _column(
    name: str, kind: str | None, row: tuple[Any, ...], where: dict[str, int], records: int
) -> dict[str, Any]:
    present = _count(row[where["n"]])
    verdict = kind
    if present == 0:
        verdict = "string"  # the scanner's type of a column with no value
    elif kind is None:
        raise NotExact(f"column {name!r}: no value in the first records")
    elif kind in ("integer", "float"):
        verdict = _numeric_verdict(name, kind, row, where, present)
    elif kind in ("boolean", "date") and _count(row[where["ok"]]) != present:
        raise NotExact(f"column {name!r}: values DuckDB cannot type as the scanner does")
    described: dict[str, Any] = {"name": name, "type": verdict, "empty": records - present}
    if verdict == "integer":
        total = int(row[where["isum"]])
        try:
            mean: float | None = total / present
        except OverflowError:
            mean = None
        described.update(min=int(row[where["imin"]]), max=int(row[where["imax"]]), mean=mean)
    elif verdict == "float":
        mean = float(row[where["dsum"]]) / present
        described.update(
            min=float(row[where["dmin"]]),
            max=float(row[where["dmax"]]),
            mean=mean if math.isfinite(mean) else None,
        )
    if present and "distinct" in where:
        described["distinct_approx"] = _count(row[where["distinct"]])
    if verdict in ("integer", "float") and "quantiles" in where and row[where["quantiles"]]:
        convert = int if verdict == "integer" else float
        described["quantiles"] = {
            f"p{round(q * 100)}": convert(round(value) if verdict == "integer" else value)
            for q, value in zip(QUANTILES, row[where["quantiles"]], strict=True)
        }
    if "top" in where and row[where["top"]]:
        described["top_values"] = [str(value)[:TOP_VALUE_CHARS] for value in row[where["top"]]]
    return described


def _numeric_verdict(
    name: str, kind: str, row: tuple[Any, ...], where: dict[str, int], present: int
) -> str:
    if "int_exact" in where:
        if _count(row[where["int_exact"]]) == present:
            return "integer"
        raise _Thorough
    floats = _count(row[where["float_ok"]])
    if floats != present:
        raise NotExact(f"column {name!r}: values DuckDB cannot type as the scanner does")
    if kind == "float":
        return "float"
    if _count(row[where["float_fraction"]]):
        return "float"  # integers then floats: the scanner widens the column too
    if _count(row[where["int_count"]]) != present:
        raise NotExact(f"column {name!r}: integers beyond 64 bits")
    return "integer"


def _count(value: Any) -> int:
    """A count from the result row (DuckDB's count_if is NULL when it saw only NULLs)."""
    return int(value or 0)
