"""upload, wait_all and download against the fake API, over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fileproc.api.presign import ARTEFACT_DOWNLOADS
from fileproc.api.uploads import MEDIA_TYPES
from fileproc.keys import EXTENSIONS, FILE_ID_PATTERN, new_file_id
from fileproc_cli import ApiClient, ConfigError, WaitTimeout, download, upload, wait, wait_all
from fileproc_cli.files import (
    ARTEFACT_SUFFIXES,
    CONTENT_TYPES,
    FILE_ID,
    artefact_name,
    content_type_for,
    local_name,
)

from .fake_api import FakeApi


class FakeClock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_every_extension_gets_a_type_the_api_accepts() -> None:
    assert set(CONTENT_TYPES) == set(EXTENSIONS)
    for extension, content_type in CONTENT_TYPES.items():
        assert content_type in MEDIA_TYPES[extension], extension


def test_artefacts_are_named_as_the_api_names_them() -> None:
    assert {
        str(name): suffix for name, (suffix, _type) in ARTEFACT_DOWNLOADS.items()
    } == ARTEFACT_SUFFIXES
    record = {"file_id": "a" * 32, "filename": "dir/report.v2.pdf"}
    assert artefact_name(record, "text") == "report.v2.txt"
    assert artefact_name({"file_id": "b" * 32, "filename": ".."}, "thumbnail") == (
        f"{'b' * 32}.thumbnail.jpg"
    )


def test_file_ids_are_the_apis() -> None:
    assert FILE_ID.pattern == FILE_ID_PATTERN.pattern.strip("^$")
    assert FILE_ID.fullmatch(new_file_id())


def test_type_by_extension_whatever_its_case() -> None:
    assert content_type_for(Path("A.JPG")) == "image/jpeg"
    assert content_type_for(Path("table.Csv")) == "text/csv"
    assert content_type_for(Path("setup.exe")) == "application/octet-stream"


def test_upload_posts_the_request_then_the_form(
    fake_api: FakeApi, client: ApiClient, tmp_path: Path
) -> None:
    path = tmp_path / "table.csv"
    data = b"a,b\r\n1,\x00\xff\r\n" * 1000
    path.write_bytes(data)
    sent: list[int] = []
    started = upload(client, path, on_bytes=sent.append)
    record = fake_api.records[started.file_id]
    assert (record["filename"], record["content_type"], record["size"]) == (
        "table.csv",
        "text/csv",
        len(data),
    )
    form = fake_api.uploads[-1]
    assert form["names"] == ["key", "Content-Type", "policy", "x-amz-signature", "file"]
    assert form["form"]["file"] == data
    assert fake_api.blobs[started.file_id] == data
    assert (started.path, started.size, sum(sent)) == (path, len(data), len(data))
    assert "x-api-key" not in fake_api.requests[-1][2]  # the form is the authorisation


def test_upload_of_a_missing_file_asks_nothing(fake_api: FakeApi, client: ApiClient) -> None:
    with pytest.raises(ConfigError, match=r"nope.txt: no such file"):
        upload(client, Path("nope.txt"))
    with pytest.raises(ConfigError, match=r"is not a regular file"):
        upload(client, Path("."))
    assert fake_api.requests == []


def test_wait_reports_each_status_change_once(
    fake_api: FakeApi, client: ApiClient, tmp_path: Path
) -> None:
    fake_api.steps = ["PENDING", "PROCESSING", "PROCESSING", "PROCESSED"]
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    ids = [upload(client, tmp_path / name).file_id for name in ("a.txt", "broken.jpg")]
    changes: list[tuple[str, Any, float]] = []
    polls: list[tuple[int, float]] = []
    clock = FakeClock()
    records = wait_all(
        client,
        ids,
        interval=2.0,
        on_change=lambda record, waited: changes.append(
            (record["filename"], record["status"], waited)
        ),
        on_poll=lambda pending, waited: polls.append((len(pending), waited)),
        clock=clock,
        sleep=clock.sleep,
    )
    assert list(records) == ids
    assert [r["status"] for r in records.values()] == ["PROCESSED", "FAILED"]
    assert records[ids[1]]["error"]["type"] == "Corrupt"
    assert changes == [
        ("a.txt", "PENDING", 0.0),
        ("broken.jpg", "PENDING", 0.0),
        ("a.txt", "PROCESSING", 2.0),
        ("broken.jpg", "PROCESSING", 2.0),
        ("a.txt", "PROCESSED", 6.0),
        ("broken.jpg", "FAILED", 6.0),
    ]
    assert polls == [(2, 0.0), (2, 2.0), (2, 4.0)]


def test_wait_gives_up_at_the_timeout_with_what_it_saw(
    fake_api: FakeApi, client: ApiClient
) -> None:
    stuck = fake_api.add_record(status="PENDING")
    done = fake_api.add_record(status="PROCESSED")
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as raised:
        wait_all(client, [stuck["file_id"], done["file_id"]], timeout=5, interval=2,
                 clock=clock, sleep=clock.sleep)  # fmt: skip
    assert clock.sleeps == [2, 2, 1]  # never past the deadline
    assert f"1 file(s) not processed after 5 s: {stuck['file_id']} PENDING" in str(raised.value)
    assert raised.value.records[done["file_id"]]["status"] == "PROCESSED"
    assert raised.value.exit_code == 5


def test_wait_for_one_file(fake_api: FakeApi, client: ApiClient) -> None:
    record = fake_api.add_record(status="FAILED", error={"type": "TooLarge", "message": "big"})
    assert wait(client, record["file_id"])["error"]["type"] == "TooLarge"


def test_download_saves_under_the_original_name(
    fake_api: FakeApi, client: ApiClient, tmp_path: Path
) -> None:
    record = fake_api.add_record(filename="report.txt")
    fake_api.blobs[record["file_id"]] = b"the content"
    saved = download(client, record["file_id"])
    assert saved == Path("report.txt")
    assert saved.read_bytes() == b"the content"
    into_dir = download(client, record["file_id"], tmp_path)
    assert into_dir == tmp_path / "report.txt"


def test_download_does_not_overwrite_unless_forced(
    fake_api: FakeApi, client: ApiClient, tmp_path: Path
) -> None:
    record = fake_api.add_record(filename="report.txt")
    fake_api.blobs[record["file_id"]] = b"new"
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "mine.txt"
    target.write_bytes(b"precious")
    with pytest.raises(ConfigError, match=r"mine.txt exists: pass --force to overwrite it"):
        download(client, record["file_id"], target)
    assert target.read_bytes() == b"precious"
    download(client, record["file_id"], target, force=True)
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["mine.txt"]  # no partial file left


def test_download_names_cannot_escape_the_directory() -> None:
    assert local_name({"file_id": "f", "filename": "../../etc/passwd"}) == "passwd"
    assert local_name({"file_id": "f", "filename": "C:\\Users\\x\\a.txt"}) == "a.txt"
    assert local_name({"file_id": "f", "filename": ".."}) == "f"
    assert local_name({"file_id": "f", "key": "uploads/other/x.csv"}) == "x.csv"
