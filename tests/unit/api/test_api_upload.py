"""POST /files: validation, the PENDING record and the presigned POST form."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from boto3.dynamodb.types import TypeDeserializer

from fileproc.listing import listing_keys

from .api_helpers import call, rest_event

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def upload_body(**overrides):
    body = {"filename": "holiday photo.jpg", "content_type": "image/jpeg", "size": len(JPEG)}
    body.update(overrides)
    return json.dumps(body)


def stored(api, file_id):
    item = api.aws.dynamodb.get_item(TableName=api.aws.table, Key={"file_id": {"S": file_id}})
    return {k: TypeDeserializer().deserialize(v) for k, v in item.get("Item", {}).items()}


def table_is_empty(api):
    return api.aws.dynamodb.scan(TableName=api.aws.table)["Count"] == 0


def policy_of(fields):
    return json.loads(base64.b64decode(fields["policy"]))


def test_post_returns_201_with_a_presigned_post_and_writes_a_pending_record(api):
    reply = api.post("/files", body=upload_body())

    assert reply.status == 201, reply.body
    assert set(reply.body) == {"file_id", "upload", "expires_in"}
    file_id = reply.body["file_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", file_id)
    assert reply.body["expires_in"] == 900
    key = f"uploads/{file_id}/holiday_photo.jpg"
    fields = reply.body["upload"]["fields"]
    assert fields["key"] == key
    assert fields["Content-Type"] == "image/jpeg"

    item = stored(api, file_id)
    assert item == {
        "file_id": file_id,
        "bucket": api.aws.bucket,
        "key": key,
        "filename": "holiday photo.jpg",
        "category": "image",
        "content_type": "image/jpeg",
        "size": len(JPEG),
        "status": "PENDING",
        **listing_keys(file_id, "PENDING", "image"),
        "uploaded_at": item["uploaded_at"],
        "updated_at": item["uploaded_at"],
        "expires_at": item["expires_at"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["uploaded_at"])
    (put,) = api.dynamo.of("PutItem")
    assert put["ConditionExpression"] == "attribute_not_exists(file_id)"


def epoch_seconds(stamp):
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize("ttl", [900, 60])
def test_the_pending_record_expires_a_day_after_its_upload_link(make_api, ttl):
    api = make_api(upload_url_ttl_seconds=ttl)

    file_id = api.post("/files", body=upload_body()).body["file_id"]

    item = stored(api, file_id)
    # A number (the table's TTL ignores any other type), in epoch seconds.
    assert isinstance(item["expires_at"], Decimal)
    assert item["expires_at"] == epoch_seconds(item["uploaded_at"]) + ttl + 24 * 3600
    # Clients see when the record of an upload never made goes away.
    shown = api.get(f"/files/{file_id}").body
    assert shown["expires_at"] == item["expires_at"]
    (listed,) = api.get("/files").body["items"]
    assert listed["expires_at"] == item["expires_at"]


def test_the_new_file_is_listed_and_readable(api):
    file_id = api.post("/files", body=upload_body()).body["file_id"]

    assert api.get(f"/files/{file_id}").body["status"] == "PENDING"
    listed = api.get("/files", query={"status": "PENDING", "category": "image"}).body["items"]
    assert [item["file_id"] for item in listed] == [file_id]


def test_the_post_policy_binds_key_type_size_and_lifetime(api):
    reply = api.post("/files", body=upload_body(size=4321))
    fields = reply.body["upload"]["fields"]

    policy = policy_of(fields)

    conditions = policy["conditions"]
    assert {"bucket": api.aws.bucket} in conditions
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 4321, 4321] in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    signed_at = datetime.strptime(fields["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((expires - signed_at).total_seconds() - 900) <= 1
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    # S3 rejects a form with a field its policy does not cover.
    covered = {name.lower() for c in conditions if isinstance(c, dict) for name in c}
    signature_fields = {"policy", "x-amz-signature"}
    assert {name.lower() for name in fields} - signature_fields <= covered


def test_upload_lifetime_comes_from_the_environment(make_api):
    api = make_api(upload_url_ttl_seconds=120)

    reply = api.post("/files", body=upload_body())

    fields = reply.body["upload"]["fields"]
    policy = policy_of(fields)
    signed_at = datetime.strptime(fields["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((expires - signed_at).total_seconds() - 120) <= 1
    assert reply.body["expires_in"] == 120


def test_the_form_uploads_the_file_to_s3(api):
    # moto serves requests made with `requests` in-process; it does not enforce POST
    # policies, which the test above checks instead.
    ticket = api.post("/files", body=upload_body()).body
    form = ticket["upload"]

    response = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("holiday photo.jpg", JPEG, "image/jpeg")},
        timeout=10,
    )

    assert response.status_code == 204
    key = form["fields"]["key"]
    obj = api.s3.get_object(Bucket=api.aws.bucket, Key=key)
    assert obj["Body"].read() == JPEG
    assert obj["ContentType"] == "image/jpeg"
    # Uploaded but not processed yet: the download link already works.
    assert api.get(f"/files/{ticket['file_id']}/download").status == 200


@pytest.mark.parametrize(
    ("filename", "key_name"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("Résumé 2026.pdf", "Resume_2026.pdf"),
        ("Photo.JPG", "Photo.jpg"),
        ("scan.Jpeg", "scan.jpeg"),
        ("漢字.txt", "file.txt"),
    ],
)
def test_filenames_are_sanitised_in_the_key_and_kept_in_the_record(api, filename, key_name):
    content_type = {
        ".txt": "text/plain",
        ".pdf": "application/pdf",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
    }[key_name[key_name.rindex(".") :]]

    reply = api.post("/files", body=upload_body(filename=filename, content_type=content_type))

    assert reply.status == 201, reply.body
    file_id = reply.body["file_id"]
    assert reply.body["upload"]["fields"]["key"] == f"uploads/{file_id}/{key_name}"
    assert stored(api, file_id)["filename"] == filename


@pytest.mark.parametrize(
    ("filename", "content_type", "category"),
    [
        ("a.png", "image/png", "image"),
        ("a.pdf", "application/pdf", "document"),
        ("a.txt", "text/plain; charset=utf-8", "document"),
        ("a.csv", "text/csv", "data"),
        ("a.csv", "application/vnd.ms-excel", "data"),
        ("a.json", "application/json", "data"),
        ("a.jsonl", "application/x-ndjson", "data"),
        ("a.ndjson", "application/x-ndjson", "data"),
        ("a.parquet", "application/vnd.apache.parquet", "data"),
        ("export.PARQUET", "application/x-parquet", "data"),
        ("a.parquet", "application/octet-stream", "data"),
        ("a.jpeg", "IMAGE/JPEG", "image"),
    ],
)
def test_accepted_types(api, filename, content_type, category):
    reply = api.post("/files", body=upload_body(filename=filename, content_type=content_type))

    assert reply.status == 201, reply.body
    item = stored(api, reply.body["file_id"])
    assert item["category"] == category
    assert item["content_type"] == content_type
    assert reply.body["upload"]["fields"]["Content-Type"] == content_type


@pytest.mark.parametrize("filename", ["virus.exe", "archive.tar.gz", "README", "photo.gif"])
def test_unsupported_file_types_are_400(api, filename):
    reply = api.post("/files", body=upload_body(filename=filename))

    assert reply.status == 400
    assert reply.error_code == "unsupported_file_type"
    assert ".jpg" in reply.error_message
    assert ".csv" in reply.error_message
    assert table_is_empty(api)


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("a.jpg", "image/png"), ("a.pdf", "text/plain"), ("a.csv", "application/json")],
)
def test_a_content_type_that_does_not_match_the_extension_is_400(api, filename, content_type):
    reply = api.post("/files", body=upload_body(filename=filename, content_type=content_type))

    assert reply.status == 400
    assert reply.error_code == "content_type_mismatch"
    assert table_is_empty(api)


def test_a_file_over_its_category_limit_is_413_with_the_limit(make_api):
    api = make_api(max_image_bytes=1000, max_document_bytes=5000)

    too_big = api.post("/files", body=upload_body(size=1001))
    at_limit = api.post("/files", body=upload_body(size=1000))
    document = api.post(
        "/files", body=upload_body(filename="a.pdf", content_type="application/pdf", size=1001)
    )

    assert too_big.status == 413
    assert too_big.error_code == "file_too_large"
    assert "1000 bytes" in too_big.error_message
    assert at_limit.status == 201
    assert document.status == 201


def test_a_size_over_what_s3_stores_in_one_post_is_400_with_the_bound(make_api):
    # Even where a category's limit is set higher: the presigned POST could not carry it.
    api = make_api(max_data_bytes=10 * 1024**4)

    for size in (5 * 1024**3 + 1, 10**30):
        reply = api.post(
            "/files", body=upload_body(filename="a.csv", content_type="text/csv", size=size)
        )

        assert reply.status == 400
        assert "field size: Input should be less than or equal to 5368709120" in (
            reply.error_message
        )
    at_bound = api.post(
        "/files", body=upload_body(filename="a.csv", content_type="text/csv", size=5 * 1024**3)
    )
    assert at_bound.status == 201


def test_an_integral_float_size_is_that_integer(api):
    # JSON Schema (OpenAPI 3.1) counts 12.0 as an integer; a JSON client may well send it.
    reply = api.post("/files", body=upload_body(size=float(len(JPEG))))

    assert reply.status == 201, reply.body
    item = stored(api, reply.body["file_id"])
    assert item["size"] == len(JPEG)
    assert ["content-length-range", len(JPEG), len(JPEG)] in policy_of(
        reply.body["upload"]["fields"]
    )["conditions"]


@pytest.mark.parametrize(
    "content_type",
    [
        "image/jpeg\r\nX-Amz-Meta-Injected: 1",
        "image/jpeg\n",
        "image/jpeg;\rcharset=x",
        "image/jpeg;\x0bcharset=x",
        "image/jpeg;\u2028charset=x",
        'image/jpeg; name="a\x7fb"',
        'image/jpeg; name="caf\u00e9"',
        'image/jpeg; name="a\tb\r\n"',
        "image/jpeg\x00",
    ],
)
def test_control_characters_in_content_type_are_400(api, content_type):
    # The upload form's Content-Type header carries it as it is: no header can hold a CR or LF.
    reply = api.post("/files", body=upload_body(content_type=content_type))

    assert reply.status == 400
    assert reply.error_message == (
        "field content_type: must be a media type such as image/jpeg, without control characters"
    )
    assert table_is_empty(api)


@pytest.mark.parametrize("filename", ["a\x85b.jpg", "a\x9b.jpg", "a\x7f.jpg", "a\r\n.jpg"])
def test_control_characters_in_filename_are_400(api, filename):
    # The name goes into the download's Content-Disposition and into the logs.
    reply = api.post("/files", body=upload_body(filename=filename))

    assert reply.status == 400
    assert reply.error_message == "field filename: must not contain control characters"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (upload_body(size=0), "field size: Input should be greater than or equal to 1"),
        (upload_body(size=-5), "field size: Input should be greater than or equal to 1"),
        (upload_body(size="12"), "field size: Input should be a valid integer"),
        (upload_body(size=12.5), "field size: Input should be a valid integer"),
        (upload_body(size=float("inf")), "field size: Input should be a valid integer"),
        (upload_body(size=True), "field size: Input should be a valid integer"),
        (upload_body(size=None), "field size: Input should be a valid integer"),
        (upload_body(filename=""), "field filename: String should have at least 1 character"),
        (upload_body(filename="a\nb.jpg"), "field filename: must not contain control characters"),
        (upload_body(filename="x" * 256 + ".jpg"), "field filename: String should have at most"),
        (upload_body(filename=["a.jpg"]), "field filename: Input should be a valid string"),
        (upload_body(content_type="jpeg"), "field content_type: must be a media type"),
        (upload_body(owner="me"), "field owner: Extra inputs are not permitted"),
        ('{"filename": "a.jpg"}', "field content_type: Field required"),
        ("{bad json", "request body is not valid JSON"),
        ("[1, 2]", "request body must be a JSON object"),
        ('"a.jpg"', "request body must be a JSON object"),
        ("null", "request body is required"),
        ("[" * 100_000 + "]" * 100_000, "request body is nested too deeply"),
        ('{"filename": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
        (None, "request body is required"),
    ],
)
def test_invalid_bodies_are_400_with_a_useful_message(api, body, expected):
    reply = api.post("/files", body=body)

    assert reply.status == 400
    assert reply.error_code == "invalid_request"
    assert expected in reply.error_message
    assert table_is_empty(api)


def test_a_name_with_no_usable_characters_is_400(api):
    reply = api.post("/files", body=upload_body(filename="..."))

    assert reply.status == 400
    assert "no usable characters" in reply.error_message


def test_a_body_that_is_not_json_is_415(api):
    reply = api.post("/files", body=upload_body(), headers={"Content-Type": "text/plain"})

    assert reply.status == 415
    assert reply.error_code == "unsupported_media_type"


def test_a_base64_body_from_binary_media_types_is_decoded(api):
    assert api.post("/files", body=upload_body(), is_base64=True).status == 201


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("!!!notbase64", "request body is not valid base64"),
        ("ZXlK\u00e9", "request body is not valid base64"),
        (base64.b64encode(b"\xff\xfe\xfd").decode(), "request body is not UTF-8 JSON"),
    ],
)
def test_an_undecodable_base64_body_is_400(api, raw, message):
    event = rest_event("POST", "/files", body=raw)
    event["isBase64Encoded"] = True

    reply = call(api.app, event)

    assert reply.status == 400
    assert reply.error_message == message


@pytest.mark.parametrize(
    "content_type",
    [
        "Application/Json",
        "APPLICATION/JSON; CHARSET=UTF-8",
        'application/json;charset="utf-8"',
        "application/json ; version=1",
        "",
        None,
    ],
)
def test_json_media_types_are_case_insensitive(api, content_type):
    # RFC 9110 8.3.1: type, subtype and parameter names are case-insensitive, so is charset's value.
    event = rest_event("POST", "/files", body=upload_body())
    for headers in (event["headers"], event["multiValueHeaders"]):
        del headers["Content-Type"]
    if content_type is not None:
        event["headers"]["content-type"] = content_type
        event["multiValueHeaders"]["content-type"] = [content_type]

    reply = call(api.app, event)

    assert reply.status == 201, reply.body


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # Powertools parses these itself: missing or empty boundary raised ValueError (500).
        ("multipart/form-data", "--x\r\n\r\n--x--"),
        ("multipart/form-data; boundary=", "--x\r\n\r\n--x--"),
        ("Multipart/Form-Data; boundary=x", "--x\r\n\r\n--x--"),
        # Non-Latin-1 text in a multipart body raised UnicodeEncodeError (500).
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="filename"\r\n\r\n漢字.txt\r\n--x--',
        ),
        # Parsed into lists, then refused with pydantic's messages (400).
        ("application/x-www-form-urlencoded", "filename=a.txt&content_type=text/plain&size=1"),
        ("application/json; charset=iso-8859-1", upload_body()),
        ("application/jsonl", upload_body()),
        ("application/merge-patch+json", upload_body()),
        ("text/plain", upload_body()),
        ("json", upload_body()),
    ],
)
def test_a_body_of_another_media_type_is_415_before_parsing(api, content_type, body):
    reply = api.post("/files", body=body, headers={"Content-Type": content_type})

    assert reply.status == 415, reply.body
    assert reply.body == {
        "error": {
            "code": "unsupported_media_type",
            "message": "the request body must be application/json (UTF-8)",
        }
    }
    assert api.dynamo.names() == []
