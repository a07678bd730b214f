"""Give every record the listing keys of the sharded listing indexes (``fileproc migrate-listing``).

Records written before the listing was write-sharded (fileproc/listing.py)
hold the old index keys (``listing``, ``category_status``) and none of the new
``list_*`` ones, so the new indexes do not hold them and ``GET /files`` does
not list them (``GET /files/{file_id}`` still answers). The pipeline gives a
record its keys on its next write; this command gives them to every record now.

How: a Scan of the table, page by page; for each record whose keys are not
the ones ``listing_keys`` gives for its file id, status and category (missing,
or of another shard count), one UpdateItem that sets them, on the condition
that the record's status and category are still those read. A record the
pipeline changed meanwhile fails the condition and is left alone: that write
gave it its keys. The old keys stay (the pipeline's next write of the record
removes them): so the command can run before the upgrade is deployed, while
the old indexes, keyed on them, still serve the listing.

Idempotent: a second run finds nothing to change. Resumable: each page ends
with the Scan's position (the last file id read), which ``--resume`` takes to
start after it; starting from the beginning again costs reads, never a wrong
write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fileproc.listing import listing_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import ScanInputTypeDef

# A Scan page: small enough to report progress often, large enough to be cheap.
PAGE_SIZE = 200


@dataclass
class Progress:
    """What a run did so far; ``resume_after`` is where a later run may start."""

    scanned: int = 0
    updated: int = 0  # in a dry run: would be updated
    current: int = 0  # already had their keys
    changed: int = 0  # written by the pipeline between the read and the update
    unlisted: list[str] = field(default_factory=list)  # no status or category: not listable
    resume_after: str | None = None
    done: bool = False


def needs_keys(item: Mapping[str, Any]) -> dict[str, str] | None:
    """The listing keys a low-level item should hold, or None when it holds them already."""
    file_id = item["file_id"]["S"]
    expected = listing_keys(file_id, item["status"]["S"], item["category"]["S"])
    has = {name: item.get(name, {}).get("S") for name in expected}
    return expected if has != expected else None


def backfill(
    client: DynamoDBClient,
    table: str,
    *,
    dry_run: bool = False,
    resume_after: str | None = None,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[Progress], None] = lambda _: None,
) -> Progress:
    progress = Progress(resume_after=resume_after)
    request: ScanInputTypeDef = {"TableName": table, "Limit": page_size}
    if resume_after is not None:
        request["ExclusiveStartKey"] = {"file_id": {"S": resume_after}}
    while True:
        response = client.scan(**request)
        for item in response.get("Items", []):
            progress.scanned += 1
            _migrate(client, table, item, progress, dry_run)
        last = response.get("LastEvaluatedKey")
        if last is None:
            progress.done = True
            on_page(progress)
            return progress
        progress.resume_after = last["file_id"]["S"]
        request["ExclusiveStartKey"] = last
        on_page(progress)


def _migrate(
    client: DynamoDBClient,
    table: str,
    item: Mapping[str, Any],
    progress: Progress,
    dry_run: bool,
) -> None:
    if "S" not in item.get("status", {}) or "S" not in item.get("category", {}):
        progress.unlisted.append(item["file_id"]["S"])
        return
    keys = needs_keys(item)
    if keys is None:
        progress.current += 1
        return
    if dry_run:
        progress.updated += 1
        return
    names = {f"#k{i}": name for i, name in enumerate(keys)}
    values = {f":k{i}": {"S": value} for i, value in enumerate(keys.values())}
    try:
        client.update_item(
            TableName=table,
            Key={"file_id": item["file_id"]},
            UpdateExpression="SET "
            + ", ".join(f"{name} = {value}" for name, value in zip(names, values, strict=True)),
            ConditionExpression="#status = :status AND #category = :category",
            ExpressionAttributeNames={
                **names,
                "#status": "status",
                "#category": "category",
            },
            ExpressionAttributeValues={
                **values,
                ":status": item["status"],
                ":category": item["category"],
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        progress.changed += 1
        return
    progress.updated += 1


def dynamodb_client(env: str, outputs: Mapping[str, Any], endpoint: str | None = None) -> Any:
    """DynamoDB of the environment, as ``redrive.sqs_client`` makes SQS's."""
    import boto3

    import fileproc_sandbox as sandbox
    from fileproc_sandbox import credentials

    region = str(outputs.get("region") or "us-east-1")
    if env != sandbox.ENV_NAME:
        return boto3.client("dynamodb", region_name=region)
    return credentials.client("dynamodb", endpoint or sandbox.endpoint_url(), region)
