"""Records as text: a one-line summary per file, tables, and the readable form of ``show``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Record = Mapping[str, Any]
ELLIPSIS = "…"
MAX_CELL = {"name": 32, "details": 80}


def human_size(size: object) -> str:
    if not isinstance(size, int):
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable: GB ends the loop")


def _plural(count: object, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _image(meta: Mapping[str, Any]) -> list[str]:
    parts = [f"{meta.get('format')} {meta.get('width')}x{meta.get('height')}"]
    if meta.get("animated"):
        parts.append(_plural(meta.get("frames"), "frame"))
    exif = meta.get("exif") or {}
    if exif.get("orientation") not in (None, 1):
        parts.append(f"EXIF orientation {exif['orientation']}")
    thumbnail = meta.get("thumbnail") or {}
    if thumbnail:
        parts.append(f"thumbnail {thumbnail.get('width')}x{thumbnail.get('height')}")
    return parts


def _pdf(meta: Mapping[str, Any]) -> list[str]:
    if meta.get("pages") is None:
        return ["PDF, encrypted (not readable without its password)"]
    parts = ["PDF", _plural(meta["pages"], "page"), _plural(meta.get("words"), "word")]
    if meta.get("title"):
        parts.append(repr(meta["title"]) + (f" by {meta['author']}" if meta.get("author") else ""))
    return parts


def _text(meta: Mapping[str, Any]) -> list[str]:
    return [
        f"TXT {meta.get('encoding')}",
        _plural(meta.get("lines"), "line"),
        _plural(meta.get("words"), "word"),
    ]


def _csv(meta: Mapping[str, Any]) -> list[str]:
    parts = [f"CSV {_plural(meta.get('rows'), 'row')} x {_plural(meta.get('columns'), 'column')}"]
    profiles = meta.get("column_profiles") or []
    kinds = sorted({str(p.get("type")) for p in profiles if isinstance(p, Mapping)})
    if kinds:
        parts.append("types " + "/".join(kinds))
    bad = (meta.get("malformed_rows") or {}).get("count") or 0
    if bad:
        parts.append(_plural(bad, "malformed row"))
    return parts


def _json(meta: Mapping[str, Any]) -> list[str]:
    # JSON Lines has top_level "lines": the format says it already.
    shape = meta.get("top_level") if meta.get("format") == "JSON" else None
    parts = [f"{meta.get('format')} {shape or ''}".rstrip()]
    if meta.get("records") is not None:
        parts.append(_plural(meta["records"], "record"))
    if meta.get("fields") is not None:
        parts.append(_plural(len(meta["fields"]), "field"))
    return parts


def _parquet(meta: Mapping[str, Any]) -> list[str]:
    parts = [
        f"Parquet {_plural(meta.get('rows'), 'row')} x {_plural(meta.get('columns'), 'column')}",
        _plural(meta.get("row_groups"), "row group"),
    ]
    codecs = [str(codec) for codec in meta.get("compression") or []]
    if codecs:
        parts.append("/".join(codecs))
    return parts


SUMMARIES: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "JPEG": _image,
    "MPO": _image,
    "PNG": _image,
    "PDF": _pdf,
    "TXT": _text,
    "CSV": _csv,
    "JSON": _json,
    "JSON Lines": _json,
    "Parquet": _parquet,
}


def details(record: Record) -> str:
    """The error of a FAILED file, else the key metadata of its category, on one line."""
    error = record.get("error")
    if record.get("status") == "FAILED" and isinstance(error, Mapping):
        return f"{error.get('type')}: {error.get('message')}"
    metadata = record.get("metadata")
    if not isinstance(metadata, Mapping) or not metadata:
        return ""
    summarise = SUMMARIES.get(str(metadata.get("format")))
    if summarise is None:
        return str(metadata.get("format") or "")
    return ", ".join(summarise(metadata))


def _cell(value: str, limit: int | None) -> str:
    value = " ".join(value.split())  # no line breaks inside a table
    if limit is not None and len(value) > limit:
        return value[: limit - 1] + ELLIPSIS
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, headers upper case; long cells end in '…'."""
    limits = [MAX_CELL.get(header.lower()) for header in headers]
    cells = [[_cell(str(v), limit) for v, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [
        max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]
    lines = [[header.upper() for header in headers], *cells]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def records_table(records: Sequence[Record], *, with_id: bool = True) -> str:
    headers = ["file id"] if with_id else []
    headers += ["name", "category", "status", "size", "details"]
    rows = []
    for record in records:
        row = [str(record.get("file_id"))] if with_id else []
        row += [
            str(record.get("filename") or record.get("key") or ""),
            str(record.get("category") or ""),
            str(record.get("status") or ""),
            human_size(record.get("size")),
            details(record),
        ]
        rows.append(row)
    return table(headers, rows)


def _scalar(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _tree(value: object, indent: int) -> list[str]:
    """Nested metadata as indented ``name: value`` lines; a list of objects one per line."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            if isinstance(item, Mapping | list) and item and not _flat_list(item):
                lines.append(f"{pad}{name}:")
                lines += _tree(item, indent + 1)
            else:
                lines.append(f"{pad}{name}: {_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def _flat_list(value: object) -> bool:
    return isinstance(value, list) and not any(isinstance(v, Mapping | list) for v in value)


def _inline(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_inline(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def describe(record: Record) -> str:
    """``fileproc show``: what a person wants to know about one file, then its metadata."""
    name = record.get("filename") or record.get("key")
    lines = [f"{name}  (file {record.get('file_id')})"]

    def field(label: str, value: object) -> None:
        if value not in (None, "", {}):
            lines.append(f"  {label:<10} {value}")

    attempts = record.get("attempts")
    field("status", f"{record.get('status')}" + (f"  (attempts: {attempts})" if attempts else ""))
    kind = [record.get("category"), record.get("content_type"), human_size(record.get("size"))]
    field("file", ", ".join(str(part) for part in kind if part))
    field("uploaded", record.get("uploaded_at"))
    field("processed", record.get("processed_at"))
    location = f"s3://{record.get('bucket')}/{record.get('key')}"
    if record.get("version_id"):
        location += f"  (version {record['version_id']})"
    field("object", location)
    error = record.get("error")
    if isinstance(error, Mapping):
        retry = " (retryable)" if error.get("retryable") else ""
        field("error", f"{error.get('type')}: {error.get('message')}{retry}")
    derived = record.get("derived")
    if isinstance(derived, Mapping):
        for label, key in derived.items():
            field(f"{label}", key)
    ai = record.get("ai")
    if isinstance(ai, Mapping):
        field("AI", ai.get("summary") or f"failed: {ai.get('error')}")
    metadata = record.get("metadata")
    if isinstance(metadata, Mapping) and metadata:
        lines.append("  metadata")
        lines += _tree(metadata, 2)
    return "\n".join(lines)
