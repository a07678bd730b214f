"""Real text PDFs written with pypdf, for the tests and the benchmarks.

Each page draws its lines in Helvetica (WinAnsi encoding), so pypdf's
``extract_text`` reads them back; the same input gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from pypdf import PdfWriter
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
    font_size: int = 11,
    origin: tuple[int, int] = (72, 720),
) -> bytes:
    """A US-letter PDF with one page per item of ``pages``, each line drawn from
    ``origin`` down, 14 points apart; content streams compressed.

    With ``user_password`` the file is AES-256 encrypted; "" makes a file that
    opens without a password (only the owner password protects it).
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
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
