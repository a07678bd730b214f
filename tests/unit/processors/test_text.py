"""The document processor on plain text in several encodings, and its text helpers."""

from __future__ import annotations

import codecs
import random
from typing import BinaryIO, cast

import pytest

from fileproc.errors import ContentMismatch
from fileproc.processors import charset, document, plain_text
from fileproc.processors.textstats import PreviewBuilder, TextCounter, preview, valid_unicode
from fileproc_tools.pdfs import text_pdf

from . import images
from .support import OnceReader, run, settings

FRENCH = (
    "Le château se dresse au sommet de la colline depuis le douzième siècle.\n"
    "Les visiteurs découvrent d'abord la cour d'honneur, puis la chapelle.\n"
    "À l'intérieur, les fresques évoquent la récolte, les fêtes et la chasse.\n"
)


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", {"utf-8"}),
        ("utf-8-sig", {"utf-8-sig"}),
        # The same bytes for these characters: either name decodes them.
        ("cp1252", {"cp1252", "iso8859-1", "iso8859-15"}),
        ("latin-1", {"cp1252", "iso8859-1", "iso8859-15"}),
        ("utf-16", {"utf-16"}),
        ("utf-16-le", {"utf-16-le"}),
    ],
)
def test_text_in_each_encoding_is_decoded_and_counted(encoding: str, reported: set[str]) -> None:
    result = run(document.process, FRENCH.encode(encoding), ".txt")

    assert result.metadata["encoding"] in reported
    confidence = result.metadata["encoding_confidence"]
    assert 0 < confidence <= 1
    if encoding.startswith("utf"):
        assert confidence >= 0.95
    assert result.metadata == {
        "format": "TXT",
        "encoding": result.metadata["encoding"],
        "encoding_confidence": confidence,
        "lines": 3,
        "words": len(FRENCH.split()),
        "characters": len(FRENCH),
        "preview": " ".join(FRENCH.split())[:280],
    }
    assert result.text is None  # no summary to make: nothing kept
    assert result.artefacts == {}


def test_crlf_counts_as_one_line_break() -> None:
    result = run(document.process, b"one two\r\nthree\r\nfour", ".txt")

    assert result.metadata["lines"] == 3
    assert result.metadata["words"] == 4
    assert result.metadata["characters"] == len("one two\nthree\nfour")


def test_empty_text_file() -> None:
    result = run(document.process, b"", ".txt")

    assert result.metadata == {
        "format": "TXT",
        "encoding": "utf-8",
        "encoding_confidence": 1.0,
        "lines": 0,
        "words": 0,
        "characters": 0,
        "preview": "",
    }
    assert result.text is None


def test_large_text_is_counted_whole_and_only_the_summary_input_is_kept() -> None:
    line = "lorem ipsum dolor sit amet\n"
    data = (line * 200_000).encode()  # 5.4 MB, several read chunks

    result = run(
        document.process,
        data,
        ".txt",
        preview_chars=11,
        bedrock_enabled=True,
        bedrock_model_id="m",
        bedrock_max_input_chars=100_000,
    )

    assert result.metadata["lines"] == 200_000
    assert result.metadata["words"] == 1_000_000
    assert result.metadata["characters"] == len(data)
    assert result.metadata["preview"] == "lorem ipsum"
    assert result.text == (line * 4000)[:100_000]  # beyond one read chunk


def test_the_text_is_the_summary_input_only_when_summaries_are_on() -> None:
    on = run(document.process, FRENCH.encode(), ".txt", bedrock_enabled=True, bedrock_model_id="m")
    off = run(document.process, FRENCH.encode(), ".txt", bedrock_enabled=False)

    assert on.text == FRENCH
    assert off.text is None
    assert on.metadata == off.metadata


def test_stray_byte_after_the_sample_costs_one_character() -> None:
    text = "a" * (charset.SAMPLE_BYTES + 10)
    data = text.encode() + b"\xff tail"

    result = run(document.process, data, ".txt")

    assert result.metadata["encoding"] == "utf-8"
    assert result.metadata["characters"] == len(text) + len("\ufffd tail")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(bytes(range(256)) * 64, id="every-byte"),
        pytest.param(random.Random(7).randbytes(5000), id="random"),
        # No NUL, but a tenth of the bytes are controls that text never holds.
        pytest.param(b"abcdefghi\x01" * 500, id="controls"),
    ],
)
def test_binary_data_is_not_text(data: bytes) -> None:
    with pytest.raises(ContentMismatch, match=r"the \.txt file holds binary data, not text"):
        run(document.process, data, ".txt")


# Texts in the encodings that a candidate list refused as binary or misread
# (issue 8), each long enough to be a real file's start and short enough to be
# a hard case: the bytes are made here with Python's own codecs.
RUSSIAN = (
    "Жил бы цитрус в чащах юга? Да, но фальшивый экземпляр! "
    "Съешь же ещё этих мягких французских булок да выпей чаю.\n"
)
KOREAN = "대한민국의 수도는 서울입니다. 오늘은 날씨가 정말 좋네요. 한국어 문장을 시험합니다.\n"
JAPANESE = "これは日本語のテキストです。今日はいい天気ですね。東京は日本の首都です。\n"
ENGLISH = "ACCOUNT BALANCE REPORT, page 1 of 2.\nTotals follow; figures in dollars.\n"
POLISH = "Zażółć gęślą jaźń. Pchnąć w tę łódź jeża lub ośm skrzyń fig.\n"
CZECH = "Příliš žluťoučký kůň úpěl ďábelské ódy. Dobrý den, jak se máte? Děkuji.\n"
HUNGARIAN = "Árvíztűrő tükörfúrógép. Jó napot kívánok, hogy van? Köszönöm, jól vagyok.\n"
ITALIAN = "Perché la città è così bella? Perché è piena di storia e di caffè.\n"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (RUSSIAN, "cp866"),  # IBM866, DOS Cyrillic
        (RUSSIAN, "cp855"),  # IBM855
        (KOREAN, "johab"),
        (KOREAN, "euc_kr"),
        (ENGLISH, "cp037"),  # EBCDIC
        (JAPANESE, "cp932"),
        (JAPANESE, "iso2022_jp"),  # 7-bit: valid UTF-8 byte for byte
        (POLISH, "iso8859_2"),
        (CZECH, "iso8859_2"),  # read as Windows-1250 or -1252 it is mojibake
        (HUNGARIAN, "iso8859_2"),
        (CZECH, "cp1250"),
        (ITALIAN, "cp1252"),  # read as Windows-1251 it is Cyrillic
    ],
)
@pytest.mark.parametrize("copies", [1, 20])
def test_text_in_legacy_encodings_is_read(text: str, encoding: str, copies: int) -> None:
    data = (text * copies).encode(encoding)

    result = run(document.process, data, ".txt")

    metadata = result.metadata
    assert data.decode(metadata["encoding"]) == text * copies
    assert 0 < metadata["encoding_confidence"] < 1
    assert metadata["preview"] == " ".join((text * copies).split())[:280]
    assert metadata["words"] == len(text.split()) * copies


def test_text_without_binary_signatures_is_text_even_unrecognised() -> None:
    # Printable bytes of every code page, in no language: still text, decoded
    # with the best guess and replacement characters, never refused.
    rng = random.Random(3)
    data = bytes(rng.choice([*range(0x20, 0x7F), *range(0xA0, 0x100), 0x0A]) for _ in range(3000))

    result = run(document.process, data, ".txt")

    metadata = result.metadata
    assert metadata["format"] == "TXT"
    assert 0 <= metadata["encoding_confidence"] < 1
    assert metadata["characters"] > 1000
    assert metadata["preview"]


@pytest.mark.parametrize(
    ("data", "what"),
    [(text_pdf([["x"]]), "a PDF document"), (images.photo(40, 20), "a JPEG image")],
)
def test_known_binary_format_as_text_is_a_mismatch(data: bytes, what: str) -> None:
    with pytest.raises(ContentMismatch, match=f"the .txt file holds {what}"):
        run(document.process, data, ".txt")


def test_stream_is_read_once_to_the_end() -> None:
    data = FRENCH.encode() * 1000
    stream = OnceReader(data)

    plain_text.process(cast(BinaryIO, stream), settings=settings())

    assert stream.consumed == len(data)


# -- textstats ---------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 3, 4, 5, 9, 17])
def test_counter_counts_words_cut_by_chunks_once(cut: int) -> None:
    text = "alpha beta  gamma\ndelta\n\nepsilon"
    counter = TextCounter()
    for start in range(0, len(text), cut):
        counter.feed(text[start : start + cut])

    assert (counter.lines, counter.words, counter.characters) == (4, 5, len(text))


def test_counter_of_text_ending_with_newline() -> None:
    counter = TextCounter()
    counter.feed("a\nb\n")
    counter.feed("")

    assert counter.lines == 2


PREVIEW_TEXTS = [
    FRENCH * 20,
    "  \n\t leading space then words " * 50,
    "a" * 1000,
    " " * 70_000 + "late words after a whole chunk of spaces",
    "word\u00a0joined\u2003by unicode\u3000spaces " * 40,
    "short",
    "",
    "   ",
]


@pytest.mark.parametrize("text", PREVIEW_TEXTS)
@pytest.mark.parametrize("limit", [0, 1, 4, 11, 280])
@pytest.mark.parametrize("cut", [1, 2, 7, 64 * 1024])
def test_a_preview_built_chunk_by_chunk_is_the_preview_of_the_whole(
    text: str, limit: int, cut: int
) -> None:
    builder = PreviewBuilder(limit)
    for start in range(0, len(text), cut):
        builder.feed(text[start : start + cut])

    assert builder.preview == preview(text, limit)


def test_preview_collapses_whitespace_and_stops_at_the_limit() -> None:
    assert preview("  one\n\n two\tthree  ", 100) == "one two three"
    assert preview("one two three", 7) == "one two"
    assert preview(" " * 10_000 + "late words", 4) == "late"
    assert preview("anything", 0) == ""


def test_valid_unicode_replaces_lone_surrogates() -> None:
    assert valid_unicode("ok \ud800 then") == "ok ? then"
    assert valid_unicode("fine") == "fine"


# -- charset -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "name"),
    [
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
    ],
)
def test_byte_order_mark_decides(bom: bytes, name: str) -> None:
    assert charset.detect(bom + b"x", complete=True) == name


def test_utf8_cut_in_the_middle_of_a_character() -> None:
    sample = "café".encode()[:-1]

    assert charset.detect(sample, complete=False) == "utf-8"
    # As a whole file, the same bytes are not UTF-8 (cp1252 decodes them).
    assert charset.detect(sample, complete=True) != "utf-8"


def test_ascii_is_read_as_utf8() -> None:
    assert charset.detect(b"plain ascii text\n" * 10, complete=False) == "utf-8"


def test_bom_less_utf16_is_not_taken_for_utf8() -> None:
    assert charset.detect(FRENCH.encode("utf-16-le"), complete=True) == "utf-16-le"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (RUSSIAN, "cp866"),
        (KOREAN, "johab"),
        (CZECH, "iso8859_2"),
        ("nom;ville\nFrançois;Besançon\nRenée;Orléans\nJérôme;Nîmes\n", "cp1252"),
        ("Señor Muñoz compró café en São Paulo.\n", "latin-1"),
        ("Müller, Größe, Straße, Äpfel und Öl.\n", "latin-1"),
        ("Zażółć gęślą jaźń. Pchnąć w tę łódź jeża lub ośm skrzyń fig.\n", "cp1250"),
        ("Привет, как дела? Это тестовый текст на русском языке.\n", "cp1251"),
        ("Привет, как дела? Это тестовый текст на русском языке.\n", "koi8_r"),
        ("Καλημέρα, αυτό είναι ένα ελληνικό κείμενο.\n", "cp1253"),
        ("これは日本語のテキストです。今日はいい天気ですね。\n", "shift_jis"),
        ("这是一个中文文本的例子，用于测试编码检测。\n", "gb18030"),  # noqa: RUF001
    ],
)
def test_short_legacy_texts_decode_correctly(text: str, encoding: str) -> None:
    # Short samples are where statistical detection goes wrong (cp775 for French).
    data = text.encode(encoding)

    detected = charset.detect(data, complete=True)

    assert detected is not None
    assert data.decode(detected) == text


def test_random_bytes_are_not_text() -> None:
    assert charset.detect(bytes(range(256)) * 16, complete=True) is None


def test_bom_less_utf32_is_found() -> None:
    found = charset.guess(FRENCH.encode("utf-32-be"), complete=True)

    assert found is not None
    assert found.encoding == "utf-32-be"


def test_a_few_stray_nul_bytes_do_not_make_text_binary() -> None:
    data = (FRENCH * 10).encode("utf-8").replace(b"\n", b"\x00\n", 3)

    result = run(document.process, data, ".txt")

    assert result.metadata["encoding"] == "utf-8"
    assert result.metadata["lines"] == 30
    assert result.metadata["characters"] == len(FRENCH * 10) + 3


def test_a_misread_decoding_has_faults_the_right_one_has_none() -> None:
    czech = CZECH.encode("iso8859_2")

    assert charset._faults(czech.decode("iso8859_2")) == 0
    assert charset._faults(czech.decode("cp1250")) > 0  # "ľlu»oučký"
    assert charset._faults(ITALIAN.encode("cp1252").decode("cp1251")) > 0  # "Perchи"
    assert charset._faults("l’homme, l·lusió, 東京は日本の首都です。") == 0  # noqa: RUF001


def test_without_a_usable_candidate_the_guess_is_windows_1252(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # chardet may name a codec Python lacks, none, or ASCII for bytes that are
    # not ASCII: none of them decodes the sample.
    import chardet

    offered = [{"encoding": "x-mac-unknown"}, {"encoding": None}, {"encoding": "ascii"}]
    monkeypatch.setattr(chardet, "detect_all", lambda *args, **kwargs: offered)

    assert charset.guess(b"caf\xe9 au lait", complete=True) == charset.Guess("cp1252", 0.0)
