"""Record -> JSON conversion and the Content-Disposition of downloads."""

from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import Binary, TypeSerializer

from fileproc.api.presign import content_disposition, download_name
from fileproc.api.views import json_value, record_view


def test_numbers_become_int_or_float():
    assert json_value(Decimal("3")) == 3
    assert isinstance(json_value(Decimal("3")), int)
    assert json_value(Decimal("2.5")) == 2.5
    assert json_value({"a": [Decimal("1"), {"b": Decimal("0.1")}]}) == {"a": [1, {"b": 0.1}]}


def test_sets_and_binary_become_json():
    assert json_value({"b", "a"}) == ["a", "b"]
    assert json_value(Binary(b"\x00\x01")) == "AAE="
    assert json_value(b"\xff") == "/w=="


def test_record_view_reads_low_level_items_and_drops_index_keys():
    serializer = TypeSerializer()
    item = {
        k: serializer.serialize(v)
        for k, v in {
            "file_id": "a" * 32,
            "size": 12,
            "listing": "file",
            "category_status": "image#PROCESSED",
            "metadata": {"ratio": Decimal("1.5"), "pages": 3, "title": None},
        }.items()
    }

    assert record_view(item) == {
        "file_id": "a" * 32,
        "size": 12,
        "metadata": {"ratio": 1.5, "pages": 3, "title": None},
    }


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name():
    assert content_disposition('naïve "quote";.txt') == (
        "attachment; filename=\"naive_quote.txt\"; filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt"
    )
    assert content_disposition("...") == "attachment; filename=\"download\"; filename*=UTF-8''..."


def test_download_name_prefers_the_uploaded_name():
    assert download_name({"filename": "Mon fichier.pdf", "key": "uploads/x/Mon_fichier.pdf"}) == (
        "Mon fichier.pdf"
    )
    assert download_name({"key": "uploads/reports/q3.csv"}) == "q3.csv"
    assert download_name({"filename": "", "key": "uploads/"}) == "download"
