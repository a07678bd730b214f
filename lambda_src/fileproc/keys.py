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


def file_id_for_key(bucket: str, key: str, upload_prefix: str = "uploads/") -> str:
    """The record id for an object key.

    Keys made by ``POST /files`` carry their id (``uploads/<id>/<name>``); any
    other key gets a hash of bucket and key, so it always maps to one record.
    """
    rest = key[len(upload_prefix) :] if key.startswith(upload_prefix) else key
    first, sep, name = rest.partition("/")
    if sep and name and is_file_id(first):
        return first
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
