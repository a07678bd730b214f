"""End to end: files uploaded through the API, processed by the deployed functions, read back
through the API and downloaded through the presigned URL."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image

from fileproc.keys import file_id_for_key

from . import samples
from .stack import Stack, Ticket

pytestmark = pytest.mark.integration

GOOD = {sample.filename: sample for sample in samples.good_files()}
# name -> (content type, bytes, error type, words the reason must contain)
CORRUPT = {
    "broken.jpg": ("image/jpeg", samples.truncated_jpeg(), "Corrupt", "truncated"),
    "scan.png": ("image/png", samples.pdf_named_png(), "ContentMismatch", "PDF"),
    "table.parquet": (
        "application/vnd.apache.parquet",
        samples.TABLE_CSV.encode(),
        "ContentMismatch",
        "holds text",
    ),
}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass(frozen=True)
class Uploaded:
    ticket: Ticket
    body: bytes


@pytest.fixture(scope="module")
def uploaded(stack: Stack) -> dict[str, Uploaded]:
    """Every sample, good and corrupt, uploaded at once (the tests then wait for each)."""
    files = {name: (s.content_type, s.body) for name, s in GOOD.items()}
    files |= {name: (kind, body) for name, (kind, body, _, _) in CORRUPT.items()}
    return {
        name: Uploaded(stack.upload(name, kind, body), body) for name, (kind, body) in files.items()
    }


def processed(stack: Stack, upload: Uploaded) -> dict[str, Any]:
    record = stack.wait_for_status(upload.ticket.file_id, "PROCESSED", "FAILED")
    assert record["status"] == "PROCESSED", f"{upload.ticket.key} failed: {record.get('error')}"
    return record


@pytest.mark.parametrize("name", GOOD)
def test_each_kind_is_processed_with_its_metadata(
    stack: Stack, uploaded: dict[str, Uploaded], name: str
) -> None:
    sample, upload = GOOD[name], uploaded[name]
    record = processed(stack, upload)

    file_id = upload.ticket.file_id
    assert record["file_id"] == file_id
    assert record["key"] == upload.ticket.key
    assert record["key"].startswith(f"uploads/{file_id}/")
    assert record["filename"] == name
    assert record["category"] == sample.category
    assert record["content_type"] == sample.content_type
    assert record["size"] == len(sample.body)
    assert record["etag"] == hashlib.md5(sample.body).hexdigest()  # noqa: S324  (S3's ETag)
    assert record["version_id"]
    assert record["attempts"] == 1
    assert "error" not in record
    for moment in ("uploaded_at", "processed_at", "updated_at"):
        assert TIMESTAMP.fullmatch(record[moment]), (moment, record[moment])
    assert record["uploaded_at"] <= record["processed_at"]
    sample.check(record)

    # The artefacts the record names are in the bucket.
    s3 = stack.client("s3")
    for artefact in record.get("derived", {}).values():
        assert artefact.startswith(f"derived/{file_id}/")
        body = s3.get_object(Bucket=stack.bucket, Key=artefact)["Body"].read()
        if artefact.endswith("thumbnail.jpg"):
            thumbnail = Image.open(io.BytesIO(body))
            expected = record["metadata"]["thumbnail"]
            assert (thumbnail.format, thumbnail.size) == (
                "JPEG",
                (expected["width"], expected["height"]),
            )
        else:
            # The extracted text, which the record's preview begins.
            preview = record["metadata"]["preview"].split()
            assert body.decode().split()[: len(preview) - 1] == preview[:-1]


@pytest.mark.parametrize("name", GOOD)
def test_download_link_serves_the_file_byte_for_byte(
    stack: Stack, uploaded: dict[str, Uploaded], name: str
) -> None:
    upload = uploaded[name]
    processed(stack, upload)
    reply = stack.api("GET", f"/files/{upload.ticket.file_id}/download")
    assert reply.status_code == 200, reply.text
    link = reply.json()
    assert link["expires_in"] == 900
    download = requests.get(link["url"], timeout=60)
    assert download.status_code == 200
    assert download.content == upload.body


def test_listing_pages_through_every_file_newest_first(
    stack: Stack, uploaded: dict[str, Uploaded]
) -> None:
    # Every file settled first: a record's place in the listing moves while it is processed.
    for upload in uploaded.values():
        stack.wait_for_status(upload.ticket.file_id, "PROCESSED", "FAILED")
    items: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"next_token": token} if token else {})}
        reply = stack.api("GET", "/files", params=params)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        assert len(page["items"]) <= 3
        items += page["items"]
        pages += 1
        token = page.get("next_token")
        if not token:
            break
    assert pages > 1
    listed = {item["file_id"]: item for item in items}
    assert len(listed) == len(items), "a file listed twice"
    for name in GOOD:
        assert listed[uploaded[name].ticket.file_id]["status"] == "PROCESSED"
    times = [item["uploaded_at"] for item in items]
    assert times == sorted(times, reverse=True)

    # Filters: only what matches, and all of ours that do.
    reply = stack.api("GET", "/files", params={"category": "data", "status": "PROCESSED"})
    assert reply.status_code == 200, reply.text
    data = reply.json()["items"]
    assert {item["category"] for item in data} == {"data"}
    assert {item["status"] for item in data} == {"PROCESSED"}
    ours = {uploaded[name].ticket.file_id for name, s in GOOD.items() if s.category == "data"}
    assert ours <= {item["file_id"] for item in data}


@pytest.mark.parametrize("name", CORRUPT)
def test_a_corrupt_file_ends_failed_with_its_reason(
    stack: Stack, uploaded: dict[str, Uploaded], name: str
) -> None:
    _, _, error_type, reason = CORRUPT[name]
    record = stack.wait_for_status(uploaded[name].ticket.file_id, "PROCESSED", "FAILED")
    assert record["status"] == "FAILED"
    assert record["error"]["type"] == error_type
    assert reason in record["error"]["message"]
    assert record["error"]["retryable"] is False
    assert record["attempts"] == 1
    assert "metadata" not in record
    # The file is kept as uploaded: nothing is lost, it can be looked at and downloaded.
    reply = stack.api("GET", f"/files/{record['file_id']}/download")
    assert requests.get(reply.json()["url"], timeout=60).content == uploaded[name].body


def test_an_upper_case_extension_written_straight_to_the_bucket_is_routed(stack: Stack) -> None:
    # Not through the API (which lower-cases extensions): a camera's name under uploads/.
    key = "uploads/camera-roll/IMG_0042.JPG"
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=samples.scan_jpeg(), ContentType="image/jpeg"
    )
    file_id = file_id_for_key(stack.bucket, key)
    record = stack.wait_for_status(file_id, "PROCESSED", "FAILED")
    assert record["status"] == "PROCESSED", record.get("error")
    assert (record["key"], record["filename"], record["category"]) == (
        key,
        "IMG_0042.JPG",
        "image",
    )
    samples.check_scan(record)


def test_a_parquet_file_written_straight_to_the_bucket_is_read_from_its_footer(
    stack: Stack,
) -> None:
    """Upper case, as Spark and Hive name their part files, straight to the bucket."""
    key = "uploads/warehouse/part-00000.PARQUET"
    body = samples.readings_parquet()
    stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=body)
    record = stack.wait_for_status(file_id_for_key(stack.bucket, key), "PROCESSED", "FAILED")
    assert record["status"] == "PROCESSED", record.get("error")
    assert record["category"] == "data"
    samples.check_parquet(record)
