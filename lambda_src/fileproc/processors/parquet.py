"""Parquet (.parquet): schema, row groups, rows, codecs and column statistics, from the footer.

A Parquet file ends with its metadata: ``<footer (Thrift)> <footer length: 4
bytes, little-endian> PAR1``, and starts with ``PAR1``. Everything recorded
here is in the footer, so the data pages are never read: the pipeline fetches
only the object's ends (s3io.open_ends: a ranged GET of its last
TAIL_PROBE_BYTES, a second one for a longer footer, one of its first
HEAD_BYTES), and this processor parses the footer with DuckDB's Parquet reader
(parquet_file_metadata, parquet_schema, parquet_metadata) from a temporary file
that holds only ``PAR1 <footer> <length> PAR1``. The metadata functions do not
follow the footer's offsets into the data, so the copy needs no sparse file of
the object's size (whose holes Lambda's /tmp would have to support).

The stream (the "ends view"): the object's first min(HEAD_BYTES, size) bytes,
then its last bytes, as many as the footer needs (``tail_bytes``) or more. The
whole object is a view too (unit tests, small objects fetched whole): of a
longer stream only the last MAX_FOOTER_BYTES + 8 bytes are kept.

Metadata: ``format`` "Parquet", ``created_by``, ``format_version``, ``rows``,
``row_groups``, ``columns`` (leaf columns), ``footer_bytes``, ``compression``
(the codecs of the column chunks), ``compressed_bytes`` and
``uncompressed_bytes`` (of the column chunks), ``fields`` (the top-level
fields with their DuckDB type, e.g. ``STRUCT(a BIGINT, b VARCHAR)``:
``{name, type, nullable}``), ``schema`` (one entry per leaf column: ``path``
(dotted), ``physical_type``, ``logical_type`` (the converted or logical type,
when there is one), ``type`` (DuckDB's), ``nullable`` (the leaf or one of its
parents is optional), ``repeated`` (inside a list or map), and its statistics
over all row groups: ``null_count`` (null when a row group does not say),
``min``/``max`` (only when every row group has one; numbers for integer and
floating-point columns, text otherwise) with ``min_exact``/``max_exact`` (false
when the writer or MAX_VALUE_CHARS cut a value), ``codecs``,
``compressed_bytes``, ``uncompressed_bytes``), ``row_group_sizes`` (``{rows,
compressed_bytes, uncompressed_bytes}`` per row group).

Bounds: the footer is read only when it is at most MAX_FOOTER_BYTES (TooLarge
otherwise; a length larger than the object is Corrupt), so memory and bytes
fetched are a function of that bound, never of the length a file claims.
``schema`` lists the first MAX_COLUMNS leaf columns and ``fields`` the first
MAX_COLUMNS top-level fields (``columns_truncated``), ``row_group_sizes`` the
first MAX_ROW_GROUPS (``row_groups_truncated``); names are cut to
MAX_NAME_CHARS, types to MAX_TYPE_CHARS, min/max text to MAX_VALUE_CHARS. At
those bounds the metadata stays under about 200 KB, within DynamoDB's 400 KB
item. DuckDB runs with one thread and MEMORY_LIMIT, in the isolation's child
(fileproc.isolation), and is imported by the first Parquet file only.

Costs: DuckDB maps about 70 MB when it connects (about 25 MB resident), so a
data function under 256 MB may have no room for it: OutOfMemory, as for a footer
that declares a string longer than memory (Thrift lengths are allocated before
they are read). Reading the footer costs about 11 us of CPU a column chunk on
the development machine: 1.0 s for a 6.7 MB footer of 90,000 chunks (300
columns x 300 row groups), so about 2.5 s at the 16 MB bound.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from fileproc.errors import Corrupt, TooLarge, Unsupported
from fileproc.processors import sniff
from fileproc.processors.base import MAX_NAME_CHARS, Extraction
from fileproc.processors.streams import CHUNK_BYTES, read_head
from fileproc.processors.textstats import valid_unicode

if TYPE_CHECKING:
    import duckdb

EXTENSIONS = (".parquet",)
MAGIC = b"PAR1"
# Parquet Modular Encryption's magic: the footer itself is encrypted.
ENCRYPTED_MAGIC = b"PARE"
# The footer length and the magic after it.
TRAILER_BYTES = 8
# The smallest file: magic, (empty) footer, length, magic.
MIN_FILE_BYTES = len(MAGIC) + TRAILER_BYTES
HEAD_BYTES = sniff.HEAD_BYTES
# Arrow's and DuckDB's readers guess 64 KB too: most footers are in the first
# ranged GET, whatever the file's size.
TAIL_PROBE_BYTES = 64 * 1024
# A file with tens of thousands of columns or row groups has a footer of a few
# MB; the bound keeps what is fetched and parsed small whatever a file claims.
MAX_FOOTER_BYTES = 16 * 1024 * 1024
MAX_COLUMNS = 200
MAX_ROW_GROUPS = 100
MAX_TYPE_CHARS = 256
MAX_VALUE_CHARS = 128
MAX_CREATED_BY_CHARS = 256
# DuckDB's buffer manager; the footer's own structures are allocated outside it
# and bounded by MAX_FOOTER_BYTES (and the child's RLIMIT_DATA).
MEMORY_LIMIT = "256MB"

# DuckDB types whose statistics are compared as numbers, not as text.
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})


def tail_bytes(end: bytes, size: int) -> int:
    """How many bytes from the object's end the processor needs, given its last bytes.

    The footer and its trailer when the trailer is sound; otherwise the trailer
    alone, from which the processor says what is wrong. Never more than
    MAX_FOOTER_BYTES + TRAILER_BYTES, whatever length the file claims.
    """
    if len(end) < TRAILER_BYTES or end[-4:] != MAGIC:
        return TRAILER_BYTES
    length = int.from_bytes(end[-8:-4], "little")
    if length > MAX_FOOTER_BYTES or length + MIN_FILE_BYTES > size:
        return TRAILER_BYTES
    return length + TRAILER_BYTES


def process(stream: BinaryIO, *, size: int) -> Extraction:
    head = read_head(stream, HEAD_BYTES)
    sniff.check(head, ".parquet")
    footer = _footer(head, stream, size)
    with _footer_file(footer) as path:
        return Extraction(metadata=describe(path, footer_bytes=len(footer)))


def describe(path: str, *, footer_bytes: int) -> dict[str, Any]:
    """The metadata of the Parquet file at ``path`` (a footer copy, or a whole file), as
    DuckDB reads its footer; Corrupt when DuckDB cannot."""
    duckdb = _duckdb()
    try:
        with _connect() as con:
            return _describe(con, path, footer_bytes)
    except duckdb.OutOfMemoryException as exc:
        # The child's memory limit (fileproc.isolation: OutOfMemory): DuckDB maps about
        # 70 MB when it connects, which a function of 128 MB may not leave a file. (Or
        # a footer that declares a string longer than memory: see the module's Costs.)
        raise MemoryError(f"DuckDB reading a footer of {footer_bytes} bytes: {exc}") from None
    except duckdb.Error as exc:
        raise Corrupt(f"the Parquet footer cannot be read: {_text(str(exc), 300)}") from None


def _footer(head: bytes, stream: BinaryIO, size: int) -> bytes:
    """The footer's Thrift bytes, after checking the trailer against the object's size."""
    if size < MIN_FILE_BYTES:
        raise Corrupt(
            f"the file is {size} bytes; a Parquet file has at least {MIN_FILE_BYTES} "
            "(magic, footer length, magic)"
        )
    end = _end_of(head, stream, size)
    if end[-4:] == ENCRYPTED_MAGIC:
        raise Unsupported("the Parquet footer is encrypted (PARE): it cannot be read without keys")
    if end[-4:] != MAGIC:
        raise Corrupt(
            "the file does not end with the Parquet magic PAR1: it is truncated, "
            "or not a Parquet file"
        )
    length = int.from_bytes(end[-8:-4], "little")
    if length + MIN_FILE_BYTES > size:
        raise Corrupt(
            f"the footer length ({length} bytes) is larger than the file ({size} bytes) "
            "can hold: the file is truncated or corrupt"
        )
    if length > MAX_FOOTER_BYTES:
        raise TooLarge(f"the Parquet footer is {length} bytes; at most {MAX_FOOTER_BYTES} are read")
    if length == 0:
        raise Corrupt("the Parquet footer is empty")
    if len(end) < length + TRAILER_BYTES:
        # The caller gave fewer bytes than tail_bytes asked for: a bug, not the file.
        raise ValueError(f"the view holds {len(end)} bytes of the end, the footer needs {length}")
    return end[-length - TRAILER_BYTES : -TRAILER_BYTES]


def _end_of(head: bytes, stream: BinaryIO, size: int) -> bytes:
    """The object's last bytes the stream holds: after the head, the view's tail (or
    the rest of the whole object, of which the last MAX_FOOTER_BYTES + 8 are kept)."""
    keep = MAX_FOOTER_BYTES + TRAILER_BYTES
    rest = bytearray()
    read = 0
    while chunk := stream.read(CHUNK_BYTES):
        rest += chunk
        read += len(chunk)
        if len(rest) > 2 * keep:
            del rest[:-keep]
    whole = len(head) + read == size
    if whole and len(rest) == read:
        return bytes(head + rest)[-keep:]
    return bytes(rest[-keep:])


@dataclass(frozen=True)
class _Leaf:
    path: str
    physical_type: str | None
    logical_type: str | None
    type: str | None
    nullable: bool
    repeated: bool


def _describe(con: duckdb.DuckDBPyConnection, path: str, footer: int) -> dict[str, Any]:
    file_row = con.execute(
        "SELECT created_by, format_version, num_rows, num_row_groups, encryption_algorithm "
        "FROM parquet_file_metadata(?)",
        [path],
    ).fetchone()
    assert file_row is not None  # one row per file
    created_by, version, rows, row_groups, encryption = file_row
    if encryption:
        raise Unsupported(f"the Parquet file is encrypted ({_text(str(encryption), 100)})")
    fields, top_level, leaves, columns = _schema(con, path)
    # parquet_metadata parses the footer anew at each call (1.5 s for a 7 MB footer
    # of 90,000 column chunks): once, into a table of what is aggregated below.
    con.execute(_CHUNKS, [path])
    totals = _totals(con)
    sizes = _row_group_sizes(con)
    return {
        "format": "Parquet",
        "created_by": _text(created_by, MAX_CREATED_BY_CHARS) if created_by else None,
        "format_version": version,
        "rows": rows,
        "row_groups": row_groups,
        "columns": columns,
        "footer_bytes": footer,
        **totals,
        "fields": fields,
        "schema": _statistics(con, leaves),
        "columns_truncated": columns > len(leaves) or top_level > len(fields),
        "row_group_sizes": sizes,
        "row_groups_truncated": row_groups > len(sizes),
    }


def _schema(
    con: duckdb.DuckDBPyConnection, path: str
) -> tuple[list[dict[str, Any]], int, list[_Leaf], int]:
    """(the first MAX_COLUMNS top-level fields, their number, the first MAX_COLUMNS
    leaves, their number).

    parquet_schema lists the schema tree depth first, the root first, each group
    with its number of children; a leaf's path and nullability come from its parents.
    """
    rows = _rows(
        con.execute(
            "SELECT name, type, repetition_type, num_children, converted_type, logical_type, "
            "duckdb_type FROM parquet_schema(?)",
            [path],
        )
    )
    root = next(rows, None)
    top_level = int(root[3] or 0) if root else 0
    fields: list[dict[str, Any]] = []
    leaves: list[_Leaf] = []
    count = 0
    # Each open group: [children left, path, nullable, repeated]; the root first.
    groups: list[tuple[int, tuple[str, ...], bool, bool]] = [(top_level, (), False, False)]
    for name, physical, repetition, children, converted, logical, duck_type in rows:
        while groups and groups[-1][0] == 0:
            groups.pop()
        if not groups:
            break  # more nodes than the root's children hold: DuckDB reads no such file
        left, parents, nullable, repeated = groups[-1]
        groups[-1] = (left - 1, parents, nullable, repeated)
        node_path = (*parents, _text(name or "", MAX_NAME_CHARS))
        nullable = nullable or repetition == "OPTIONAL"
        repeated = repeated or repetition == "REPEATED"
        if not parents and len(fields) < MAX_COLUMNS:
            fields.append(
                {
                    "name": node_path[0],
                    "type": _type(duck_type),
                    "nullable": repetition != "REQUIRED",
                }
            )
        if children:  # a group: a struct, a list or a map
            groups.append((children, node_path, nullable, repeated))
            continue
        count += 1
        if len(leaves) < MAX_COLUMNS:
            leaves.append(
                _Leaf(
                    path=_text(".".join(node_path), MAX_NAME_CHARS),
                    physical_type=physical,
                    logical_type=_logical(logical, converted),
                    type=_type(duck_type),
                    nullable=nullable,
                    repeated=repeated,
                )
            )
    return fields, top_level, leaves, count


def _rows(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(10_000):
        yield from batch


# One row per column chunk (a column in a row group), what the aggregates need.
_CHUNKS = """
CREATE TEMP TABLE chunks AS
SELECT row_group_id, row_group_num_rows, column_id, compression,
       total_compressed_size, total_uncompressed_size,
       stats_null_count, stats_min_value, stats_max_value, min_is_exact, max_is_exact
FROM parquet_metadata(?)
"""

# One row per column of the first MAX_COLUMNS: its chunks' statistics over all row
# groups. A min/max is known only when every row group has one; it is compared as
# a number (the exact HUGEINT for integers, DOUBLE for floating point and
# decimals, whose exact text is kept) or as text.
_STATISTICS = """
SELECT column_id,
       count(*),
       count(stats_null_count), sum(stats_null_count),
       count(stats_min_value), count(stats_max_value),
       min(stats_min_value), max(stats_max_value),
       count(TRY_CAST(stats_min_value AS HUGEINT)), count(TRY_CAST(stats_max_value AS HUGEINT)),
       arg_min(stats_min_value, TRY_CAST(stats_min_value AS HUGEINT)),
       arg_max(stats_max_value, TRY_CAST(stats_max_value AS HUGEINT)),
       count(TRY_CAST(stats_min_value AS DOUBLE)), count(TRY_CAST(stats_max_value AS DOUBLE)),
       arg_min(stats_min_value, TRY_CAST(stats_min_value AS DOUBLE)),
       arg_max(stats_max_value, TRY_CAST(stats_max_value AS DOUBLE)),
       bool_and(coalesce(min_is_exact, true)), bool_and(coalesce(max_is_exact, true)),
       list(DISTINCT compression ORDER BY compression),
       sum(total_compressed_size), sum(total_uncompressed_size)
FROM chunks
WHERE column_id < ?
GROUP BY column_id
ORDER BY column_id
"""


def _statistics(con: duckdb.DuckDBPyConnection, leaves: list[_Leaf]) -> list[dict[str, Any]]:
    found = {row[0]: row[1:] for row in con.execute(_STATISTICS, [len(leaves)]).fetchall()}
    columns = []
    for index, leaf in enumerate(leaves):
        column: dict[str, Any] = {
            "path": leaf.path,
            "physical_type": leaf.physical_type,
            "logical_type": leaf.logical_type,
            "type": leaf.type,
            "nullable": leaf.nullable,
            "repeated": leaf.repeated,
        }
        if index in found:
            column.update(_column_statistics(leaf, found[index]))
        columns.append(column)
    return columns


def _column_statistics(leaf: _Leaf, row: tuple[Any, ...]) -> dict[str, Any]:
    chunks, with_nulls, nulls, with_min, with_max, text_min, text_max = row[:7]
    integer_min = row[7], row[9]
    integer_max = row[8], row[10]
    number_min = row[11], row[13]
    number_max = row[12], row[14]
    min_exact, max_exact, codecs, compressed, uncompressed = row[15:]
    result: dict[str, Any] = {
        "null_count": int(nulls) if with_nulls == chunks else None,
        "codecs": [_text(codec, 32) for codec in codecs if codec],
        "compressed_bytes": int(compressed or 0),
        "uncompressed_bytes": int(uncompressed or 0),
    }
    for bound, have, text, integer, number, exact in (
        ("min", with_min, text_min, integer_min, number_min, min_exact),
        ("max", with_max, text_max, integer_max, number_max, max_exact),
    ):
        if have != chunks:
            continue  # a row group without the value: its bound over the file is unknown
        value = _bound(leaf, chunks, text, integer, number)
        if value is not None:
            cut = isinstance(value, str) and len(value) > MAX_VALUE_CHARS
            # A cut maximum is no longer an upper bound: it is not exact.
            result[bound] = _text(value, MAX_VALUE_CHARS) if isinstance(value, str) else value
            result[f"{bound}_exact"] = bool(exact) and not cut
    return result


def _bound(
    leaf: _Leaf, chunks: int, text: str, integer: tuple[int, str], number: tuple[int, str]
) -> int | float | str | None:
    """The file's min or max of a column: compared as its type compares, or None."""
    if leaf.type in _INTEGER_TYPES:
        return int(integer[1]) if integer[0] == chunks else None
    if leaf.type in _FLOAT_TYPES:
        return float(number[1]) if number[0] == chunks else None
    if _is_decimal(leaf):
        return number[1] if number[0] == chunks else None
    return text


def _is_decimal(leaf: _Leaf) -> bool:
    return bool(leaf.type and leaf.type.startswith("DECIMAL"))


def _totals(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = con.execute(
        "SELECT list(DISTINCT compression ORDER BY compression), sum(total_compressed_size), "
        "sum(total_uncompressed_size) FROM chunks"
    ).fetchone()
    codecs, compressed, uncompressed = row if row else ([], 0, 0)
    return {
        "compression": [_text(codec, 32) for codec in codecs or [] if codec],
        "compressed_bytes": int(compressed or 0),
        "uncompressed_bytes": int(uncompressed or 0),
    }


def _row_group_sizes(con: duckdb.DuckDBPyConnection) -> list[dict[str, int]]:
    rows = con.execute(
        "SELECT row_group_id, any_value(row_group_num_rows), "
        "sum(total_compressed_size), sum(total_uncompressed_size) "
        "FROM chunks WHERE row_group_id < ? "
        "GROUP BY row_group_id ORDER BY row_group_id",
        [MAX_ROW_GROUPS],
    ).fetchall()
    return [
        {
            "rows": int(count or 0),
            "compressed_bytes": int(compressed or 0),
            "uncompressed_bytes": int(uncompressed or 0),
        }
        for _, count, compressed, uncompressed in rows
    ]


def _logical(logical: str | None, converted: str | None) -> str | None:
    """The converted type when there is one ("UTF8", "DATE", "TIMESTAMP_MICROS": short,
    and ``type`` says the rest), else the logical type as DuckDB writes it ("UUIDType()")."""
    if converted:
        return _text(converted, MAX_TYPE_CHARS)
    return _text(logical, MAX_TYPE_CHARS) if logical else None


def _type(duck_type: str | None) -> str | None:
    return _text(duck_type, MAX_TYPE_CHARS) if duck_type else None


def _text(value: str, limit: int) -> str:
    """A string from the file as the record may hold it: valid Unicode, no NULs, cut."""
    return valid_unicode(value).replace("\x00", "")[:limit]


class _footer_file:
    """A temporary ``PAR1 <footer> <length> PAR1``: what DuckDB's metadata functions read."""

    def __init__(self, footer: bytes) -> None:
        self._footer = footer
        self._path = ""

    def __enter__(self) -> str:
        descriptor, self._path = tempfile.mkstemp(prefix="fileproc-", suffix=".parquet")
        with os.fdopen(descriptor, "wb") as file:
            file.write(MAGIC)
            file.write(self._footer)
            file.write(len(self._footer).to_bytes(4, "little"))
            file.write(MAGIC)
        return self._path

    def __exit__(self, *_: object) -> None:
        os.unlink(self._path)


class _connect:
    """A private in-memory DuckDB: one thread, bounded, no extension downloads.

    Never the module's default connection: the isolation forks a child per file,
    and a connection (and its threads) made in the parent is no use in a child.
    """

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self._con = _duckdb().connect(
            ":memory:",
            config={
                "threads": 1,
                "memory_limit": MEMORY_LIMIT,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )
        return self._con

    def __exit__(self, *_: object) -> None:
        self._con.close()


def _duckdb() -> Any:
    # Imported by the first Parquet file (about 0.1 s, 60 MB mapped): the CSV and JSON
    # files of the data function, and its cold start, never pay for it.
    import duckdb

    return duckdb
