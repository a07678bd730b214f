"""GET /files: filters, index choice, newest-first pagination and its tokens."""

from __future__ import annotations

import base64
import itertools
import json
import uuid
import zlib

import pytest

from fileproc.api import pagination
from fileproc.api.store import END, START, IndexQuery, PageKey
from fileproc.events import parse_body
from fileproc.listing import SHARDS, shard_of
from fileproc.records import Records
from fileproc_tools.inprocess import notification, s3_record

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
    # Reading on past the last item of a page is what tells the API there is no further page.
    seed(api, 10)

    pages = all_pages(api, limit=5)

    assert [len(page) for page in pages] == [5, 5]


def queries_per_request(api, query, limit):
    """Page through a listing; for each page, the Queries it made and the items they read."""
    pages, token = [], None
    while True:
        api.dynamo.reset()
        params = {**query, "limit": str(limit)} | ({"next_token": token} if token else {})
        reply = api.get("/files", query=params)
        assert reply.status == 200, reply.body
        assert set(api.dynamo.names()) == {"Query"}
        scanned = sum(answer["ScannedCount"] for answer in api.dynamo.answers("Query"))
        pages.append((reply.body["items"], scanned, api.dynamo.of("Query")))
        token = reply.body["next_token"]
        if token is None:
            return pages


@pytest.mark.parametrize("limit", [7, 25])
def test_each_page_reads_at_most_limit_plus_shards_items(api, limit):
    seed(api, 40)

    pages = queries_per_request(api, {}, limit)

    assert sum(len(items) for items, _, _ in pages) == 40
    for items, scanned, queries in pages:
        assert scanned <= limit + SHARDS
        assert len(items) == limit or items is pages[-1][0]  # full pages but the last
        for params in queries:
            assert params["Limit"] == 1
            assert params["ScanIndexForward"] is False
            assert "FilterExpression" not in params


def skewed_file_ids(count, shard):
    """File ids that all hash to one shard."""
    found = []
    for number in itertools.count():
        file_id = f"{number:032x}"
        if shard_of(file_id) == shard:
            found.append(file_id)
            if len(found) == count:
                return found
    raise AssertionError  # pragma: no cover


def test_the_bound_holds_when_the_newest_files_share_one_shard(api):
    # The worst case for a merge: every file of the first pages lives in one shard, the
    # older ones elsewhere. Each page still reads at most limit + shards and is full.
    at = timestamps(50)
    crowded = skewed_file_ids(30, shard=5)
    records = [
        record(file_id, uploaded_at=stamp) for file_id, stamp in zip(crowded, at[20:], strict=True)
    ]
    records += [record(uploaded_at=stamp) for stamp in at[:20]]
    put_records(api.aws.dynamodb, api.aws.table, records)

    pages = queries_per_request(api, {}, 10)

    assert [len(items) for items, _, _ in pages] == [10, 10, 10, 10, 10]
    assert all(scanned <= 10 + SHARDS for _, scanned, _ in pages)
    listed = [item["file_id"] for items, _, _ in pages for item in items]
    assert listed == [r["file_id"] for r in sorted(records, key=lambda r: r["uploaded_at"])][::-1]


def test_files_with_the_same_upload_time_are_each_listed_once(api):
    # Milliseconds tie under load, within a shard and across shards.
    same = "2026-11-24T10:00:00.000Z"
    records = [record(file_id, uploaded_at=same) for file_id in skewed_file_ids(6, shard=3)]
    records += [record(uploaded_at=same) for _ in range(14)]
    put_records(api.aws.dynamodb, api.aws.table, records)

    pages = all_pages(api, limit=3)

    listed = [item["file_id"] for page in pages for item in page]
    assert sorted(listed) == sorted(r["file_id"] for r in records)


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
        ({}, "all-uploaded-index", "list_all", "file"),
        ({"status": "FAILED"}, "status-uploaded-index", "list_status", "FAILED"),
        ({"category": "data"}, "category-uploaded-index", "list_category", "data"),
        (
            {"status": "FAILED", "category": "data"},
            "category-status-uploaded-index",
            "list_category_status",
            "data#FAILED",
        ),
    ],
)
def test_filters_query_every_shard_of_the_matching_index(api, query, index, key_name, key_value):
    api.get("/files", query=query)

    queries = api.dynamo.of("Query")
    assert [params["IndexName"] for params in queries] == [index] * SHARDS
    assert all(params["ExpressionAttributeNames"] == {"#pk": key_name} for params in queries)
    assert [params["ExpressionAttributeValues"] for params in queries] == [
        {":pk": {"S": f"{key_value}#{shard:02d}"}} for shard in range(SHARDS)
    ]


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

    assert not {"list_all", "list_status", "list_category", "list_category_status"} & set(item)
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
    version, positions, checksum = token_payload(token)
    some = next(i for i, p in enumerate(positions) if isinstance(p, list))
    moved = [list(p) if isinstance(p, list) else p for p in positions]
    moved[some][0] = "2030-01-01T00:00:00.000Z"
    not_an_id = [list(p) if isinstance(p, list) else p for p in positions]
    not_an_id[some][1] = "../../etc"
    empty_key = [list(p) if isinstance(p, list) else p for p in positions]
    empty_key[some][0] = ""

    def encode(value):
        return encode_raw(zlib.compress(json.dumps(value).encode()))

    return {
        "flipped character": flip(token, len(token) // 2),
        "truncated": token[: len(token) // 2],
        "other position, old checksum": encode([version, moved, checksum]),
        "a shard fewer": encode([version, positions[:-1], checksum]),
        "other version": encode([1, positions, checksum]),
        "not base64": token + "!",
        "not zlib": encode_raw(json.dumps([version, positions, checksum]).encode()),
        "not JSON": encode_raw(zlib.compress(b"\xff\xfe not json")),
        "JSON object": encode({"v": version, "p": positions, "c": checksum}),
        "wrong types": encode([1, 2, 3]),
        "not a file id": encode([version, not_an_id, checksum]),
        "empty sort key": encode([version, empty_key, checksum]),
        "zlib bomb": encode_raw(zlib.compress(b"[" * 10_000_000)),
        "too long": "A" * 5000,
        "empty": "",
        # The design before sharding: [uploaded_at, file_id, checksum], base64 of JSON.
        "old design": encode_raw(
            json.dumps(["2026-11-24T10:00:00.000Z", "a" * 32, "0" * 24]).encode()
        ),
    }


def token_payload(token):
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))


def encode_raw(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_tampered_tokens_are_400_without_a_query(api):
    # Three files in one shard: after the first, that shard's position is a file's key.
    at = timestamps(3)
    put_records(
        api.aws.dynamodb,
        api.aws.table,
        [
            record(file_id, uploaded_at=s)
            for file_id, s in zip(skewed_file_ids(3, 0), at, strict=True)
        ],
    )
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
    query = IndexQuery("status-uploaded-index", "list_status", "FAILED")
    key = PageKey(uploaded_at="2026-11-24T10:00:00.000Z", file_id="a" * 32)
    positions = (key, START, END) + (START,) * (SHARDS - 3)

    token = pagination.encode_token(query, positions)

    assert pagination.decode_token(query, token) == positions
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for other in (
        IndexQuery("status-uploaded-index", "list_status", "PENDING"),
        IndexQuery("status-uploaded-index", "list_status", "FAILED", shards=SHARDS + 1),
    ):
        with pytest.raises(pagination.InvalidNextToken):
            pagination.decode_token(other, token)
    with pytest.raises(pagination.InvalidNextToken):
        pagination.decode_token(query, token + "\n")


def test_a_token_with_every_shard_at_a_file_fits_the_bound():
    # The longest token: each shard stopped at a file (limit >= shards), random ids.
    query = IndexQuery("category-status-uploaded-index", "list_category_status", "data#FAILED")
    positions = tuple(
        PageKey(f"2026-11-24T10:{n // 60:02d}:{n % 60:02d}.{n:03d}Z", uuid.uuid4().hex)
        for n in range(SHARDS)
    )

    token = pagination.encode_token(query, positions)

    assert len(token) <= pagination.MAX_TOKEN_LENGTH
    assert pagination.decode_token(query, token) == positions


def test_a_shard_that_ended_is_not_read_again(api):
    seed(api, 12)
    token = first_token(api, {})
    ended = sum(p == 1 for p in token_payload(token)[1])
    assert ended >= SHARDS - 12  # 12 files fill at most 12 shards

    api.dynamo.reset()
    api.get("/files", query={"next_token": token, "limit": "1"})

    # The open shards' heads once each, then the shard of the listed file once more.
    assert len(api.dynamo.of("Query")) == SHARDS - ended + 1


def test_a_missing_or_building_index_is_a_503_with_retry_after(make_api):
    # An upgrade replaces the listing indexes (modules/storage): until they are active,
    # DynamoDB answers ValidationException; the client is told to retry, not a fault.
    api = make_api(index_all="an-index-not-built-yet")

    reply = api.get("/files")

    assert reply.status == 503
    assert reply.error_code == "listing_unavailable"
    assert reply.headers["retry-after"] == "30"


def test_a_backfilling_index_is_a_503(api):
    # What DynamoDB answers while an index an upgrade created is backfilling.
    from botocore.stub import Stubber

    with Stubber(api.aws.dynamodb) as stub:
        stub.add_client_error(
            "query",
            service_error_code="ValidationException",
            service_message="Cannot read from backfilling global secondary index: "
            "all-uploaded-index",
            http_status_code=400,
        )
        reply = api.get("/files")

    assert (reply.status, reply.error_code) == (503, "listing_unavailable")


def test_other_validation_errors_stay_faults(api):
    from botocore.stub import Stubber

    with Stubber(api.aws.dynamodb) as stub:
        stub.add_client_error(
            "query",
            service_error_code="ValidationException",
            service_message="The provided starting key is invalid",
            http_status_code=400,
        )
        reply = api.get("/files")

    assert (reply.status, reply.error_code) == (500, "internal_error")


def test_a_record_of_the_design_before_sharding_lists_after_its_next_write(api):
    # Written before the listing was sharded: the old index keys, none of the list_* ones.
    old = record(status="PENDING")
    for name in ("list_all", "list_status", "list_category", "list_category_status"):
        del old[name]
    old |= {"listing": "file", "category_status": "image#PENDING"}
    put_records(api.aws.dynamodb, api.aws.table, [old])
    assert api.get("/files").body["items"] == []

    # The file arrives: the processor's first write gives the record its keys.
    event = parse_body(
        notification(
            s3_record(
                "ObjectCreated:Put",
                old["bucket"],
                old["key"],
                sequencer="0A",
                size=10,
                etag="e",
                version_id="v1",
            )
        )
    )[0]
    Records(api.aws.dynamodb, api.aws.table).begin(event, file_id=old["file_id"], category="image")

    (item,) = api.get("/files").body["items"]
    assert (item["file_id"], item["status"]) == (old["file_id"], "PROCESSING")
    (item,) = api.get("/files", query={"status": "PROCESSING", "category": "image"}).body["items"]
    assert item["file_id"] == old["file_id"]
