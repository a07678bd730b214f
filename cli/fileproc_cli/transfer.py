"""The two transfers the API hands out: the presigned POST upload and the presigned GET.

Both stream: an upload reads the file in blocks while it is sent (a data file
may be gigabytes), a download writes blocks as they arrive. Neither sends the
API key: the signature in the form or the URL is the authorisation.
"""

from __future__ import annotations

import http.client
import io
import re
import secrets
import urllib.error
from collections.abc import Callable, Mapping
from typing import BinaryIO

from fileproc_cli.api import DEFAULT_TIMEOUT_SECONDS, USER_AGENT, open_http, unreachable
from fileproc_cli.errors import CliError, StorageRefused

BytesCallback = Callable[[int], None]  # called with the byte count of each block moved
BLOCK_BYTES = 256 * 1024
_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")


def _header_value(text: str) -> str:
    """A quoted-string parameter: no quote, backslash or line break can end it early."""
    return re.sub(r'["\\\r\n]', "_", text)


class MultipartForm:
    """A multipart/form-data body (RFC 7578): the text fields in order, then one file part,
    read from the open file as the connection asks for blocks."""

    def __init__(
        self,
        fields: Mapping[str, str],
        file: BinaryIO,
        *,
        size: int,
        filename: str,
        content_type: str,
        file_field: str = "file",
        on_bytes: BytesCallback | None = None,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        head = io.BytesIO()
        for name, value in fields.items():
            head.write(self._part_header(f'name="{_header_value(name)}"'))
            head.write(value.encode("utf-8") + b"\r\n")
        disposition = f'name="{_header_value(file_field)}"; filename="{_header_value(filename)}"'
        head.write(self._part_header(disposition, content_type))
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(head.getvalue()) + size + len(tail)
        self._parts: list[BinaryIO] = [io.BytesIO(head.getvalue()), file, io.BytesIO(tail)]
        self._file = file
        self._size = size
        self._file_bytes = 0
        self._on_bytes = on_bytes

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_header(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def read(self, size: int = -1) -> bytes:
        """The next block of the body (http.client calls this until it gets b"")."""
        block = BLOCK_BYTES if size is None or size < 0 else size
        while self._parts:
            part = self._parts[0]
            chunk = part.read(block)
            if chunk:
                if part is self._file:
                    self._file_bytes += len(chunk)
                    if self._file_bytes > self._size:
                        raise CliError("the file grew while it was being uploaded")
                    if self._on_bytes:
                        self._on_bytes(len(chunk))
                return chunk
            if part is self._file and self._file_bytes != self._size:
                raise CliError(
                    f"the file shrank while it was being uploaded ({self._file_bytes} of "
                    f"{self._size} bytes)"
                )
            self._parts.pop(0)
        return b""


def storage_error(status: int, body: bytes, action: str) -> StorageRefused:
    """S3's XML error (``<Code>`` and ``<Message>``) as one line."""
    code = _XML_CODE.search(body)
    message = _XML_MESSAGE.search(body)
    detail = ": ".join(
        match.group(1).decode("utf-8", errors="replace") for match in (code, message) if match
    )
    return StorageRefused(
        f"the storage refused the {action} (HTTP {status}{', ' if detail else ''}{detail})"
    )


def post_form(
    url: str,
    fields: Mapping[str, str],
    file: BinaryIO,
    *,
    size: int,
    filename: str,
    content_type: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    on_bytes: BytesCallback | None = None,
) -> None:
    """The presigned POST: the returned fields as they are, then the file, last (S3 ignores
    fields after the file)."""
    form = MultipartForm(
        fields, file, size=size, filename=filename, content_type=content_type, on_bytes=on_bytes
    )
    headers = {
        "Content-Type": form.content_type,
        "Content-Length": str(form.length),  # else urllib would send it chunked
        "User-Agent": USER_AGENT,
    }
    try:
        # Any object with read() is sent block by block.
        with open_http(url, method="POST", data=form, headers=headers, timeout=timeout) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        raise storage_error(exc.code, exc.read(), "upload") from None
    except (http.client.HTTPException, OSError) as exc:
        raise unreachable("the storage", url.split("?")[0], getattr(exc, "reason", exc)) from None


def fetch(
    url: str,
    destination: BinaryIO,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    on_bytes: BytesCallback | None = None,
) -> int:
    """The presigned GET into ``destination``; the number of bytes written."""
    where = url.split("?")[0]
    try:
        answer = open_http(url, headers={"User-Agent": USER_AGENT}, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise storage_error(exc.code, exc.read(), "download") from None
    except (http.client.HTTPException, OSError) as exc:
        raise unreachable("the storage", where, getattr(exc, "reason", exc)) from None
    written = 0
    with answer:
        while True:
            try:
                block = answer.read(BLOCK_BYTES)
            except (http.client.HTTPException, OSError) as exc:
                raise unreachable("the storage", where, exc) from None
            if not block:
                return written
            destination.write(block)  # a local write error is the caller's to report
            written += len(block)
            if on_bytes:
                on_bytes(len(block))
