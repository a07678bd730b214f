"""Real text PDFs written with pypdf, for the tests and the benchmarks.

Each page draws its lines in Helvetica (WinAnsi encoding), so pypdf's
``extract_text`` reads them back; the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Mapping, Sequence

from pypdf import PdfWriter
from pypdf._codecs._codecs import LzwCodec  # pypdf's own LZW encoder (no public one)
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

OWNER_PASSWORD = "owner-secret"  # noqa: S105 (a test document's, not a credential)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(
    pages: Sequence[Sequence[str]],
    *,
    metadata: Mapping[str, str] | None = None,
    user_password: str | None = None,
    owner_password: str = OWNER_PASSWORD,
    attachments_only: bool = False,
    font_size: int = 11,
    origin: tuple[int, int] = (72, 720),
) -> bytes:
    """A US-letter PDF with one page per item of ``pages``, each line drawn from
    ``origin`` down, 14 points apart; content streams compressed.

    With ``user_password`` the file is AES-256 encrypted; "" makes a file that
    opens without a password (only the owner password protects it). With
    ``attachments_only`` too, only embedded files would be encrypted (Acrobat's
    "encrypt only file attachments": /StmF and /StrF /Identity, /EFF /StdCF):
    the pages' streams and strings are written in clear, yet the user password
    is a real one.
    """
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        operators = ["BT", f"/F1 {font_size} Tf", "14 TL", f"{origin[0]} {origin[1]} Td"]
        operators += [f"({_escape(line)}) Tj T*" for line in lines]
        operators.append("ET")
        content = DecodedStreamObject()
        content.set_data("\n".join(operators).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        page.compress_content_streams()
    if metadata:
        writer.add_metadata(dict(metadata))
    if user_password is not None:
        writer.encrypt(user_password, owner_password=owner_password, algorithm="AES-256")
        if attachments_only:
            assert writer._encrypt_entry is not None
            entry = writer._encrypt_entry
            for key, value in (("/StmF", "/Identity"), ("/StrF", "/Identity"), ("/EFF", "/StdCF")):
                entry[NameObject(key)] = NameObject(value)
            writer._encryption = None  # the entry stays in the trailer; nothing is encrypted
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- PDFs written object by object ------------------------------------------------------
# pypdf rewrites what it is given (it normalises filter names and repairs page
# trees), so the shapes below that real-world producers make and pypdf does not
# are written by hand: a header, numbered objects, a cross-reference table.


def raw_pdf(
    objects: Sequence[bytes], *, root: int = 1, version: str = "1.7", trailer: bytes = b""
) -> bytes:
    """A PDF whose object ``n`` (1-based) is ``objects[n - 1]``, each given as its
    body (what goes between ``n 0 obj`` and ``endobj``), with a correct xref table."""
    out = bytearray(f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (len(objects) + 1, root, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    """A stream object's body: ``dictionary`` (without its << >>) plus /Length."""
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def pages_pdf(
    contents: Sequence[bytes | None],
    *,
    extra: Sequence[bytes] = (),
    media_box: str = "0 0 612 792",
    page_entries: str = "",
) -> bytes:
    """A PDF with one page per item (US letter unless ``media_box`` says otherwise,
    ``page_entries`` added to each page's dictionary): a content stream object's body, or
    None for a page tree entry that is not a page at all (a damaged object, as
    some broken producers leave behind). Helvetica is /F1; ``extra`` objects
    follow the pages' (number ``3 + 2 * len(contents)`` onwards)."""
    count = len(contents)
    font = 3 + 2 * count + len(extra)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * index) for index in range(count)), count),
    ]
    for index, content in enumerate(contents):
        if content is None:
            objects += [b"(this page object was overwritten)", b"null"]
            continue
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Contents %d 0 R %s "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>"
            % (media_box.encode(), 4 + 2 * index, page_entries.encode(), font)
        )
        objects.append(content)
    objects += list(extra)
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    return raw_pdf(objects)


def text_operators(lines: Sequence[str]) -> bytes:
    """A content stream drawing ``lines`` in /F1 from the top left of a letter page."""
    shown = " ".join(f"({_escape(line)}) Tj T*" for line in lines)
    return f"BT /F1 11 Tf 14 TL 72 720 Td {shown} ET".encode("cp1252")


def run_length(data: bytes) -> bytes:
    """RunLengthDecode's encoding with literal runs only (valid, if not compact)."""
    out = bytearray()
    for start in range(0, len(data), 128):
        chunk = data[start : start + 128]
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out + b"\x80")


def abbreviated_filters_pdf() -> bytes:
    """Three text pages whose content streams and inline images name their filters
    by the abbreviations (/Fl /A85 /AHx /LZW /RL /CCF /DCT), as many producers
    write them; pypdf 7 refuses them (DeprecationError), PDF readers do not."""
    # the tools' environment has Pillow; only this helper needs it
    from PIL import Image, TiffImagePlugin

    grey = bytes(range(0, 256, 4))  # an 8 x 8 grey ramp
    ramp = Image.frombytes("L", (8, 8), grey)
    jpeg, tiff = io.BytesIO(), io.BytesIO()
    ramp.save(jpeg, "JPEG")
    ramp.convert("1").save(tiff, "TIFF", compression="group4")
    with Image.open(tiff) as fax:
        assert isinstance(fax, TiffImagePlugin.TiffImageFile)
        start, length = fax.tag_v2[273][0], fax.tag_v2[279][0]  # StripOffsets, StripByteCounts
    ccitt = tiff.getvalue()[start : start + length]

    def inline(x: int, filters: bytes, data: bytes, extra: bytes = b"") -> bytes:
        return b"q 40 0 0 40 %d 500 cm BI /W 8 /H 8 /CS /G %s /F %s ID\n%s\nEI Q\n" % (
            x,
            extra or b"/BPC 8",
            filters,
            data,
        )

    lzw = LzwCodec().encode
    images = (
        inline(72, b"/AHx", grey.hex().encode() + b">")
        + inline(122, b"/A85", base64.a85encode(grey) + b"~>")
        + inline(172, b"[/A85 /Fl]", base64.a85encode(zlib.compress(grey)) + b"~>")
        + inline(222, b"/RL", run_length(grey))
        + inline(272, b"/LZW", lzw(grey))
        + inline(322, b"/DCT", jpeg.getvalue())
        + inline(372, b"/CCF", ccitt, b"/BPC 1 /DP << /K -1 /Columns 8 /Rows 8 >>")
    )
    first = text_operators(["Abbreviated filters", "Fl after AHx on this page."]) + b"\n"
    contents = [
        stream(b"/Filter [/AHx /Fl]", zlib.compress(first + images).hex().encode() + b">"),
        stream(
            b"/Filter [/A85 /LZW]",
            base64.a85encode(lzw(text_operators(["Second page", "LZW after A85."]))) + b"~>",
        ),
        stream(b"/Filter /RL", run_length(text_operators(["Third page", "Run length."]))),
    ]
    return pages_pdf(contents)
