"""The data processor on CSV files: dialects, headers, types, ragged and malformed rows."""

from __future__ import annotations

from typing import Any

import pytest

from fileproc.errors import ContentMismatch
from fileproc.processors import csv_profile, data

from . import images
from .support import run


def profile(text: str | bytes) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    return run(data.process, raw, ".csv").metadata


def columns(metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {column["name"]: column for column in metadata["column_profiles"]}


def test_semicolons_quotes_and_every_type() -> None:
    text = (
        "id;name;price;in_stock;released;rating\n"
        '1;"Smith; John";19.99;true;2024-01-15;4\n'
        '2;"The ""Best"" Lamp";5;false;2024-02-01T10:30:00;\n'
        "3;Desk;120.5;TRUE;2024-03-10;5\n"
        '4;"Two\nlines";0.25;False;2024-04-01 08:00:00+02:00;3\n'
    )

    metadata = profile(text)

    assert metadata["format"] == "CSV"
    assert metadata["encoding"] == "utf-8"
    assert metadata["dialect"] == {"delimiter": ";", "quotechar": '"'}
    assert metadata["header"] is True
    assert metadata["rows"] == 4
    assert metadata["columns"] == 6
    assert metadata["column_profiles"] == [
        {"name": "id", "type": "integer", "empty": 0, "min": 1, "max": 4, "mean": 2.5},
        {"name": "name", "type": "string", "empty": 0},
        {"name": "price", "type": "float", "empty": 0, "min": 0.25, "max": 120.5,
         "mean": pytest.approx((19.99 + 5 + 120.5 + 0.25) / 4)},
        {"name": "in_stock", "type": "boolean", "empty": 0},
        {"name": "released", "type": "date", "empty": 0},
        {"name": "rating", "type": "integer", "empty": 1, "min": 3, "max": 5, "mean": 4.0},
    ]  # fmt: skip
    assert metadata["ragged_rows"] == {"count": 0, "examples": []}
    assert metadata["malformed_rows"] == {"count": 0, "examples": []}
    assert metadata["blank_lines"] == 0
    assert metadata["columns_truncated"] is False


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), ("\t", "tab"), ("|", "pipe")])
def test_delimiters_are_sniffed(delimiter: str, name: str) -> None:
    rows = [["city", "population", "note"], ["Paris", "2102650", "capital, France"]]
    rows += [["Lyon", "522250", "Rhône"], ["Nice", "342669", ""]]
    text = "\n".join(
        delimiter.join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows
    )

    metadata = profile(text + "\n")

    assert metadata["dialect"]["delimiter"] == delimiter, name
    assert metadata["rows"] == 3
    assert columns(metadata)["population"]["type"] == "integer"
    assert columns(metadata)["note"]["empty"] == 1


def test_single_column_falls_back_to_comma() -> None:
    metadata = profile("value\n1\n2\n3\n")

    assert metadata["dialect"] == {"delimiter": ",", "quotechar": '"'}
    assert metadata["columns"] == 1
    assert metadata["column_profiles"][0]["type"] == "integer"


def test_ragged_rows_are_counted_and_reported_not_fatal() -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n"

    metadata = profile(text)

    assert metadata["rows"] == 5
    assert metadata["ragged_rows"] == {
        "count": 2,
        "examples": [{"row": 2, "fields": 2}, {"row": 4, "fields": 4}],
    }
    # The well-formed rows (1, 6, 13) still make the profile.
    assert columns(metadata)["a"] == {
        "name": "a", "type": "integer", "empty": 0, "min": 1, "max": 13, "mean": 20 / 3,
    }  # fmt: skip


def test_malformed_rows_are_counted_with_their_line_not_fatal() -> None:
    text = 'a,b\n1,"ok"\n2,"bad"quote\n3,"fine"\n4,"unterminated\n'

    metadata = profile(text)

    assert metadata["rows"] == 2
    assert metadata["malformed_rows"]["count"] == 2
    first, last = metadata["malformed_rows"]["examples"]
    assert first["line"] == 3
    assert "expected after" in first["error"]
    assert last["line"] == 5
    assert "unexpected end of data" in last["error"]
    assert columns(metadata)["a"]["max"] == 3


def test_examples_are_capped_but_counts_are_not() -> None:
    text = "a,b\n" + "1\n" * 50 + "2,3\n"

    metadata = profile(text)

    assert metadata["ragged_rows"]["count"] == 50
    assert len(metadata["ragged_rows"]["examples"]) == csv_profile.MAX_EXAMPLES


def test_blank_lines_are_not_rows() -> None:
    metadata = profile("\n\na,b\n1,2\n\n3,4\n\n")

    assert metadata["rows"] == 2
    assert metadata["blank_lines"] == 4
    assert metadata["header"] is True
    assert metadata["ragged_rows"]["count"] == 0


def test_more_leading_blank_lines_than_the_header_sample() -> None:
    blank = "\n" * (2 * csv_profile.HEADER_SAMPLE_ROWS + 3)

    metadata = profile(blank + "a,b\n1,2\n")

    assert (metadata["header"], metadata["rows"]) == (True, 1)
    assert metadata["blank_lines"] == 2 * csv_profile.HEADER_SAMPLE_ROWS + 3


def test_numbers_in_the_first_row_mean_no_header() -> None:
    metadata = profile("1,2.5,x\n3,4.5,y\n")

    assert metadata["header"] is False
    assert metadata["rows"] == 2
    assert [column["name"] for column in metadata["column_profiles"]] == [
        "column_1",
        "column_2",
        "column_3",
    ]


def test_all_text_table_with_a_header() -> None:
    metadata = profile("name,city\nAlice,Paris\nBob,London\n")

    assert metadata["header"] is True
    assert metadata["rows"] == 2


def test_first_row_repeated_below_is_data() -> None:
    metadata = profile("red,small\nblue,large\nred,large\n")

    assert metadata["header"] is False
    assert metadata["rows"] == 3


@pytest.mark.parametrize("first_row", ["id,,name", "id,id,name"])
def test_empty_or_duplicate_names_mean_no_header(first_row: str) -> None:
    metadata = profile(first_row + "\nx,y,z\n")

    assert metadata["header"] is False


def test_types_widen_over_the_whole_file() -> None:
    # Batches are hundreds of rows: make each change of type arrive in a later batch.
    rows = ["n,i,b,d"]
    rows += [f"{k},{k},true,2024-01-01" for k in range(3000)]
    rows += ["2.5,oops,yes,2024-13-45"]
    text = "\n".join(rows) + "\n"

    metadata = columns(profile(text))

    assert metadata["n"] == {
        "name": "n",
        "type": "float",
        "empty": 0,
        "min": 0.0,
        "max": 2999.0,
        "mean": pytest.approx((sum(range(3000)) + 2.5) / 3001),
    }
    assert metadata["i"] == {"name": "i", "type": "string", "empty": 0}
    assert metadata["b"]["type"] == "string"
    assert metadata["d"]["type"] == "string"


def test_empty_column_and_missing_numbers() -> None:
    metadata = columns(profile("a,b\n,1\n,\n,3\n"))

    assert metadata["a"] == {"name": "a", "type": "string", "empty": 3}
    assert metadata["b"] == {"name": "b", "type": "integer", "empty": 1, "min": 1, "max": 3,
                             "mean": 2.0}  # fmt: skip


@pytest.mark.parametrize("marker", ["nan", "inf", "-Infinity"])
def test_nan_and_infinity_are_not_numbers(marker: str) -> None:
    metadata = columns(profile(f"x\n1.5\n{marker}\n"))

    assert metadata["x"]["type"] == "string"


def test_overflowing_sum_gives_no_mean() -> None:
    metadata = columns(profile("x\n1e308\n1e308\n"))

    assert metadata["x"]["type"] == "float"
    assert metadata["x"]["max"] == 1e308
    assert metadata["x"]["mean"] is None


def test_integers_too_large_for_a_float() -> None:
    huge = 10**400

    metadata = columns(profile(f"x\n{huge}\n{huge + 1}\n"))

    assert metadata["x"] == {
        "name": "x", "type": "integer", "empty": 0, "min": huge, "max": huge + 1, "mean": None,
    }  # fmt: skip


def test_garbage_collector_is_paused_only_while_profiling() -> None:
    import gc

    assert gc.isenabled()
    profile("a\n1\n")
    assert gc.isenabled()

    gc.disable()
    try:
        profile("a\n1\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_wide_table_profiles_the_first_columns_only() -> None:
    width = csv_profile.MAX_PROFILED_COLUMNS + 50
    header = ",".join(f"c{index}" for index in range(width))
    row = ",".join(str(index) for index in range(width))

    metadata = profile(f"{header}\n{row}\n{row}\n")

    assert metadata["columns"] == width
    assert len(metadata["column_profiles"]) == csv_profile.MAX_PROFILED_COLUMNS
    assert metadata["columns_truncated"] is True


def test_latin1_csv_from_a_spreadsheet() -> None:
    text = "nom;ville;montant\nFrançois;Besançon;12,5\nRenée;Orléans;7\nJérôme;Nîmes;3\n"

    metadata = profile(text.encode("cp1252"))

    assert metadata["encoding"] == "cp1252"
    assert metadata["dialect"]["delimiter"] == ";"
    assert [column["name"] for column in metadata["column_profiles"]] == [
        "nom",
        "ville",
        "montant",
    ]
    assert metadata["rows"] == 3


def test_utf8_bom_is_not_part_of_the_first_name() -> None:
    metadata = profile("\ufeffid,name\n1,a\n".encode())

    assert metadata["encoding"] == "utf-8-sig"
    assert metadata["column_profiles"][0]["name"] == "id"


def test_empty_csv() -> None:
    metadata = profile("")

    assert metadata["rows"] == 0
    assert metadata["columns"] == 0
    assert metadata["header"] is False
    assert metadata["column_profiles"] == []


def test_binary_csv_is_a_mismatch() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.csv file holds binary data, not text"):
        profile(bytes(range(256)) * 64)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_few_nul_bytes_are_text(encoding: str) -> None:
    # As csv.reader and editors read it: the NULs stay in their cells.
    # A name long enough to tell Windows-1252 from its Baltic and Central European
    # cousins, where "Zoë" alone decodes as plausibly (charset's tests cover those).
    name = "François Müller, née Zoë"
    rows = ["id,name,amount"] + [f'{index},"{name} {index}",{index}.5' for index in range(2000)]
    rows[10] = "9,bad\x00name,9.5"
    rows[1500] = "1499,\x00\x00,1499.5"
    raw = ("\n".join(rows) + "\n").encode(encoding)

    metadata = profile(raw)

    assert metadata["encoding"] == encoding
    assert metadata["rows"] == 2000
    assert metadata["malformed_rows"]["count"] == 0
    assert [column["type"] for column in metadata["column_profiles"]] == [
        "integer",
        "string",
        "float",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"id,name\n" + bytes(range(256)) * 64,  # every byte value: 1 NUL in 256
        b"id,name\n1,a\n" + b"\x00" * 200 + b"2,b\n" * 10,  # a run of NULs in a short file
    ],
    ids=["random", "nul-run"],
)
def test_more_nul_bytes_are_binary(raw: bytes) -> None:
    with pytest.raises(ContentMismatch, match="binary data, not text"):
        profile(raw)


def test_bomless_utf16_is_not_text_with_nul_bytes() -> None:
    # One NUL in two: still left to charset-normalizer, which finds UTF-16.
    metadata = profile("id,name\n1,a\n2,b\n".encode("utf-16-le"))

    assert metadata["encoding"] == "utf-16-le"
    assert metadata["rows"] == 2


def test_image_as_csv_is_a_mismatch() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.csv file holds a PNG image"):
        profile(images.png_with_alpha())


def test_sniffer_sees_whole_lines_of_a_long_file() -> None:
    # The sample is cut at a line boundary: a cut line must not skew the dialect.
    line = "alpha;beta;gamma;delta\n"
    metadata = profile(line * 10_000)

    assert metadata["dialect"]["delimiter"] == ";"
    assert metadata["rows"] == 10_000
    assert metadata["header"] is False


def test_doubled_quotes_after_the_sniffed_sample() -> None:
    # The sample shows no doubled quote; RFC 4180 escaping must still apply later.
    rows = ["id,comment"] + [f"{index},plain comment number {index}" for index in range(2000)]
    rows.append('2000,"He said ""hi"", then left"')

    metadata = profile("\n".join(rows) + "\n")

    assert metadata["malformed_rows"]["count"] == 0
    assert metadata["rows"] == 2001


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_mac_and_windows_line_endings(ending: str) -> None:
    # Excel's "CSV (Macintosh)" ends lines with a lone CR; the dialect is sniffed
    # on whole lines whatever the line ending.
    rows = ["id;city;amount"] + [f"{index};Town {index % 7};{index}.5" for index in range(5000)]

    metadata = profile(ending.join(rows) + ending)

    assert metadata["dialect"]["delimiter"] == ";"
    assert metadata["header"] is True
    assert metadata["rows"] == 5000
    assert metadata["blank_lines"] == 0
    assert [column["type"] for column in metadata["column_profiles"]] == [
        "integer",
        "string",
        "float",
    ]


def test_infer_single_values() -> None:
    kinds = [csv_profile.infer(value) for value in ["12", "-3.5", "True", "2024-02-29", "x"]]

    assert kinds == ["integer", "float", "boolean", "date", "string"]
