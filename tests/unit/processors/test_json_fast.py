"""msgspec's block reading (json_fast) against the scanner: the same profile or the same fault,
wherever the blocks are cut and wherever msgspec hands a file over."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest

from fileproc.errors import PermanentError
from fileproc.processors import data, json_fast, json_profile

from .support import run

LONE_SURROGATE = '"\\ud800 alone"'


def outcome(raw: bytes, extension: str) -> tuple[str, Any]:
    """("profile", metadata without the engine) or (error type, message)."""
    try:
        metadata = run(data.process, raw, extension).metadata
    except PermanentError as exc:
        return exc.type, str(exc)
    return "profile", {key: value for key, value in metadata.items() if key != "engine"}


def engine(raw: bytes, extension: str = ".json") -> str:
    return str(run(data.process, raw, extension).metadata["engine"])


def by_scanner(raw: bytes, extension: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    """The scanner alone: no block reading, no runs of elements decoded by msgspec."""
    with monkeypatch.context() as patch:
        patch.setattr(json_profile, "FAST_ENCODINGS", ())
        patch.setattr(json_fast, "scanner_window", json_profile.Window)
        return outcome(raw, extension)


def record(rng: random.Random, index: int) -> Any:
    """A record with the shapes that matter: integers past 64 bits, floats, escapes,
    non-ASCII text, nested objects and arrays of objects (whose "},{" look like a
    separator between records), and now and then a non-object element."""
    roll = rng.random()
    if roll < 0.03:
        return rng.choice([7, 2.5, "text", None, True, [1, {"a": 2}], []])
    value: dict[str, Any] = {
        "id": index,
        "big": rng.choice([10**20, -(10**25), 2**63, 1]),
        "x": rng.choice([0.1, -2.5e-7, 1e300, 3]),
        "s": rng.choice(["", "a\\b", 'q " q', "\u00e9t\u00e9 \U0001f600", "},{", "\n"]),
        "b": rng.choice([True, False, None]),
    }
    if rng.random() < 0.5:
        value["items"] = [{"k": rng.randint(0, 9)} for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.3:
        value[rng.choice(["extra", "é", "k" * 200])] = {"inner": [[], {}]}
    return value


def document(seed: int, count: int = 400) -> list[Any]:
    rng = random.Random(seed)
    return [record(rng, index) for index in range(count)]


def as_array(records: list[Any], rng: random.Random) -> bytes:
    separators = rng.choice([(",", ":"), (", ", ": "), (" ,\n ", " : ")])
    indent = rng.choice([None, None, 1])
    text = json.dumps(
        records, separators=separators, indent=indent, ensure_ascii=rng.random() < 0.5
    )
    return text.encode()


def as_lines(records: list[Any], rng: random.Random) -> bytes:
    ending = rng.choice(["\n", "\r\n"])
    lines = [json.dumps(item, ensure_ascii=rng.random() < 0.5) for item in records]
    return (ending.join(lines) + rng.choice(["", ending, ending + "  " + ending])).encode()


@pytest.mark.parametrize("seed", range(6))
def test_valid_files_get_the_scanners_profile(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    records = document(seed)
    monkeypatch.setattr(json_profile, "READ_BYTES", rng.choice([1, 100, 4096, 256 * 1024]))
    monkeypatch.setattr(json_fast, "PART_BYTES", rng.choice([1, 300, 16 * 1024]))

    for raw, extension in ((as_array(records, rng), ".json"), (as_lines(records, rng), ".jsonl")):
        fast = outcome(raw, extension)

        assert fast == by_scanner(raw, extension, monkeypatch)
        assert fast[0] == "profile"


@pytest.mark.parametrize("seed", range(40))
def test_a_fault_anywhere_gets_the_scanners_verdict(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One ASCII character replaced at a random place: msgspec refuses the block that
    # holds it, and the scanner, from where msgspec stopped, says what it says from the start.
    rng = random.Random(seed)
    records = document(seed, count=60)
    raw, extension = rng.choice(
        [(as_array(records, rng), ".json"), (as_lines(records, rng), ".ndjson")]
    )
    place = rng.randrange(len(raw))
    broken = (
        raw[:place]
        + rng.choice([b"x", b",", b"]", b"}", b"{", b'"', b"\\", b" "])
        + raw[place + 1 :]
    )
    if broken[place - 1 : place + 2].decode("utf-8", "replace") != broken[
        place - 1 : place + 2
    ].decode("utf-8", "ignore"):
        broken = raw  # the replaced byte was part of a multibyte character: no test there
    monkeypatch.setattr(json_profile, "READ_BYTES", rng.choice([64, 4096]))
    monkeypatch.setattr(json_fast, "PART_BYTES", rng.choice([1, 500]))

    assert outcome(broken, extension) == by_scanner(broken, extension, monkeypatch)


@pytest.mark.parametrize("seed", range(4))
def test_member_arrays_are_read_in_runs_like_the_scanner(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # {"data": [...]}: the scanner walks the object and msgspec decodes runs of records.
    rng = random.Random(seed)
    records = document(seed)
    raw = json.dumps({"meta": {"n": 1}, "data": records, "tail": records[:50]}).encode()
    if seed % 2:
        raw = raw[: len(raw) // 2] + b"]" + raw[len(raw) // 2 :]  # and with a fault
    # Runs fit in the window (a window of READ_BYTES, or more while a value is cut).
    monkeypatch.setattr(json_profile, "READ_BYTES", rng.choice([4096, 256 * 1024]))
    monkeypatch.setattr(json_profile, "PART_CHARS", rng.choice([1, 300, 1000]))
    runs: list[int] = []
    decode_part = json_fast.decode_part

    def counted(text: str) -> list[Any] | None:
        values = decode_part(text)
        runs.append(len(values or []))
        return values

    monkeypatch.setattr(json_fast, "decode_part", counted)

    assert outcome(raw, ".json") == by_scanner(raw, ".json", monkeypatch)
    assert sum(runs) > len(records) // 2  # most records came in runs


def test_the_engine_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_fast, "PART_BYTES", 1)
    records = json.dumps(document(1)).encode()

    assert engine(records) == "msgspec"
    assert engine(b"[1, 2, " + LONE_SURROGATE.encode() + b"]") == "msgspec+scanner"
    assert engine(b'{"data": [1, 2]}') == "scanner"
    assert engine(json.dumps([1, 2]).encode("utf-16")) == "scanner"
    assert engine(b'{"a": 1}\n{"a": 2}\n', ".jsonl") == "msgspec"
    assert engine(b'{"a": 1}\n\n{"a": 2}\n', ".jsonl") == "msgspec+scanner"  # the blank line


def test_integers_past_64_bits_stay_integers() -> None:
    # orjson reads 2**64 as a float; msgspec, like Python's json, as an integer.
    raw = json.dumps([{"n": 2**64}, {"n": -(2**70)}, {"n": 10**300}]).encode()
    metadata = run(data.process, raw, ".json").metadata

    assert metadata["engine"] == "msgspec"
    assert metadata["fields"] == [{"name": "n", "types": ["integer"], "present": 3}]


def test_what_msgspec_refuses_and_python_reads_is_read() -> None:
    # A lone surrogate (the record layer sanitises it) and 1e999 (infinity, a number).
    lines = f'{{"a": 1}}\n{{"a": {LONE_SURROGATE}}}\n{{"a": 1e999}}\n'.encode()
    metadata = run(data.process, lines, ".jsonl").metadata

    assert metadata["engine"] == "msgspec+scanner"
    assert metadata["records"] == 3
    assert metadata["fields"] == [
        {"name": "a", "types": ["integer", "number", "string"], "present": 3}
    ]


def test_records_with_arrays_of_objects_are_cut_between_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every record holds "},{": a cut there fails to decode and the next separator is
    # tried, so msgspec reads the whole file.
    monkeypatch.setattr(json_fast, "PART_BYTES", 200)
    records = [{"id": i, "items": [{"k": 1}, {"k": 2}]} for i in range(2000)]
    raw = json.dumps(records, separators=(",", ":")).encode()
    metadata = run(data.process, raw, ".json").metadata

    assert metadata["engine"] == "msgspec"
    assert metadata["records"] == 2000


def test_an_element_over_the_bound_goes_to_the_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_profile, "MAX_VALUE_CHARS", 1000)
    monkeypatch.setattr(json_profile, "READ_BYTES", 64)
    small = json.dumps([{"a": i} for i in range(200)])[1:-1]
    raw = f'[{small}, {{"big": "{"x" * 5000}"}}, {small}]'.encode()

    kind, message = outcome(raw, ".json")

    assert kind == "TooLarge"
    assert message.startswith("a JSON value longer than 1000 characters at line 1, column ")


def test_json_lines_invalid_utf8_is_located_like_the_scanner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = '{"a": "ok"}\n{"a": "café", "b": "Besan\xe7on"}\n'.encode("latin-1")

    assert outcome(raw, ".jsonl") == (
        "InvalidJson",
        "invalid JSON at line 2, column 11: not valid utf-8 text (byte 0xe9)",
    )
    assert outcome(raw, ".jsonl") == by_scanner(raw, ".jsonl", monkeypatch)


def test_json_lines_bom_is_skipped() -> None:
    metadata = run(data.process, b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n', ".jsonl").metadata

    assert (metadata["encoding"], metadata["records"], metadata["engine"]) == (
        "utf-8-sig",
        2,
        "msgspec",
    )


@pytest.mark.parametrize(("extension", "column"), [(".json", 7), (".jsonl", 1)])
def test_an_integer_over_the_digit_limit_is_said_plainly(extension: str, column: int) -> None:
    # Python's own message names sys.set_int_max_str_digits, nothing a user can set.
    kind, message = outcome(b'{"n": 1' + b"0" * 5000 + b"}", extension)

    assert kind == "InvalidJson"
    assert message == (
        f"invalid JSON at line 1, column {column}: an integer of 5001 digits"
        " (integers of more than 4300 digits are not read)"
    )


LAZY_PROBE = """
import json, sys
import fileproc.handlers.data as handler
from fileproc.processors import data
loaded = "msgspec" in sys.modules
data.prepare(".csv")
after_csv = "msgspec" in sys.modules
data.prepare(".ndjson")
print(json.dumps([loaded, after_csv, "msgspec" in sys.modules, callable(handler.handler)]))
"""


def test_only_a_json_file_imports_the_engine_once_per_container() -> None:
    # The data function's cold start and its CSV files never import msgspec; its first
    # JSON file imports it in the function's process, which every later child inherits.
    result = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, False, True, True]
