"""Object keys, file ids and categories: the naming rules shared by the API and processors."""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
import uuid
from enum import StrEnum


class Category(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"
    DATA = "data"


class ArtefactName(StrEnum):
    """The names in a record's derived map, as GET /files/{file_id}/download?artefact= takes."""

    THUMBNAIL = "thumbnail"  # images and PDFs (page 1): derived/<id>/thumbnail.jpg
    TEXT = "text"  # PDFs: derived/<id>/text.txt


# Lowercased extension -> category. The bucket notification routes the same
# suffixes (and their upper-case forms) to the queue of each category.
EXTENSIONS: dict[str, Category] = {
    ".jpg": Category.IMAGE,
    ".jpeg": Category.IMAGE,
    ".png": Category.IMAGE,
    ".pdf": Category.DOCUMENT,
    ".txt": Category.DOCUMENT,
    ".csv": Category.DATA,
    ".json": Category.DATA,
    ".jsonl": Category.DATA,
    ".ndjson": Category.DATA,
    ".parquet": Category.DATA,
}

# Anchored so that the API can give its text to validators that search (pydantic).
FILE_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_LENGTH = 200


def extension(name: str) -> str:
    """The lowercased extension of a key or file name, with its dot ('' if none)."""
    return posixpath.splitext(name)[1].lower()


def category_for(name: str) -> Category | None:
    return EXTENSIONS.get(extension(name))


def new_file_id() -> str:
    return uuid.uuid4().hex


def is_file_id(value: str) -> bool:
    return FILE_ID_PATTERN.fullmatch(value) is not None


def issued_file_id(key: str, upload_prefix: str = "uploads/") -> str | None:
    """The <id> of a key shaped like the ones ``POST /files`` issues (``uploads/<id>/<name>``).

    Only a candidate: anyone allowed to write to the bucket can put other objects
    under the same folder, and only the key the API recorded is that file's.
    """
    if not key.startswith(upload_prefix):
        return None
    first, sep, name = key[len(upload_prefix) :].partition("/")
    return first if sep and name and is_file_id(first) else None


def file_id_for_key(
    bucket: str, key: str, upload_prefix: str = "uploads/", recorded_key: str | None = None
) -> str:
    """The record id of an object key: a key's record is its own.

    recorded_key: the key the record of ``issued_file_id(key)`` holds, if that record
    exists. A key ``POST /files`` issued is the key of its PENDING record, and keeps
    the id the API returned. Any other key, another object under the same
    ``uploads/<id>/`` included, gets a hash of bucket and key.
    """
    candidate = issued_file_id(key, upload_prefix)
    if candidate is not None and recorded_key == key:
        return candidate
    return hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()[:32]


def sanitise_filename(name: str) -> str:
    """A safe last key segment from a user-supplied file name.

    Drops any directory part, folds accents to ASCII, replaces runs of other
    characters with '_', keeps the extension and the length limit. A name with
    no usable stem ("漢字.txt") becomes "file.txt"; ValueError when nothing is left.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, ext = posixpath.splitext(base)

    def clean(part: str) -> str:
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        return _UNSAFE.sub("_", ascii_part).strip("._")

    stem, ext = clean(stem), clean(ext)
    if not stem and not ext:
        raise ValueError(f"file name {name!r} has no usable characters")
    ext = f".{ext}" if ext else ""
    return (stem or "file")[: MAX_NAME_LENGTH - len(ext)] + ext


def upload_key(file_id: str, filename: str, upload_prefix: str = "uploads/") -> str:
    return f"{upload_prefix}{file_id}/{sanitise_filename(filename)}"


def derived_key(file_id: str, artefact: str, derived_prefix: str = "derived/") -> str:
    return f"{derived_prefix}{file_id}/{artefact}"
