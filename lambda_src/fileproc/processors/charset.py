"""The text encoding of a file, decided from a sample of its first bytes.

A byte-order mark decides at once; valid UTF-8 is taken as UTF-8 (a legacy
8-bit text almost never is, and checking is far cheaper than statistics);
anything else goes to charset-normalizer, which also says when the bytes are
not text at all.
"""

from __future__ import annotations

import codecs

import charset_normalizer

# What the text processors read before deciding: the detectors need a few
# kilobytes of real text, and the sample is held in memory once.
SAMPLE_BYTES = 64 * 1024
WESTERN = "cp1252"
# The legacy encodings still met in uploads. charset-normalizer weighs about a
# hundred code pages alike, and on a short sample an obsolete one can win (a
# French CSV read as cp775, Russian KOI8-R as Shift JIS); the UTF-16/32 names
# let it find BOM-less UTF-16/32.
CANDIDATES = (
    "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "koi8_u",
    "iso8859_5", "cp1253", "iso8859_7", "cp1254", "iso8859_9", "cp1255", "cp1256", "cp1257",
    "cp1258", "cp874", "tis_620", "shift_jis", "cp932", "euc_jp", "gb18030", "big5", "euc_kr",
    "cp949", "mac_roman", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be",
)  # fmt: skip

# Text may hold a few stray NUL bytes (a field a tool wrote from an unset
# buffer, padding left by an interrupted write); csv.reader and editors read
# them. Binary data holds far more: random or compressed bytes one in 256,
# executables, images and databases much more, BOM-less UTF-16 one byte in two.
# So a sample with at most one NUL per MAX_NUL_RATIO bytes is judged on its
# other bytes (known binary signatures are refused before, by sniff.check).
MAX_NUL_RATIO = 1000

# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _is_utf8(sample: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False lets a character cut by the end of the sample pass.
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def detect(sample: bytes, *, complete: bool) -> str | None:
    """Python codec name for a text that starts with ``sample``; None if it is not text.

    complete: ``sample`` is the whole file, so a truncated character at its end
    is an error rather than the sample's cut.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    # NUL bytes are valid UTF-8 but mean binary data or BOM-less UTF-16/32,
    # which charset-normalizer tells apart.
    if b"\x00" not in sample and _is_utf8(sample, complete):
        return "utf-8"
    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(CANDIDATES))
    best = matches.best()
    if best is None:
        return None
    # On short Western texts several code pages decode equally well and the
    # first by name wins (cp1250); Windows-1252 is by far the most common.
    tied = (
        match
        for match in matches
        if match.encoding == WESTERN
        and (match.chaos, match.coherence) == (best.chaos, best.coherence)
    )
    if WESTERN in best.could_be_from_charset or next(tied, None):
        return WESTERN
    name = codecs.lookup(best.encoding).name
    # An ASCII sample may be followed by UTF-8: decode as the superset.
    return "utf-8" if name == "ascii" else name


def detect_with_stray_nuls(sample: bytes, *, complete: bool) -> str | None:
    """``detect`` for a text that may hold a few NUL bytes: a sample with at most one per
    MAX_NUL_RATIO bytes is judged without them (with them, charset-normalizer calls it
    binary, or a multi-byte Asian code page)."""
    nuls = sample.count(b"\x00")
    if nuls and nuls * MAX_NUL_RATIO <= len(sample):
        sample = sample.replace(b"\x00", b"")
    return detect(sample, complete=complete)
