"""DuckDB's CSV profiles against the scanner's on the same bytes: equal, or the scanner's.

Every file is profiled twice through the data processor: with the engine allowed
(ENGINE_MIN_BYTES lowered so that small files take it) and with the scanner
only. The two must say the same, except what only the engine adds (approximate
distinct counts, quantiles, top values), the mean's last bits (another summing
order) and the ``engine`` that produced it. Where DuckDB cannot be exact the
processor falls back to the scanner, and says why.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from fileproc.processors import csv_engine, csv_profile

from .support import once

ENGINE_ONLY = ("distinct_approx", "quantiles", "top_values")


@pytest.fixture(autouse=True)
def _engine_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_engine, "ENGINE_MIN_BYTES", 0)


def both(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(profile with the engine allowed, profile by the scanner)."""
    engine = csv_profile.process(once(data), size=len(data), engine=True).metadata
    scanner = csv_profile.process(once(data), size=len(data), engine=False).metadata
    assert scanner["engine"] == "scanner"
    return engine, scanner


def comparable(metadata: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in metadata.items() if k not in ("engine", "engine_fallback")}
    columns = []
    for column in metadata.get("column_profiles", []):
        kept = {k: v for k, v in column.items() if k not in ENGINE_ONLY}
        if kept.get("mean") is not None:
            kept["mean"] = pytest.approx(kept["mean"], rel=1e-9)
        columns.append(kept)
    result["column_profiles"] = columns
    return result


def assert_same(data: bytes) -> dict[str, Any]:
    engine, scanner = both(data)
    assert comparable(engine) == comparable(scanner)
    return engine


def test_a_clean_table_goes_through_duckdb_with_the_scanners_answer() -> None:
    text = "id,name,price,active,day,seen\n" + "".join(
        f"{i},name {i % 7},{i * 1.25:.2f},{'true' if i % 2 else 'False'},"
        f"2024-01-{1 + i % 28:02d},2024-02-03T04:05:{i % 60:02d}Z\n"
        for i in range(500)
    )

    metadata = assert_same(text.encode())

    assert metadata["engine"] == "duckdb"
    profiles = {column["name"]: column for column in metadata["column_profiles"]}
    assert [profiles[n]["type"] for n in ("id", "name", "price", "active", "day", "seen")] == [
        "integer", "string", "float", "boolean", "date", "date",
    ]  # fmt: skip
    assert profiles["id"]["quantiles"]["p50"] == pytest.approx(250, abs=10)
    assert profiles["id"]["distinct_approx"] == pytest.approx(500, rel=0.1)
    assert set(profiles["name"]["top_values"]) <= {f"name {i}" for i in range(7)}


def padded(text: str) -> bytes:
    """``text``'s header, 1.2 MB of clean records, then the rest of ``text``: the head the
    scanner profiles first (csv_engine.HEAD_BYTES) is clean, so DuckDB and the byte checks
    must find the rest."""
    header, _, body = text.partition("\n")
    width = header.count(",") + 1
    rows = (csv_engine.HEAD_BYTES + 200_000) // (2 * width)
    clean = (",".join(["1"] * width) + "\n") * rows
    ending = "\r\n" if "\r\n" in text else "\n"
    return (header + ending + clean.replace("\n", ending) + body).encode()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("trailing delimiter", padded("a,b\n1,2\n3,4,\n"), "delimiters outside quotes"),
        ("space before a quote", padded('a,b\n1, "5"\n2,3\n'), "quote character"),
        ("space after a quote", padded('a,b\n1,"5" \n2,3\n'), "quote character"),
        ("quote inside a field", padded('a,b\n1,ab"c\n2,3\n'), "quote character"),
        ("ragged", padded("a,b,c\n1,2,3\n4,5\n"), "DuckDB"),
        ("unterminated quote", padded('a,b\n1,"x\n2,3\n'), "left open"),
        ("CR only", padded("a,b\n1,2\n").replace(b"\n", b"\r"), "lone CR"),
        ("mixed endings", padded("a,b\n1,2\n").replace(b"\n", b"\r\n") + b"3,4\n", "mixed"),
        ("NUL", padded("a,b\n1,2\x00\n"), "NUL"),
        ("plus-minus float", padded("a,b\n1.5,x\n+-2,y\n"), "cannot type"),
        ("not-a-number", padded("a,b\n1.5,x\nnan,y\n"), "cannot type"),
        ("hex integer", padded("a,b\n1,x\n0x10,y\n"), "cannot type"),
        ("integer beyond 64 bits", padded("a,b\n1,x\n99999999999999999999,y\n"), "64 bits"),
        ("text in a number column", padded("a,b\n1,x\nN/A,y\n"), "cannot type"),
        ("field over the limit", padded("a,b\n1," + "x" * 140_000 + "\n2,3\n"), "DuckDB"),
        ("blank lines first", b"\n\na,b\n1,2\n", "blank lines before"),
        ("multi-line header", b'a,"b\nc"\n1,2\n', "first record"),
        ("one column with blanks", b"a\n" + b"1\n" * 600_000 + b"\n2\n", "one-column"),
        ("ragged in the head", b"a,b,c\n1,2,3\n4,5\n", "first records"),
    ],
)
def test_what_duckdb_reads_otherwise_falls_back_to_the_scanner(
    name: str, data: bytes, reason: str
) -> None:
    engine, scanner = both(data)

    assert engine["engine"] == "scanner", name
    assert reason in engine["engine_fallback"], engine["engine_fallback"]
    assert comparable(engine) == comparable(scanner)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("blank lines between and after", "a,b\n1,2\n\n3,4\n\n\n"),
        ("quoted line breaks and delimiters", 'a,b\n1,"x,\ny"\n2,"p ""q"" r"\n'),
        ("CRLF", 'a,b\r\n1,"x\r\ny"\r\n2,3\r\n'),
        ("BOM", "\ufeffa,b\n1,2\n"),
        ("no final line break", "a,b\n1,2\n3,4"),
        ("integers widening to floats", "a,b\n1,x\n2,y\n2.5,z\n"),
        ("non-canonical integers", "a,b\n1,x\n+2,y\n007,z\n 8,w\n1_000,v\n"),
        ("empty and quoted empty", 'a,b\n1,""\n,2\n'),
        ("headerless", "1,2\n3,4\n"),
        ("no body", "a,b\n"),
    ],
)
def test_what_duckdb_reads_as_the_scanner_does_stays_on_duckdb(name: str, text: str) -> None:
    metadata = assert_same(text.encode())

    assert metadata["engine"] == "duckdb", (name, metadata.get("engine_fallback"))


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("integers widening to floats", "a,b\n1,1\n2.5,1\n", "float"),
        ("non-canonical integers", "a,b\n+2,1\n007,1\n 8,1\n1_000,1\n", "integer"),
        ("exponents", "a,b\n1,1\n2e3,1\n", "float"),
    ],
)
def test_integer_columns_the_quick_pass_cannot_decide_get_a_thorough_one(
    name: str, text: str, kind: str
) -> None:
    metadata = assert_same(padded(text))

    assert metadata["engine"] == "duckdb", (name, metadata.get("engine_fallback"))
    assert metadata["column_profiles"][0]["type"] == kind


@pytest.mark.parametrize("encoding", ["cp1252", "shift_jis", "utf-16"])
def test_other_encodings_are_left_to_the_scanner(encoding: str) -> None:
    text = "name;city\nJosé;Zürich\n" if encoding != "shift_jis" else "名前,都市\n山田,東京\n"
    data = (text * 50).encode(encoding)

    engine, scanner = both(data)

    assert engine["engine"] == "scanner"
    assert "engine_fallback" not in engine  # never tried: DuckDB reads UTF-8 only
    assert comparable(engine) == comparable(scanner)


_CELLS = [
    "1", "22", "-3", "+4", "007", "1.5", "2e3", "+-1", "nan", "inf", " 5", "5 ", "1_000",
    "true", "False", "TRUE", "2024-05-01", "2024-05-01T10:20:30Z", "2024-5-1", "20240501",
    "x", "hello world", "", "", '"quoted, comma"', '"two\nlines"', '"say ""hi"""', "ab\"c",
    '"open', "é", "99999999999999999999", "0x1F", "1e999",
]  # fmt: skip


def _messy(rng: random.Random) -> bytes:
    width = rng.randint(1, 5)
    rows = [",".join(f"h{i}" for i in range(width))] if rng.random() < 0.7 else []
    column_cells = [rng.sample(_CELLS, 3) for _ in range(width)]
    for _ in range(rng.randint(0, 40)):
        cells = [rng.choice(column_cells[i]) for i in range(width)]
        roll = rng.random()
        if roll < 0.03:
            cells.append("extra")
        elif roll < 0.06 and width > 1:
            cells.pop()
        rows.append(",".join(cells))
        if rng.random() < 0.03:
            rows.append("")
    ending = rng.choice(["\n", "\n", "\r\n", "\r"])
    text = ending.join(rows) + (ending if rng.random() < 0.8 else "")
    if rng.random() < 0.05:
        text = text.replace(ending, "\n", 1)
    if rng.random() < 0.05:
        text = "\ufeff" + text
    data = text.encode()
    if rng.random() < 0.03 and data:
        at = rng.randrange(len(data))
        data = data[:at] + b"\x00" + data[at:]
    return data


def test_generated_messy_files_never_differ() -> None:
    """Random tables of cells the scanner and DuckDB read differently, with ragged rows,
    blank lines, every line ending, BOMs and NULs: the profile is always the scanner's."""
    rng = random.Random(20241124)
    engines = {"duckdb": 0, "scanner": 0}
    for _ in range(300):
        data = _messy(rng)
        engine, scanner = both(data)
        assert comparable(engine) == comparable(scanner), (data, engine.get("engine_fallback"))
        engines[engine["engine"]] += 1
    # Both paths are exercised: the comparison is not all fallbacks.
    assert engines["duckdb"] >= 20, engines
    assert engines["scanner"] > 30, engines


def test_byte_check_follows_quotes_across_chunks() -> None:
    data = b'a,b\n1,"x,""y""\nz"\n2,3\n'
    whole = csv_engine.ByteCheck(b",", b'"')
    whole.feed(data)
    for cut in range(1, len(data)):
        pieces = csv_engine.ByteCheck(b",", b'"')
        pieces.feed(data[:cut])
        pieces.feed(data[cut:])
        assert (pieces.delimiters_outside, pieces.quoted_newlines, pieces.stray_quote) == (
            whole.delimiters_outside,
            whole.quoted_newlines,
            whole.stray_quote,
        ), cut
    assert (whole.delimiters_outside, whole.quoted_newlines, whole.refusal()) == (3, 1, None)


def test_duckdb_is_imported_by_a_large_csv_only() -> None:
    """No handler imports DuckDB at cold start, nor does a small CSV (the scanner's)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import fileproc.handlers.api, fileproc.handlers.data\n"
        "import fileproc.handlers.document, fileproc.handlers.image\n"
        "from fileproc.processors import csv_profile\n"
        "import io\n"
        "data = b'a,b\\n1,2\\n' * 1000\n"
        "m = csv_profile.process(io.BytesIO(data), size=len(data)).metadata\n"
        "assert m['engine'] == 'scanner', m\n"
        "print('duckdb' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip().splitlines()[-1] == "False"


def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def test_duckdbs_float_parsers_differ_from_pythons_only_by_plus_minus(tmp_path: Any) -> None:
    """What csv_engine relies on, fuzzed: a finite float that DuckDB's CSV reader or its
    cast takes is Python's float of the same text, unless the text holds "+-"."""
    import duckdb

    rng = random.Random(7)
    alphabet = "0123456789+-._eE infINFaAnNxXbB\t"
    drawn = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(20_000)}
    # Blank texts raise even with ignore_errors (so, in the engine, a thorough pass).
    texts = sorted(text for text in drawn if text.strip())
    path = tmp_path / "floats.csv"
    # (A first line that parses: ignore_errors does not skip a bad first line.)
    lines = [f'{index},"{text}"\n' for index, text in enumerate(texts)]
    path.write_text("-1,1\n" + "".join(lines))
    connection = duckdb.connect(config={"threads": 1})
    read = connection.execute(
        f"SELECT i, d FROM read_csv('{path}', columns = {{'i': 'BIGINT', 'd': 'DOUBLE'}}, "  # noqa: S608
        "header = false, auto_detect = false, ignore_errors = true, delim = ',', "
        "quote = '\"', escape = '\"')"
    ).fetchall()
    cast = connection.execute(
        # (d selected too: alone, DuckDB pushes the cast into the reader, which raises.)
        f"SELECT i, TRY_CAST(d AS DOUBLE), d FROM read_csv('{path}', "  # noqa: S608
        "columns = {'i': 'BIGINT', 'd': 'VARCHAR'}, header = false, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"')"
    ).fetchall()
    taken = 0
    for index, value, *_ in [*read, *cast]:
        if index < 0 or value is None or not math.isfinite(value):
            continue
        taken += 1
        text = texts[index]
        assert "+-" in text or _float_or_none(text) == value, (text, value)
    assert taken > 1_000  # the fuzzing found many floats, not only refusals


def test_the_engine_is_not_tried_without_the_address_space_it_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resource

    data = padded("a,b\n1,2\n")
    limit = {"soft": resource.RLIM_INFINITY}
    monkeypatch.setattr(resource, "getrlimit", lambda _: (limit["soft"], resource.RLIM_INFINITY))
    assert csv_engine.memory_allows()
    assert both(data)[0]["engine"] == "duckdb"

    limit["soft"] = _mapped_bytes() + csv_engine.ENGINE_ADDRESS_BYTES // 2
    assert not csv_engine.memory_allows()
    engine, scanner = both(data)
    assert engine["engine"] == "scanner"
    assert "engine_fallback" not in engine  # not tried
    assert comparable(engine) == comparable(scanner)


def _mapped_bytes() -> int:
    with open("/proc/self/status", "rb") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(b"VmData:"))


def test_the_header_is_decided_on_the_records_the_scanner_decides_it_on() -> None:
    """Rows of 2 KB: the scanner's 50 header-sample records reach past 64 KB, and a
    header name recurring in record 40 makes the table headerless, for both paths."""
    rng = random.Random(3)
    names = [f"name{i}" for i in range(10)]
    rows = [",".join(names)]
    for number in range(1, 120):
        cells = ["".join(rng.choice("abcdefgh") for _ in range(200)) for _ in names]
        if number == 40:
            cells[0] = "name0"
        rows.append(",".join(cells))
    data = ("\n".join(rows) + "\n").encode()
    assert len(data.split(b"\n", 40)[-1]) < len(data) - 64 * 1024  # record 40 is past 64 KB

    metadata = assert_same(data)

    assert metadata["engine"] == "duckdb"
    assert metadata["header"] is False
