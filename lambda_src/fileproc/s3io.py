"""Reading uploaded objects as streams and writing derived artefacts."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from botocore.exceptions import ClientError

from fileproc.errors import ObjectMissing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# What S3 answers when the key, or that version of it, is gone.
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404"})
# "bytes 0-9/10" (a Content-Range of a ranged GET): the object's size is the last number.
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@dataclass(frozen=True)
class OpenedObject:
    stream: BinaryIO  # the StreamingBody: read front to back, once, not seekable
    size: int
    content_type: str | None


@dataclass(frozen=True)
class WrittenObject:
    key: str
    version_id: str | None  # None in an unversioned bucket


@contextmanager
def open_object(
    s3: S3Client, bucket: str, key: str, version_id: str | None
) -> Iterator[OpenedObject]:
    """The exact version the event is about, as a stream that is closed on exit.

    Reading by version id means a later upload to the same key cannot change
    the bytes under an attempt. Raises ObjectMissing when that version is gone
    (deleted after the event was sent).
    """
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id is not None:
        request["VersionId"] = version_id
    try:
        response = s3.get_object(**request)
    except ClientError as exc:
        _raise_if_missing(exc, request)
        raise
    body = response["Body"]
    try:
        yield OpenedObject(
            stream=cast(BinaryIO, body),
            size=int(response.get("ContentLength", 0)),
            content_type=response.get("ContentType"),
        )
    finally:
        # Releases the HTTP connection even when the processor stopped early.
        body.close()


@dataclass(frozen=True)
class _Part:
    body: bytes
    size: int  # the whole object's
    content_type: str | None
    etag: str | None


def open_ends(
    s3: S3Client,
    bucket: str,
    key: str,
    version_id: str | None,
    *,
    head_bytes: int,
    probe_bytes: int,
    tail_bytes: Callable[[bytes, int], int],
) -> contextlib.AbstractContextManager[OpenedObject]:
    """The object's first ``head_bytes`` and the last bytes ``tail_bytes`` asks for, as
    one stream (head, then tail), without fetching what lies between: for formats whose
    metadata is at their end (Parquet's footer).

    Ranged GETs of the same version: the last ``probe_bytes`` (the whole object when it
    is no larger), more of the end when ``tail_bytes(last bytes, size)`` asks for it,
    then the head. ``size`` is the whole object's. An empty object, of which S3 serves
    no range, is read whole. Without a version id, the later GETs must match the first
    one's ETag: an overwrite in between fails the attempt (PreconditionFailed), and the
    message is redelivered.
    """
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id is not None:
        request["VersionId"] = version_id
    last = _get_range(s3, request, f"bytes=-{probe_bytes}")
    if last is None:
        return open_object(s3, bucket, key, version_id)
    size, tail = last.size, last.body
    if version_id is None and last.etag:
        request["IfMatch"] = last.etag
    if len(tail) < size:
        wanted = min(tail_bytes(tail, size), size)
        if wanted > len(tail):
            more = _get_range(s3, request, f"bytes={size - wanted}-{size - len(tail) - 1}")
            tail = (more.body if more else b"") + tail
        missing = min(head_bytes, size - len(tail))
        head = b""
        if missing > 0:
            first = _get_range(s3, request, f"bytes=0-{missing - 1}")
            head = first.body if first else b""
        tail = head + tail
    return contextlib.nullcontext(
        OpenedObject(stream=io.BytesIO(tail), size=size, content_type=last.content_type)
    )


def _get_range(s3: S3Client, request: dict[str, Any], byte_range: str) -> _Part | None:
    """One ranged GET, read whole; None when S3 serves no range of the object (an empty
    object: InvalidRange)."""
    try:
        response = s3.get_object(**request, Range=byte_range)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "InvalidRange":
            return None
        _raise_if_missing(exc, request)
        raise
    with contextlib.closing(response["Body"]) as body:
        data = body.read()
    found = _CONTENT_RANGE.fullmatch(response.get("ContentRange") or "")
    # Without a Content-Range the answer is the whole object (HTTP 200): an emulator's
    # answer for an empty object.
    size = int(found[3]) if found else len(data)
    return _Part(data, size, response.get("ContentType"), response.get("ETag"))


def _raise_if_missing(exc: ClientError, request: dict[str, Any]) -> None:
    if exc.response.get("Error", {}).get("Code") in _MISSING_CODES:
        version = request.get("VersionId")
        what = f"version {version} of " if version else ""
        raise ObjectMissing(
            f"{what}s3://{request['Bucket']}/{request['Key']} no longer exists "
            "(deleted after the upload)"
        ) from exc


def put_artefact(
    s3: S3Client, bucket: str, key: str, body: bytes, content_type: str
) -> WrittenObject:
    """Write one artefact. Its key is fixed per file, so doing it twice replaces it."""
    response = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    return WrittenObject(key=key, version_id=response.get("VersionId"))


def delete_versions(s3: S3Client, bucket: str, written: list[WrittenObject]) -> None:
    """Remove exactly the artefact versions an attempt wrote.

    Used when a newer event overtook the attempt: deleting our version (not the
    key) makes the newer attempt's artefact current again, whichever wrote last.
    """
    for obj in written:
        if obj.version_id is not None:
            s3.delete_object(Bucket=bucket, Key=obj.key, VersionId=obj.version_id)
