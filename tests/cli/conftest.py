"""Fixtures of the CLI tests: a fake API on loopback, and a clean configuration environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fileproc_cli import ApiClient, ApiConfig

from .fake_api import API_KEY, FakeApi, serve


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api, server = serve()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client(fake_api: FakeApi) -> ApiClient:
    return ApiClient(ApiConfig(fake_api.url, API_KEY), sleep=lambda seconds: None)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FILEPROC_API_* from the caller's shell, an empty outputs directory, a scratch cwd."""
    monkeypatch.delenv("FILEPROC_API_URL", raising=False)
    monkeypatch.delenv("FILEPROC_API_KEY", raising=False)
    outputs_dir = tmp_path / "sandbox-state"
    monkeypatch.setenv("FILEPROC_SANDBOX_DIR", str(outputs_dir))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return outputs_dir
