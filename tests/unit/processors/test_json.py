"""The data processor on JSON and JSON Lines: structure, fields, and faults with their place."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from fileproc.errors import ContentMismatch, InvalidJson, TooLarge, Unsupported
from fileproc.processors import data, json_profile
from fileproc.processors.base import MAX_NAME_CHARS
from fileproc.processors.json_profile import MAX_MEMBER_FIELDS, MAX_MEMBER_PROFILES

from . import images
from .support import run

RECORDS = [
    {"id": 1, "name": "Ada", "score": 9.5, "tags": ["a"], "active": True},
    {"id": 2, "name": "Linus", "score": 7, "manager": None},
    {"id": 3, "name": None, "address": {"city": "Paris"}},
]


def profile(raw: str | bytes, extension: str = ".json") -> dict[str, Any]:
    return run(data.process, raw.encode() if isinstance(raw, str) else raw, extension).metadata


def invalid(raw: str | bytes, extension: str = ".json") -> str:
    with pytest.raises(InvalidJson) as raised:
        profile(raw, extension)
    return str(raised.value)


def test_array_of_objects_has_records_and_the_union_of_keys() -> None:
    metadata = profile(json.dumps(RECORDS, indent=2))

    assert metadata == {
        "format": "JSON",
        "encoding": "utf-8",
        "top_level": "array",
        "records": 3,
        "element_types": {"object": 3},
        "fields": [
            {"name": "id", "types": ["integer"], "present": 3},
            {"name": "name", "types": ["null", "string"], "present": 3},
            {"name": "score", "types": ["integer", "number"], "present": 2},
            {"name": "tags", "types": ["array"], "present": 1},
            {"name": "active", "types": ["boolean"], "present": 1},
            {"name": "manager", "types": ["null"], "present": 1},
            {"name": "address", "types": ["object"], "present": 1},
        ],
        "fields_truncated": False,
        "engine": "msgspec",
    }


def test_mixed_array() -> None:
    metadata = profile('[1, "two", 3.0, null, [4], {"k": false}, true]')

    assert metadata["records"] == 7
    assert metadata["element_types"] == {
        "integer": 1, "string": 1, "number": 1, "null": 1, "array": 1, "object": 1, "boolean": 1,
    }  # fmt: skip
    assert metadata["fields"] == [{"name": "k", "types": ["boolean"], "present": 1}]


def test_empty_array() -> None:
    assert profile(" [ ] ")["records"] == 0


def test_top_level_object() -> None:
    metadata = profile('{"name": "report", "rows": [1, 2], "meta": {"v": 1}, "n": 1.5}')

    assert metadata == {
        "format": "JSON",
        "encoding": "utf-8",
        "top_level": "object",
        "members": 4,
        "fields": [
            {"name": "name", "types": ["string"], "present": 1},
            {"name": "rows", "types": ["array"], "present": 1},
            {"name": "meta", "types": ["object"], "present": 1},
            {"name": "n", "types": ["number"], "present": 1},
        ],
        "fields_truncated": False,
        "member_profiles": [
            {
                "name": "rows",
                "type": "array",
                "records": 2,
                "element_types": {"integer": 2},
                "fields": [],
                "fields_truncated": False,
            },
            {
                "name": "meta",
                "type": "object",
                "members": 1,
                "fields": [{"name": "v", "types": ["integer"], "present": 1}],
                "fields_truncated": False,
            },
        ],
        "member_profiles_truncated": False,
        "engine": "scanner",
    }


def test_empty_object() -> None:
    metadata = profile("{}")

    assert metadata["members"] == 0
    assert metadata["member_profiles"] == []


def test_records_under_a_member_are_profiled_like_a_top_level_array() -> None:
    as_array = profile(json.dumps(RECORDS))

    metadata = profile(json.dumps({"meta": {"page": 1}, "data": RECORDS, "count": 3}, indent=2))

    data_profile = metadata["member_profiles"][1]
    assert data_profile == {
        "name": "data",
        "type": "array",
        **{name: as_array[name] for name in ("records", "element_types", "fields")},
        "fields_truncated": False,
    }
    assert metadata["fields"] == [
        {"name": "meta", "types": ["object"], "present": 1},
        {"name": "data", "types": ["array"], "present": 1},
        {"name": "count", "types": ["integer"], "present": 1},
    ]


def test_empty_members() -> None:
    metadata = profile('{"a": [], "o": {}}')

    described = [
        (p["name"], p.get("records"), p.get("members")) for p in metadata["member_profiles"]
    ]
    assert described == [("a", 0, None), ("o", None, 0)]


def test_member_profiles_are_capped() -> None:
    document = {f"m{index}": [index] for index in range(json_profile.MAX_MEMBER_PROFILES + 3)}

    metadata = profile(json.dumps(document))

    assert metadata["members"] == json_profile.MAX_MEMBER_PROFILES + 3
    assert [p["name"] for p in metadata["member_profiles"]] == [
        f"m{index}" for index in range(json_profile.MAX_MEMBER_PROFILES)
    ]
    assert metadata["member_profiles_truncated"] is True


def test_fields_of_a_member_are_capped() -> None:
    record = {f"k{index}": index for index in range(json_profile.MAX_MEMBER_FIELDS + 1)}

    metadata = profile(json.dumps({"data": [record], "meta": record}))

    for member in metadata["member_profiles"]:
        assert len(member["fields"]) == json_profile.MAX_MEMBER_FIELDS
        assert member["fields_truncated"] is True


def test_faults_inside_a_member_are_located() -> None:
    assert invalid('{"data": [\n {"a": 1},\n {"a": 2,}\n]}') == (
        "invalid JSON at line 3, column 10: Expecting property name enclosed in double quotes"
    )
    assert invalid('{"data": [1, 2}') == (
        "invalid JSON at line 1, column 15: Expecting ',' delimiter"
    )
    assert invalid('{"meta": {"a" 1}}') == (
        "invalid JSON at line 1, column 15: Expecting ':' delimiter"
    )


@pytest.mark.parametrize(
    ("document", "top_level"),
    [('"text"', "string"), ("42", "integer"), ("-1.5e3", "number"), ("true", "boolean"),
     ("null", "null")],
)  # fmt: skip
def test_top_level_scalars(document: str, top_level: str) -> None:
    assert profile(f"\n {document} \n")["top_level"] == top_level


def test_too_many_keys_are_truncated() -> None:
    record = {f"k{index}": index for index in range(json_profile.MAX_FIELDS + 5)}

    metadata = profile(json.dumps([record]))

    assert len(metadata["fields"]) == json_profile.MAX_FIELDS
    assert metadata["fields_truncated"] is True


def test_long_names_are_cut() -> None:
    long_key = "k" * 1000

    metadata = profile(json.dumps({long_key: [{long_key: 1, long_key + "2": "x"}]}))

    assert metadata["fields"][0]["name"] == "k" * MAX_NAME_CHARS
    member = metadata["member_profiles"][0]
    assert member["name"] == "k" * MAX_NAME_CHARS
    # Two keys that differ only past the cut are one field.
    assert member["fields"] == [
        {"name": "k" * MAX_NAME_CHARS, "types": ["integer", "string"], "present": 2}
    ]


def test_the_largest_metadata_fits_a_dynamodb_item() -> None:
    """Long names and every type wherever the limits allow: the metadata stays well below
    DynamoDB's 400 KB item (200 long keys once made a valid file FAIL as InternalError)."""

    def long_names(count: int, prefix: str) -> list[str]:
        return [f"{prefix}{index:04d}".ljust(MAX_NAME_CHARS + 100, "x") for index in range(count)]

    every_type = [1, 1.5, "s", True, None, [1], {"a": 1}]
    records = [dict.fromkeys(long_names(MAX_MEMBER_FIELDS + 1, "r"), v) for v in every_type]
    document = {
        name: records if index <= MAX_MEMBER_PROFILES else every_type[index % 7]
        for index, name in enumerate(long_names(json_profile.MAX_FIELDS + 1, "m"))
    }

    metadata = profile(json.dumps(document))

    assert metadata["fields_truncated"] is True
    assert metadata["member_profiles_truncated"] is True
    for member in metadata["member_profiles"]:
        assert len(member["fields"]) == MAX_MEMBER_FIELDS
        assert all(len(field["types"]) == 7 for field in member["fields"])
    assert len(json.dumps(metadata)) < 200_000


def test_utf16_json_with_bom() -> None:
    metadata = profile(json.dumps(RECORDS, ensure_ascii=False).encode("utf-16"))

    assert metadata["encoding"] == "utf-16"
    assert metadata["records"] == 3


def test_utf8_bom_is_accepted() -> None:
    metadata = profile(b"\xef\xbb\xbf" + json.dumps(RECORDS).encode())

    assert metadata["encoding"] == "utf-8-sig"
    assert metadata["records"] == 3


# -- invalid JSON: line and column in the whole file ------------------------


def test_invalid_json_reports_line_and_column() -> None:
    document = '[\n  {"id": 1},\n  {"id": 2,, "x": 3}\n]'

    assert invalid(document) == (
        "invalid JSON at line 3, column 12: Expecting property name enclosed in double quotes"
    )


def test_missing_comma_between_elements() -> None:
    assert invalid("[1, 2\n 3]") == "invalid JSON at line 2, column 2: Expecting ',' delimiter"


def test_trailing_comma() -> None:
    assert invalid("[1, 2, ]") == "invalid JSON at line 1, column 8: Expecting value"


def test_unclosed_array() -> None:
    assert invalid('[{"a": 1},\n {"a": 2}\n') == (
        "invalid JSON at line 3, column 1: Expecting ',' or ']'"
    )


def test_object_faults() -> None:
    assert invalid('{"a" 1}') == "invalid JSON at line 1, column 6: Expecting ':' delimiter"
    assert invalid("{'a': 1}") == (
        "invalid JSON at line 1, column 2: Expecting property name enclosed in double quotes"
    )
    assert invalid('{"a": 1 "b": 2}') == (
        "invalid JSON at line 1, column 9: Expecting ',' delimiter"
    )


def test_empty_file_is_invalid() -> None:
    assert invalid("") == "invalid JSON at line 1, column 1: Expecting value"
    assert invalid("  \n ") == "invalid JSON at line 2, column 2: Expecting value"


def test_several_documents_are_extra_data_with_a_hint() -> None:
    message = invalid('{"a": 1}\n{"a": 2}\n')

    assert message.startswith("invalid JSON at line 2, column 1: Extra data")
    assert ".jsonl" in message


def test_fault_far_into_a_large_file_is_located_exactly() -> None:
    records = [{"id": index, "text": "x" * (index % 50)} for index in range(20_000)]
    lines = json.dumps(records, indent=1).split("\n")
    broken = next(index for index in range(len(lines) // 2, len(lines)) if '"id"' in lines[index])
    lines[broken] = lines[broken].replace('"id"', "id", 1)
    document = "\n".join(lines)
    # The standard library's own verdict on the whole text, for comparison.
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(document)

    message = invalid(document)

    assert reference.value.lineno == broken + 1
    assert message == (
        f"invalid JSON at line {reference.value.lineno}, column {reference.value.colno}: "
        f"{reference.value.msg}"
    )


def test_latin1_bytes_are_invalid_json_with_their_place() -> None:
    message = invalid('{"city":\n "Besan\xe7on"}'.encode("latin-1"))

    assert message == "invalid JSON at line 2, column 8: not valid utf-8 text (byte 0xe7)"


def test_binary_json_is_a_mismatch() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.json file holds binary data, not text"):
        profile(bytes(range(1, 256)) * 64)


def test_image_as_json_is_a_mismatch() -> None:
    with pytest.raises(ContentMismatch, match=r"the \.json file holds a PNG image"):
        profile(images.png_with_alpha())


def test_too_deep_nesting_is_unsupported() -> None:
    with pytest.raises(Unsupported, match="nested too deeply"):
        profile("[" + "[" * 100_000 + "]" * 100_000 + "]")


def test_integer_beyond_the_digit_limit_is_invalid() -> None:
    assert invalid("[" + "1" * 5000 + "]").startswith("invalid JSON at line 1, column 2:")


# -- window boundaries -------------------------------------------------------


def tricky_document() -> str:
    rng = random.Random(3)
    records = [
        {
            "n": rng.choice([1234567, -2.5e-7, 0, 3.14159, 10**20]),
            "s": rng.choice(["", "a\\b", 'quote " inside', "\u00e9t\u00e9 \U0001f600", "\n\t"]),
            "b": rng.choice([True, False, None]),
            "list": [rng.randint(0, 9) for _ in range(rng.randint(0, 5))],
        }
        for _ in range(300)
    ]
    return json.dumps(records, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 7, 64, 1000])
def test_values_cut_by_the_window_are_read_whole(
    monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)
    document = tricky_document()
    expected = json.loads(document)

    metadata = profile(document)

    assert metadata["records"] == len(expected)
    score = next(field for field in metadata["fields"] if field["name"] == "n")
    assert score["types"] == sorted({"integer", "number"})


@pytest.mark.parametrize("read_bytes", [1, 5, 1000])
def test_scalars_cut_by_the_window(monkeypatch: pytest.MonkeyPatch, read_bytes: int) -> None:
    # "12" of "12345", "tr" of "true", "1." of "1.5": never taken for a whole value.
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)

    metadata = profile("[12345, true, 1.5, -0.25e+10, null, false]")

    assert metadata["element_types"] == {"integer": 1, "boolean": 2, "number": 2, "null": 1}


@pytest.mark.parametrize("read_bytes", [1, 3, 1000])
def test_members_cut_by_the_window_are_read_whole(
    monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)
    records = json.loads(tricky_document())

    metadata = profile(json.dumps({"count": 300, "data": records, "meta": records[0]}))

    data_profile, meta_profile = metadata["member_profiles"]
    assert data_profile["records"] == len(records)
    assert {f["name"] for f in data_profile["fields"]} == {"n", "s", "b", "list"}
    assert meta_profile["members"] == 4


def walked_document(rng: random.Random) -> str:
    """A top-level object with scalar, array and object members, keys with and without
    escapes, compact or spaced: every case of the tight loops and of the generic steps."""
    records = json.loads(tricky_document())
    members: dict[str, Any] = {}
    for index in range(60):
        key = rng.choice([f"k{index}", f'q"{index}', f"é{index}", f"tab\t{index}"])
        members[key] = rng.choice(
            [index, "text", None, records[:5], {"a": 1, "b\n": [1, {"c": 2}]}, [], {}]
        )
    members["data"] = records
    separators = rng.choice([(",", ":"), (", ", ": "), (" ,\n", " :\t")])
    return json.dumps(members, ensure_ascii=rng.random() < 0.5, separators=separators)


@pytest.mark.parametrize("read_bytes", [1, 7, 64, 4096])
@pytest.mark.parametrize("seed", range(4))
def test_the_tight_loops_give_what_the_generic_steps_give(
    monkeypatch: pytest.MonkeyPatch, read_bytes: int, seed: int
) -> None:
    document = walked_document(random.Random(seed))
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)
    fast = profile(document)
    monkeypatch.setattr(json_profile, "_following_elements", lambda window, add: None)
    monkeypatch.setattr(json_profile, "_following_members", lambda window, summary, whole: 0)

    assert fast == profile(document)
    assert fast["members"] == 61


def test_a_fault_after_a_run_of_compact_members_is_located() -> None:
    document = '{"a": 1,"b": 2,"c": NaN,"d": 4}'

    assert invalid(document) == (
        "invalid JSON at line 1, column 21: NaN is not valid JSON (RFC 8259 has no NaN or Infinity)"
    )
    assert invalid('[1,2,3,{"x": 1},tru]') == "invalid JSON at line 1, column 17: Expecting value"


def test_long_string_spanning_many_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", 1024)

    metadata = profile(json.dumps(["x" * 1_000_000, {"k": "y" * 300_000}]))

    assert metadata["element_types"] == {"string": 1, "object": 1}


@pytest.mark.parametrize("read_bytes", [1, 3, 1000])
def test_error_positions_do_not_depend_on_the_window(
    monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)

    message = invalid('[\n {"a": "caf\u00e9"},\n {"a": tru}\n]')

    assert message == "invalid JSON at line 3, column 8: Expecting value"


# -- JSON Lines ---------------------------------------------------------------


@pytest.mark.parametrize("extension", [".jsonl", ".ndjson"])
def test_json_lines(extension: str) -> None:
    lines = "\n".join(json.dumps(record) for record in RECORDS) + "\n\n   \n"

    metadata = profile(lines, extension)

    assert metadata["format"] == "JSON Lines"
    assert metadata["top_level"] == "lines"
    assert metadata["records"] == 3
    assert metadata["blank_lines"] == 2
    assert metadata["element_types"] == {"object": 3}
    assert {field["name"] for field in metadata["fields"]} == {
        "id", "name", "score", "tags", "active", "manager", "address",
    }  # fmt: skip


def test_json_lines_with_crlf_and_no_final_newline() -> None:
    metadata = profile('{"a": 1}\r\n[2]\r\n"three"', ".jsonl")

    assert metadata["records"] == 3
    assert metadata["element_types"] == {"object": 1, "array": 1, "string": 1}


def test_invalid_json_line_is_located() -> None:
    lines = '{"a": 1}\n{"a": 2}\n{"a": 3, b: 4}\n{"a": 5}\n'

    assert invalid(lines, ".jsonl") == (
        "invalid JSON at line 3, column 10: Expecting property name enclosed in double quotes"
    )


def test_pretty_printed_json_is_not_json_lines() -> None:
    assert invalid('{\n  "a": 1\n}\n', ".jsonl").startswith("invalid JSON at line 1, column 2:")


def test_json_lines_with_a_line_longer_than_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", 16)
    lines = json.dumps({"text": "z" * 5000}) + "\n" + json.dumps({"text": "short"}) + "\n"

    assert profile(lines, ".jsonl")["records"] == 2


def test_json_lines_too_deep_and_too_long_numbers() -> None:
    with pytest.raises(Unsupported):
        profile("[" * 100_000 + "]" * 100_000, ".jsonl")
    assert invalid("1" * 5000, ".jsonl").startswith("invalid JSON at line 1, column 1:")


def test_other_extensions_are_unsupported() -> None:
    with pytest.raises(Unsupported, match=r"\.xml"):
        profile("<a/>", ".xml")


# -- strict RFC 8259, nesting and the value bound ------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("template", "extension", "place"),
    [
        ("[1, 2, {}]", ".json", "line 1, column 8"),
        ('{"a": 1, "b": {}}', ".json", "line 1, column 15"),
        ('{"data": [0, {}]}', ".json", "line 1, column 14"),
        ("{}", ".json", "line 1, column 1"),
        ('{"a": 1}\n{"a": {}}\n', ".jsonl", "line 2, column 1"),
    ],
)
def test_nan_and_infinity_are_invalid(
    constant: str, template: str, extension: str, place: str
) -> None:
    # Python's json reads them; RFC 8259 has no such values. The place is the
    # start of the value that holds the constant.
    document = template.replace("{}", constant, 1) if "{}" in template else template

    message = invalid(document, extension)

    assert message == (
        f"invalid JSON at {place}: {constant} is not valid JSON (RFC 8259 has no NaN or Infinity)"
    )


def test_constant_names_inside_strings_are_text() -> None:
    assert profile('["NaN", "-Infinity"]')["element_types"] == {"string": 2}


@pytest.mark.parametrize("read_bytes", [7, 4096, 256 * 1024])
def test_unclosed_deep_nesting_is_invalid(read_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)
    # Brackets inside strings do not count; the file ends 3 * 3000 levels deep.
    document = '[{"a": "]}]} [\\"", "b": [' * 3000

    message = invalid("\n" + document)

    assert message == (
        f"invalid JSON at line 2, column {len(document) + 1}:"
        " the file ends inside 9000 unclosed arrays or objects"
    )


@pytest.mark.parametrize("read_bytes", [7, 256 * 1024])
def test_closed_deep_nesting_is_unsupported_even_with_brackets_in_strings(
    read_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", read_bytes)
    document = '{"k": [' * 2000 + '"]]}}"' + "]}" * 2000

    with pytest.raises(Unsupported, match="nested too deeply"):
        profile(document)
    with pytest.raises(Unsupported, match="nested too deeply"):
        profile('{"a": 1}\n' + document + "\n", ".jsonl")


def test_unclosed_nesting_with_some_closed_levels() -> None:
    assert invalid("[" * 3000 + "]" * 10 + ", 1") == (
        "invalid JSON at line 1, column 3014: the file ends inside 2990 unclosed arrays or objects"
    )


def test_unclosed_deep_json_line_is_invalid() -> None:
    assert invalid('{"a": 1}\n' + "[" * 5000 + "\n", ".jsonl") == (
        "invalid JSON at line 2, column 5001: the line ends inside 5000 unclosed arrays or objects"
    )


@pytest.mark.parametrize(
    ("document", "extension", "what", "place"),
    [
        ('["' + "x" * 5000 + '"]', ".json", "value", "line 1, column 2"),
        ('"' + "x" * 5000 + '"', ".json", "value", "line 1, column 1"),
        (
            '{"a": 1,\n "big": {"inner": [' + "1," * 3000 + "1]}}",
            ".json",
            "value",
            "line 2, column 19",
        ),
        ('{"a": [{"b": "' + "y" * 5000 + '"}]}', ".json", "value", "line 1, column 8"),
        ('{"a": 1}\n[' + "2," * 3000 + "2]\n", ".jsonl", "line", "line 2, column 1"),
        ("[" + "[" * 2000 + '"' + "z" * 5000 + '"' + "]" * 2000 + "]", ".json", "string", None),
    ],
)
def test_a_value_over_the_bound_is_too_large(
    document: str, extension: str, what: str, place: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", 64)
    monkeypatch.setattr(json_profile, "MAX_VALUE_CHARS", 1000)

    with pytest.raises(TooLarge) as raised:
        profile(document, extension)

    message = str(raised.value)
    assert message.startswith(f"a JSON {what} longer than 1000 characters at ")
    if place is not None:
        assert f" at {place}: " in message


def test_values_under_the_bound_are_read_across_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_profile, "READ_BYTES", 64)
    monkeypatch.setattr(json_profile, "MAX_VALUE_CHARS", 1000)
    records = [{"text": "w" * 900}] * 20

    assert profile(json.dumps(records))["records"] == 20
    assert profile("\n".join(map(json.dumps, records)), ".jsonl")["records"] == 20


def test_duplicate_keys_count_as_members_of_one_field() -> None:
    metadata = profile('{"m": {"a": 1, "a": "x"}, "m": 2}')

    assert metadata["members"] == 2
    assert metadata["fields"] == [{"name": "m", "types": ["integer", "object"], "present": 2}]
    (member,) = metadata["member_profiles"]
    assert member["members"] == 2
    assert member["fields"] == [{"name": "a", "types": ["integer", "string"], "present": 2}]
