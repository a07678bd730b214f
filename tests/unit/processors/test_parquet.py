"""Parquet: what the footer says, from Parquet files DuckDB writes in the test, and
every way a footer can be wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from fileproc.errors import ContentMismatch, Corrupt, OutOfMemory, TooLarge, Unsupported
from fileproc.isolation import isolated
from fileproc.processors import data, parquet
from fileproc.records import to_dynamodb

from .support import OnceReader, once, run, settings

duckdb = pytest.importorskip("duckdb")


def write(tmp_path: Path, select: str, options: str = "", name: str = "t.parquet") -> bytes:
    """The bytes of the Parquet file DuckDB writes for ``select`` (one thread: the row
    groups are cut where ROW_GROUP_SIZE says)."""
    path = tmp_path / name
    with duckdb.connect(":memory:", config={"threads": 1}) as con:
        con.execute(
            f"COPY ({select}) TO '{path}' (FORMAT parquet{', ' if options else ''}{options})"
        )
    return path.read_bytes()


def metadata(body: bytes) -> dict[str, Any]:
    return run(data.process, body, ".parquet").metadata


def ends(body: bytes) -> bytes:
    """What the pipeline gives the processor (s3io.open_ends): the head, then the footer."""
    tail = parquet.tail_bytes(body[-parquet.TAIL_PROBE_BYTES :], len(body))
    return body[: parquet.HEAD_BYTES] + body[-tail:]


def column(meta: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in meta["schema"] if c["path"] == path)
    return found


TABLE = """
SELECT i AS id,
       'name ' || i AS name,
       CASE WHEN i % 4 = 0 THEN NULL ELSE (i * 0.5)::DOUBLE END AS score,
       (i % 100)::DECIMAL(9, 2) AS price,
       DATE '2024-01-01' + (i % 366)::INT AS day,
       i % 2 = 0 AS even
FROM range(10000) AS t(i)
"""


def test_a_table_is_described_from_its_footer(tmp_path: Path) -> None:
    body = write(tmp_path, TABLE, "ROW_GROUP_SIZE 4096, COMPRESSION zstd")
    meta = metadata(body)

    assert meta["format"] == "Parquet"
    assert meta["created_by"].startswith("DuckDB")
    assert (meta["rows"], meta["row_groups"], meta["columns"]) == (10000, 3, 6)
    assert meta["compression"] == ["ZSTD"]
    assert meta["footer_bytes"] == int.from_bytes(body[-8:-4], "little")
    assert [r["rows"] for r in meta["row_group_sizes"]] == [4096, 4096, 1808]
    assert meta["compressed_bytes"] == sum(r["compressed_bytes"] for r in meta["row_group_sizes"])
    assert meta["uncompressed_bytes"] > meta["compressed_bytes"]
    assert (meta["columns_truncated"], meta["row_groups_truncated"]) == (False, False)
    assert [f["name"] for f in meta["fields"]] == ["id", "name", "score", "price", "day", "even"]

    ident = column(meta, "id")
    assert (ident["physical_type"], ident["type"], ident["min"], ident["max"]) == (
        "INT64",
        "BIGINT",
        0,
        9999,
    )
    assert ident["null_count"] == 0
    assert ident["codecs"] == ["ZSTD"]
    # Text compares as text across row groups ("name 999" > "name 9998")...
    assert (column(meta, "name")["min"], column(meta, "name")["max"]) == ("name 0", "name 9999")
    assert column(meta, "name")["logical_type"] == "UTF8"
    # ...numbers as numbers, and every row group's nulls are counted.
    score = column(meta, "score")
    assert (score["min"], score["max"], score["null_count"]) == (0.5, 4999.5, 2500)
    assert score["nullable"] is True
    assert (column(meta, "price")["min"], column(meta, "price")["max"]) == ("0.00", "99.00")
    assert (column(meta, "day")["min"], column(meta, "day")["max"]) == ("2024-01-01", "2024-12-31")
    assert (column(meta, "even")["min"], column(meta, "even")["max"]) == ("false", "true")
    assert all(c["min_exact"] and c["max_exact"] for c in meta["schema"])


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("uncompressed", "UNCOMPRESSED"),
        ("snappy", "SNAPPY"),
        ("gzip", "GZIP"),
        ("zstd", "ZSTD"),
        ("lz4", "LZ4_RAW"),
        ("brotli", "BROTLI"),
    ],
)
def test_each_codec_is_named(tmp_path: Path, codec: str, name: str) -> None:
    meta = metadata(write(tmp_path, TABLE, f"COMPRESSION {codec}"))
    assert meta["compression"] == [name]
    assert {tuple(c["codecs"]) for c in meta["schema"]} == {(name,)}
    assert meta["rows"] == 10000


def test_nested_columns_are_leaves_with_paths(tmp_path: Path) -> None:
    select = """
    SELECT [i, i + 1] AS pair,
           {'a': i, 'b': CASE WHEN i % 2 = 0 THEN NULL ELSE 'x' END} AS point,
           MAP {'k': i} AS tags,
           i::INT AS plain
    FROM range(100) AS t(i)
    """
    meta = metadata(write(tmp_path, select))

    assert [c["path"] for c in meta["schema"]] == [
        "pair.list.element",
        "point.a",
        "point.b",
        "tags.key_value.key",
        "tags.key_value.value",
        "plain",
    ]
    assert meta["columns"] == 6
    assert {f["name"]: f["type"] for f in meta["fields"]} == {
        "pair": "BIGINT[]",
        "point": "STRUCT(a BIGINT, b VARCHAR)",
        "tags": "MAP(VARCHAR, BIGINT)",
        "plain": "INTEGER",
    }
    assert column(meta, "pair.list.element")["repeated"] is True
    assert column(meta, "point.a")["repeated"] is False
    assert column(meta, "tags.key_value.value")["repeated"] is True
    assert (column(meta, "pair.list.element")["min"], column(meta, "pair.list.element")["max"]) == (
        0,
        100,
    )
    assert column(meta, "point.b")["null_count"] == 50


def test_required_columns_are_not_nullable(tmp_path: Path) -> None:
    # DuckDB writes a NOT NULL column as REQUIRED.
    path = tmp_path / "required.parquet"
    with duckdb.connect(":memory:") as con:
        con.execute("CREATE TABLE t (a INTEGER NOT NULL, b INTEGER)")
        con.execute("INSERT INTO t VALUES (1, NULL), (2, 3)")
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    meta = metadata(path.read_bytes())
    assert [(c["path"], c["nullable"]) for c in meta["schema"]] == [("a", False), ("b", True)]
    assert [f["nullable"] for f in meta["fields"]] == [False, True]


def test_a_table_without_rows_has_its_schema_and_no_row_groups(tmp_path: Path) -> None:
    meta = metadata(write(tmp_path, "SELECT 1 AS a, 'x' AS b WHERE false"))
    assert (meta["rows"], meta["row_groups"], meta["columns"]) == (0, 0, 2)
    assert (meta["row_group_sizes"], meta["compression"]) == ([], [])
    assert [c["path"] for c in meta["schema"]] == ["a", "b"]
    assert "null_count" not in meta["schema"][0]


def test_columns_without_statistics_have_no_min_or_max(tmp_path: Path) -> None:
    select = """
    SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) DAY AS legacy_time,
           i::HUGEINT AS huge,
           NULL::INTEGER AS empty
    FROM range(10) AS t(i)
    """
    # INT96 timestamps (Spark's and Impala's old default) carry no statistics at all.
    meta = metadata(write(tmp_path, select, "write_timestamp_as_int96 true"))

    legacy = column(meta, "legacy_time")
    assert legacy["physical_type"] == "INT96"
    assert legacy["null_count"] is None
    assert "min" not in legacy
    assert "max" not in legacy
    assert "min" not in column(meta, "huge")  # HUGEINT is written as DOUBLE, no min/max
    empty = column(meta, "empty")
    assert empty["null_count"] == 10
    assert "min" not in empty


def test_large_integers_keep_every_digit(tmp_path: Path) -> None:
    select = "SELECT (4611686018427387904 + i)::BIGINT AS big FROM range(4100) AS t(i)"
    meta = metadata(write(tmp_path, select, "ROW_GROUP_SIZE 2048"))
    big = column(meta, "big")
    # Doubles are 1,024 apart near 2**62: the maxima of the last two row groups
    # (2**62 + 4095 and 2**62 + 4099) would tie as doubles.
    assert meta["row_groups"] == 3
    assert (big["min"], big["max"]) == (2**62, 2**62 + 4099)


def test_long_text_statistics_are_cut_and_not_exact(tmp_path: Path) -> None:
    select = "SELECT repeat('y', 400) || i AS long FROM range(3) AS t(i)"
    long = column(metadata(write(tmp_path, select)), "long")
    assert len(long["min"]) == len(long["max"]) == parquet.MAX_VALUE_CHARS
    assert (long["min_exact"], long["max_exact"]) == (False, False)


def test_many_columns_are_truncated_with_a_flag(tmp_path: Path) -> None:
    width = parquet.MAX_COLUMNS + 50
    names = ", ".join(f"i AS c{n}" for n in range(width))
    select = f"SELECT {names} FROM range(3) t(i)"  # noqa: S608 - the test's own SQL
    meta = metadata(write(tmp_path, select))
    assert meta["columns"] == width
    assert len(meta["schema"]) == len(meta["fields"]) == parquet.MAX_COLUMNS
    assert meta["columns_truncated"] is True
    assert meta["schema"][-1]["path"] == f"c{parquet.MAX_COLUMNS - 1}"
    assert meta["schema"][-1]["max"] == 2


def test_many_row_groups_are_truncated_with_a_flag(tmp_path: Path) -> None:
    groups = parquet.MAX_ROW_GROUPS + 20
    rows = groups * 2048  # DuckDB's smallest row group
    select = f"SELECT i FROM range({rows}) t(i)"  # noqa: S608 - the test's own SQL
    meta = metadata(write(tmp_path, select, "ROW_GROUP_SIZE 2048"))
    assert meta["row_groups"] == groups
    assert len(meta["row_group_sizes"]) == parquet.MAX_ROW_GROUPS
    assert meta["row_groups_truncated"] is True
    assert column(meta, "i")["max"] == rows - 1  # statistics cover every row group


def test_the_largest_record_fits_a_dynamodb_item(tmp_path: Path) -> None:
    """Every bound at its limit: long names, long types, long text statistics."""
    long_name = "n" * 300
    struct = "{" + ", ".join(f"'{long_name[:60]}{k}': repeat('v', 300)" for k in range(4)) + "}"
    columns = [f'{struct} AS "{long_name}{n}"' for n in range(parquet.MAX_COLUMNS + 10)]
    select = f"SELECT {', '.join(columns)} FROM range(2)"  # noqa: S608 - the test's own SQL
    meta = metadata(write(tmp_path, select))
    assert meta["columns_truncated"] is True
    item = {"metadata": {"M": TypeSerializer().serialize(to_dynamodb(meta))["M"]}}
    size = len(json.dumps(item).encode())
    assert size < 300 * 1024, size  # DynamoDB's item limit is 400 KB, the record has more


def test_the_ends_of_a_file_are_enough(tmp_path: Path) -> None:
    """The pipeline fetches the head and the footer only: the same metadata as the whole."""
    body = write(tmp_path, "SELECT i, md5(i::VARCHAR) AS h FROM range(200000) t(i)")
    assert len(body) > 10 * len(ends(body))
    view = ends(body)
    from_ends = parquet.process(once(view), size=len(body)).metadata
    assert from_ends == metadata(body)


def test_a_whole_stream_is_read_through_in_bounded_memory(tmp_path: Path) -> None:
    body = write(tmp_path, "SELECT i FROM range(1000) t(i)")
    reader = OnceReader(body, max_read=1000)
    assert parquet.process(reader, size=len(body)).metadata["rows"] == 1000  # type: ignore[arg-type]
    assert reader.consumed == len(body)


def test_tail_bytes_asks_for_the_footer_only_when_the_trailer_is_sound() -> None:
    footer = b"\x15\x02" * 50
    body = b"PAR1" + bytes(1000) + footer + len(footer).to_bytes(4, "little") + b"PAR1"
    assert parquet.tail_bytes(body[-64:], len(body)) == len(footer) + 8
    assert parquet.tail_bytes(b"junk" * 4, len(body)) == 8  # no magic
    claims_too_much = b"PAR1" + (len(body)).to_bytes(4, "little") + b"PAR1"
    assert parquet.tail_bytes(claims_too_much, len(body)) == 8
    bomb = b"\xff\xff\xff\xffPAR1"
    assert parquet.tail_bytes(bomb, 2**40) == 8  # over MAX_FOOTER_BYTES: never fetched
    assert parquet.tail_bytes(b"PAR1", 100) == 8


# ---------------------------------------------------------------- broken files


def trailer(length: int, magic: bytes = b"PAR1") -> bytes:
    return length.to_bytes(4, "little") + magic


def good(tmp_path: Path) -> bytes:
    return write(tmp_path, "SELECT i, 'x' || i AS s FROM range(1000) t(i)")


def test_an_empty_file_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="empty, expected a Parquet file"):
        metadata(b"")


@pytest.mark.parametrize(
    ("body", "holds"),
    [
        (b"P", "text"),
        (b"id,name\n1,BMW\n", "text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "a PNG image"),
        (bytes(range(256)) * 4, "unrecognised binary data"),
    ],
)
def test_what_is_not_parquet_is_a_content_mismatch(body: bytes, holds: str) -> None:
    with pytest.raises(ContentMismatch, match=f"the .parquet file holds {holds}"):
        metadata(body)


def test_a_file_too_short_for_a_footer_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="a Parquet file has at least 12"):
        metadata(b"PAR1PAR1")


def test_a_truncated_file_is_corrupt(tmp_path: Path) -> None:
    body = good(tmp_path)
    with pytest.raises(Corrupt, match="does not end with the Parquet magic PAR1: it is truncated"):
        metadata(body[: len(body) // 2])


def test_a_footer_longer_than_the_file_is_corrupt(tmp_path: Path) -> None:
    body = good(tmp_path)
    lying = body[:-8] + trailer(len(body))
    with pytest.raises(Corrupt, match=rf"footer length \({len(body)} bytes\) is larger than"):
        metadata(lying)
    with pytest.raises(Corrupt, match="footer length"):
        metadata(body[:-8] + trailer(2**32 - 1))


def test_a_footer_over_the_bound_is_too_large_and_never_read() -> None:
    size = parquet.MAX_FOOTER_BYTES + 100
    # The view holds only the head and the trailer: nothing else is asked for.
    view = b"PAR1" + bytes(parquet.HEAD_BYTES - 4) + trailer(size - 12)
    with pytest.raises(TooLarge, match=f"footer is {size - 12} bytes; at most"):
        parquet.process(once(view), size=size)


def test_a_corrupt_footer_is_corrupt_with_duckdbs_reason(tmp_path: Path) -> None:
    body = good(tmp_path)
    length = int.from_bytes(body[-8:-4], "little")
    start = len(body) - 8 - length
    scrambled = bytes(b ^ 0x5A for b in body[start : start + length])
    with pytest.raises(Corrupt, match="the Parquet footer cannot be read: "):
        metadata(body[:start] + scrambled + body[-8:])
    with pytest.raises(Corrupt, match="the Parquet footer cannot be read: "):
        metadata(body[:start] + bytes(length) + body[-8:])


def test_an_encrypted_footer_is_unsupported(tmp_path: Path) -> None:
    body = good(tmp_path)
    with pytest.raises(Unsupported, match="encrypted"):
        metadata(body[:-4] + b"PARE")


def test_an_empty_footer_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="footer is empty"):
        metadata(b"PAR1" + bytes(20) + trailer(0))


def test_the_processor_runs_isolated_with_a_memory_limit(tmp_path: Path) -> None:
    """In a forked child under RLIMIT_DATA, as the data function runs it: DuckDB is
    imported and connected in the child, and its errors come back as the file's."""
    body = write(tmp_path, TABLE)
    process = isolated(data.process, memory_mb=512)
    found = process(once(body), size=len(body), extension=".parquet", settings=settings())
    assert found.metadata["rows"] == 10000
    with pytest.raises(Corrupt, match="truncated"):
        process(once(body[:-100]), size=len(body) - 100, extension=".parquet", settings=settings())


def test_a_footer_declaring_a_huge_string_ends_out_of_memory() -> None:
    """Thrift's string length is allocated before it is read: 2 GiB in a 60-byte footer."""
    footer = b"\x15\x02\x19\x1c\x18" + b"\xff\xff\xff\xff\x07" + bytes(50)
    body = b"PAR1" + footer + trailer(len(footer))
    process = isolated(data.process, memory_mb=1024)
    with pytest.raises(OutOfMemory):
        process(once(body), size=len(body), extension=".parquet", settings=settings())


def test_importing_the_processor_does_not_import_duckdb() -> None:
    """The CSV and JSON files of the data function never pay DuckDB's import."""
    code = "import sys, fileproc.processors.data; print('duckdb' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
