"""What a file really is, from its first bytes (magic numbers), checked against its extension.

A ``.jpg`` that holds a PDF must fail as "content does not match extension"
rather than be half-processed by the wrong library. The table only needs to
name the formats a mislabelled upload is likely to be; anything else is
described as text or unrecognised binary data. Signatures are kept distinctive
(non-ASCII bytes or long constants) so that no plain-text file matches one.
"""

from __future__ import annotations

from fileproc.errors import ContentMismatch, Corrupt

# Enough for every signature below, and for the PDF header window.
HEAD_BYTES = 2048
# PDF readers accept a header preceded by junk (Acrobat: anywhere in the first
# 1024 bytes), so a .pdf is searched that far. Only a .pdf: a text file that
# mentions "%PDF-1.7" near its start is still text.
PDF_HEADER_WINDOW = 1024

_PREFIXES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image"),
    (b"GIF87a", "gif", "a GIF image"),
    (b"GIF89a", "gif", "a GIF image"),
    (b"II*\x00", "tiff", "a TIFF image"),
    (b"MM\x00*", "tiff", "a TIFF image"),
    (b"%PDF-", "pdf", "a PDF document"),
    (b"PK\x03\x04", "zip", "a ZIP archive (or an Office/OpenDocument file)"),
    (b"PK\x05\x06", "zip", "a ZIP archive (or an Office/OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "a legacy Microsoft Office document"),
    (b"\x1f\x8b\x08", "gzip", "a gzip archive"),
    (b"\xfd7zXZ\x00", "xz", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "rar", "a RAR archive"),
    (b"\x28\xb5\x2f\xfd", "zstd", "a Zstandard archive"),
    (b"\x7fELF", "elf", "an ELF executable"),
    (b"SQLite format 3\x00", "sqlite", "an SQLite database"),
)
_RIFF_FORMS = {
    b"WEBP": ("webp", "a WebP image"),
    b"WAVE": ("wav", "a WAV audio file"),
    b"AVI ": ("avi", "an AVI video"),
}
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})

# Parquet's magic is short and plain ASCII, so a text file may start with it: it
# is recognised only in a file named .parquet, like the PDF header window.
PARQUET_MAGIC = b"PAR1"

# The extensions whose content must be one binary format, and what it is called.
EXPECTED_KIND = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".pdf": "pdf",
    ".parquet": "parquet",
}
DESCRIPTIONS = {
    "jpeg": "a JPEG image",
    "png": "a PNG image",
    "pdf": "a PDF document",
    "parquet": "a Parquet file",
}


def identify(head: bytes) -> tuple[str, str] | None:
    """(kind, description) of the known binary format that ``head`` starts with, or None."""
    for magic, kind, description in _PREFIXES:
        if head.startswith(magic):
            return kind, description
    if head[:4] == b"RIFF" and head[8:12] in _RIFF_FORMS:
        return _RIFF_FORMS[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "heif", "a HEIF/HEIC image"
        if brand in (b"avif", b"avis"):
            return "avif", "an AVIF image"
        return "mp4", "an MP4/QuickTime video"
    return None


def describe(head: bytes) -> str:
    """A human description of what ``head`` starts, for error messages."""
    known = identify(head)
    if known is not None:
        return known[1]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is still text.
        if exc.start < len(head) - 3:
            return "unrecognised binary data"
        text = head[: exc.start].decode("utf-8")
    if "\x00" in text:
        return "unrecognised binary data"
    return "text"


def check(head: bytes, extension: str) -> None:
    """Raise ContentMismatch unless ``head`` can start a file with this extension.

    Binary formats (.jpg .jpeg .png .pdf .parquet) must carry their own signature (a
    PDF's within its first PDF_HEADER_WINDOW bytes); text formats (.txt .csv .json ...)
    must start with none (whether the bytes decode as text is the text
    processors' decision).
    """
    expected = EXPECTED_KIND.get(extension)
    if expected is not None and not head:
        raise Corrupt(f"the file is empty, expected {DESCRIPTIONS[expected]}")
    known = identify(head)
    actual = known[0] if known else None
    if actual is None and expected == "pdf" and b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        actual = "pdf"
    if actual is None and expected == "parquet" and head.startswith(PARQUET_MAGIC):
        actual = "parquet"
    if actual != expected:
        raise ContentMismatch(
            f"content does not match extension: the {extension} file holds {describe(head)}"
        )
