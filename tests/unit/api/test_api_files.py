"""GET /files/{file_id} and GET /files/{file_id}/download."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import requests

from .api_helpers import put_records, record

UNKNOWN_ID = "0123456789abcdef0123456789abcdef"


def store(api, item):
    put_records(api.aws.dynamodb, api.aws.table, [item])
    api.dynamo.reset()
    return item


def test_get_returns_the_record_as_json(api):
    item = store(
        api,
        record(
            metadata={"width": 640, "height": 480, "dpi": Decimal("72.5"), "tags": ["a"]},
            derived={"thumbnail": "derived/x/thumbnail.jpg"},
            attempts=1,
            version_id="v1",
        ),
    )

    reply = api.get(f"/files/{item['file_id']}")

    assert reply.status == 200
    assert reply.body["file_id"] == item["file_id"]
    assert reply.body["metadata"] == {"width": 640, "height": 480, "dpi": 72.5, "tags": ["a"]}
    assert isinstance(reply.body["metadata"]["width"], int)
    assert reply.body["derived"] == {"thumbnail": "derived/x/thumbnail.jpg"}
    assert "listing" not in reply.body
    assert "category_status" not in reply.body
    (params,) = api.dynamo.of("GetItem")
    assert params["ConsistentRead"] is True


def test_get_unknown_file_is_404(api):
    reply = api.get(f"/files/{UNKNOWN_ID}")

    assert reply.status == 404
    assert reply.error_code == "not_found"
    assert UNKNOWN_ID in reply.error_message


@pytest.mark.parametrize(
    "bad_id",
    ["XYZ", "0123456789ABCDEF0123456789ABCDEF", "a" * 33, "a" * 31, "g" * 32, "%00", "a b"],
)
@pytest.mark.parametrize("suffix", ["", "/download"])
def test_a_non_hex_file_id_is_400_without_reading_the_table(api, bad_id, suffix):
    reply = api.get(f"/files/{bad_id}{suffix}")

    assert reply.status == 400
    assert reply.error_code == "invalid_request"
    assert "file_id" in reply.error_message
    assert api.dynamo.names() == []


def link_of(reply):
    assert reply.status == 200, reply.body
    url = urlsplit(reply.body["url"])
    return url, {name: values[0] for name, values in parse_qs(url.query).items()}


def test_download_link_is_a_presigned_get_of_the_recorded_version(api):
    body = b"\xff\xd8\xff fake jpeg bytes"
    file_id = "ab" * 16
    key = f"uploads/{file_id}/resume.jpg"
    first = api.s3.put_object(Bucket=api.aws.bucket, Key=key, Body=body)
    api.s3.put_object(Bucket=api.aws.bucket, Key=key, Body=b"a newer upload")
    store(
        api,
        record(file_id, key=key, filename="Résumé «final».jpg", version_id=first["VersionId"]),
    )

    reply = api.get(f"/files/{file_id}/download")

    url, params = link_of(reply)
    assert reply.body["expires_in"] == 900
    assert url.hostname == f"{api.aws.bucket}.s3.amazonaws.com"
    assert unquote(url.path) == f"/{key}"
    assert params["X-Amz-Expires"] == "900"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["versionId"] == first["VersionId"]
    disposition = params["response-content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20%C2%ABfinal%C2%BB.jpg" in disposition
    assert 'filename="Resume_final.jpg"' in disposition
    # The URL is a GET that S3 (moto) serves: the recorded version, not the newer one.
    assert requests.get(reply.body["url"], timeout=10).content == body


def test_download_lifetime_comes_from_the_environment(make_api):
    api = make_api(download_url_ttl_seconds=60)
    item = store(api, record(version_id="v1"))

    reply = api.get(f"/files/{item['file_id']}/download")

    _, params = link_of(reply)
    assert params["X-Amz-Expires"] == "60"
    assert reply.body["expires_in"] == 60


def test_download_of_a_file_not_uploaded_by_the_api_uses_the_key_name(api):
    item = record(key="uploads/reports/q3.pdf", category="document")
    del item["filename"]
    store(api, item)

    _, params = link_of(api.get(f"/files/{item['file_id']}/download"))

    assert "filename*=UTF-8''q3.pdf" in params["response-content-disposition"]
    assert "versionId" not in params


def test_download_of_an_unknown_file_is_404(api):
    reply = api.get(f"/files/{UNKNOWN_ID}/download")

    assert reply.status == 404
    assert reply.error_code == "not_found"


def test_download_of_a_deleted_file_is_409(api):
    item = store(api, record(status="DELETED", version_id="v1"))

    reply = api.get(f"/files/{item['file_id']}/download")

    assert reply.status == 409
    assert reply.error_code == "file_deleted"


def test_download_of_a_pending_file_not_uploaded_yet_is_409(api):
    item = store(api, record(status="PENDING"))

    reply = api.get(f"/files/{item['file_id']}/download")

    assert reply.status == 409
    assert reply.error_code == "file_not_uploaded"


def test_download_of_a_pending_file_already_uploaded_pins_its_version(api):
    item = store(api, record(status="PENDING"))
    put = api.s3.put_object(Bucket=api.aws.bucket, Key=item["key"], Body=b"just landed")

    _, params = link_of(api.get(f"/files/{item['file_id']}/download"))

    assert params["versionId"] == put["VersionId"]


@pytest.mark.parametrize("status", ["PROCESSING", "PROCESSED", "FAILED"])
def test_download_is_allowed_once_the_object_exists(api, status):
    item = store(api, record(status=status, version_id="v1"))

    assert api.get(f"/files/{item['file_id']}/download").status == 200


# -- ?artefact=: a derived file instead of the upload -----------------------


@pytest.mark.parametrize(
    ("category", "filename", "artefact", "stored_name", "saved_as", "content_type"),
    [
        ("image", "holiday photo.jpg", "thumbnail", "thumbnail.jpg",
         "holiday photo.thumbnail.jpg", "image/jpeg"),
        ("document", "Q3 report.pdf", "text", "text.txt",
         "Q3 report.txt", "text/plain; charset=utf-8"),
    ],
)  # fmt: skip
def test_artefact_download_is_a_presigned_get_of_the_derived_file(
    api, category, filename, artefact, stored_name, saved_as, content_type
):
    file_id = "cd" * 16
    key = f"derived/{file_id}/{stored_name}"
    api.s3.put_object(Bucket=api.aws.bucket, Key=key, Body=b"derived bytes")
    store(
        api,
        record(
            file_id,
            category=category,
            filename=filename,
            version_id="v1",
            derived={"thumbnail": key} if artefact == "thumbnail" else {"text": key},
        ),
    )

    reply = api.get(f"/files/{file_id}/download", query={"artefact": artefact})

    url, params = link_of(reply)
    assert unquote(url.path) == f"/{key}"
    assert params["X-Amz-Expires"] == "900"
    assert reply.body["expires_in"] == 900
    assert "versionId" not in params  # the artefact's current version
    assert f"filename*=UTF-8''{quote(saved_as, safe='')}" in params["response-content-disposition"]
    # S3 answers with this Content-Type (moto ignores the override, so it is not read back).
    assert params["response-content-type"] == content_type
    assert requests.get(reply.body["url"], timeout=10).content == b"derived bytes"


def test_a_missing_artefact_is_404_saying_what_the_file_has(api):
    item = store(api, record(derived={"thumbnail": "derived/x/thumbnail.jpg"}))

    reply = api.get(f"/files/{item['file_id']}/download", query={"artefact": "text"})

    assert reply.status == 404
    assert reply.error_code == "artefact_not_found"
    assert reply.error_message == f"file {item['file_id']} has no text artefact; it has: thumbnail"


@pytest.mark.parametrize("status", ["PENDING", "PROCESSING", "FAILED"])
def test_a_file_without_artefacts_is_404_for_each(api, status):
    item = store(api, record(status=status))

    reply = api.get(f"/files/{item['file_id']}/download", query={"artefact": "thumbnail"})

    assert reply.status == 404
    assert reply.error_message == f"file {item['file_id']} has no thumbnail artefact"


@pytest.mark.parametrize("name", ["preview", "Thumbnail", "", "text.txt"])
def test_an_unknown_artefact_name_is_400_listing_the_names(api, name):
    item = store(api, record(derived={"thumbnail": "derived/x/thumbnail.jpg"}))

    reply = api.get(f"/files/{item['file_id']}/download", query={"artefact": name})

    assert reply.status == 400
    assert reply.error_code == "invalid_request"
    assert "query parameter artefact" in reply.error_message
    assert "'thumbnail' or 'text'" in reply.error_message
    assert api.dynamo.names() == []


def test_artefacts_of_a_deleted_file_are_409(api):
    item = store(api, record(status="DELETED", derived={"thumbnail": "derived/x/thumbnail.jpg"}))

    reply = api.get(f"/files/{item['file_id']}/download", query={"artefact": "thumbnail"})

    assert reply.status == 409
    assert reply.error_code == "file_deleted"
