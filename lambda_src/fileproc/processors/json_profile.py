"""JSON (.json) and JSON Lines (.jsonl .ndjson), streamed: structure, records and fields.

Metadata: ``format`` "JSON" or "JSON Lines", ``encoding``, ``top_level``
(object, array, string, integer, number, boolean, null; "lines" for JSON
Lines). For an array and for JSON Lines: ``records``, ``element_types``
(type -> count) and ``fields``: the union of the keys of the object records,
each ``{name, types, present}`` (present = records that have the key), at most
MAX_FIELDS (``fields_truncated`` says if there were more). For a top-level
object: ``members``, the same ``fields`` (one per member), and
``member_profiles``: for each member whose value is an array, its ``records``,
``element_types`` and ``fields``; for one whose value is an object, its
``members`` and ``fields`` (each profile has ``name`` and ``type``; at most
MAX_MEMBER_PROFILES of them with at most MAX_MEMBER_FIELDS fields each,
``member_profiles_truncated`` says if more members had one). Names are cut to
MAX_NAME_CHARS. Those limits keep the record within DynamoDB's 400 KB item.
Invalid JSON raises InvalidJson with the line and column of the fault in the
whole file. JSON is strict RFC 8259: NaN, Infinity and -Infinity (which
Python's json accepts) are invalid; so is an array or object still open at the
end of the file, however deep, and so is an integer of more than Python's
4,300 digits (said as such, not in Python's words). A closed value nested
deeper than Python's json can recurse (about 1,000 levels) is Unsupported.

Engines: a UTF-8 file (the usual case) is read by json_fast with msgspec, a C
decoder as strict as this module (it refuses what RFC 8259 refuses and reads
integers of any length as integers), in blocks of whole lines or of whole
array elements; whatever msgspec refuses, and every other shape (a top-level
object or scalar, UTF-16 or UTF-32 text), is read by the scanner below, which
has the last word: it accepts what Python's json accepts within RFC 8259 (lone
surrogates too: the record layer sanitises them) and says where a fault is.
``engine`` in the metadata says which read the file: "msgspec" (json_fast's
blocks), "scanner", or "msgspec+scanner" (json_fast read a part and handed the
rest over). The scanner too decodes runs of array elements with msgspec
(Window.decode_part, set by json_fast), falling back to one element at a time.

Streaming: the text is decoded chunk by chunk into a window, and the top two
levels are walked by hand: each element of a top-level array, or of an array
that is a member of a top-level object (``{"data": [...records...]}``), and
each member of an object at those levels, is decoded on its own with
``json.JSONDecoder.raw_decode``, and the window's consumed text is dropped. So
memory holds one element, not the file (a value nested deeper than that is
decoded whole with the element that holds it).

Bound: one value (an element, a member's value, a top-level scalar, a JSON
Lines line) is decoded only if its text is at most MAX_VALUE_CHARS; a longer
one fails the file with TooLarge, saying where it starts, after at most twice
the bound of its text was read. Peak memory is about that text plus the
decoded value: at most ~50 bytes a character for the densest shapes (arrays of
empty arrays), so ~100 MB for the 2 Mi bound, a few MB for usual records.
"""

from __future__ import annotations

import codecs
import io
import json
import json.scanner
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NoReturn, cast

from fileproc.errors import ContentMismatch, InvalidJson, TooLarge, Unsupported
from fileproc.processors import charset, sniff
from fileproc.processors.base import MAX_NAME_CHARS, Extraction
from fileproc.processors.streams import read_head, rejoined

READ_BYTES = 256 * 1024
MAX_FIELDS = 200
MAX_MEMBER_PROFILES = 5
MAX_MEMBER_FIELDS = 100
# A value is accepted only with this much text after it (or at the end of the
# file): "2." may be the start of "2.5", "tru" of "true". Likewise a decode
# error this close to the end of the window may be the window's cut.
LOOKAHEAD_CHARS = 8
# The longest value decoded whole. A record, most GeoJSON features or a long
# text field fit; a decoded value takes up to ~50 bytes a character of its
# text (an empty list per 3 characters: 2 Mi characters of "[]," measured at
# +101 MB), so this keeps the worst shape near 100 MB, well inside the data
# function's memory.
MAX_VALUE_CHARS = 2 * 1024 * 1024


class _NotJson(ValueError):
    """A constant Python's json accepts but RFC 8259 does not."""


def _reject_constant(name: str) -> NoReturn:
    raise _NotJson(f"{name} is not valid JSON (RFC 8259 has no NaN or Infinity)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# json's C scanner, what raw_decode calls once it has checked its arguments.
# (typeshed types its argument as the scanner itself: hence the cast.)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(cast(Any, _DECODER))
_WHITESPACE = " \t\n\r"
_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")
_SEPARATOR = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
# A separator and a key without escapes or control characters, up to its value.
_PLAIN_MEMBER = re.compile(r'[ \t\n\r]*,[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
_BRACKET = re.compile(r"[][{}]")
# "}," or "]," then "{" or "[": a separator between two elements that are objects or arrays.
_CONTAINER_SEPARATOR = re.compile(r"[}\]][ \t\n\r]*(,)[ \t\n\r]*([{\[])")
# Runs of array elements for the window's part decoder: about this many characters
# (msgspec is fastest on small lists: BENCHMARKS.md, "JSON engine"), and the
# separators tried for one run before the elements are scanned one by one.
PART_CHARS = 16 * 1024
RETRIES = 8
# The rest of a string after its opening quote (possessive: no backtracking state).
_STRING_REST = re.compile(r'(?:[^"\\]++|\\.)*+"', re.DOTALL)
_TYPE_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson")
# What json_fast reads (the UTF-8 BOM it skips itself); other encodings go to the scanner.
FAST_ENCODINGS = ("utf-8", "utf-8-sig")
# Python's message for an integer over its digit limit (sys.get_int_max_str_digits).
_DIGIT_LIMIT = re.compile(r"Exceeds the limit \((\d+) digits\).*value has (\d+) digits")


def process(stream: BinaryIO, *, extension: str) -> Extraction:
    head = read_head(stream, charset.SAMPLE_BYTES)
    sniff.check(head, extension)
    encoding = _encoding(head, extension)
    lines = extension in JSON_LINES_EXTENSIONS
    raw = rejoined(head, stream)
    # Imported here: only a JSON file pays for msgspec's import.
    from fileproc.processors import json_fast

    if encoding in FAST_ENCODINGS:
        profile = json_fast.profile(raw, lines=lines, bom=encoding == "utf-8-sig")
    else:
        window = json_fast.scanner_window(raw, encoding)
        profile = {**(walk_lines(window) if lines else walk_document(window)), "engine": "scanner"}
    metadata = {"format": "JSON Lines" if lines else "JSON", "encoding": encoding, **profile}
    return Extraction(metadata=metadata)


def _encoding(head: bytes, extension: str) -> str:
    """UTF-8, -16 or -32 as JSON allows (RFC 8259 section 8.1), from the first bytes."""
    encoding = json.detect_encoding(head)
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        # Not Unicode text: binary data is a mismatch; legacy-encoded text is
        # invalid JSON, reported at its first bad byte by the window.
        if charset.detect(head, complete=False) is None:
            raise ContentMismatch(
                f"content does not match extension: the {extension} file holds binary data,"
                " not text"
            ) from None
    return encoding


class Window:
    """The decoded text of a byte stream, read on demand.

    ``text[pos:]`` is unread; what lies before ``pos`` is dropped at the next
    read, and ``position()`` still gives lines and columns in the whole file.
    """

    def __init__(
        self, raw: io.BufferedReader, encoding: str, *, line: int = 1, column: int = 0
    ) -> None:
        """``line`` and ``column``: where the stream starts in the file (json_fast hands
        the rest of a file over part way)."""
        self._raw = raw
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self.text = ""
        self.pos = 0
        self.eof = False
        self._line = line  # line of text[0]
        self._column = column  # characters before text[0] on that line
        self.depth = 0  # arrays and objects the walker is inside
        # A C decoder for runs of array elements, None for a run it refuses (json_fast
        # sets msgspec's); no decoder: one element at a time with json's scanner.
        self.decode_part: Callable[[str], list[Any] | None] | None = None

    def more(self, at_least: int = 0) -> bool:
        """Append at least one chunk of text (``at_least`` bytes' worth); False at the end."""
        if self.eof:
            return False
        self._drop_read_text()
        while True:
            data = self._raw.read(max(READ_BYTES, at_least))
            try:
                decoded = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                self._not_decodable(exc)
            self.text += decoded
            if not data:
                self.eof = True
                return bool(decoded)
            if decoded:
                return True

    def _drop_read_text(self) -> None:
        newlines = self.text.count("\n", 0, self.pos)
        if newlines:
            self._line += newlines
            self._column = self.pos - self.text.rfind("\n", 0, self.pos) - 1
        else:
            self._column += self.pos
        self.text = self.text[self.pos :]
        self.pos = 0

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) in the file of ``text[index]``."""
        newlines = self.text.count("\n", 0, index)
        if not newlines:
            return self._line, self._column + index + 1
        return self._line + newlines, index - self.text.rfind("\n", 0, index)

    def fail(self, message: str, index: int | None = None) -> NoReturn:
        line, column = self.position(self.pos if index is None else index)
        raise InvalidJson(f"invalid JSON at line {line}, column {column}: {message}")

    def _not_decodable(self, exc: UnicodeDecodeError) -> NoReturn:
        # exc.object is what the decoder was given; the text before the bad
        # byte locates it.
        self.text += exc.object[: exc.start].decode(self._encoding, errors="replace")
        bad = exc.object[exc.start]
        self.fail(f"not valid {self._encoding} text (byte 0x{bad:02x})", len(self.text))

    def peek(self) -> str:
        """The next non-whitespace character, left unread ("" at the end of the file)."""
        # Most often the very next character (compact JSON): no regex search then.
        if self.pos < len(self.text) and (char := self.text[self.pos]) not in _WHITESPACE:
            return char
        while True:
            found = _NOT_WHITESPACE.search(self.text, self.pos)
            if found:
                self.pos = found.start()
                return self.text[self.pos]
            self.pos = len(self.text)
            if not self.more():
                return ""

    def value(self) -> Any:
        """Decode the next JSON value, reading more text while it may be cut."""
        self.peek()
        # The common case first: json's C scanner (what raw_decode calls) finds a
        # whole value well before the end of the window. Anything else (an error,
        # a value that may be cut) takes the path below.
        try:
            value, end = _SCAN(self.text, self.pos)
        except (StopIteration, ValueError, RecursionError):
            pass
        else:
            if end <= len(self.text) - LOOKAHEAD_CHARS or self.eof:
                self.pos = end
                return value
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if not self.eof and (
                    exc.pos >= len(self.text) - LOOKAHEAD_CHARS
                    or exc.msg.startswith("Unterminated string")
                ):
                    self._read_more_of_value()
                    continue
                self.fail(exc.msg, exc.pos)
            except RecursionError:
                self._too_deep()
            except ValueError as exc:  # e.g. NaN, or an integer of more than 4300 digits
                self.fail(value_error_message(exc))
            if end > len(self.text) - LOOKAHEAD_CHARS and not self.eof:
                self._read_more_of_value()
                continue
            self.pos = end
            return value

    def _read_more_of_value(self) -> None:
        """Read as much again as the value has (a long value costs O(n), not O(n^2)),
        up to MAX_VALUE_CHARS."""
        pending = len(self.text) - self.pos
        if pending > MAX_VALUE_CHARS:
            self._too_large("value")
        self.more(pending)

    def _too_large(self, what: str) -> NoReturn:
        raise too_large(what, *self.position(self.pos))

    def _too_deep(self) -> NoReturn:
        """json's decoder recurses: a value nested deeper than it can go is scanned by
        its brackets instead, to tell an unclosed value (invalid) from a closed one."""
        depth = 0
        while True:
            depth, self.pos = _nesting(self.text, self.pos, depth)
            if not depth:
                raise Unsupported("JSON nested too deeply to be read")
            self._drop_read_text()
            if len(self.text) - self.pos > MAX_VALUE_CHARS:
                self._too_large("string")
            if not self.more(len(self.text) - self.pos):
                self.fail(_unclosed(self.depth + depth, "file"), len(self.text))

    def line(self) -> tuple[str, int] | None:
        """The next line (without its newline) and its index in ``text``; None at the end."""
        while (end := self.text.find("\n", self.pos)) < 0:
            if len(self.text) - self.pos > MAX_VALUE_CHARS:
                self._too_large("line")
            if not self.more(len(self.text) - self.pos):
                break
        start = self.pos
        if end < 0:
            if start >= len(self.text):
                return None
            end = len(self.text)
        self.pos = end + 1
        return self.text[start:end], start


def too_large(what: str, line: int, column: int) -> TooLarge:
    return TooLarge(
        f"a JSON {what} longer than {MAX_VALUE_CHARS} characters at line {line}, column"
        f" {column}: values are decoded whole, and this bound keeps memory flat"
    )


def value_error_message(exc: ValueError) -> str:
    """What is wrong, in JSON's terms: Python's digit limit message names its internals."""
    found = _DIGIT_LIMIT.search(str(exc))
    if found:
        return (
            f"an integer of {found[2]} digits (integers of more than {found[1]} digits are"
            " not read)"
        )
    return str(exc)


@dataclass(slots=True)
class _Field:
    present: int = 0
    types: set[type] = field(default_factory=set)


@dataclass
class Summary:
    """Counts of records by type and the union of the keys of object records."""

    max_fields: int = MAX_FIELDS
    records: int = 0
    types: Counter[type] = field(default_factory=Counter)
    fields: dict[str, _Field] = field(default_factory=dict)
    fields_truncated: bool = False

    def add(self, value: Any) -> None:
        self.records += 1
        # get and set: half the time of Counter's += (a method call per record).
        types, kind = self.types, type(value)
        types[kind] = types.get(kind, 0) + 1
        if kind is dict:
            fields = self.fields
            for key, item in value.items():
                # add_field, inlined for a known key: this runs for every key of every record.
                entry = fields.get(key)
                if entry is None:
                    self.add_field(key, type(item))
                else:
                    entry.present += 1
                    entry.types.add(type(item))

    def add_many(self, values: list[Any]) -> None:
        """add() each of ``values`` (a run that msgspec decoded), in fewer steps."""
        self.records += len(values)
        self.types.update(map(type, values))
        fields = self.fields
        for value in values:
            if type(value) is dict:
                for key, item in value.items():
                    entry = fields.get(key)
                    if entry is None:
                        self.add_field(key, type(item))
                    else:
                        entry.present += 1
                        entry.types.add(type(item))

    def add_field(self, key: str, kind: type) -> None:
        entry = self.fields.get(key)
        if entry is None:
            entry = self._new_field(key)
            if entry is None:
                return
        entry.present += 1
        entry.types.add(kind)

    def _new_field(self, key: str) -> _Field | None:
        # Keys longer than MAX_NAME_CHARS that share their start count as one field.
        name = key[:MAX_NAME_CHARS]
        entry = self.fields.get(name)
        if entry is None:
            if len(self.fields) >= self.max_fields:
                self.fields_truncated = True
                return None
            entry = self.fields[name] = _Field()
        return entry

    def describe_fields(self) -> dict[str, Any]:
        return {
            "fields": [
                {
                    "name": name,
                    "types": sorted(_TYPE_NAMES[kind] for kind in entry.types),
                    "present": entry.present,
                }
                for name, entry in self.fields.items()
            ],
            "fields_truncated": self.fields_truncated,
        }

    def describe_records(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "element_types": {_TYPE_NAMES[kind]: count for kind, count in self.types.items()},
            **self.describe_fields(),
        }


def walk_document(window: Window) -> dict[str, Any]:
    """One JSON document; a top-level array or object is read member by member."""
    first = window.peek()
    if first == "[":
        result = {"top_level": "array", **_array(window, MAX_FIELDS).describe_records()}
    elif first == "{":
        result = _top_level_object(window)
    else:
        result = {"top_level": _TYPE_NAMES[type(window.value())]}
    _end_of_document(window)
    return result


def _end_of_document(window: Window) -> None:
    if window.peek():
        window.fail("Extra data (JSON Lines need the .jsonl or .ndjson extension)")


def rest_of_array(window: Window, summary: Summary) -> dict[str, Any]:
    """The rest of a top-level array whose first elements json_fast read into ``summary``:
    the window starts after a separator, where an element must follow."""
    window.depth = 1
    while True:
        summary.add(window.value())
        _following_elements(window, summary)
        if not _after_member(window, "]"):
            break
    window.depth = 0
    _end_of_document(window)
    return {"top_level": "array", **summary.describe_records()}


def _array(window: Window, max_fields: int) -> Summary:
    """The array that starts at the window's position, one element at a time."""
    summary = Summary(max_fields)
    for _ in _entries(window, "]"):
        summary.add(window.value())
        _following_elements(window, summary)
    return summary


def _following_elements(window: Window, summary: Summary) -> None:
    """The elements that follow in the window, decoded in a tight loop: runs of
    elements in one call of the window's part decoder if it has one, then a record
    per C-level scan, instead of the generic steps (most of the time of an array of
    small records). Stops before the first separator or element it cannot take
    whole, for the generic steps to handle (more text, errors)."""
    if window.decode_part is not None:
        _following_parts(window, window.decode_part, summary)
    text = window.text
    limit = len(text) if window.eof else len(text) - LOOKAHEAD_CHARS
    pos = window.pos
    separator = _SEPARATOR.match
    scan = _SCAN
    add = summary.add
    while found := separator(text, pos):
        try:
            value, end = scan(text, found.end())
        except (StopIteration, ValueError, RecursionError):
            break
        if end > limit:
            break
        add(value)
        pos = end
    window.pos = pos


def _object(window: Window, max_fields: int) -> tuple[Summary, int]:
    """The fields and the number of members of the object at the window's position."""
    summary = Summary(max_fields)
    members = 0
    for key in _keys(window):
        summary.add_field(key, type(window.value()))
        members += 1 + _following_members(window, summary, whole=True)
    return summary, members


def _following_parts(
    window: Window, decode: Callable[[str], list[Any] | None], summary: Summary
) -> None:
    """Runs of about PART_CHARS of elements, each decoded as ``[`` + the run + ``]``, up
    to a "," that may separate two elements (json_fast's module docstring says why a
    wrong one cannot pass). Stops where no run decodes, for the loop that follows."""
    text = window.text
    pos = window.pos
    while found := _SEPARATOR.match(text, pos):
        start = found.end()
        starter = text[start : start + 1]
        cut = _part_end(text, start + PART_CHARS, starter)
        values = None
        for _ in range(RETRIES):
            if cut < 0 or cut - start > MAX_VALUE_CHARS:
                break
            # An empty run ("[]") is ",,": refused too.
            values = decode("[" + text[start:cut] + "]")
            if values:
                break
            cut = _part_end(text, cut + 1, starter)
        if not values:
            break
        summary.add_many(values)
        pos = cut
    window.pos = pos


def _part_end(text: str, since: int, starter: str) -> int:
    """The first "," from ``since`` that may end a run of elements whose first one
    starts with ``starter``: followed by an object or array like it if it is one; -1
    if none."""
    if starter in ("{", "["):
        while found := _CONTAINER_SEPARATOR.search(text, since):
            if found[2] == starter:
                return found.start(1)
            since = found.start(2)
        return -1
    return text.find(",", since)


def _following_members(window: Window, summary: Summary, *, whole: bool) -> int:
    """Like _following_elements for the members of an object whose keys need no
    unescaping; a value that is an array or an object is left to the generic steps
    unless ``whole`` (decoded whole). Returns the number of members read."""
    text = window.text
    limit = len(text) if window.eof else len(text) - LOOKAHEAD_CHARS
    pos = window.pos
    member = _PLAIN_MEMBER.match
    scan = _SCAN
    add_field = summary.add_field
    count = 0
    while found := member(text, pos):
        start = found.end()
        if not whole and text.startswith(("[", "{"), start):
            break
        try:
            value, end = scan(text, start)
        except (StopIteration, ValueError, RecursionError):
            break
        if end > limit:
            break
        add_field(found.group(1), type(value))
        count += 1
        pos = end
    window.pos = pos
    return count


def _top_level_object(window: Window) -> dict[str, Any]:
    """Fields of the members; a member that is an array or an object is walked too."""
    summary = Summary(MAX_FIELDS)
    profiles: list[dict[str, Any]] = []
    members = 0
    for key in _keys(window):
        members += 1
        start = window.peek()
        if start == "[":
            summary.add_field(key, list)
            profile = {"type": "array", **_array(window, MAX_MEMBER_FIELDS).describe_records()}
        elif start == "{":
            summary.add_field(key, dict)
            fields, count = _object(window, MAX_MEMBER_FIELDS)
            profile = {"type": "object", "members": count, **fields.describe_fields()}
        else:
            summary.add_field(key, type(window.value()))
            members += _following_members(window, summary, whole=False)
            continue
        # Walked whatever the count, so that memory stays flat; reported up to the limit.
        profiles.append({"name": key[:MAX_NAME_CHARS], **profile})
    return {
        "top_level": "object",
        "members": members,
        **summary.describe_fields(),
        "member_profiles": profiles[:MAX_MEMBER_PROFILES],
        "member_profiles_truncated": len(profiles) > MAX_MEMBER_PROFILES,
    }


def _entries(window: Window, closing: str) -> Iterator[None]:
    """Steps through the array or object that starts at the window's position: at each
    step the caller reads one entry; the separators and brackets are consumed here."""
    window.pos += 1  # "[" or "{"
    window.depth += 1
    if window.peek() == closing:
        window.pos += 1
    else:
        while True:
            yield
            if not _after_member(window, closing):
                break
    window.depth -= 1


def _keys(window: Window) -> Iterator[str]:
    """The keys of the object at the window's position; the caller reads each value."""
    for _ in _entries(window, "}"):
        if window.peek() != '"':
            window.fail("Expecting property name enclosed in double quotes")
        key = window.value()
        if window.peek() != ":":
            window.fail("Expecting ':' delimiter")
        window.pos += 1
        yield key


def _after_member(window: Window, closing: str) -> bool:
    """Consume "," (True: another member follows) or the closing bracket (False)."""
    separator = window.peek()
    if separator in (",", closing):
        window.pos += 1
        return separator == ","
    window.fail("Expecting ',' delimiter" if separator else f"Expecting ',' or '{closing}'")


def walk_lines(window: Window) -> dict[str, Any]:
    """JSON Lines: one JSON value per line; blank lines are skipped and counted."""
    summary = Summary()
    blank_lines = 0
    while (line := window.line()) is not None:
        text, start = line

        def fail(message: str, index: int, start: int = start) -> NoReturn:
            window.fail(message, start + index)

        value = line_value(text, fail)
        if value is BLANK:
            blank_lines += 1
        else:
            summary.add(value)
    return {"top_level": "lines", **summary.describe_records(), "blank_lines": blank_lines}


BLANK = object()  # line_value's answer for a blank line


def line_value(text: str, fail: Callable[[str, int], NoReturn]) -> Any:
    """The value of one JSON Lines line, or BLANK; ``fail(message, index)`` reports a
    fault at ``text[index]`` (and raises)."""
    if not text or text.isspace():
        return BLANK
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        fail(exc.msg, exc.pos)
    except RecursionError:
        first = _NOT_WHITESPACE.search(text)
        depth, _ = _nesting(text, first.start() if first else 0, 0)
        if not depth:
            raise Unsupported("JSON nested too deeply to be read") from None
        fail(_unclosed(depth, "line"), len(text))
    except ValueError as exc:
        fail(value_error_message(exc), 0)


def _nesting(text: str, pos: int, depth: int) -> tuple[int, int]:
    """The brackets of ``text[pos:]`` outside strings, counted from ``depth``:
    (0, the index after the bracket that closes the value) if one does, else
    (the depth at the end, where to go on: the end, or an unterminated string).

    Millions of brackets in a row are counted with str.count; only where the
    depth may come back to zero are they stepped through one by one.
    """
    while True:
        quote = text.find('"', pos)
        end = len(text) if quote < 0 else quote
        closes = text.count("]", pos, end) + text.count("}", pos, end)
        if closes < depth or not closes:
            depth += text.count("[", pos, end) + text.count("{", pos, end) - closes
        else:
            for bracket in _BRACKET.finditer(text, pos, end):
                depth += 1 if bracket.group() in "[{" else -1
                if not depth:
                    return 0, bracket.end()
        if quote < 0:
            return depth, end
        string = _STRING_REST.match(text, quote + 1)
        if string is None:
            return depth, quote
        pos = string.end()


def _unclosed(depth: int, where: str) -> str:
    return f"the {where} ends inside {depth} unclosed arrays or objects"
