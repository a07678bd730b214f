"""The presigned upload and download: the streamed form, and a real S3 (moto's server) taking it."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer

from fileproc_cli import CliError, StorageRefused
from fileproc_cli.transfer import MultipartForm, fetch, post_form

from .fake_api import FakeApi

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Bytes that trip naive multipart handling: line breaks, NULs, a boundary-like line.
AWKWARD = b"--boundary\r\n\r\n\x00\xff\r\nline\n" * 5000


def read_all(form: MultipartForm, block: int) -> bytes:
    chunks = []
    while chunk := form.read(block):
        chunks.append(chunk)
    return b"".join(chunks)


def test_form_is_fields_then_file_and_its_length_is_exact() -> None:
    counted: list[int] = []
    form = MultipartForm(
        {"key": "uploads/x/a.bin", "Content-Type": "text/plain", "policy": "p"},
        io.BytesIO(AWKWARD),
        size=len(AWKWARD),
        filename='we"ird\r\nname.txt',
        content_type="text/plain",
        on_bytes=counted.append,
    )
    body = read_all(form, 1000)
    assert len(body) == form.length
    assert sum(counted) == len(AWKWARD)
    boundary = form.boundary.encode()
    assert form.content_type == f"multipart/form-data; boundary={form.boundary}"
    assert body.index(b'name="key"') < body.index(b'name="policy"') < body.index(b'name="file"')
    assert b'filename="we_ird__name.txt"' in body  # no header injection through the name
    assert body.endswith(AWKWARD + b"\r\n--" + boundary + b"--\r\n")
    assert boundary not in AWKWARD


def test_block_size_does_not_change_the_body() -> None:
    def body(block: int) -> bytes:
        data = AWKWARD[:2997]
        form = MultipartForm(
            {"a": "1"}, io.BytesIO(data), size=len(data), filename="f", content_type="text/plain"
        )
        return read_all(form, block).replace(form.boundary.encode(), b"BOUNDARY")

    assert body(1) == body(7) == body(1 << 20)


def test_a_file_that_shrinks_while_sent_is_an_error() -> None:
    form = MultipartForm({}, io.BytesIO(b"short"), size=10, filename="f", content_type="text/plain")
    with pytest.raises(CliError, match="shrank while it was being uploaded"):
        read_all(form, 4)


def test_a_file_that_grows_while_sent_is_an_error() -> None:
    form = MultipartForm(
        {}, io.BytesIO(b"longer!"), size=3, filename="f", content_type="text/plain"
    )
    with pytest.raises(CliError, match="grew while it was being uploaded"):
        read_all(form, 100)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> S3Client:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="cli-test")
    return client


def test_a_presigned_post_and_get_round_trip_through_s3(s3: S3Client) -> None:
    data = AWKWARD + os.urandom(1000)
    post = s3.generate_presigned_post(
        Bucket="cli-test",
        Key="uploads/abc/data.csv",
        Fields={"Content-Type": "text/csv"},
        Conditions=[{"Content-Type": "text/csv"}, ["content-length-range", len(data), len(data)]],
    )
    sent: list[int] = []
    post_form(post["url"], post["fields"], io.BytesIO(data), size=len(data),
              filename="data.csv", content_type="text/csv", on_bytes=sent.append)  # fmt: skip
    stored = s3.get_object(Bucket="cli-test", Key="uploads/abc/data.csv")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "text/csv"
    assert sum(sent) == len(data)
    assert len(sent) > 10  # read block by block as the connection sends, not in one piece

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "cli-test", "Key": "uploads/abc/data.csv"}
    )
    out = io.BytesIO()
    assert fetch(url, out) == len(data)
    assert out.getvalue() == data


def test_s3_errors_are_reported_with_their_code(s3: S3Client) -> None:
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "cli-test", "Key": "uploads/missing.txt"}
    )
    with pytest.raises(StorageRefused, match=r"download \(HTTP 404, NoSuchKey: "):
        fetch(url, io.BytesIO())


def test_a_refused_upload_names_the_storage_error(fake_api: FakeApi) -> None:
    fake_api.add_record(file_id="f" * 32, key="uploads/k", size=99)
    with pytest.raises(StorageRefused, match=r"upload \(HTTP 400, EntityTooSmall: bad size\)"):
        post_form(f"{fake_api.url}/storage", {"key": "uploads/k"}, io.BytesIO(b"abc"), size=3,
                  filename="k", content_type="text/plain")  # fmt: skip
