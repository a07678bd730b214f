"""GET /files: filters, index choice, newest-first pagination and its tokens."""

from __future__ import annotations

import base64
import json

import pytest

from fileproc.api import pagination
from fileproc.api.store import IndexQuery, PageKey

from .api_helpers import put_records, record, timestamps


def seed(api, count, **fields):
    records = [record(uploaded_at=at, **fields) for at in timestamps(count)]
    put_records(api.aws.dynamodb, api.aws.table, records)
    api.dynamo.reset()
    return records


def all_pages(api, query=None, limit=5):
    pages, token = [], None
    while True:
        params = {**(query or {}), "limit": str(limit)}
        if token:
            params["next_token"] = token
        reply = api.get("/files", query=params)
        assert reply.status == 200, reply.body
        pages.append(reply.body["items"])
        token = reply.body["next_token"]
        if token is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


def test_pages_cover_every_file_once_newest_first(api):
    records = seed(api, 23)

    pages = all_pages(api, limit=5)

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    listed = [item["file_id"] for page in pages for item in page]
    newest_first = [r["file_id"] for r in sorted(records, key=lambda r: r["uploaded_at"])][::-1]
    assert listed == newest_first


def test_a_full_last_page_has_no_next_token(api):
    # Reading limit+1 items is what tells the API there is no further page.
    seed(api, 10)

    pages = all_pages(api, limit=5)

    assert [len(page) for page in pages] == [5, 5]


def test_each_page_reads_at_most_limit_plus_one_items_with_a_query(api):
    seed(api, 40)

    all_pages(api, limit=7)

    assert set(api.dynamo.names()) == {"Query"}
    scanned = [answer["ScannedCount"] for answer in api.dynamo.answers("Query")]
    assert scanned
    assert max(scanned) <= 8
    for params in api.dynamo.of("Query"):
        assert params["Limit"] == 8
        assert params["ScanIndexForward"] is False
        assert "FilterExpression" not in params


def test_default_limit_is_25(api):
    seed(api, 30)

    reply = api.get("/files")

    assert len(reply.body["items"]) == 25
    assert reply.body["next_token"]


def test_empty_table_lists_nothing(api):
    reply = api.get("/files")

    assert reply.status == 200
    assert reply.body == {"items": [], "next_token": None}


@pytest.mark.parametrize(
    ("query", "index", "key_name", "key_value"),
    [
        ({}, "all-uploaded-index", "listing", "file"),
        ({"status": "FAILED"}, "status-uploaded-index", "status", "FAILED"),
        ({"category": "data"}, "category-uploaded-index", "category", "data"),
        (
            {"status": "FAILED", "category": "data"},
            "category-status-uploaded-index",
            "category_status",
            "data#FAILED",
        ),
    ],
)
def test_filters_query_the_matching_index(api, query, index, key_name, key_value):
    api.get("/files", query=query)

    (params,) = api.dynamo.of("Query")
    assert params["IndexName"] == index
    assert params["ExpressionAttributeNames"] == {"#pk": key_name}
    assert params["ExpressionAttributeValues"] == {":pk": {"S": key_value}}


def test_filters_select_matching_files(api):
    at = iter(timestamps(6))
    mixed = [
        record(status="PROCESSED", category="image", uploaded_at=next(at)),
        record(status="FAILED", category="image", uploaded_at=next(at)),
        record(status="FAILED", category="data", uploaded_at=next(at)),
        record(status="PROCESSED", category="data", uploaded_at=next(at)),
        record(status="PENDING", category="document", uploaded_at=next(at)),
        record(status="FAILED", category="data", uploaded_at=next(at)),
    ]
    put_records(api.aws.dynamodb, api.aws.table, mixed)

    def listed(query):
        return {item["file_id"] for item in api.get("/files", query=query).body["items"]}

    def expected(**match):
        return {r["file_id"] for r in mixed if all(r[k] == v for k, v in match.items())}

    assert listed({"status": "FAILED"}) == expected(status="FAILED")
    assert listed({"category": "data"}) == expected(category="data")
    assert listed({"status": "FAILED", "category": "data"}) == expected(
        status="FAILED", category="data"
    )
    assert listed({}) == expected()


def test_filtered_pagination(api):
    seed(api, 7, status="FAILED", category="data")
    seed(api, 4, status="PROCESSED", category="data")

    pages = all_pages(api, {"status": "FAILED", "category": "data"}, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert all(item["status"] == "FAILED" for page in pages for item in page)


def test_items_hide_the_index_keys(api):
    seed(api, 1)

    (item,) = api.get("/files").body["items"]

    assert "listing" not in item
    assert "category_status" not in item
    assert item["status"] == "PROCESSED"
    assert item["size"] == 1234


def first_token(api, query):
    reply = api.get("/files", query={**query, "limit": "1"})
    assert reply.body["next_token"]
    return reply.body["next_token"]


def flip(token, position):
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    return "".join(chars)


def tampered_tokens(token):
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    uploaded_at, file_id, checksum = json.loads(raw)

    def encode(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return {
        "flipped character": flip(token, len(token) // 2),
        "truncated": token[: len(token) // 2],
        "other position, old checksum": encode(["2030-01-01T00:00:00.000Z", file_id, checksum]),
        "not base64": token + "!",
        "not JSON": encode_raw(b"\xff\xfe not json"),
        "JSON object": encode({"u": uploaded_at, "i": file_id, "c": checksum}),
        "wrong types": encode([1, 2, 3]),
        "not a file id": encode([uploaded_at, "../../etc", checksum]),
        "empty sort key": encode(["", file_id, checksum]),
        "too long": "A" * 600,
        "empty": "",
    }


def encode_raw(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_tampered_tokens_are_400_without_a_query(api):
    seed(api, 3)
    token = first_token(api, {})

    for name, bad in tampered_tokens(token).items():
        api.dynamo.reset()
        reply = api.get("/files", query={"next_token": bad})
        assert reply.status == 400, name
        assert reply.body == {
            "error": {"code": "invalid_next_token", "message": "invalid next_token"}
        }, name
        assert api.dynamo.names() == [], name


def test_a_token_only_works_with_the_filters_it_came_from(api):
    seed(api, 3, status="FAILED", category="image")
    token = first_token(api, {"status": "FAILED"})

    assert api.get("/files", query={"status": "FAILED", "next_token": token}).status == 200
    for other in (
        {},
        {"category": "image"},
        {"status": "PROCESSED"},
        {"status": "FAILED", "category": "image"},
    ):
        reply = api.get("/files", query={**other, "next_token": token})
        assert reply.status == 400, other
        assert reply.error_code == "invalid_next_token"


def test_the_page_size_may_change_between_pages(api):
    seed(api, 6)
    token = first_token(api, {})

    reply = api.get("/files", query={"next_token": token, "limit": "10"})

    assert len(reply.body["items"]) == 5
    assert reply.body["next_token"] is None


def test_token_round_trip_and_binding():
    query = IndexQuery("status-uploaded-index", "status", "FAILED")
    key = PageKey(uploaded_at="2026-11-24T10:00:00.000Z", file_id="a" * 32)

    token = pagination.encode_token(query, key)

    assert pagination.decode_token(query, token) == key
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    with pytest.raises(pagination.InvalidNextToken):
        pagination.decode_token(IndexQuery("status-uploaded-index", "status", "PENDING"), token)
    with pytest.raises(pagination.InvalidNextToken):
        pagination.decode_token(query, token + "\n")


def test_a_short_page_that_dynamodb_cut_still_has_a_token(api):
    # DynamoDB stops a Query at 1 MB: fewer items than asked, plus a LastEvaluatedKey.
    from botocore.stub import Stubber

    from fileproc.api.store import FileStore

    item = {
        k: {"S": v}
        for k, v in record(uploaded_at="2026-11-24T10:00:00.000Z").items()
        if isinstance(v, str)
    }
    store = FileStore(api.aws.dynamodb, api.aws.table)
    query = IndexQuery("all-uploaded-index", "listing", "file")
    with Stubber(api.aws.dynamodb) as stub:
        stub.add_response(
            "query",
            {
                "Items": [item],
                "Count": 1,
                "ScannedCount": 1,
                "LastEvaluatedKey": {"file_id": item["file_id"]},
            },
        )
        page = store.page(query, 5, None)

    assert page.last == PageKey(item["uploaded_at"]["S"], item["file_id"]["S"])
