"""A stand-in for the deployed API on loopback, close enough to exercise the CLI over real HTTP.

It speaks the API's contract (routes, x-api-key, the error document, paging
with next_token) and plays the storage too: ``POST /files`` hands out a form
that posts back here, parsed as S3 would (fields first, the file last, the
exact declared size). Processing is a script, not a clock: each ``GET
/files/{id}`` after the upload moves the file one step along ``steps``, and a
name containing "broken" ends FAILED.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "test-key-123"


@dataclass
class FakeApi:
    url: str = ""
    steps: list[str] = field(default_factory=lambda: ["PROCESSING", "PROCESSED"])
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    uploads: list[dict[str, Any]] = field(default_factory=list)  # every form received
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)  # forced next answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_record(self, **fields: Any) -> dict[str, Any]:
        file_id = fields.pop("file_id", uuid.uuid4().hex)
        record = {
            "file_id": file_id,
            "bucket": "fake-bucket",
            "key": f"uploads/{file_id}/{fields.get('filename', 'file.txt')}",
            "filename": "file.txt",
            "category": "document",
            "status": "PROCESSED",
            "size": 3,
            "uploaded_at": f"2024-05-18T10:00:{len(self.records):02d}.000Z",
            **fields,
        }
        self.records[file_id] = record
        return record


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            with api.lock:
                api.requests.append(
                    (method, self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                forced = api.answers.pop(0) if api.answers else None
            if forced is not None:
                self._body()
                status, body = forced
                self._send(status, body)
                return
            if parts.path == "/storage" and method == "POST":
                self._storage_post()
                return
            if parts.path.startswith("/blob/"):
                self._send(200, api.blobs[parts.path.removeprefix("/blob/")], "text/plain")
                return
            if self.headers.get("x-api-key") != API_KEY:
                self._send(403, _error("INVALID_API_KEY", "Forbidden"))
                return
            segments = parts.path.strip("/").split("/")
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if segments == ["files"] and method == "GET":
                self._list(query)
            elif segments == ["files"] and method == "POST":
                self._create(json.loads(self._body()))
            elif len(segments) in (2, 3) and segments[0] == "files" and method == "GET":
                record = api.records.get(segments[1])
                if record is None:
                    self._send(404, _error("not_found", f"file {segments[1]} does not exist"))
                elif len(segments) == 3 and "artefact" in query:
                    self._artefact(record, query["artefact"])
                elif len(segments) == 3:
                    self._send(200, {"url": f"{api.url}/blob/{segments[1]}", "expires_in": 900})
                else:
                    self._send(200, self._advance(record))
            else:
                self._send(404, _error("not_found", f"no route for {method} {parts.path}"))

        def _artefact(self, record: dict[str, Any], artefact: str) -> None:
            if artefact not in ("thumbnail", "text"):
                self._send(400, _error("invalid_request", f"artefact: {artefact!r} is not one"))
            elif artefact not in (record.get("derived") or {}):
                message = f"file {record['file_id']} has no {artefact} artefact"
                self._send(404, _error("artefact_not_found", message))
            else:
                url = f"{api.url}/blob/{record['file_id']}.{artefact}"
                self._send(200, {"url": url, "expires_in": 900})

        def _list(self, query: dict[str, str]) -> None:
            items = sorted(api.records.values(), key=lambda r: r["uploaded_at"], reverse=True)
            for name in ("status", "category"):
                if name in query:
                    items = [r for r in items if r.get(name) == query[name]]
            start = int(query.get("next_token", "0"))
            limit = int(query.get("limit", "25"))
            page = items[start : start + limit]
            more = start + limit < len(items)
            self._send(200, {"items": page, "next_token": str(start + limit) if more else None})

        def _create(self, body: dict[str, Any]) -> None:
            if not isinstance(body.get("size"), int) or body["size"] < 1:
                self._send(400, {"message": "Invalid request body"})  # API Gateway's validator
                return
            if not str(body.get("filename", "")).endswith((".txt", ".jpg", ".csv", ".pdf")):
                self._send(
                    400, _error("unsupported_file_type", "files of type '.exe' are not accepted")
                )
                return
            record = api.add_record(
                filename=body["filename"],
                content_type=body["content_type"],
                size=body["size"],
                status="PENDING",
            )
            record["_steps"] = None  # processing starts when the storage has the bytes
            fields = {
                "key": record["key"],
                "Content-Type": body["content_type"],
                "policy": "eyJmYWtlIjogdHJ1ZX0=",
                "x-amz-signature": "abc123",
            }
            self._send(
                201,
                {
                    "file_id": record["file_id"],
                    "upload": {"url": f"{api.url}/storage", "fields": fields},
                    "expires_in": 900,
                },
            )

        def _storage_post(self) -> None:
            body = self._body()
            header = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(header + body)
            parts = [
                (part.get_param("name", header="content-disposition"), part)
                for part in message.iter_parts()
            ]
            names = [name for name, _ in parts]
            form: dict[str, bytes] = {
                str(name): bytes(part.get_payload(decode=True)) for name, part in parts
            }
            api.uploads.append({"names": names, "form": form, "length": len(body)})
            key = form["key"].decode()
            record = next(r for r in api.records.values() if r["key"] == key)
            if names[-1] != "file" or len(form["file"]) != record["size"]:
                self._send(
                    400,
                    b"<Error><Code>EntityTooSmall</Code><Message>bad size</Message></Error>",
                    "application/xml",
                )
                return
            api.blobs[record["file_id"]] = form["file"]
            record["_steps"] = list(api.steps)
            self._send(204, b"")

        def _advance(self, record: dict[str, Any]) -> dict[str, Any]:
            steps = record.get("_steps")
            if steps:
                record["status"] = steps.pop(0)
                if record["status"] == "FAILED" or (
                    "broken" in record["filename"] and record["status"] == "PROCESSED"
                ):
                    record["status"] = "FAILED"
                    record["error"] = {
                        "type": "Corrupt",
                        "message": "damaged JPEG image",
                        "retryable": False,
                    }
            return {k: v for k, v in record.items() if not k.startswith("_")}

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


def serve() -> tuple[FakeApi, ThreadingHTTPServer]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll keeps shutdown() quick at teardown.
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return api, server
