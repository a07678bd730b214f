"""Hostile files: truncated, bombs, wrong extensions, huge shapes, odd encodings...

Each Kind is a name, the extension it is uploaded under, a generator and the
outcome the pipeline must give it: PROCESSED, or FAILED with a specific error
type. The expectations are what a user should get, written from the processors'
contracts (README, docs/contracts.md), not read back from a run.

``scale`` sizes the shapes that are "huge": SMALL keeps the unit test fast yet
goes past every per-value bound the processors have (csv_scan.MAX_RECORD_CHARS
1 Mi, json_profile.MAX_VALUE_CHARS 2 Mi), so that both scales expect the same
outcome; FULL (the bench) is what the issue measured memory with, and the bench
runs it as in the smallest function the module allows (128 MB): a Kind's ``full``
expectation is the outcome there, where the image decode budget is what such a
function can give a file (about 35 MB) and PDFium runs out of memory sooner. Images
are written chunk by chunk, never decoded to make them (blank_png).
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fileproc_tools import pdfs

MiB = 1024 * 1024
PROCESSED = "PROCESSED"
FAILED = "FAILED"
# PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


@dataclass(frozen=True)
class Scale:
    name: str
    big: int  # bytes of a huge line, field, string or stream
    side: int  # side of a huge (yet allowed) square image
    strip: int  # pixels of a 1-pixel-high image
    pages: int  # pages of a many-page PDF
    keys: int  # keys of a wide JSON object, columns of a wide CSV


SMALL = Scale("small", big=3 * MiB, side=2_000, strip=1_000_000, pages=300, keys=20_000)
FULL = Scale("full", big=40 * MiB, side=10_000, strip=100_000_000, pages=5_000, keys=1_000_000)


@dataclass(frozen=True)
class Expect:
    status: str
    error_type: str | None = None  # FAILED only


@dataclass(frozen=True)
class Kind:
    name: str
    extension: str
    make: Callable[[Scale], bytes]
    expect: Expect
    why: str = ""
    # At FULL size in its smallest function (the bench: 128 MB, data 256 MB), when it
    # differs: a shape that fits the bounds small and not full, or not in what such a
    # function can give it.
    full: Expect | None = None

    def expected(self, scale: Scale) -> Expect:
        return self.full if scale is FULL and self.full is not None else self.expect

    @property
    def key_name(self) -> str:
        return f"{self.name}{self.extension}"


def _seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 (the same bytes each run, not a secret)


def ok() -> Expect:
    return Expect(PROCESSED)


def failed(error_type: str) -> Expect:
    return Expect(FAILED, error_type)


# ---------------------------------------------------------------- images


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(width: int, height: int, colour_type: int = 2, bit_depth: int = 8) -> bytes:
    """A valid PNG of ``width`` x ``height`` black pixels: each row a filter byte and
    zeros, deflated about 1000:1 (1 x 100,000,000 RGB: about 390 KB)."""
    row = 1 + math.ceil(width * CHANNELS[colour_type] * bit_depth / 8)
    remaining = row * height
    compressor = zlib.compressobj(9)
    block = bytes(4 * MiB)
    parts = []
    while remaining:
        take = min(remaining, len(block))
        parts.append(compressor.compress(block[:take]))
        remaining -= take
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    palette = _chunk(b"PLTE", bytes(3)) if colour_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + palette
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def _photo(fmt: str, size: tuple[int, int] = (640, 480)) -> bytes:
    from PIL import Image  # the tools' environment has Pillow; only images need it

    rng = _seeded(7)
    image = Image.new("RGB", size)
    image.putdata([(rng.randrange(256), x % 256, 90) for x in range(size[0] * size[1])])
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=80) if fmt == "JPEG" else image.save(buffer, fmt)
    return buffer.getvalue()


def png(_: Scale) -> bytes:
    return _photo("PNG")


def jpeg(_: Scale) -> bytes:
    return _photo("JPEG")


def png_dimension_bomb(_: Scale) -> bytes:
    """100,000 x 100,000 RGB claimed in the header, a few bytes of pixels."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(300_001 * 4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def jpeg_dimension_bomb(_: Scale) -> bytes:
    """A real JPEG whose frame header (SOF0) says 65,500 x 65,500."""
    data = bytearray(_photo("JPEG", (64, 64)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_500, 65_500)
    return bytes(data)


def png_zero_width(_: Scale) -> bytes:
    header = struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


def png_bad_crc(scale: Scale) -> bytes:
    data = bytearray(png(scale))
    data[29] ^= 0xFF  # the IHDR chunk's CRC
    return bytes(data)


def png_text_bomb(scale: Scale) -> bytes:
    """A zTXt chunk that inflates to ``scale.big`` bytes (Pillow caps text chunks)."""
    text = b"Comment\x00\x00" + zlib.compress(b"A" * scale.big, 9)
    data = png(scale)
    return data[:33] + _chunk(b"zTXt", text) + data[33:]


def jpeg_truncated_exif(scale: Scale) -> bytes:
    """An APP1 Exif block whose IFD says two entries and holds one."""
    tiff = b"MM\x00*\x00\x00\x00\x08" + b"\x00\x02" + b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06"
    app1 = b"Exif\x00\x00" + tiff
    data = jpeg(scale)
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def jpeg_progressive(_: Scale) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 200, 30)).save(buffer, "JPEG", progressive=True)
    return buffer.getvalue()


def jpeg_cmyk(_: Scale) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("CMYK", (300, 200), (10, 200, 30, 5)).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_garbage_after_eoi(scale: Scale) -> bytes:
    return jpeg(scale) + _seeded(3).randbytes(64 * 1024)


def png_16bit_grey(scale: Scale) -> bytes:
    return blank_png(scale.side, scale.side // 2, colour_type=0, bit_depth=16)


# ---------------------------------------------------------------- PDFs


def pdf(_: Scale) -> bytes:
    return pdfs.text_pdf([["A hostile-suite page", "with a second line"]] * 3)


def pdf_broken_xref(scale: Scale) -> bytes:
    """Every xref offset wrong: readers rebuild the table by scanning the objects."""
    data = pdf(scale)
    start = data.rindex(b"xref")
    table = data[start:].replace(b" 00000 n", b" 00000 n").split(b"\n")
    shifted = [
        b"%010d 00000 n " % (int(line[:10]) + 7) if line.endswith(b" n ") else line
        for line in table
    ]
    return data[:start] + b"\n".join(shifted)


def pdf_missing_trailer(scale: Scale) -> bytes:
    data = pdf(scale)
    return data[: data.rindex(b"xref")]


def pdf_deflate_bomb(scale: Scale) -> bytes:
    """A page whose content stream inflates to ``scale.big * 25`` bytes of spaces."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(pdfs.text_operators(["bomb page"]))]
    block = b" " * MiB
    for _ in range(scale.big * 25 // MiB):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return pdfs.pages_pdf([pdfs.stream(b"/Filter /FlateDecode", b"".join(parts))])


def pdf_many_pages(scale: Scale) -> bytes:
    content = pdfs.stream(b"", pdfs.text_operators(["one of many pages"]))
    return pdfs.pages_pdf([content] * scale.pages)


def pdf_page_count_lie(_: Scale) -> bytes:
    """A page tree that claims 2,000,000,000 pages and holds one."""
    data = pdfs.pages_pdf([pdfs.stream(b"", pdfs.text_operators(["only page"]))])
    return data.replace(b"/Count 1 >>", b"/Count 2000000000 >>", 1)


def pdf_huge_mediabox(_: Scale) -> bytes:
    content = pdfs.stream(b"", pdfs.text_operators(["a very large page"]))
    return pdfs.pages_pdf([content], media_box="0 0 14400 14400")


def pdf_abbreviated_filters(_: Scale) -> bytes:
    return pdfs.abbreviated_filters_pdf()


def pdf_encrypted(_: Scale) -> bytes:
    return pdfs.text_pdf([["secret page"]], user_password="user-secret")  # noqa: S106


def pdf_owner_only(_: Scale) -> bytes:
    return pdfs.text_pdf([["printable, not editable"]], user_password="")


def pdf_attachment_encryption(_: Scale) -> bytes:
    return pdfs.text_pdf(
        [["clear page, encrypted attachments"]],
        user_password="u",  # noqa: S106 (a test document's)
        attachments_only=True,
    )


def pdf_bad_page(_: Scale) -> bytes:
    """One damaged page between two good ones: that page is lost, not the file."""
    good = pdfs.stream(b"", pdfs.text_operators(["a good page"]))
    return pdfs.pages_pdf([good, None, good])


def pdf_deep_nesting(_: Scale) -> bytes:
    """An array 100,000 deep in the catalog."""
    deep = b"[" * 100_000 + b"]" * 100_000
    data = pdfs.pages_pdf([pdfs.stream(b"", pdfs.text_operators(["deep"]))])
    return data.replace(b"<< /Type /Catalog", b"<< /Junk " + deep + b" /Type /Catalog", 1)


def pdf_bad_stream(_: Scale) -> bytes:
    """A content stream that says Flate and holds random bytes."""
    junk = _seeded(5).randbytes(4096)
    return pdfs.pages_pdf([pdfs.stream(b"/Filter /FlateDecode", junk)])


def pdf_lone_surrogate_title(_: Scale) -> bytes:
    """An Info /Title in UTF-16BE holding a lone surrogate and control characters."""
    title = b"\xfe\xff" + b"\xdc\x00\x00A\x00\x01\x00\x07"
    data = pdfs.pages_pdf([pdfs.stream(b"", pdfs.text_operators(["titled"]))])
    info = b"<< /Title <" + title.hex().encode() + b"> >>"
    data = pdfs.pages_pdf([pdfs.stream(b"", pdfs.text_operators(["titled"]))], extra=[info])
    return data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Info 5 0 R", 1)


def pdf_header_only(_: Scale) -> bytes:
    return b"%PDF-1.7\n"


def pdf_junk_before_header(scale: Scale) -> bytes:
    return b"\x00" * 512 + pdf(scale)


# ---------------------------------------------------------------- text


SAMPLE = (
    "Les élèves étudient la physique. Der Bäcker backt Brötchen. "
    "The quick brown fox jumps over the lazy dog, again and again.\n"
) * 40
JAPANESE = ("日本語のテキストです。これは試験のための文章であり、改行を含みます。\n") * 60


def text(encoding: str, sample: str = SAMPLE) -> Callable[[Scale], bytes]:
    return lambda _: sample.encode(encoding)


def long_line(scale: Scale) -> bytes:
    return b"word " * (scale.big // 5)


def cr_only(_: Scale) -> bytes:
    return SAMPLE.replace("\n", "\r").encode()


def mixed_endings(_: Scale) -> bytes:
    lines = SAMPLE.splitlines()
    return "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(lines)).encode()


def control_characters(_: Scale) -> bytes:
    """A coloured terminal log: ANSI escapes, a form feed, a backspace."""
    line = "\x1b[1;31mERROR\x1b[0m step {} of the nightly run failed, retrying\x08\n"
    return ("".join(line.format(i) for i in range(200)) + "\x0c\n").encode()


def with_nuls(_: Scale) -> bytes:
    return SAMPLE.encode().replace(b".", b"\x00", 5)


def invalid_utf8(_: Scale) -> bytes:
    return SAMPLE.encode().replace(b"\xc3\xa9", b"\xc3\x28", 3)


def random_bytes(_: Scale) -> bytes:
    return _seeded(11).randbytes(64 * 1024)


def one_byte(value: bytes) -> Callable[[Scale], bytes]:
    return lambda _: value


def empty(_: Scale) -> bytes:
    return b""


def truncated(make: Callable[[Scale], bytes]) -> Callable[[Scale], bytes]:
    def cut(scale: Scale) -> bytes:
        data = make(scale)
        return data[: len(data) // 2]

    return cut


def zip_archive(_: Scale) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.json", '{"a": 1}')
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV


def csv_table(rows: int = 300) -> str:
    lines = ["id,name,amount,when"]
    lines += [f"{i},name {i},{i * 1.5:.2f},2026-01-{i % 28 + 1:02d}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def csv_plain(_: Scale) -> bytes:
    return csv_table().encode()


def csv_long_line(scale: Scale) -> bytes:
    return b",".join(b"%d" % (i % 10) for i in range(scale.big // 2))


def csv_cr_only(_: Scale) -> bytes:
    return csv_table().replace("\n", "\r").encode()


def csv_mixed_endings(_: Scale) -> bytes:
    lines = csv_table().splitlines()
    return "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(lines)).encode()


def csv_huge_field(scale: Scale) -> bytes:
    return b'id,blob\n1,"' + b"x" * scale.big + b'"\n2,small\n'


def csv_unclosed_quote(_: Scale) -> bytes:
    return b'id,name\n1,"never closed\n2,b\n3,c\n'


def csv_wide(scale: Scale) -> bytes:
    header = ",".join(f"c{i}" for i in range(scale.keys))
    row = ",".join("1" for _ in range(scale.keys))
    return f"{header}\n{row}\n".encode()


def csv_ragged(_: Scale) -> bytes:
    return b"a,b,c\n1\n1,2,3,4,5\n,,\n\n1,2,3\n"


def csv_encoded(encoding: str) -> Callable[[Scale], bytes]:
    return lambda _: (csv_table().replace("name", "Zoë Müller")).encode(encoding)


def csv_japanese(_: Scale) -> bytes:
    return ("番号,名前\n" + "".join(f"{i},山田太郎{i}\n" for i in range(200))).encode("shift_jis")


# ---------------------------------------------------------------- JSON


def json_plain(_: Scale) -> bytes:
    return json.dumps({"items": [{"id": i, "name": f"item {i}"} for i in range(100)]}).encode()


def nested(opening: bytes, closing: bytes, *, closed: bool) -> Callable[[Scale], bytes]:
    def make(_: Scale) -> bytes:
        depth = 100_000
        return opening * depth + (closing * depth if closed else b"")

    return make


def json_huge_string(scale: Scale) -> bytes:
    return b'{"blob": "' + b"x" * scale.big + b'"}'


def json_lone_surrogate_key(_: Scale) -> bytes:
    return b'{"\\uDFAA": 0, "ok": "\\ud800 lone value"}'


def json_many_keys(scale: Scale) -> bytes:
    return json.dumps({f"key{i}": i for i in range(scale.keys)}).encode()


def jsonl_one_line(scale: Scale) -> bytes:
    return json.dumps([{"v": "x" * 100}] * (scale.big // 112)).encode()


def jsonl_mixed(_: Scale) -> bytes:
    lines = [json.dumps({"id": i, "name": f"n{i}"}) for i in range(300)]
    return "".join(line + ("\r\n", "\n", "\r\n\n")[i % 3] for i, line in enumerate(lines)).encode()


def json_control_in_string(_: Scale) -> bytes:
    return b'{"a": "raw\x01control"}'


def json_non_finite(_: Scale) -> bytes:
    return b'{"a": NaN, "b": Infinity, "c": -Infinity}'


def json_utf16(_: Scale) -> bytes:
    return json.dumps({"name": "Zoë", "n": list(range(50))}).encode("utf-16-le")


def json_bom(_: Scale) -> bytes:
    return b"\xef\xbb\xbf" + json_plain(SMALL)


def json_duplicate_keys(_: Scale) -> bytes:
    return b'{"a": 1, "a": 2, "a": {"a": [1, 2, 3]}}'


def json_huge_number(_: Scale) -> bytes:
    return b'{"n": 1' + b"0" * 5000 + b', "f": 1e999999}'


# ---------------------------------------------------------------- Parquet


def parquet_file(select: str, options: str = "") -> bytes:
    """The Parquet file DuckDB writes for ``select`` (the development environment has
    DuckDB: pyproject), on one thread, so the same bytes on every run."""
    import duckdb  # the tools' environment has DuckDB; only Parquet kinds need it

    with tempfile.TemporaryDirectory(prefix="fileproc-hostile-") as scratch:
        path = Path(scratch) / "t.parquet"
        with duckdb.connect(":memory:", config={"threads": 1}) as con:
            con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet{options})")
        return path.read_bytes()


def parquet_plain(_: Scale) -> bytes:
    return parquet_file(
        "SELECT i AS id, 'name ' || i AS name, i * 1.5 AS amount FROM range(3000) t(i)"
    )


def _with_trailer(data: bytes, length: int, magic: bytes = b"PAR1") -> bytes:
    return data[:-8] + length.to_bytes(4, "little") + magic


def parquet_bad_magic(scale: Scale) -> bytes:
    data = parquet_plain(scale)
    return data[:-4] + b"PAR0"


def parquet_footer_length_bomb(scale: Scale) -> bytes:
    """A footer length of 4 GiB - 1 in a small file: never allocated nor fetched."""
    return _with_trailer(parquet_plain(scale), 2**32 - 1)


def parquet_footer_past_start(scale: Scale) -> bytes:
    """A footer length one byte larger than the file can hold."""
    data = parquet_plain(scale)
    return _with_trailer(data, len(data) - 11)


def parquet_footer_over_bound(_: Scale) -> bytes:
    """A file whose footer length fits its size but is over the processor's bound
    (parquet.MAX_FOOTER_BYTES, 16 MiB): refused without being fetched."""
    size = 17 * MiB
    return b"PAR1" + bytes(size - 12) + (size - 12).to_bytes(4, "little") + b"PAR1"


def parquet_corrupt_footer(scale: Scale) -> bytes:
    data = parquet_plain(scale)
    length = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - length
    return data[:start] + bytes(b ^ 0x5A for b in data[start:-8]) + data[-8:]


def parquet_footer_string_bomb(_: Scale) -> bytes:
    """A 60-byte Thrift footer whose first string declares 2 GiB: DuckDB allocates a
    string's length before reading it, beyond the child's memory."""
    footer = b"\x15\x02\x19\x1c\x18" + b"\xff\xff\xff\xff\x07" + bytes(50)
    return b"PAR1" + footer + len(footer).to_bytes(4, "little") + b"PAR1"


def parquet_encrypted_footer(scale: Scale) -> bytes:
    return parquet_plain(scale)[:-4] + b"PARE"


def parquet_many_columns(scale: Scale) -> bytes:
    width = 3_000 if scale is SMALL else 30_000
    names = ", ".join(f"i AS c{n}" for n in range(width))
    return parquet_file(f"SELECT {names} FROM range(2) t(i)")  # noqa: S608 - generated names


def parquet_many_row_groups(_: Scale) -> bytes:
    return parquet_file("SELECT i FROM range(300 * 2048) t(i)", ", ROW_GROUP_SIZE 2048")


def parquet_nested_nulls(_: Scale) -> bytes:
    return parquet_file(
        "SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE [i, NULL] END AS l, "
        "{'a': NULL::INT, 'b': [{'c': i}]} AS s, MAP {'k' || i: NULL::VARCHAR} AS m "
        "FROM range(1000) t(i)"
    )


# ---------------------------------------------------------------- the kinds

K = Kind
KINDS: tuple[Kind, ...] = (
    # images: truncated, bombs, huge, wrong content, odd but valid
    K("png-truncated", ".png", truncated(png), failed("Corrupt")),
    K("png-header-only", ".png", lambda s: png(s)[:40], failed("Corrupt")),
    K("jpeg-truncated", ".jpg", truncated(jpeg), failed("Corrupt")),
    K("png-dimension-bomb", ".png", png_dimension_bomb, failed("DecompressionBomb")),
    K("jpeg-dimension-bomb", ".jpg", jpeg_dimension_bomb, failed("DecompressionBomb")),
    K("png-zero-width", ".png", png_zero_width, failed("Corrupt")),
    K("png-bad-crc", ".png", png_bad_crc, failed("Corrupt")),
    K("png-text-bomb", ".png", png_text_bomb, failed("DecompressionBomb")),
    # Full size: over the decode budget (IMAGE_DECODE_BUDGET_MB, 512), refused before decoding.
    K("png-strip-rgb", ".png", lambda s: blank_png(s.strip, 1), ok(), full=failed("TooLarge")),
    K(
        "png-strip-1bit",
        ".png",
        lambda s: blank_png(1, s.strip, 0, 1),
        ok(),
        full=failed("TooLarge"),
    ),
    K(
        "png-square-rgba",
        ".png",
        lambda s: blank_png(s.side, s.side, 6),
        ok(),
        full=failed("TooLarge"),
    ),
    # Full size: 10,000 x 5,000, 101 MB to decode; a 1,024 MB function processes it, a
    # 128 MB one refuses it within the decode budget it can give a file.
    K("png-16bit-grey", ".png", png_16bit_grey, ok(), full=failed("TooLarge")),
    K("jpeg-truncated-exif", ".jpg", jpeg_truncated_exif, ok()),
    K("jpeg-progressive", ".jpg", jpeg_progressive, ok()),
    K("jpeg-cmyk", ".jpg", jpeg_cmyk, ok()),
    K("jpeg-trailing-garbage", ".jpg", jpeg_garbage_after_eoi, ok()),
    K("pdf-as-jpg", ".jpg", pdf, failed("ContentMismatch")),
    K("jpeg-as-png", ".png", jpeg, failed("ContentMismatch")),
    K("csv-as-png", ".png", csv_plain, failed("ContentMismatch")),
    K("image-empty", ".png", empty, failed("Corrupt")),
    K("image-one-byte", ".jpg", one_byte(b"\xff"), failed("ContentMismatch")),
    K("image-random", ".jpg", random_bytes, failed("ContentMismatch")),
    # PDFs: malformed, bombs, encrypted, wrong content
    K("pdf-truncated", ".pdf", truncated(pdf), failed("Corrupt"), "pdf.py refuses a cut file"),
    K("pdf-header-only", ".pdf", pdf_header_only, failed("Corrupt")),
    K("pdf-broken-xref", ".pdf", pdf_broken_xref, ok()),
    K("pdf-missing-trailer", ".pdf", pdf_missing_trailer, failed("Corrupt"), "a cut file"),
    K("pdf-junk-before-header", ".pdf", pdf_junk_before_header, ok()),
    # Full size: a 1 GB content stream; PDFium aborts at the child's memory limit.
    K("pdf-deflate-bomb", ".pdf", pdf_deflate_bomb, ok(), full=failed("OutOfMemory")),
    K("pdf-many-pages", ".pdf", pdf_many_pages, ok()),
    K("pdf-page-count-lie", ".pdf", pdf_page_count_lie, ok()),
    K("pdf-huge-mediabox", ".pdf", pdf_huge_mediabox, ok()),
    K("pdf-abbreviated-filters", ".pdf", pdf_abbreviated_filters, ok()),
    K("pdf-encrypted", ".pdf", pdf_encrypted, ok(), "recorded as encrypted, unreadable"),
    K("pdf-owner-password-only", ".pdf", pdf_owner_only, ok()),
    K("pdf-attachment-encryption", ".pdf", pdf_attachment_encryption, ok()),
    K("pdf-bad-page", ".pdf", pdf_bad_page, ok()),
    K("pdf-bad-stream", ".pdf", pdf_bad_stream, ok()),
    K("pdf-deep-nesting", ".pdf", pdf_deep_nesting, ok()),
    K("pdf-lone-surrogate-title", ".pdf", pdf_lone_surrogate_title, ok()),
    K("jpeg-as-pdf", ".pdf", jpeg, failed("ContentMismatch")),
    K("pdf-empty", ".pdf", empty, failed("Corrupt")),
    K("pdf-one-byte", ".pdf", one_byte(b"%"), failed("ContentMismatch")),
    K("pdf-random", ".pdf", random_bytes, failed("ContentMismatch")),
    # plain text: encodings, line endings, controls, huge lines
    K("txt-empty", ".txt", empty, ok()),
    K("txt-one-byte", ".txt", one_byte(b"a"), ok()),
    K("txt-long-line", ".txt", long_line, ok()),
    K("txt-cr-only", ".txt", cr_only, ok()),
    K("txt-mixed-endings", ".txt", mixed_endings, ok()),
    K("txt-control-characters", ".txt", control_characters, ok()),
    K("txt-nuls", ".txt", with_nuls, ok()),
    K("txt-invalid-utf8", ".txt", invalid_utf8, ok()),
    K("txt-utf16-no-bom", ".txt", text("utf-16-le"), ok()),
    K("txt-ebcdic", ".txt", text("cp037"), ok()),
    K("txt-shift-jis", ".txt", text("shift_jis", JAPANESE), ok()),
    K("txt-iso-8859-2", ".txt", text("iso-8859-2", "Zażółć gęślą jaźń, łódź. " * 80), ok()),
    K("txt-truncated-utf8", ".txt", lambda s: JAPANESE.encode()[:1001], ok()),
    K("txt-random", ".txt", random_bytes, failed("ContentMismatch")),
    K("zip-as-txt", ".txt", zip_archive, failed("ContentMismatch")),
    K("pdf-as-txt", ".txt", pdf, failed("ContentMismatch")),
    # CSV
    K("csv-truncated", ".csv", truncated(csv_plain), ok()),
    K("csv-long-line", ".csv", csv_long_line, ok()),
    K("csv-cr-only", ".csv", csv_cr_only, ok()),
    K("csv-mixed-endings", ".csv", csv_mixed_endings, ok()),
    K("csv-huge-field", ".csv", csv_huge_field, ok()),
    K("csv-unclosed-quote", ".csv", csv_unclosed_quote, ok()),
    K("csv-wide", ".csv", csv_wide, ok()),
    K("csv-ragged", ".csv", csv_ragged, ok()),
    K("csv-nuls", ".csv", lambda s: csv_plain(s).replace(b"name 1", b"na\x00e 1"), ok()),
    K(
        "csv-control-characters",
        ".csv",
        lambda s: csv_plain(s).replace(b"name", b"n\x01\x1b"),
        ok(),
    ),
    K("csv-utf16-no-bom", ".csv", csv_encoded("utf-16-le"), ok()),
    K("csv-ebcdic", ".csv", csv_encoded("cp037"), ok()),
    K("csv-shift-jis", ".csv", csv_japanese, ok()),
    K("csv-empty", ".csv", empty, ok(), "an empty table: no rows, no columns"),
    K("csv-one-byte", ".csv", one_byte(b"a"), ok()),
    K("jpeg-as-csv", ".csv", jpeg, failed("ContentMismatch")),
    K("csv-random", ".csv", random_bytes, failed("ContentMismatch")),
    # JSON and JSON Lines
    K("json-truncated", ".json", truncated(json_plain), failed("InvalidJson")),
    K("json-deep-array", ".json", nested(b"[", b"]", closed=True), failed("Unsupported")),
    K("json-deep-array-unclosed", ".json", nested(b"[", b"]", closed=False), failed("InvalidJson")),
    K("json-deep-object", ".json", nested(b'{"a":', b"}", closed=True), failed("Unsupported")),
    K(
        "json-deep-object-unclosed",
        ".json",
        nested(b'{"a":', b"}", closed=False),
        failed("InvalidJson"),
    ),
    K("json-huge-string", ".json", json_huge_string, failed("TooLarge")),
    K("json-lone-surrogate-key", ".json", json_lone_surrogate_key, ok()),
    K("json-many-keys", ".json", json_many_keys, ok()),
    K("json-control-in-string", ".json", json_control_in_string, failed("InvalidJson")),
    K("json-non-finite", ".json", json_non_finite, failed("InvalidJson")),
    K("json-utf16-no-bom", ".json", json_utf16, ok(), "decoded as json.loads does"),
    K("json-bom", ".json", json_bom, ok()),
    K("json-duplicate-keys", ".json", json_duplicate_keys, ok()),
    # The processor's documented bound (test_json): Python's int digit limit, 4,300.
    K("json-huge-number", ".json", json_huge_number, failed("InvalidJson")),
    K("json-empty", ".json", empty, failed("InvalidJson")),
    K("json-one-byte", ".json", one_byte(b"{"), failed("InvalidJson")),
    K("json-random", ".json", random_bytes, failed("ContentMismatch")),
    K("zip-as-json", ".json", zip_archive, failed("ContentMismatch")),
    K("jsonl-one-huge-line", ".jsonl", jsonl_one_line, failed("TooLarge")),
    K("jsonl-mixed-endings", ".ndjson", jsonl_mixed, ok()),
    K("jsonl-truncated", ".jsonl", truncated(jsonl_mixed), failed("InvalidJson"), "the cut line"),
    # Parquet: only the footer is read, so what matters is the trailer and the footer
    K("parquet-plain", ".parquet", parquet_plain, ok()),
    K("parquet-truncated", ".parquet", truncated(parquet_plain), failed("Corrupt"), "no footer"),
    K("parquet-bad-magic", ".parquet", parquet_bad_magic, failed("Corrupt")),
    K("parquet-footer-length-bomb", ".parquet", parquet_footer_length_bomb, failed("Corrupt")),
    K("parquet-footer-past-start", ".parquet", parquet_footer_past_start, failed("Corrupt")),
    K("parquet-footer-over-bound", ".parquet", parquet_footer_over_bound, failed("TooLarge")),
    K("parquet-corrupt-footer", ".parquet", parquet_corrupt_footer, failed("Corrupt")),
    K("parquet-encrypted-footer", ".parquet", parquet_encrypted_footer, failed("Unsupported")),
    K(
        "parquet-footer-string-bomb",
        ".parquet",
        parquet_footer_string_bomb,
        failed("OutOfMemory"),
        "DuckDB allocates a declared 2 GiB string: the child's limit stops it",
    ),
    # Full size: 30,000 columns, a 4.1 MB footer that DuckDB parses into more than the
    # smallest data function (256 MB) gives a file: OutOfMemory, naming the limit; the
    # 1,024 MB default reads it (the first 200 columns recorded).
    K(
        "parquet-many-columns",
        ".parquet",
        parquet_many_columns,
        ok(),
        "the first 200 recorded",
        full=failed("OutOfMemory"),
    ),
    K("parquet-many-row-groups", ".parquet", parquet_many_row_groups, ok()),
    K("parquet-nested-nulls", ".parquet", parquet_nested_nulls, ok()),
    K("parquet-empty", ".parquet", empty, failed("Corrupt")),
    K("parquet-one-byte", ".parquet", one_byte(b"P"), failed("ContentMismatch")),
    K("parquet-magic-only", ".parquet", one_byte(b"PAR1"), failed("Corrupt")),
    K("parquet-random", ".parquet", random_bytes, failed("ContentMismatch")),
    K("csv-as-parquet", ".parquet", csv_plain, failed("ContentMismatch")),
)


def by_name() -> dict[str, Kind]:
    return {kind.name: kind for kind in KINDS}
