"""What a processor gets and gives back.

A processor is a pure function of the object's bytes: it reads a stream, never
calls AWS, and returns the metadata for the record plus any artefacts to write
under ``derived/<file_id>/``. The pipeline does all I/O around it. Processors
raise ``fileproc.errors.PermanentError`` subclasses for bad files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from fileproc.config import Settings

# Column and field names in the metadata are cut to this many characters: names
# come from the file, and the whole record must fit in a DynamoDB item (400 KB).
MAX_NAME_CHARS = 128


@dataclass(frozen=True)
class Artefact:
    """A derived file, written to ``derived/<file_id>/<filename>``."""

    filename: str  # e.g. "thumbnail.jpg", "text.txt"
    body: bytes
    content_type: str


@dataclass
class Extraction:
    # JSON-like values only (str, int, float, bool, None, list, dict); the
    # record layer converts floats for DynamoDB.
    metadata: dict[str, Any]
    # Name in the record's `derived` map ("thumbnail", "text") -> artefact.
    artefacts: dict[str, Artefact] = field(default_factory=dict)
    # Extracted text of a document, the input of the optional AI summary.
    text: str | None = None


class Processor(Protocol):
    def __call__(
        self, stream: BinaryIO, *, size: int, extension: str, settings: Settings
    ) -> Extraction:
        """Process one object.

        stream: the object's bytes, readable once, front to back, not seekable
        (an S3 StreamingBody); a processor that needs to seek spools it itself.
        size: the object's size in bytes (already checked against the limit).
        extension: the key's lowercased extension with its dot (".jpg").
        """
        ...
