"""The API client over real HTTP against the fake API: headers, errors, retries, paging."""

from __future__ import annotations

import socket

import pytest

from fileproc_cli import ApiClient, ApiConfig, ApiError, CliError, ExitCode, Unreachable
from fileproc_cli.api import MAX_ATTEMPTS, error_from_body, open_http, unreachable

from .fake_api import API_KEY, FakeApi


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_get_sends_the_key_and_returns_the_record(fake_api: FakeApi, client: ApiClient) -> None:
    record = fake_api.add_record(filename="a.txt")
    assert client.get_file(record["file_id"]) == record
    method, path, headers = fake_api.requests[-1]
    assert (method, path) == ("GET", f"/files/{record['file_id']}")
    assert headers["x-api-key"] == API_KEY
    assert headers["accept"] == "application/json"


def test_unknown_id_is_the_apis_404(client: ApiClient) -> None:
    with pytest.raises(ApiError) as raised:
        client.get_file("0" * 32)
    error = raised.value
    assert (error.status, error.code) == (404, "not_found")
    assert error.message == f"file {'0' * 32} does not exist"
    assert error.exit_code == ExitCode.FAILED


def test_an_id_cannot_leave_its_path_segment(fake_api: FakeApi, client: ApiClient) -> None:
    with pytest.raises(ApiError):
        client.get_file("../files")
    assert fake_api.requests[-1][1] == "/files/..%2Ffiles"


def test_wrong_key_is_refused_with_a_hint(fake_api: FakeApi) -> None:
    client = ApiClient(ApiConfig(fake_api.url, "wrong"))
    with pytest.raises(ApiError) as raised:
        client.list_files()
    assert (raised.value.status, raised.value.code) == (403, "INVALID_API_KEY")
    assert raised.value.exit_code == ExitCode.REFUSED
    assert raised.value.hint is not None
    assert "check the API key" in raised.value.hint


def test_throttling_is_retried_after_retry_after(fake_api: FakeApi) -> None:
    slept: list[float] = []
    client = ApiClient(ApiConfig(fake_api.url, API_KEY), sleep=slept.append)
    fake_api.answers += [(429, {"message": "Too Many Requests"}), (503, {"error": {}})]
    assert client.list_files() == {"items": [], "next_token": None}
    assert len(fake_api.requests) == 3
    assert len(slept) == 2
    assert all(0 < seconds <= 5 for seconds in slept)


def test_throttling_that_lasts_is_an_error(fake_api: FakeApi, client: ApiClient) -> None:
    fake_api.answers += [(429, {"message": "Too Many Requests"})] * MAX_ATTEMPTS
    with pytest.raises(ApiError, match=r"Too Many Requests \(HTTP 429 too_many_requests\)"):
        client.list_files()


def test_validation_errors_are_not_retried(fake_api: FakeApi, client: ApiClient) -> None:
    fake_api.answers.append((400, {"error": {"code": "invalid_request", "message": "limit"}}))
    with pytest.raises(ApiError, match="limit"):
        client.list_files(limit=1000)
    assert len(fake_api.requests) == 1


def test_error_bodies_of_every_shape() -> None:
    api = error_from_body(409, b'{"error": {"code": "file_deleted", "message": "gone"}}')
    assert (api.code, api.message) == ("file_deleted", "gone")
    gateway = error_from_body(403, b'{"message": "Missing Authentication Token"}')
    assert (gateway.code, gateway.message) == ("forbidden", "Missing Authentication Token")
    text = error_from_body(502, b"<html>Bad Gateway</html>")
    assert (text.code, text.message) == ("bad_gateway", "<html>Bad Gateway</html>")
    empty = error_from_body(500, b"")
    assert empty.message == "Internal Server Error"


def test_paging_follows_next_token_up_to_the_limit(fake_api: FakeApi, client: ApiClient) -> None:
    for index in range(7):
        fake_api.add_record(filename=f"f{index}.txt")
    names = [r["filename"] for r in client.iter_files(limit=5)]
    assert names == ["f6.txt", "f5.txt", "f4.txt", "f3.txt", "f2.txt"]
    assert [r["filename"] for r in client.iter_files(limit=100)][-1] == "f0.txt"
    assert len(list(client.iter_files(limit=100))) == 7


def test_paging_asks_for_pages_of_at_most_100(fake_api: FakeApi, client: ApiClient) -> None:
    for index in range(3):
        fake_api.add_record(filename=f"f{index}.txt")
    list(client.iter_files(limit=250))
    assert "limit=100" in fake_api.requests[-1][1]


def test_nothing_listening_means_unreachable_with_the_sandbox_hint() -> None:
    url = f"http://127.0.0.1:{closed_port()}/abc/sandbox"
    with pytest.raises(Unreachable) as raised:
        ApiClient(ApiConfig(url, "k")).list_files()
    assert str(raised.value) == (
        f"cannot reach the API at {url}: is the sandbox running? (make sandbox-status)"
    )
    assert raised.value.exit_code == ExitCode.UNREACHABLE


def test_a_remote_api_is_unreachable_with_the_reason() -> None:
    error = unreachable("the API", "https://api.example.com/prod", "Name or service not known")
    assert str(error) == (
        "cannot reach the API at https://api.example.com/prod: Name or service not known"
    )


def test_only_http_urls_are_opened() -> None:
    with pytest.raises(CliError, match="refusing to open a file URL"):
        open_http("file:///etc/passwd")
