"""Presigned S3 requests: a GET that downloads under the original name, a POST bound to one upload.

Presigning is local signing with the function's credentials: no S3 call, and
the URL can do only what the role may do (s3:GetObject / GetObjectVersion on
the uploads and derived prefixes, s3:PutObject on the uploads prefix).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from botocore.config import Config

from fileproc.keys import ArtefactName, sanitise_filename

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def make_s3_client() -> S3Client:
    # SigV4 explicitly: botocore still presigns with SigV2 in us-east-1 by default,
    # which has no X-Amz-Expires and which S3 refuses for KMS-encrypted objects.
    return boto3.client("s3", config=Config(signature_version="s3v4"))


def content_disposition(filename: str) -> str:
    """``attachment`` with the name for every browser: an ASCII fallback and the exact
    UTF-8 name (RFC 6266 with the RFC 8187/5987 ``filename*`` parameter)."""
    try:
        fallback = sanitise_filename(filename)
    except ValueError:
        fallback = "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_name(record: dict[str, Any]) -> str:
    """The name given at upload, else the key's last segment (uploads not made by the API)."""
    filename = record.get("filename")
    if isinstance(filename, str) and filename:
        return filename
    return posixpath.basename(str(record["key"])) or "download"


# How a derived artefact is saved: "<original stem><suffix>", and its media type.
ARTEFACT_DOWNLOADS: dict[ArtefactName, tuple[str, str]] = {
    ArtefactName.THUMBNAIL: (".thumbnail.jpg", "image/jpeg"),
    ArtefactName.TEXT: (".txt", "text/plain; charset=utf-8"),
}


def artefact_download(record: dict[str, Any], artefact: ArtefactName) -> tuple[str, str]:
    """(file name, content type) of a file's artefact: "report.pdf" -> "report.txt"."""
    suffix, content_type = ARTEFACT_DOWNLOADS[artefact]
    stem = posixpath.splitext(download_name(record))[0] or "download"
    return stem + suffix, content_type


def presign_download(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    filename: str,
    expires_in: int,
    version_id: str | None = None,
    content_type: str | None = None,
) -> str:
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentDisposition": content_disposition(filename),
    }
    if version_id:
        # The version the record describes, not whatever was uploaded since.
        params["VersionId"] = version_id
    if content_type:
        params["ResponseContentType"] = content_type
    return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: dict[str, str]


def presign_upload(
    s3: S3Client, *, bucket: str, key: str, content_type: str, size: int, expires_in: int
) -> UploadForm:
    """A browser-ready POST form that can store exactly one object: this key, this
    Content-Type, exactly ``size`` bytes.

    The range is [size, size] rather than [1, size]: a browser knows the size of
    the File it sends, and pinning it keeps the declared size in the record true.
    S3 answers a different size with 400 EntityTooSmall / EntityTooLarge.
    """
    post = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", size, size],
        ],
        ExpiresIn=expires_in,
    )
    return UploadForm(url=post["url"], fields={k: str(v) for k, v in post["fields"].items()})
