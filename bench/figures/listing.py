"""API list: DynamoDB items read (ScannedCount) per ``GET /files`` page, at two table sizes;
and the write ceiling of the listing indexes, from the real records' sizes.

Reads: the API's own app (create_app) answers real-shaped REST proxy events
against moto in-process; a botocore hook sums the ScannedCount of every Query
the request makes (one per shard, then one per listed item: api/store.py).
Pages: the first three of the unfiltered listing, and the first of
``status=PROCESSED``. Baseline: what a Scan-based listing reads to answer the
same first page (newest first needs every item, sorted).

Writes: each sample file goes through ``POST /files`` (the PENDING put) and
the pipeline (begin, complete) in moto; the record is read back after each of
the three writes and sized by DynamoDB's rules (``item_size``). From those
sizes: the write units each write costs the table and each listing index
(an index entry is the projected item plus 100 bytes; a write that changes an
entry's key deletes the old entry and puts the new one), and the uploads a
second that the hottest index partition (1,000 write units a second) allows,
before sharding (one partition per listing value) and after (``SHARDS``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.config import Context
from bench.measure import run_worker
from bench.model import Figure

STATUSES = ("PROCESSED", "PROCESSED", "PROCESSED", "FAILED", "PENDING")
CATEGORIES = ("image", "document", "data")


def run(ctx: Context) -> list[Figure]:
    from fileproc.listing import SHARDS

    limit = ctx.sizes.list_limit
    results = {}
    for records in ctx.sizes.list_records:
        ctx.say(f"api list: {records} records in moto DynamoDB, pages of {limit}")
        results[records] = run_worker(
            "bench.figures.listing:measure", {"records": records, "limit": limit}
        )
    per_page = {records: max(result["api_scanned"]) for records, result in results.items()}
    figures = []
    for records, result in results.items():
        figures.append(
            Figure(
                id=f"api.list.{records}",
                title=f"API list: items read per GET /files page, {records:,} records",
                value=per_page[records],
                unit="items/page",
                baseline=result["scan_scanned"],
                baseline_what="a Scan-based listing of the same first page",
                target=f"<= limit + shards ({limit + SHARDS}), full pages, at every size",
                met=per_page[records] <= limit + SHARDS and result["full_pages"],
                method="sum of ScannedCount of the DynamoDB calls of each request (moto)",
                details=result,
            )
        )
    ctx.say("api list: record sizes through POST /files and the pipeline, write units per index")
    writes = run_worker("bench.figures.listing:measure_writes", {})
    photo = writes["kinds"]["photo.jpg"]
    figures.append(
        Figure(
            id="api.list.write_ceiling",
            title="listing indexes: photo uploads a second before the hottest index partition "
            "throttles (details: every sample kind)",
            value=photo["ceiling_after"],
            unit="uploads/s",
            baseline=photo["ceiling_before"],
            baseline_what="the same records with one partition per listing value (before sharding)",
            target=f">= what the default on-demand quota ({QUOTA_WRU:,} WRU/s) allows "
            f"({photo['quota_ceiling']:,.0f}/s for photos), for every kind: the quota binds",
            met=all(k["ceiling_after"] >= k["quota_ceiling"] for k in writes["kinds"].values()),
            method="record sized by DynamoDB's item size rules after each of its three writes "
            "(moto); 1,000 WCU/s per partition; index entry = item + 100 bytes",
            details=writes,
        )
    )
    return figures


# The default on-demand throughput quota of a table, and of each of its GSIs (adjustable).
QUOTA_WRU = 40_000
PARTITION_WCU = 1_000
INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry
KB = 1024


# ---------------------------------------------------------------- in the worker process


def measure(records: int, limit: int) -> dict[str, Any]:
    from aws_lambda_powertools import Metrics

    from bench.aws import moto_stack
    from fileproc.api.app import create_app
    from fileproc.config import load_settings

    with moto_stack() as aws:
        settings = load_settings()
        _fill(aws.dynamodb, settings.table_name, records)
        scanned: list[int] = []

        def count(parsed: dict[str, Any], **_: Any) -> None:
            scanned.append(int(parsed.get("ScannedCount", 0)))

        aws.dynamodb.meta.events.register("after-call.dynamodb.Query", count)
        aws.dynamodb.meta.events.register("after-call.dynamodb.Scan", count)
        app = create_app(settings, aws.dynamodb, aws.s3, Metrics(namespace="bench"))

        api_scanned, items, queries, full = [], [], [], []
        token = None
        for _ in range(3):
            query = {"limit": str(limit)} | ({"next_token": token} if token else {})
            scanned.clear()
            body = _get(app, "/files", query)
            api_scanned.append(sum(scanned))
            queries.append(len(scanned))
            items.append(len(body["items"]))
            token = body.get("next_token")
            # Every page is full but the listing's last (a short page only at the end).
            full.append(len(body["items"]) == limit or token is None)
        scanned.clear()
        filtered = _get(app, "/files", {"limit": str(limit), "status": "PROCESSED"})
        api_scanned.append(sum(scanned))
        queries.append(len(scanned))
        items.append(len(filtered["items"]))
        full.append(len(filtered["items"]) == limit or filtered.get("next_token") is None)

        scanned.clear()
        _scan_listing(aws.dynamodb, settings.table_name, limit)
        scan_scanned = sum(scanned)
    return {
        "api_scanned": api_scanned,
        "items": items,
        "full_pages": all(full),
        "queries": queries,
        "scan_scanned": scan_scanned,
    }


def _fill(client: Any, table: str, records: int) -> None:
    from fileproc.listing import listing_keys

    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = []
    for index in range(records):
        status, category = STATUSES[index % len(STATUSES)], CATEGORIES[index % len(CATEGORIES)]
        uploaded = (start + timedelta(seconds=index)).isoformat(timespec="milliseconds")
        file_id = uuid.UUID(int=index + 1).hex
        batch.append(
            {
                "PutRequest": {
                    "Item": {
                        "file_id": {"S": file_id},
                        "bucket": {"S": "fileproc-bench-uploads"},
                        "key": {"S": f"uploads/{file_id}/file-{index}.csv"},
                        "filename": {"S": f"file-{index}.csv"},
                        "status": {"S": status},
                        "category": {"S": category},
                        **{
                            name: {"S": value}
                            for name, value in listing_keys(file_id, status, category).items()
                        },
                        "size": {"N": str(1000 + index)},
                        "uploaded_at": {"S": uploaded.replace("+00:00", "Z")},
                        "updated_at": {"S": uploaded.replace("+00:00", "Z")},
                    }
                }
            }
        )
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def _get(app: Any, path: str, query: dict[str, str]) -> dict[str, Any]:
    return _call(app, "GET", path, query)


def _call(
    app: Any, method: str, path: str, query: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    import json

    headers = {"Accept": "application/json", "x-api-key": "bench"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in (query or {}).items()}
        or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "accountId": "123456789012",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "bench"},
            "apiId": "bench",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
    response = app.resolve(event, _Context())
    if response["statusCode"] not in (200, 201):
        raise RuntimeError(f"{method} {path} answered {response['statusCode']}: {response['body']}")
    return dict(json.loads(response["body"]))


class _Context:
    function_name = "fileproc-bench-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fileproc-bench-api"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _scan_listing(client: Any, table: str, limit: int) -> list[dict[str, Any]]:
    """The first page newest first, from Scans: every item must be read to sort them."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table}
    while True:
        response = client.scan(**request)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    items.sort(key=lambda item: item["uploaded_at"]["S"], reverse=True)
    return items[:limit]


# ---------------------------------------------------------------- write sizes (worker)

# The sample files (samples/) and one wide CSV: the largest record a data file makes
# (200 profiled columns), by POST /files' content type.
SAMPLES = {
    "photo.jpg": "image/jpeg",
    "report.pdf": "application/pdf",
    "measurements.csv": "text/csv",
    "catalog.json": "application/json",
}
WIDE_CSV_COLUMNS = 200


def _wide_csv() -> bytes:
    header = ",".join(f"measurement_{n:03d}" for n in range(WIDE_CSV_COLUMNS))
    rows = (
        ",".join(str((r * 31 + c * 17) % 1000 / 7) for c in range(WIDE_CSV_COLUMNS))
        for r in range(100)
    )
    return ("\n".join([header, *rows]) + "\n").encode()


def measure_writes() -> dict[str, Any]:
    from pathlib import Path

    from aws_lambda_powertools import Metrics

    from bench.aws import BUCKET, created_notification, moto_stack
    from fileproc.api.app import create_app
    from fileproc.config import load_settings
    from fileproc.events import parse_body
    from fileproc.keys import EXTENSIONS
    from fileproc.listing import SHARDS
    from fileproc.pipeline import Clients, Outcome, handle_record
    from fileproc.processors import data, document, image

    processors = {"image": image.process, "document": document.process, "data": data.process}
    root = Path(__file__).resolve().parents[2] / "samples"
    files = {name: (root / name).read_bytes() for name in SAMPLES}
    files["wide.csv"] = _wide_csv()
    kinds: dict[str, Any] = {}
    with moto_stack() as aws:
        settings = load_settings()
        app = create_app(settings, aws.dynamodb, aws.s3, Metrics(namespace="bench"))
        clients = Clients.create(settings)
        table = settings.table_name
        for number, (name, body) in enumerate(files.items(), start=1):
            content_type = SAMPLES.get(name, "text/csv")
            ticket = _call(
                app,
                "POST",
                "/files",
                body={"filename": name, "content_type": content_type, "size": len(body)},
            )
            file_id, key = ticket["file_id"], ticket["upload"]["fields"]["key"]

            def read(file_id: str = file_id) -> dict[str, Any]:
                item = aws.dynamodb.get_item(TableName=table, Key={"file_id": {"S": file_id}})
                return dict(item["Item"])

            items = [read()]  # after the PENDING put

            def snapshot(read: Any = read, items: list[Any] = items, **_: Any) -> None:
                items.append(read())

            # The pipeline writes with its own client (Clients.create).
            clients.dynamodb.meta.events.register("after-call.dynamodb.UpdateItem", snapshot)
            put = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            event = parse_body(
                created_notification(
                    key,
                    size=len(body),
                    etag=put["ETag"].strip('"'),
                    version_id=put.get("VersionId"),
                    sequencer=0x55AED6DCD90281E5 + number,
                )
            )[0]
            category = EXTENSIONS["." + name.rsplit(".", 1)[-1]]
            outcome = handle_record(event, category, processors[category], settings, clients)
            clients.dynamodb.meta.events.unregister("after-call.dynamodb.UpdateItem", snapshot)
            if outcome is not Outcome.PROCESSED:
                raise RuntimeError(f"{name} was not processed: {outcome}")
            kinds[name] = write_costs(items)
    for kind in kinds.values():
        # Every file's three writes land on one partition of all-uploaded-index, the
        # hottest (and of category-uploaded-index when the files are of one category).
        kind["ceiling_before"] = round(PARTITION_WCU / kind["index_all_wcu"], 1)
        kind["ceiling_after"] = round(SHARDS * PARTITION_WCU / kind["index_all_wcu"], 1)
        # The account's default quota, on the table and on each index (each takes the
        # whole item: the index as many units a file as the table, or more).
        kind["quota_ceiling"] = round(QUOTA_WRU / max(kind["table_wcu"], kind["index_all_wcu"]), 1)
    return {"kinds": kinds, "shards": SHARDS, "quota_wru": QUOTA_WRU}


def write_costs(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Write units of a record's writes (PENDING put, begin, complete), on the table and
    on each listing index, from the item after each write (DynamoDB's sizing rules)."""
    from fileproc.listing import KEY_ATTRIBUTES

    sizes = [item_size(item) for item in items]
    table = sum(
        _units(max(before, after)) for before, after in zip([0, *sizes], sizes, strict=False)
    )
    per_index: dict[str, int] = {}
    for role, attribute in KEY_ATTRIBUTES.items():
        units, previous = 0, None
        for item, size in zip(items, sizes, strict=True):
            entry = size + INDEX_ENTRY_OVERHEAD
            key = item.get(attribute, {}).get("S")
            if previous is not None and previous[0] != key:
                units += _units(previous[1])  # the old entry is deleted
            units += _units(entry)
            previous = (key, entry)
        per_index[role] = units
    return {
        "item_bytes": sizes,
        "table_wcu": table,
        "index_all_wcu": per_index["all"],
        "index_wcu": per_index,
        # What one narrower index entry would be: the keys and the fields a list row shows.
        "summary_entry_bytes": item_size(
            {name: value for name, value in items[-1].items() if name in SUMMARY_FIELDS}
        )
        + INDEX_ENTRY_OVERHEAD,
    }


# The fields a list row shows (the console, the CLI's ls): an INCLUDE projection's size.
SUMMARY_FIELDS = frozenset(
    {
        "file_id",
        "uploaded_at",
        "filename",
        "status",
        "category",
        "size",
        "content_type",
        "updated_at",
        "processed_at",
        "list_all",
        "list_status",
        "list_category",
        "list_category_status",
    }
)


def _units(size: int) -> int:
    return -(-size // KB)


def item_size(item: dict[str, Any]) -> int:
    """Bytes of a low-level item by DynamoDB's rules: each attribute's name plus its value;
    strings and binaries their UTF-8 length, numbers 1 byte per 2 significant digits + 1,
    booleans and nulls 1, lists and maps 3 bytes plus 1 a element plus their elements."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "B":
        return len(content)
    if kind == "N":
        digits = content.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
        return (len(digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode()) + _value_size(element) for name, element in content.items()
        )
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(_value_size({"N": element}) for element in content)
    return sum(len(element) for element in content)  # BS
