"""The REST API over HTTP, with the standard library only (the CLI needs no dev extras).

``ApiClient`` sends the ``x-api-key`` header, turns error answers into ``ApiError``
(the API's ``{"error": {"code", "message"}}``, or API Gateway's ``{"message"}``
for requests that never reached the function) and failures to connect into
``Unreachable``. Answers 429 and 503 are retried a few times after their
``Retry-After``: the usage plan's throttle and a busy table are passing states,
and every call here is safe to repeat (POST /files only records a PENDING upload).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fileproc_cli.config import ApiConfig
from fileproc_cli.errors import ApiError, CliError, Unreachable

USER_AGENT = "fileproc-cli/0.1"
DEFAULT_TIMEOUT_SECONDS = 30.0
RETRY_STATUSES = frozenset({429, 503})
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER_SECONDS = 5.0
PAGE_LIMIT = 100  # the API's largest page
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def unreachable(what: str, url: str, reason: object) -> Unreachable:
    """The message for a URL that does not answer; on loopback it is the sandbox that is down."""
    if is_loopback(url):
        return Unreachable(
            f"cannot reach {what} at {url}: is the sandbox running? (make sandbox-status)"
        )
    return Unreachable(f"cannot reach {what} at {url}: {reason}")


def open_http(
    url: str,
    *,
    method: str = "GET",
    data: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> http.client.HTTPResponse:
    """urlopen for http and https only: a URL handed out by an API must not open a local file."""
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise CliError(f"refusing to open a {scheme or 'schemeless'} URL: {url.split('?')[0]}")
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)  # noqa: S310
    answer: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310
    return answer


def error_from_body(status: int, body: bytes) -> ApiError:
    """The API's error document, API Gateway's, or the status line when the body is neither."""
    try:
        status_name = HTTPStatus(status).name.lower()
    except ValueError:
        status_name = "http_error"
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        detail = document.get("error")
        if isinstance(detail, dict) and "message" in detail:
            return ApiError(status, str(detail.get("code") or status_name), str(detail["message"]))
        if "message" in document:
            return ApiError(status, status_name, str(document["message"]))
    text = body.decode("utf-8", errors="replace").strip()[:300]
    return ApiError(status, status_name, text or HTTPStatus(status).phrase)


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        seconds = float(value or "")
    except ValueError:
        seconds = 0.5 * 2**attempt
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class ApiClient:
    """One deployment's REST API: ``GET/POST /files``, ``GET /files/{id}[/download]``."""

    def __init__(
        self,
        config: ApiConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._sleep = sleep

    @property
    def url(self) -> str:
        return self.config.url

    # ------------------------------------------------------------------ routes

    def list_files(
        self,
        *,
        status: str | None = None,
        category: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """One page: ``{"items": [...], "next_token": str | None}``."""
        query = {"status": status, "category": category, "limit": limit, "next_token": next_token}
        page: dict[str, Any] = self.request("GET", "/files", query=query)
        return page

    def iter_files(
        self, *, status: str | None = None, category: str | None = None, limit: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Up to ``limit`` records, newest first, following next_token across pages."""
        token: str | None = None
        remaining = limit
        while remaining > 0:
            page = self.list_files(
                status=status,
                category=category,
                limit=min(remaining, PAGE_LIMIT),
                next_token=token,
            )
            items = page.get("items") or []
            yield from items[:remaining]
            remaining -= len(items)
            token = page.get("next_token")
            if not token or not items:
                return

    def get_file(self, file_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.request("GET", f"/files/{quote(file_id, safe='')}")
        return record

    def create_upload(self, filename: str, content_type: str, size: int) -> dict[str, Any]:
        """``{"file_id", "upload": {"url", "fields"}, "expires_in"}``."""
        body = {"filename": filename, "content_type": content_type, "size": size}
        ticket: dict[str, Any] = self.request("POST", "/files", body=body)
        return ticket

    def download_link(self, file_id: str, artefact: str | None = None) -> dict[str, Any]:
        """``{"url", "expires_in"}``: a presigned GET of the recorded version, or of one of
        its derived artefacts (``thumbnail``, ``text``)."""
        link: dict[str, Any] = self.request(
            "GET", f"/files/{quote(file_id, safe='')}/download", query={"artefact": artefact}
        )
        return link

    # ------------------------------------------------------------------ HTTP

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        body: object = None,
    ) -> Any:
        """The decoded JSON answer of one call; ApiError / Unreachable otherwise."""
        url = self.config.url + path
        params = {name: str(value) for name, value in (query or {}).items() if value is not None}
        if params:
            url += "?" + urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.config.key:
            headers["x-api-key"] = self.config.key
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(MAX_ATTEMPTS):
            try:
                with open_http(
                    url, data=data, headers=headers, method=method, timeout=self.timeout
                ) as answer:
                    payload = answer.read()
            except urllib.error.HTTPError as exc:
                error_body = exc.read()
                if exc.code in RETRY_STATUSES and attempt + 1 < MAX_ATTEMPTS:
                    self._sleep(_retry_after(exc.headers.get("Retry-After"), attempt))
                    continue
                raise self._api_error(exc.code, error_body) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                raise unreachable("the API", self.config.url, getattr(exc, "reason", exc)) from None
            try:
                return json.loads(payload) if payload else None
            except ValueError:
                raise ApiError(
                    200, "invalid_response", f"{method} {path} answered with something not JSON"
                ) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _api_error(self, status: int, body: bytes) -> ApiError:
        error = error_from_body(status, body)
        if status == 403:
            error.hint = (
                "check the API key (--api-key, FILEPROC_API_KEY) and that the API is "
                f"deployed at {self.config.url}"
            )
        return error
