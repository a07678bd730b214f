"""API list: DynamoDB items read (ScannedCount) per ``GET /files`` page, at two table sizes.

The API's own app (create_app) answers real-shaped REST proxy events against
moto in-process; a botocore hook sums the ScannedCount of every Query the
request makes. Pages: the first three of the unfiltered listing, and the
first of ``status=PROCESSED``. Baseline: what a Scan-based listing reads to
answer the same first page (newest first needs every item, sorted).
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
    limit = ctx.sizes.list_limit
    results = {}
    for records in ctx.sizes.list_records:
        ctx.say(f"api list: {records} records in moto DynamoDB, pages of {limit}")
        results[records] = run_worker(
            "bench.figures.listing:measure", {"records": records, "limit": limit}
        )
    per_page = {records: max(result["api_scanned"]) for records, result in results.items()}
    same = len(set(per_page.values())) == 1
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
                target=f"<= limit + 1 ({limit + 1}), the same at every size",
                met=per_page[records] <= limit + 1 and same,
                method="sum of ScannedCount of the DynamoDB calls of each request (moto)",
                details=result,
            )
        )
    return figures


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

        api_scanned, items = [], []
        token = None
        for _ in range(3):
            query = {"limit": str(limit)} | ({"next_token": token} if token else {})
            scanned.clear()
            body = _get(app, "/files", query)
            api_scanned.append(sum(scanned))
            items.append(len(body["items"]))
            token = body.get("next_token")
        scanned.clear()
        filtered = _get(app, "/files", {"limit": str(limit), "status": "PROCESSED"})
        api_scanned.append(sum(scanned))
        items.append(len(filtered["items"]))

        scanned.clear()
        _scan_listing(aws.dynamodb, settings.table_name, limit)
        scan_scanned = sum(scanned)
    return {"api_scanned": api_scanned, "items": items, "scan_scanned": scan_scanned}


def _fill(client: Any, table: str, records: int) -> None:
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
                        "listing": {"S": "file"},
                        "status": {"S": status},
                        "category": {"S": category},
                        "category_status": {"S": f"{category}#{status}"},
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
    import json

    event = {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Accept": "application/json", "x-api-key": "bench"},
        "multiValueHeaders": {"Accept": ["application/json"], "x-api-key": ["bench"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/v1{path}",
            "accountId": "123456789012",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "bench"},
            "apiId": "bench",
        },
        "body": None,
        "isBase64Encoded": False,
    }
    response = app.resolve(event, _Context())
    if response["statusCode"] != 200:
        raise RuntimeError(f"GET {path} answered {response['statusCode']}: {response['body']}")
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
