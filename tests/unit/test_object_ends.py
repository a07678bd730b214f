"""Reading only an object's ends (s3io.open_ends), and a Parquet upload through the
pipeline that never downloads the object's data. moto in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Aws
from pipeline_events import Uploads

from fileproc.config import Settings
from fileproc.errors import ObjectMissing
from fileproc.events import parse_body
from fileproc.keys import Category, file_id_for_key
from fileproc.pipeline import Clients, Outcome, handle_record
from fileproc.processors import data, parquet
from fileproc.records import Records
from fileproc.s3io import open_ends
from fileproc_tools.inprocess import notification

duckdb = pytest.importorskip("duckdb")


@dataclass
class Fetched:
    """The GetObject calls of a client and the bytes each answered with."""

    ranges: list[str | None] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def watch(self, s3: Any) -> Fetched:
        def before(params: dict[str, Any], **_: Any) -> None:
            self.ranges.append(params.get("Range"))

        def after(parsed: dict[str, Any], **_: Any) -> None:
            self.sizes.append(int(parsed.get("ContentLength", 0)))

        s3.meta.events.register("provide-client-params.s3.GetObject", before)
        s3.meta.events.register("after-call.s3.GetObject", after)
        return self

    @property
    def total(self) -> int:
        return sum(self.sizes)


def synthetic(size: int, footer: int) -> bytes:
    """A file shaped like Parquet: magic, ``size`` bytes in all, a footer of ``footer``."""
    middle = size - footer - 12
    body = b"PAR1" + bytes(range(256)) * (middle // 256) + bytes(middle % 256)
    return body + b"F" * footer + footer.to_bytes(4, "little") + b"PAR1"


def read(aws: Aws, key: str, version: str | None = None) -> tuple[bytes, int]:
    with open_ends(
        aws.s3,
        aws.bucket,
        key,
        version,
        head_bytes=parquet.HEAD_BYTES,
        probe_bytes=parquet.TAIL_PROBE_BYTES,
        tail_bytes=parquet.tail_bytes,
    ) as opened:
        return opened.stream.read(), opened.size


def test_a_small_footer_costs_two_ranged_gets(aws: Aws) -> None:
    body = synthetic(5_000_000, footer=3_000)
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/a.parquet", Body=body)
    fetched = Fetched().watch(aws.s3)

    view, size = read(aws, "uploads/a.parquet")

    assert size == len(body)
    assert fetched.ranges == [f"bytes=-{parquet.TAIL_PROBE_BYTES}", "bytes=0-2047"]
    assert view == body[: parquet.HEAD_BYTES] + body[-parquet.TAIL_PROBE_BYTES :]
    assert fetched.total == parquet.TAIL_PROBE_BYTES + parquet.HEAD_BYTES


def test_a_long_footer_is_fetched_in_a_second_range(aws: Aws) -> None:
    footer = 300_000
    body = synthetic(2_000_000, footer=footer)
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/b.parquet", Body=body)
    fetched = Fetched().watch(aws.s3)

    view, _ = read(aws, "uploads/b.parquet")

    tail = footer + 8
    probe = parquet.TAIL_PROBE_BYTES
    assert fetched.ranges == [
        f"bytes=-{probe}",
        f"bytes={len(body) - tail}-{len(body) - probe - 1}",
        "bytes=0-2047",
    ]
    assert view == body[: parquet.HEAD_BYTES] + body[-tail:]


def test_a_footer_length_bomb_fetches_nothing_more(aws: Aws) -> None:
    body = synthetic(1_000_000, footer=100)[:-8] + (2**32 - 1).to_bytes(4, "little") + b"PAR1"
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/c.parquet", Body=body)
    fetched = Fetched().watch(aws.s3)

    read(aws, "uploads/c.parquet")

    assert fetched.total == parquet.TAIL_PROBE_BYTES + parquet.HEAD_BYTES


@pytest.mark.parametrize("size", [1, 12, 3000, parquet.TAIL_PROBE_BYTES])
def test_a_small_object_comes_whole_in_one_get(aws: Aws, size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/d.parquet", Body=body)
    fetched = Fetched().watch(aws.s3)
    assert read(aws, "uploads/d.parquet") == (body, size)
    assert len(fetched.ranges) == 1


def test_a_file_just_over_the_probe_is_whole_after_its_head(aws: Aws) -> None:
    body = synthetic(parquet.TAIL_PROBE_BYTES + 100, footer=50)
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/e.parquet", Body=body)
    assert read(aws, "uploads/e.parquet") == (body, len(body))


def test_an_empty_object_is_empty(aws: Aws) -> None:
    aws.s3.put_object(Bucket=aws.bucket, Key="uploads/empty.parquet", Body=b"")
    assert read(aws, "uploads/empty.parquet") == (b"", 0)


def test_a_deleted_version_is_object_missing(aws: Aws) -> None:
    version = aws.s3.put_object(Bucket=aws.bucket, Key="uploads/f.parquet", Body=b"PAR1" * 10)
    aws.s3.delete_object(Bucket=aws.bucket, Key="uploads/f.parquet", VersionId=version["VersionId"])
    with pytest.raises(ObjectMissing, match="no longer exists"):
        read(aws, "uploads/f.parquet", version["VersionId"])


def test_without_a_version_an_overwrite_between_the_gets_fails_the_attempt(aws: Aws) -> None:
    """The later ranges must be of the object the first one read (If-Match its ETag)."""
    key = "uploads/g.parquet"
    aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=synthetic(500_000, footer=100))
    overwritten: list[bool] = []

    def overwrite_once(**_: Any) -> None:
        if not overwritten:
            overwritten.append(True)
            aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=synthetic(400_000, footer=100))

    aws.s3.meta.events.register("after-call.s3.GetObject", overwrite_once)
    with pytest.raises(ClientError, match="PreconditionFailed"):
        read(aws, key)


def test_a_parquet_upload_is_processed_from_its_footer(
    aws: Aws, tmp_path: Path, uploads_settings: tuple[Uploads, Settings]
) -> None:
    """Through handle_record, as the data function runs it: PROCESSED with the schema,
    and a few dozen KB fetched of a file of several MB."""
    uploads, settings = uploads_settings
    path = tmp_path / "big.parquet"
    with duckdb.connect(":memory:", config={"threads": 1}) as con:
        select = "SELECT i, md5(i::VARCHAR) AS h FROM range(300000) t(i)"
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION uncompressed)")
    body = path.read_bytes()
    key = "uploads/exports/big.PARQUET"
    event = uploads.put(key, body)
    fetched = Fetched().watch(aws.s3)

    [parsed] = parse_body(notification(event))
    outcome = handle_record(
        parsed, Category.DATA, data.process, settings, Clients(aws.s3, aws.dynamodb)
    )

    assert outcome is Outcome.PROCESSED
    record = Records(aws.dynamodb, settings.table_name).get(file_id_for_key(aws.bucket, key))
    assert record is not None
    assert record["status"] == "PROCESSED"
    assert record["metadata"]["rows"] == 300000
    assert [c["path"] for c in record["metadata"]["schema"]] == ["i", "h"]
    assert len(body) > 8_000_000
    assert fetched.total < 100_000


@pytest.fixture
def uploads_settings(aws: Aws) -> tuple[Uploads, Settings]:
    return Uploads(aws.s3, aws.bucket), Settings.from_env()
