"""The console's function (console/fileproc_console.py) with real REST proxy events: the
files it serves, its security headers, and the page's rules against the API's."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fileproc import keys
from fileproc.api import uploads
from fileproc_tools import build

CONSOLE = build.CONSOLE_SRC
STATIC = CONSOLE / "static"
ENV = {
    "BUCKET_NAME": "fileproc-dev-uploads-111111111111",
    "AWS_REGION": "eu-west-1",
    "MAX_IMAGE_BYTES": "52428800",
    "MAX_DOCUMENT_BYTES": "104857600",
    "MAX_DATA_BYTES": "1073741824",
}


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """A fresh import of the handler with this environment (it reads it at import)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**ENV, **env}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "fileproc_console", CONSOLE / build.CONSOLE_HANDLER
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    yield load(monkeypatch)
    sys.modules.pop("fileproc_console", None)


def event(asset: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) as API Gateway sends it for these routes."""
    resource = "/console/{asset}" if asset is not None else "/console"
    path = f"/console/{asset}" if asset is not None else "/console"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers or {"Accept": "*/*"},
        "queryStringParameters": None,
        "pathParameters": {"asset": asset} if asset is not None else None,
        "requestContext": {"resourcePath": resource, "httpMethod": "GET", "stage": "v1"},
        "body": None,
        "isBase64Encoded": False,
    }


def csp(response: dict[str, Any]) -> dict[str, list[str]]:
    directives = response["headers"]["Content-Security-Policy"].split(";")
    return {d.split()[0]: d.split()[1:] for d in (d.strip() for d in directives) if d}


def test_the_page_is_served_with_a_strict_policy(console: ModuleType) -> None:
    response = console.handler(event(), None)
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert response["body"] == (STATIC / "index.html").read_text()
    policy = csp(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    # The API (same origin) and the bucket: presigned POST uploads, thumbnails.
    bucket = [
        "https://fileproc-dev-uploads-111111111111.s3.amazonaws.com",
        "https://fileproc-dev-uploads-111111111111.s3.eu-west-1.amazonaws.com",
    ]
    assert policy["connect-src"] == ["'self'", *bucket]
    assert policy["img-src"] == ["'self'", *bucket]
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Cache-Control"] == "no-cache"


def test_the_sdk_endpoint_is_the_bucket_origin_when_one_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Where boto3 (and so the api function's presigned links) sends S3 requests.
    module = load(monkeypatch, AWS_ENDPOINT_URL="http://127.0.0.1:4566")
    assert csp(module.handler(event(), None))["connect-src"] == ["'self'", "http://127.0.0.1:4566"]
    module = load(
        monkeypatch,
        AWS_ENDPOINT_URL="http://127.0.0.1:4566",
        AWS_ENDPOINT_URL_S3="https://s3.internal.example:8443/base",
    )
    assert csp(module.handler(event(), None))["img-src"] == [
        "'self'",
        "https://s3.internal.example:8443",
    ]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("api.js", "text/javascript; charset=utf-8"),
        ("detail.js", "text/javascript; charset=utf-8"),
        ("styles.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ],
)
def test_each_static_file_with_its_type(console: ModuleType, name: str, content_type: str) -> None:
    response = console.handler(event(name), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == content_type
    assert response["body"] == (STATIC / name).read_text()
    assert "Content-Security-Policy" in response["headers"]


def test_config_carries_the_deployed_limits(console: ModuleType) -> None:
    response = console.handler(event("config.json"), None)
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {
        "max_bytes": {"image": 52428800, "document": 104857600, "data": 1073741824}
    }


@pytest.mark.parametrize(
    "name", ["nope.js", "../fileproc_console.py", "fileproc_console.py", "..", "%2e%2e", ""]
)
def test_anything_else_is_a_json_404(console: ModuleType, name: str) -> None:
    response = console.handler(event(name), None)
    if name == "":
        # API Gateway never sends an empty path parameter; the page is the default.
        assert response["statusCode"] == 200
        return
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


def test_an_unchanged_file_is_a_304(console: ModuleType) -> None:
    first = console.handler(event("app.js"), None)
    etag = first["headers"]["ETag"]
    again = console.handler(event("app.js", {"If-None-Match": etag}), None)
    assert again["statusCode"] == 304
    assert again["body"] == ""
    other = console.handler(event("app.js", {"if-none-match": '"stale"'}), None)
    assert other["statusCode"] == 200
    assert console.handler(event("api.js"), None)["headers"]["ETag"] != etag


def test_a_trailing_slash_goes_back_to_the_page(console: ModuleType) -> None:
    request = event() | {"path": "/console/"}
    response = console.handler(request, None)
    assert response["statusCode"] == 308
    assert response["headers"]["Location"] == "../console"


# --- the page's files ------------------------------------------------------------------


class Inline(HTMLParser):
    """Everything in the page that a strict CSP would block: inline code and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.problems.append("<style>")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        self.problems += [f"{n}= on <{tag}>" for n in names if n.startswith("on")]
        if tag == "script":
            self._in_script = True
            self.scripts.append(str(names.get("src")))
            if names.get("type") != "module":
                self.problems.append("a classic script")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script")


def test_the_page_has_no_inline_code_or_style() -> None:
    parser = Inline()
    parser.feed((STATIC / "index.html").read_text())
    assert parser.problems == []
    assert parser.scripts == ["console/app.js"]


def test_every_label_names_a_control() -> None:
    html = (STATIC / "index.html").read_text()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    targets = re.findall(r'<label for="([^"]+)"', html)
    assert targets
    assert set(targets) <= ids


@pytest.mark.parametrize("path", sorted(STATIC.glob("*.js")), ids=lambda p: p.name)
def test_scripts_never_build_html_from_text(path: Path) -> None:
    # Names, CSV headers and error messages come from uploads: text only.
    source = path.read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source, f"{path.name} uses {risky}"


def accepted_in_page() -> dict[str, Any]:
    source = (STATIC / "rules.js").read_text()
    block = re.search(r"/\* accepted:begin \*/(.*)/\* accepted:end \*/", source, re.DOTALL)
    assert block, "rules.js must keep ACCEPTED between its markers"
    found: dict[str, Any] = json.loads(block.group(1))
    return found


def test_the_page_accepts_what_the_api_accepts() -> None:
    accepted = accepted_in_page()
    assert {ext: rule["category"] for ext, rule in accepted.items()} == {
        ext: str(category) for ext, category in keys.EXTENSIONS.items()
    }
    assert {ext: set(rule["types"]) for ext, rule in accepted.items()} == {
        ext: set(types) for ext, types in uploads.MEDIA_TYPES.items()
    }


def test_every_imported_module_is_packaged(tmp_path: Path) -> None:
    zipped = build.build_console(CONSOLE, tmp_path)
    again = build.build_console(CONSOLE, tmp_path / "again")
    assert zipped.read_bytes() == again.read_bytes()  # deterministic
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
    assert build.CONSOLE_HANDLER in names
    for script in STATIC.glob("*.js"):
        for imported in re.findall(r'from "\./([^"]+)"', script.read_text()):
            assert f"static/{imported}" in names, f"{script.name} imports {imported}"
    for linked in re.findall(
        r'(?:src|href)="console/([^"]+)"', (STATIC / "index.html").read_text()
    ):
        assert f"static/{linked}" in names
