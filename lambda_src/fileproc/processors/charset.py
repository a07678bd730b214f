"""The text encoding of a file, decided from a sample of its first bytes.

Text without binary signatures is text: only a known format's magic number
(``sniff``) or a share of control characters (NUL included) that no text has,
unless it is UTF-16/32, make a file binary; a few stray NULs do not.
Everything else gets an encoding, the best guess with its confidence, and is
decoded with replacement characters where the guess is wrong, never refused.

The guess: a byte-order mark decides at once; valid UTF-8 is taken as UTF-8 (a
legacy 8-bit text almost never is, and checking is far cheaper than
statistics); anything else goes to chardet (7.x: language models for the
legacy code pages of Europe, Asia and the mainframes), imported only then.
Its candidates are re-ranked by plainly visible faults: a decoding that puts
punctuation, a control character or a letter of another script inside a word
("ľlu»oučký" for Czech ISO-8859-2 read as Windows-1250, "Perchи" for Italian
read as Windows-1251) loses to one that does not; among equals chardet's order
stands. The short samples where that decides are where statistical models are
weakest. (chardet's import and first call, which loads its models, take about
0.1 s: only a file that is neither UTF-8 nor marked by a BOM pays it.)
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# What the text processors read before deciding: the detectors need a few
# kilobytes of real text, and the sample is held in memory once.
SAMPLE_BYTES = 64 * 1024
# C0 controls that text does not use, NUL among them: not TAB LF VT FF CR, BS
# (overstrike in manual pages), SUB (DOS end of file) or ESC (ISO-2022, colours).
_CONTROLS = bytes([*range(0x00, 0x08), *range(0x0E, 0x1A), *range(0x1C, 0x20)])
_NOT_CONTROLS = bytes(byte for byte in range(256) if byte not in _CONTROLS)
# A larger share of such bytes is binary data (random bytes have about 10 %).
MAX_CONTROL_SHARE = 0.05
# Non-ASCII characters whose neighbours are looked at when re-ranking: enough
# to tell decodings apart, few enough to stay a small part of the decision.
PLAUSIBILITY_CHARS = 2000
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Punctuation at home between two letters: apostrophes, hyphens, Catalan's "l·l".
_IN_WORD_PUNCTUATION = frozenset("\u2019\u2018\u2010\u2011\u2013\u2014\u00b7")
# Scripts written without spaces between them in one word (Japanese mixes all
# of these) count as one.
_EAST_ASIAN = frozenset(
    {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC"}
)

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


@dataclass(frozen=True)
class Guess:
    encoding: str  # a Python codec name: "utf-8", "cp1252", "iso8859-2", "cp037"...
    confidence: float  # 0..1: 1.0 for a byte-order mark or valid UTF-8, chardet's otherwise


def detect(sample: bytes, *, complete: bool) -> str | None:
    """Python codec name for a text that starts with ``sample``; None if it is binary."""
    found = guess(sample, complete=complete)
    return found.encoding if found else None


def guess(sample: bytes, *, complete: bool) -> Guess | None:
    """The encoding of a text that starts with ``sample`` and how sure that is; None
    if ``sample`` has a binary signature.

    complete: ``sample`` is the whole file, so a truncated character at its end
    is an error rather than the sample's cut.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Guess(name, 1.0)
    if b"\x1b$" in sample:
        # An ISO-2022 designation of a multi-byte set (ISO-2022-JP mail): 7-bit
        # text that UTF-8 would decode as escape codes and Latin letters.
        return _legacy(sample)
    if b"\x00" in sample:
        # BOM-less UTF-16/32, whose every other (or three in four) byte is NUL
        # in most scripts; or binary data; or text with a few stray NULs.
        wide = _wide_unicode(sample)
        if wide is not None:
            return wide
    if len(sample.translate(None, _NOT_CONTROLS)) > MAX_CONTROL_SHARE * len(sample):
        return None
    if _is_utf8(sample, complete):
        return Guess("utf-8", 1.0)
    return _legacy(sample)


def _is_utf8(sample: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False lets a character cut by the end of the sample pass.
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _wide_unicode(sample: bytes) -> Guess | None:
    import chardet

    found = chardet.detect(sample, compat_names=False)
    name = found["encoding"]
    if name is None or not name.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
        return None
    return Guess(codecs.lookup(name).name, round(float(found["confidence"]), 3))


def _legacy(sample: bytes) -> Guess:
    """chardet's candidates, the first of the most plausible decodings."""
    import chardet

    candidates = chardet.detect_all(
        sample, ignore_threshold=True, compat_names=False, prefer_superset=False
    )
    best: tuple[int, Guess] | None = None
    for candidate in candidates:
        name = candidate["encoding"]
        try:
            codec = codecs.lookup(name).name if name else None
        except LookupError:
            codec = None
        if codec is None or codec in ("ascii", "utf-8"):
            continue
        faults = _faults(sample.decode(codec, errors="replace"))
        if best is None or faults < best[0]:
            best = faults, Guess(codec, round(float(candidate["confidence"]), 3))
        if faults == 0:
            break
    # Nothing chardet offers decodes: Windows-1252 is the most common legacy text.
    return best[1] if best else Guess("cp1252", 0.0)


def _faults(text: str) -> int:
    """Places where a non-ASCII character is a symbol, a replacement or a control next
    to a letter, or a letter next to a letter of another script."""
    faults = 0
    for found in itertools.islice(_NON_ASCII.finditer(text), PLAUSIBILITY_CHARS):
        index, character = found.start(), found.group()
        before, after = text[index - 1 : index], text[index + 1 : index + 2]
        faults += sum(_clash(character, neighbour) for neighbour in (before, after) if neighbour)
        if (
            unicodedata.category(character)[0] == "P"
            and character not in _IN_WORD_PUNCTUATION
            and before.isalpha()
            and after.isalpha()
            and "EAST ASIAN" not in (_script(before), _script(after))  # no spaces there
        ):
            faults += 1  # "»" in "ľlu»oučký"
    return faults


def _clash(character: str, neighbour: str) -> bool:
    if not neighbour.isalpha():
        return False
    if not character.isalpha():
        # A control or an undecodable byte glued to a letter. (Not symbols: "°C"
        # and "Acme™" are right in Windows-1252.)
        return unicodedata.category(character)[0] == "C" or character == "\ufffd"
    return _script(character) != _script(neighbour)


@cache
def _script(letter: str) -> str:
    word = unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0]
    return "EAST ASIAN" if word in _EAST_ASIAN else word


def detect_with_stray_nuls(sample: bytes, *, complete: bool) -> str | None:
    """``detect`` for a text that may hold a few NUL bytes: a sample with at most one per
    MAX_NUL_RATIO bytes is judged without them (with them, a UTF-8 text is not UTF-8)."""
    nuls = sample.count(b"\x00")
    if nuls and nuls * MAX_NUL_RATIO <= len(sample):
        sample = sample.replace(b"\x00", b"")
    return detect(sample, complete=complete)
