"""Upgrading a deployed stack: records written before the listing was sharded are listed
once ``fileproc migrate-listing`` has given them their keys (the CLI, against the sandbox)."""

from __future__ import annotations

import io
import uuid
from typing import Any

from fileproc_cli.main import main

from .stack import ENV, Stack


def listed(stack: Stack, **params: Any) -> list[str]:
    reply = stack.api("GET", "/files", params={"limit": 10, **params})
    assert reply.status_code == 200, reply.text
    return [item["file_id"] for item in reply.json()["items"]]


def test_a_record_of_the_design_before_sharding_lists_after_migrate_listing(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    file_id = uuid.uuid4().hex
    # As the pipeline wrote it before: the old index keys, none of the list_* ones;
    # uploaded later than anything else, so it heads the listing once it is listed.
    item = {
        "file_id": {"S": file_id},
        "bucket": {"S": stack.bucket},
        "key": {"S": f"uploads/{file_id}/old.csv"},
        "filename": {"S": "old.csv"},
        "status": {"S": "PROCESSED"},
        "category": {"S": "data"},
        "listing": {"S": "file"},
        "category_status": {"S": "data#PROCESSED"},
        "uploaded_at": {"S": "2099-01-01T00:00:00.000Z"},
        "updated_at": {"S": "2099-01-01T00:00:00.000Z"},
    }
    dynamodb.put_item(TableName=stack.table, Item=item)
    try:
        assert file_id not in listed(stack)
        assert stack.api("GET", f"/files/{file_id}").status_code == 200  # it is there

        out, err = io.StringIO(), io.StringIO()
        assert main(["migrate-listing", "--env", ENV], out=out, err=err) == 0, err.getvalue()

        assert listed(stack)[0] == file_id
        assert listed(stack, status="PROCESSED", category="data")[0] == file_id
        again = io.StringIO()
        assert main(["migrate-listing", "--env", ENV], out=again, err=err) == 0
        assert ", updated 0," in again.getvalue()
    finally:
        dynamodb.delete_item(TableName=stack.table, Key={"file_id": {"S": file_id}})
