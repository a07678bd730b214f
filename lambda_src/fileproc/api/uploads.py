"""``POST /files`` rules: which files may be uploaded, under which key, and the PENDING record."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fileproc import keys
from fileproc.api.errors import BadRequest, PayloadTooLarge
from fileproc.api.models import UploadRequest
from fileproc.config import Settings
from fileproc.keys import Category
from fileproc.listing import listing_keys
from fileproc.records import Status, timestamp

# Media types a client may declare per extension. The processors check the
# bytes anyway; this catches the honest mistake before the upload.
MEDIA_TYPES: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".png": frozenset({"image/png"}),
    ".pdf": frozenset({"application/pdf"}),
    ".txt": frozenset({"text/plain"}),
    # Browsers on Windows report .csv files as application/vnd.ms-excel.
    ".csv": frozenset({"text/csv", "application/csv", "application/vnd.ms-excel"}),
    ".json": frozenset({"application/json"}),
    ".jsonl": frozenset({"application/jsonl", "application/x-ndjson", "application/json"}),
    ".ndjson": frozenset({"application/x-ndjson", "application/jsonl", "application/json"}),
    # IANA registered application/vnd.apache.parquet in 2024; older tools send the
    # x- form, and browsers and SDKs that know no type for .parquet a generic one.
    ".parquet": frozenset(
        {"application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream"}
    ),
}


# How long a PENDING record outlives its upload link before DynamoDB's TTL deletes
# it (``expires_at``), when no file came. A day: an upload started just before
# the link expired may take long to finish, and its S3 event may wait in a
# queue backlog; the processor removes expires_at when the file arrives.
PENDING_GRACE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class UploadPlan:
    file_id: str
    key: str
    category: Category
    filename: str
    content_type: str
    size: int


def media_type(content_type: str) -> str:
    """The type/subtype part, lowercased: "Text/Plain; charset=utf-8" -> "text/plain"."""
    return content_type.split(";", 1)[0].strip().lower()


def key_name(filename: str) -> str:
    """The sanitised name for the key, with a lowercase extension.

    The bucket notification filters suffixes in lower and upper case only, so a
    ".Jpg" key would never be processed.
    """
    try:
        safe = keys.sanitise_filename(filename)
    except ValueError:
        raise BadRequest(f"filename {filename!r} has no usable characters") from None
    stem, ext = posixpath.splitext(safe)
    return stem + ext.lower()


def plan_upload(request: UploadRequest, settings: Settings) -> UploadPlan:
    name = key_name(request.filename)
    ext = keys.extension(name)
    category = keys.EXTENSIONS.get(ext)
    if category is None:
        allowed = ", ".join(sorted(keys.EXTENSIONS))
        raise BadRequest(
            f"files of type {ext or '(no extension)'!r} are not accepted; allowed: {allowed}",
            code="unsupported_file_type",
        )
    expected = MEDIA_TYPES[ext]
    if media_type(request.content_type) not in expected:
        raise BadRequest(
            f"content_type {request.content_type!r} does not match a {ext} file; "
            f"expected {' or '.join(sorted(expected))}",
            code="content_type_mismatch",
        )
    limit = settings.max_bytes(category)
    if request.size > limit:
        raise PayloadTooLarge(
            f"size {request.size} bytes is over the limit for {category} files ({limit} bytes)"
        )
    file_id = keys.new_file_id()
    return UploadPlan(
        file_id=file_id,
        key=keys.upload_key(file_id, name, settings.upload_prefix),
        category=category,
        filename=request.filename,
        content_type=request.content_type,
        size=request.size,
    )


def pending_record(
    plan: UploadPlan, bucket: str, now: datetime, upload_url_ttl_seconds: int
) -> dict[str, Any]:
    """The record of an upload that was asked for; the processor completes it."""
    stamp = timestamp(now)
    return {
        "file_id": plan.file_id,
        "bucket": bucket,
        "key": plan.key,
        "filename": plan.filename,
        "category": str(plan.category),
        "content_type": plan.content_type,
        "size": plan.size,
        "status": str(Status.PENDING),
        **listing_keys(plan.file_id, Status.PENDING, plan.category),
        "uploaded_at": stamp,
        "updated_at": stamp,
        # Epoch seconds, the table's TTL attribute.
        "expires_at": int(now.timestamp()) + upload_url_ttl_seconds + PENDING_GRACE_SECONDS,
    }
