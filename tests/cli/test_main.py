"""The command line end to end against the fake API: output, messages and exit codes."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from fileproc_cli import main

from .fake_api import API_KEY, FakeApi
from .test_api import closed_port


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def api_env(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    monkeypatch.setenv("FILEPROC_API_URL", fake_api.url)
    monkeypatch.setenv("FILEPROC_API_KEY", API_KEY)
    fake_api.steps = ["PROCESSED"]  # final at the first poll: no waiting between polls
    return fake_api


def test_missing_key_is_a_configuration_error(fake_api: FakeApi) -> None:
    result = run("--api-url", fake_api.url, "ls")
    assert result.code == 2
    assert result.err.startswith(
        "fileproc: error: no API key: pass --api-key, set FILEPROC_API_KEY, or deploy the "
        "sandbox (make deploy ENV=sandbox) so "
    )
    assert fake_api.requests == []


def test_unknown_id_prints_the_apis_message(api_env: FakeApi) -> None:
    result = run("show", "a" * 32)
    assert result.code == 1
    assert result.err == (f"fileproc: error: file {'a' * 32} does not exist (HTTP 404 not_found)\n")


def test_unreachable_api(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}/x/sandbox"
    result = run("--api-url", url, "--api-key", "k", "ls")
    assert result.code == 3
    assert result.err == (
        f"fileproc: error: cannot reach the API at {url}: is the sandbox running? "
        "(make sandbox-status)\n"
    )


def test_wrong_key_says_what_to_check(fake_api: FakeApi) -> None:
    result = run("ls", "--api-url", fake_api.url, "--api-key", "nope")
    assert result.code == 4
    lines = result.err.splitlines()
    assert lines[0] == "fileproc: error: Forbidden (HTTP 403 INVALID_API_KEY)"
    assert lines[1].startswith("fileproc: check the API key (--api-key, FILEPROC_API_KEY)")


def test_upload_waits_and_prints_the_records(api_env: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8")
    ok = run("upload", str(tmp_path / "a.txt"))
    assert ok.code == 0, ok.err
    assert "a.txt: uploaded 5 B as " in ok.err
    assert "a.txt: PROCESSED after " in ok.err
    header, row = ok.out.splitlines()
    assert header.split()[:4] == ["FILE", "ID", "NAME", "CATEGORY"]
    assert "a.txt" in row
    assert "PROCESSED" in row

    failed = run("upload", "--json", str(tmp_path / "broken.jpg"))
    assert failed.code == 1
    (record,) = json.loads(failed.out)
    assert (record["status"], record["error"]["type"]) == ("FAILED", "Corrupt")
    assert "broken.jpg: FAILED after " in failed.err
    assert "(Corrupt: damaged JPEG image)" in failed.err


def test_upload_checks_every_path_before_sending_any(api_env: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    result = run("upload", str(tmp_path / "a.txt"), str(tmp_path / "missing.csv"))
    assert result.code == 2
    assert result.err == f"fileproc: error: {tmp_path / 'missing.csv'}: no such file\n"
    assert api_env.requests == []


def test_a_refused_file_does_not_stop_the_others(api_env: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "setup.exe").write_bytes(b"MZ")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "a.txt").write_text("hello")
    paths = [str(tmp_path / name) for name in ("setup.exe", "empty.csv", "a.txt")]
    result = run("upload", *paths)
    assert result.code == 4
    assert (
        f"setup.exe: not uploaded: {paths[0]} has type '.exe', which the pipeline does not "
        "take: it takes .csv, .jpeg, .jpg, .json, .jsonl, .ndjson, .parquet, .pdf, .png, .txt"
    ) in result.err
    assert (
        f"empty.csv: not uploaded: {paths[1]} is empty (0 bytes): the pipeline takes files "
        "of 1 byte or more"
    ) in result.err
    assert "a.txt: PROCESSED" in result.err
    # Told before sending: the API heard only of a.txt.
    assert next(path for method, path, _ in api_env.requests if method == "POST") == "/files"
    assert len([1 for method, path, _ in api_env.requests if path == "/files"]) == 1


def test_an_oversized_file_says_the_apis_limit(api_env: FakeApi, tmp_path: Path) -> None:
    """The limit is the deployment's: only the API knows it, and its answer says it."""
    (tmp_path / "big.csv").write_text("a,b\n")
    api_env.answers.append(
        (
            413,
            {
                "error": {
                    "code": "payload_too_large",
                    "message": "size 4 bytes is over the limit for data files (3 bytes)",
                }
            },
        )
    )
    result = run("upload", str(tmp_path / "big.csv"))
    assert result.code == 4
    assert "big.csv: not uploaded: size 4 bytes is over the limit for data files (3 bytes)" in (
        result.err
    )


@pytest.mark.parametrize("command", ["show", "wait", "download"])
def test_a_malformed_id_names_no_file_and_is_not_sent(api_env: FakeApi, command: str) -> None:
    """Exit 1 as for an unknown id (README: "1 a file FAILED or no such id"): no file has
    it, and a script asking whether a file exists gets one answer for both."""
    result = run(command, "not-an-id")
    assert result.code == 1
    assert result.err == (
        "fileproc: error: 'not-an-id' is not a file id: ids are 32 hex characters "
        "(fileproc ls shows them)\n"
    )
    assert api_env.requests == []


def test_download_an_artefact(api_env: FakeApi) -> None:
    record = api_env.add_record(
        filename="photo.jpg",
        category="image",
        derived={"thumbnail": "derived/x/thumbnail.jpg"},
    )
    api_env.blobs[f"{record['file_id']}.thumbnail"] = b"\xff\xd8thumb"
    result = run("download", record["file_id"], "--artefact", "thumbnail")
    assert result.code == 0, result.err
    assert Path("photo.thumbnail.jpg").read_bytes() == b"\xff\xd8thumb"
    assert api_env.requests[-2][1] == f"/files/{record['file_id']}/download?artefact=thumbnail"

    missing = run("download", record["file_id"], "--artefact", "text")
    assert missing.code == 1
    assert missing.err == (
        f"fileproc: error: file {record['file_id']} has no text (it has: thumbnail; "
        "its status is PROCESSED)\n"
    )


def test_an_artefact_of_a_file_still_processing(api_env: FakeApi) -> None:
    record = api_env.add_record(filename="report.pdf", status="PROCESSING")
    result = run("download", record["file_id"], "--artefact", "text")
    assert result.code == 1
    assert result.err.endswith(
        "has no text (it has none; its status is PROCESSING): wait until it is PROCESSED\n"
    )


def test_an_unknown_artefact_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as raised:
        run("download", "a" * 32, "--artefact", "preview")
    assert raised.value.code == 2


def test_upload_without_waiting(api_env: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    result = run("upload", "--no-wait", "--json", str(tmp_path / "a.txt"))
    assert result.code == 0
    (started,) = json.loads(result.out)
    assert api_env.records[started["file_id"]]["status"] == "PENDING"  # nobody polled
    waited = run("wait", started["file_id"])
    assert waited.code == 0
    assert "PROCESSED" in waited.out


def test_ls_filters_and_pages(api_env: FakeApi) -> None:
    for index in range(4):
        api_env.add_record(filename=f"f{index}.csv", category="data", status="FAILED")
    api_env.add_record(filename="img.jpg", category="image")
    result = run("ls", "--status", "failed", "--category", "DATA", "--limit", "3")
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split()[1] for line in lines[1:]] == ["f3.csv", "f2.csv", "f1.csv"]
    query = api_env.requests[-1][1]
    assert "status=FAILED" in query
    assert "category=data" in query
    assert "limit=3" in query
    as_json = json.loads(run("ls", "--json").out)
    assert len(as_json) == 5


def test_ls_of_nothing(api_env: FakeApi) -> None:
    result = run("ls")
    assert (result.code, result.out, result.err) == (0, "", "no files\n")


def test_show_readable_and_raw(api_env: FakeApi) -> None:
    record = api_env.add_record(filename="n.txt", metadata={"format": "TXT", "lines": 2})
    readable = run("show", record["file_id"])
    assert readable.out.startswith(f"n.txt  (file {record['file_id']})\n")
    assert "    format: TXT" in readable.out
    raw = json.loads(run("show", "--json", record["file_id"]).out)
    assert raw == record


def test_download_then_refuse_to_overwrite(api_env: FakeApi) -> None:
    record = api_env.add_record(filename="report.txt")
    api_env.blobs[record["file_id"]] = b"content"
    first = run("download", record["file_id"])
    assert first.code == 0
    assert first.err.startswith("saved report.txt (7 B)")
    again = run("download", record["file_id"])
    assert again.code == 2
    assert again.err == "fileproc: error: report.txt exists: pass --force to overwrite it\n"
    assert run("download", record["file_id"], "-o", "copy.txt").code == 0
    assert Path("copy.txt").read_bytes() == b"content"


def test_config_prints_shell_exports(fake_api: FakeApi) -> None:
    result = run("--api-url", fake_api.url, "config", "--api-key", "it's secret")
    assert result.code == 0
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in result.out.splitlines()
    )
    assert exports == {"FILEPROC_API_URL": fake_api.url, "FILEPROC_API_KEY": "it's secret"}


def test_redrive_without_a_deployment(isolated: Path) -> None:
    result = run("redrive", "--dry-run")
    assert result.code == 2
    assert result.err.startswith("fileproc: error: no queue URLs for sandbox: ")


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as raised:
        run("ls", "--limit", "0")
    assert raised.value.code == 2


def test_the_installed_command_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fileproc_cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "exit codes:" in completed.stdout
