"""Test-only fault injection: the sandbox answers GetObject of one S3 object with an error.

This is a control of the emulator for the integration tests, never a change to
the stack: no module, function, tfvars or environment variable knows about it,
and nothing is injected unless a test asks. It exists because the honest way
to show what the deployed code does when AWS fails transiently, every time, is
to make the emulated AWS fail, not the code.

A test asks the running sandbox over HTTP (``inject``, ``faults_in_force`` and
``lift_all`` below do it):

    POST   /_sandbox/faults   {"bucket", "key", "status": 503, "code": "SlowDown", "message"}
    GET    /_sandbox/faults   the faults in force, each with the requests it answered ("hits")
    DELETE /_sandbox/faults   lift every fault

While a fault is in force every GET of that object's path (GetObject of any
version, and its ?tagging-style subresources; path-style or virtual-hosted
addressing) gets the S3 error document with that status and code, as S3
answers when it throttles (503 SlowDown); every other request, HEAD and PUT of
that object and anything about other keys included, is served as usual.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape

CONTROL_PATH = "/_sandbox/faults"
SLOW_DOWN = "Please reduce your request rate."


@dataclass
class Fault:
    bucket: str
    key: str
    status: int = 503
    code: str = "SlowDown"
    message: str = SLOW_DOWN
    hits: int = 0


_lock = threading.Lock()
_faults: dict[tuple[str, str], Fault] = {}


def _object_of(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(bucket, key) of a path-style or virtual-hosted S3 object request, else None."""
    # WSGI hands over the decoded path as latin-1; S3 keys are UTF-8.
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    host = environ.get("HTTP_HOST", "").split(":")[0]
    for (bucket, key), _ in _faults.items():
        if path == f"/{bucket}/{key}" or (host.startswith(f"{bucket}.") and path == f"/{key}"):
            return bucket, key
    return None


def _reply(start_response: Callable[..., Any], status: int, body: bytes, kind: str) -> list[bytes]:
    phrase = HTTPStatus(status).phrase
    start_response(
        f"{status} {phrase}", [("Content-Type", kind), ("Content-Length", str(len(body)))]
    )
    return [body]


def _s3_error(fault: Fault) -> bytes:
    request_id = os.urandom(8).hex().upper()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(fault.code)}</Code><Message>{escape(fault.message)}</Message>"
        f"<Key>{escape(fault.key)}</Key><RequestId>{request_id}</RequestId>"
        f"<HostId>{os.urandom(24).hex()}</HostId></Error>"
    ).encode()


def _listing() -> bytes:
    return json.dumps({"faults": [asdict(f) for f in _faults.values()]}).encode()


def _control(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    with _lock:
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
                fault = Fault(**{k: v for k, v in spec.items() if k != "hits"})
                HTTPStatus(fault.status)
            except (TypeError, ValueError) as exc:
                message = f'bad fault: {exc}; expected {{"bucket", "key", "status", "code"}}'
                return _reply(start_response, 400, message.encode(), "text/plain")
            _faults[(fault.bucket, fault.key)] = fault
        elif method == "DELETE":
            _faults.clear()
        elif method != "GET":
            return _reply(start_response, 405, b"GET, POST or DELETE", "text/plain")
        return _reply(start_response, 200, _listing(), "application/json")


def intercept(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
    """The server's hook, first thing on every request: the answer when the request is the
    control route or hits a fault; None to serve it as usual."""
    if environ.get("PATH_INFO") == CONTROL_PATH:
        return _control(environ, start_response)
    if not _faults or environ.get("REQUEST_METHOD") != "GET":
        return None
    with _lock:
        found = _object_of(environ)
        if found is None:
            return None
        fault = _faults[found]
        fault.hits += 1
    return _reply(start_response, fault.status, _s3_error(fault), "application/xml")


# ---------------------------------------------------------------- the tests' side


def _call(endpoint: str, method: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310  (the sandbox's own http URL)
        f"{endpoint}{CONTROL_PATH}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        listed: list[dict[str, Any]] = json.load(reply)["faults"]
        return listed


def inject(
    endpoint: str,
    bucket: str,
    key: str,
    *,
    status: int = 503,
    code: str = "SlowDown",
    message: str = SLOW_DOWN,
) -> None:
    """From now on, answer every GET of s3://bucket/key with this error."""
    spec = {"bucket": bucket, "key": key, "status": status, "code": code, "message": message}
    _call(endpoint, "POST", spec)


def faults_in_force(endpoint: str) -> list[dict[str, Any]]:
    """The faults in force, each with ``hits``: the requests it has answered."""
    return _call(endpoint, "GET")


def lift_all(endpoint: str) -> None:
    _call(endpoint, "DELETE")


def hits(endpoint: str, bucket: str, key: str) -> int:
    found: Iterable[dict[str, Any]] = faults_in_force(endpoint)
    return sum(f["hits"] for f in found if (f["bucket"], f["key"]) == (bucket, key))
