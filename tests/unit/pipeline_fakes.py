"""Test-local processors with the real interface (processors/base.py).

They read the stream the way a real processor must (once, in chunks, without
seeking), check the content against the extension by its first bytes, and
return metadata and an artefact derived from the bytes they read, so a test
can tell which version of an object was processed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import ContentMismatch
from fileproc.processors.base import Artefact, Extraction

CHUNK = 64 * 1024
MAGIC = {b"%PDF-": "a PDF", b"\x89PNG\r\n\x1a\n": "a PNG image", b"\xff\xd8\xff": "a JPEG image"}
EXPECTED = {".pdf": "a PDF", ".png": "a PNG image", ".jpg": "a JPEG image", ".jpeg": "a JPEG image"}


@dataclass
class Call:
    size: int
    extension: str
    seekable: bool
    stream: BinaryIO


@dataclass
class FakeProcessor:
    """Hashes the stream; the artefact is a small text file named ``artefact_name``."""

    artefact_name: str = "summary.txt"
    text: str | None = None  # Extraction.text, the AI summary's input
    # Runs after reading, before returning: lets a test act "during" processing.
    during: Callable[[], None] | None = None
    calls: list[Call] = field(default_factory=list)

    def __call__(
        self, stream: BinaryIO, *, size: int, extension: str, settings: Settings
    ) -> Extraction:
        self.calls.append(Call(size, extension, stream.seekable(), stream))
        digest = hashlib.sha256()
        head = b""
        read = 0
        while chunk := stream.read(CHUNK):
            if not head:
                head = chunk[:16]
            digest.update(chunk)
            read += len(chunk)
        found = next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)
        expected = EXPECTED.get(extension)
        if expected and found and found != expected:
            raise ContentMismatch(f"content does not match extension: {extension} file is {found}")
        if self.during is not None:
            self.during()
        return Extraction(
            metadata={"bytes": read, "sha256": digest.hexdigest(), "ratio": read / (size or 1)},
            artefacts={
                "summary": Artefact(
                    self.artefact_name, f"sha256 {digest.hexdigest()}\n".encode(), "text/plain"
                )
            },
            text=self.text,
        )


@dataclass
class RaisingProcessor:
    """Raises ``error`` after reading the first chunk, as a library failing midway would."""

    error: BaseException
    calls: int = 0

    def __call__(
        self, stream: BinaryIO, *, size: int, extension: str, settings: Settings
    ) -> Extraction:
        self.calls += 1
        stream.read(CHUNK)
        raise self.error
