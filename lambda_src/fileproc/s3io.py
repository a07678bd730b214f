"""Reading uploaded objects as streams and writing derived artefacts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from botocore.exceptions import ClientError

from fileproc.errors import ObjectMissing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# What S3 answers when the key, or that version of it, is gone.
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


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
        if exc.response.get("Error", {}).get("Code") in _MISSING_CODES:
            what = f"version {version_id} of " if version_id else ""
            raise ObjectMissing(
                f"{what}s3://{bucket}/{key} no longer exists (deleted after the upload)"
            ) from exc
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
