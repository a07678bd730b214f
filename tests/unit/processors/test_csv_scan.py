"""The block scanner gives exactly what csv.reader gives: records, errors, line numbers.

``profile_text`` (the scanner's fast path) is compared with the profile of the
records of a plain csv.reader, the reference, on texts built to hit every case:
quoted fields with delimiters, doubled quotes and line breaks, CRLF and lone CR
line ends, blank lines, ragged and malformed records, fields over csv's size
limit, and blocks small enough that they cut records everywhere.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from fileproc.processors import csv_profile, csv_scan

CELLS = ["1", "22", "-3", "4.5", "", "true", "False", "2024-01-02", "2024-01-02T03:04:05Z",
         "text", "two words", "x;y"]  # fmt: skip
QUOTED = ['"a,b"', '"say ""hi"""', '"line\nbreak"', '"crlf\r\ninside"', '""', '"7"']
BROKEN = ['"bad"tail', '"unterminated']
REFERENCE_BATCH_ROWS = 37  # neither a block's nor the header sample's size


def reference(text: str, delimiter: str = ",") -> dict[str, Any]:
    """The profile of the records a plain csv.reader gives, batch by batch, malformed
    records counted as csv.reader rejects them: what the scanner must reproduce."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    malformed = csv_profile._Examples()
    builder = csv_profile._Builder(delimiter=delimiter)
    batch: list[list[str]] = []
    while True:
        try:
            batch.append(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:
            malformed.add({"line": reader.line_num, "error": str(exc)})
        if len(batch) == REFERENCE_BATCH_ROWS:
            builder.add(batch)
            batch = []
    builder.add(batch)
    return builder.result(malformed)


def fast(text: str, delimiter: str = ",") -> dict[str, Any]:
    return csv_profile.profile_text(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'
    )


def random_csv(rng: random.Random, *, rows: int, width: int, broken: bool) -> str:
    lines = []
    for _ in range(rows):
        roll = rng.random()
        if roll < 0.05:
            lines.append("")  # a blank line
            continue
        fields = width + (rng.choice([-1, 1]) if roll < 0.1 else 0)  # ragged
        cells = []
        for _ in range(max(1, fields)):
            pick = rng.random()
            if pick < 0.15:
                cells.append(rng.choice(QUOTED))
            elif broken and pick < 0.18:
                cells.append(rng.choice(BROKEN))
            else:
                cells.append(rng.choice(CELLS))
        lines.append(",".join(cells))
    ending = rng.choice(["\n", "\r\n", "\r", "mixed"])
    if ending == "mixed":
        breaks = [rng.choice(["\n", "\r\n", "\r"]) for _ in lines]
        text = "".join(line + end for line, end in zip(lines, breaks, strict=True))
        return text if rng.random() < 0.5 else text.rstrip("\r\n")
    text = ending.join(lines) + rng.choice([ending, ""])
    if broken and rng.random() < 0.3:
        text = text.replace("\n", "\r", 1)  # a lone CR somewhere
    return text


@pytest.mark.parametrize("block_chars", [16, 64, 1000, 1 << 20])
@pytest.mark.parametrize("seed", range(12))
def test_same_profile_as_csv_reader(
    seed: int, block_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", block_chars)
    rng = random.Random(seed)
    text = random_csv(rng, rows=rng.randint(1, 400), width=rng.randint(1, 6), broken=seed % 2 == 1)

    assert fast(text) == reference(text)


def test_plain_text_is_split_without_csv_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast path must really be taken for lines without quotes.
    text = "a,b\n" + "".join(f"{index},{index * 2}\n" for index in range(1000))
    pieces = list(
        csv_scan.Scanner(
            io.StringIO(text, newline=""), delimiter=",", quotechar='"', on_malformed=print
        )
    )

    assert pieces == [[csv_scan.PlainLines(text.splitlines())]]


def test_quoted_records_and_line_numbers_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", 8)
    text = 'h1,h2\n1,"multi\nline\nfield"\n2,plain\n3,"bad"x\n4,"open\n'
    malformed: list[tuple[int, str]] = []
    scanner = csv_scan.Scanner(
        io.StringIO(text, newline=""),
        delimiter=",",
        quotechar='"',
        on_malformed=lambda line, error: malformed.append((line, error)),
    )

    records = []
    for pieces in scanner:
        for piece in pieces:
            if isinstance(piece, csv_scan.PlainLines):
                records += [line.split(",") for line in piece.lines]
            else:
                records += piece

    assert records == [["h1", "h2"], ["1", "multi\nline\nfield"], ["2", "plain"]]
    assert [line for line, _ in malformed] == [6, 7]
    assert "expected after" in malformed[0][1]
    assert "unexpected end of data" in malformed[1][1]


def test_field_over_the_size_limit_is_malformed_as_csv_says() -> None:
    limit = csv.field_size_limit()
    text = f"a,b\n1,{'x' * (limit + 1)}\n2,3\n"

    result = fast(text)

    assert result == reference(text)
    assert result["malformed_rows"]["count"] == 1
    assert result["rows"] == 1


def test_lone_carriage_returns_end_lines_as_in_csv() -> None:
    text = 'a,b\r1,2\r3,"x\ry"\r4,5\r'

    assert fast(text) == reference(text)
    assert fast(text)["rows"] == 3


def scan(text: str) -> tuple[list[list[csv_scan.Piece]], list[tuple[int, str]]]:
    malformed: list[tuple[int, str]] = []
    scanner = csv_scan.Scanner(
        io.StringIO(text, newline=""),
        delimiter=",",
        quotechar='"',
        on_malformed=lambda line, error: malformed.append((line, error)),
    )
    return list(scanner), malformed


def test_cr_only_lines_take_the_fast_path_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    # Classic Mac OS / Excel "CSV (Macintosh)": every block ends at a lone "\r".
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", 64)
    lines = ["a,b"] + [f"{index},{index * 2}" for index in range(200)]

    pieces, malformed = scan("\r".join(lines) + "\r")

    assert len(pieces) > 20  # many blocks, not one
    assert all(isinstance(piece, csv_scan.PlainLines) for block in pieces for piece in block)
    assert [line for block in pieces for piece in block for line in piece.lines] == lines  # type: ignore[union-attr]
    assert malformed == []


@pytest.mark.parametrize("block_chars", [3, 4, 5, 6, 7])
def test_a_crlf_cut_by_a_block_is_one_line_break(
    block_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", block_chars)
    text = "a,b\r\n1,2\r\n3,4\r5,6\n\r\n7,8\r\n"

    assert fast(text) == reference(text)
    assert fast(text)["rows"] == 4
    assert fast(text)["blank_lines"] == 1


def records_of(pieces: list[list[csv_scan.Piece]]) -> list[csv_scan.Record]:
    records: list[csv_scan.Record] = []
    for block in pieces:
        for piece in block:
            if isinstance(piece, csv_scan.PlainLines):
                records += [line.split(",") if line else [] for line in piece.lines]
            else:
                records += piece
    return records


@pytest.mark.parametrize("block_chars", [7, 30, 64])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_record_over_the_bound_is_malformed_and_never_built(
    block_chars: int, ending: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", block_chars)
    monkeypatch.setattr(csv_scan, "MAX_RECORD_CHARS", 100)
    long_line = ",".join(["12345"] * 60)  # 359 characters, no quote
    # 30 line breaks, in the file's line ending ("\r\n" pairs cut by chunks too)
    long_quoted = '9,"' + f'many{ending}short{ending}lines, ""quoted""{ending}' * 10 + '"'
    rows = ["a,b", "1,2", long_line, "3,4", long_quoted, "5,6"]

    pieces, malformed = scan(ending.join(rows) + ending)

    assert records_of(pieces) == [["a", "b"], ["1", "2"], ["3", "4"], ["5", "6"]]
    assert [line for line, _ in malformed] == [3, 35]  # the last line of each record
    assert all(error == "record longer than 100 characters (not read)" for _, error in malformed)


def test_a_text_that_ends_inside_an_overlong_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", 16)
    monkeypatch.setattr(csv_scan, "MAX_RECORD_CHARS", 50)

    pieces, malformed = scan('a,b\n1,2\n3,"' + "open\n" * 40)

    assert records_of(pieces) == [["a", "b"], ["1", "2"]]
    assert malformed == [(43, "record longer than 50 characters (not read)")]


def test_a_crlf_after_an_overlong_record_cut_by_the_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", 10)
    monkeypatch.setattr(csv_scan, "MAX_RECORD_CHARS", 20)
    # The long record's "\r" is the last character of a chunk, its "\n" the next one's first.
    text = "a,b\r\n" + "x" * 34 + "\r\n1,2\r\n"
    assert text.index("\r\n", 5) % 10 == 9

    pieces, malformed = scan(text)

    assert records_of(pieces) == [["a", "b"], ["1", "2"]]
    assert [line for line, _ in malformed] == [2]


def test_a_long_line_with_short_fields_is_profiled() -> None:
    # Longer than csv's field size limit, but no field is: a plain record.
    width = 30_000
    line = ",".join(["1234567"] * width)
    assert len(line) > csv.field_size_limit()
    text = f"{line}\n{line}\n"

    result = fast(text)

    assert result == reference(text)
    assert result["rows"] == 2
    assert result["columns"] == width
    assert result["malformed_rows"]["count"] == 0


@pytest.mark.parametrize("block_chars", [100, 1000, 1 << 16])
def test_a_quoted_field_over_the_limit_is_read_through_to_its_record_end(
    block_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # csv.reader would go on after its error inside the field, and read the
    # field's lines as records (and its closing quote as an opening one).
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", block_chars)
    field = ("x" * 99 + "\n") * (csv.field_size_limit() // 100 + 5)
    text = f'a,b\n1,"{field}"\n2,3\n4,"q"\n'

    pieces, malformed = scan(text)

    assert records_of(pieces) == [["a", "b"], ["2", "3"], ["4", "q"]]
    assert malformed == [(2 + field.count("\n"), "field larger than field limit (131072)")]


@pytest.mark.parametrize("seed", range(3))
def test_a_table_wider_than_the_profiled_columns(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the profiled columns' cells are split out of its plain lines.
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", 4096)
    rng = random.Random(seed)
    width = csv_profile.MAX_PROFILED_COLUMNS + 40
    text = random_csv(rng, rows=300, width=width, broken=False)

    assert fast(text) == reference(text)
    assert fast(text)["columns_truncated"] is True


@pytest.mark.parametrize("block_chars", [5, 64])
def test_an_overlong_record_of_many_quoted_fields_in_another_dialect(
    block_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Single quotes, semicolons, quoted line breaks and doubled quotes in every field.
    monkeypatch.setattr(csv_scan, "BLOCK_CHARS", block_chars)
    monkeypatch.setattr(csv_scan, "MAX_RECORD_CHARS", 200)
    malformed: list[tuple[int, str]] = []
    long_record = ";".join(["'a\nb''c'"] * 100)  # 100 line breaks inside quotes
    text = f"h1;h2\n1;2\n{long_record}\n3;'x\ny'\n"
    scanner = csv_scan.Scanner(
        io.StringIO(text, newline=""),
        delimiter=";",
        quotechar="'",
        on_malformed=lambda line, error: malformed.append((line, error)),
    )

    records = []
    for pieces in scanner:
        for piece in pieces:
            if isinstance(piece, csv_scan.PlainLines):
                records += [line.split(";") for line in piece.lines]
            else:
                records += piece

    assert records == [["h1", "h2"], ["1", "2"], ["3", "x\ny"]]
    assert malformed == [(103, "record longer than 200 characters (not read)")]
