"""migrate-listing on moto's DynamoDB: records of the design before sharding get their listing
keys, once, resumably, without overwriting what the pipeline wrote meanwhile; then they list."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fileproc.api.store import FileStore, IndexQuery
from fileproc.listing import KEY_ATTRIBUTES, LEGACY_ATTRIBUTES, SHARDS, listing_keys
from fileproc_cli import migrate
from fileproc_cli.main import main
from fileproc_tools.inprocess import INDEXES, create_table

TABLE = "fileproc-test-files"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, TABLE)
        yield client


def legacy(number: int, status: str = "PROCESSED", category: str = "image") -> dict[str, Any]:
    """A record as the pipeline wrote it before the listing was sharded."""
    return {
        "file_id": {"S": f"{number:032x}"},
        "status": {"S": status},
        "category": {"S": category},
        "listing": {"S": "file"},
        "category_status": {"S": f"{category}#{status}"},
        "uploaded_at": {"S": f"2026-11-24T10:00:{number % 60:02d}.{number:03d}Z"},
    }


def put(client: Any, *items: dict[str, Any]) -> None:
    for item in items:
        client.put_item(TableName=TABLE, Item=item)


def stored(client: Any, number: int) -> dict[str, Any]:
    item = client.get_item(TableName=TABLE, Key={"file_id": {"S": f"{number:032x}"}})["Item"]
    return {name: value.get("S") for name, value in item.items()}


def listed(client: Any, status: str | None = None) -> list[str]:
    """Every file id GET /files would list (the API's own read path), all pages."""
    role = "status" if status else "all"
    index = next(name for name, key in INDEXES.items() if key == KEY_ATTRIBUTES[role])
    query = IndexQuery(index, KEY_ATTRIBUTES[role], status or "file")
    store, found, after = FileStore(client, TABLE), [], None
    while True:
        page = store.page(query, 100, after)
        found += [item["file_id"]["S"] for item in page.items]
        if page.positions is None:
            return found
        after = page.positions


def test_old_records_are_not_listed_until_migrated_then_are(dynamodb: Any) -> None:
    put(dynamodb, *(legacy(n) for n in range(1, 31)), legacy(31, "FAILED", "data"))
    assert listed(dynamodb) == []

    progress = migrate.backfill(dynamodb, TABLE)

    assert (progress.scanned, progress.updated, progress.current) == (31, 31, 0)
    assert progress.done
    assert sorted(listed(dynamodb)) == sorted(f"{n:032x}" for n in range(1, 32))
    assert listed(dynamodb, "FAILED") == [f"{31:032x}"]
    item = stored(dynamodb, 31)
    assert {name: item[name] for name in KEY_ATTRIBUTES.values()} == listing_keys(
        f"{31:032x}", "FAILED", "data"
    )
    # The old keys stay: the old indexes may still be serving (run before deploying).
    assert {name: item[name] for name in LEGACY_ATTRIBUTES} == {
        "listing": "file",
        "category_status": "data#FAILED",
    }


def test_a_second_run_changes_nothing(dynamodb: Any) -> None:
    put(dynamodb, *(legacy(n) for n in range(1, 6)))
    migrate.backfill(dynamodb, TABLE)
    writes: list[str] = []
    dynamodb.meta.events.register(
        "before-call.dynamodb.UpdateItem", lambda **_: writes.append("UpdateItem")
    )

    again = migrate.backfill(dynamodb, TABLE)

    assert (again.scanned, again.updated, again.current) == (5, 0, 5)
    assert writes == []


def test_records_of_another_shard_count_are_moved(dynamodb: Any) -> None:
    # Written under a larger SHARDS: a shard the API no longer queries.
    item = legacy(7)
    for name in LEGACY_ATTRIBUTES:
        del item[name]
    item |= {name: {"S": f"x#{SHARDS + 3}"} for name in KEY_ATTRIBUTES.values()}
    put(dynamodb, item)

    assert migrate.backfill(dynamodb, TABLE).updated == 1
    assert listed(dynamodb) == [f"{7:032x}"]


def test_a_dry_run_counts_and_writes_nothing(dynamodb: Any) -> None:
    put(dynamodb, *(legacy(n) for n in range(1, 4)))

    progress = migrate.backfill(dynamodb, TABLE, dry_run=True)

    assert (progress.scanned, progress.updated) == (3, 3)
    assert "list_all" not in stored(dynamodb, 1)


def test_an_interrupted_run_resumes_after_its_last_page(dynamodb: Any) -> None:
    put(dynamodb, *(legacy(n) for n in range(1, 11)))

    class Stop(Exception):
        pass

    def stop_after_first_page(progress: migrate.Progress) -> None:
        raise Stop(progress.resume_after)

    with pytest.raises(Stop) as stopped:
        migrate.backfill(dynamodb, TABLE, page_size=4, on_page=stop_after_first_page)
    resume_after = stopped.value.args[0]
    assert resume_after is not None
    assert len(listed(dynamodb)) == 4

    rest = migrate.backfill(dynamodb, TABLE, page_size=4, resume_after=resume_after)

    assert (rest.scanned, rest.updated) == (6, 6)
    assert len(listed(dynamodb)) == 10


def test_a_record_the_pipeline_changed_meanwhile_is_left_to_its_write(dynamodb: Any) -> None:
    put(dynamodb, legacy(1))
    # Between the Scan and the UpdateItem the pipeline moves the record to FAILED,
    # with its new keys (records.py writes them with the status).
    pipeline = boto3.client("dynamodb", region_name="us-east-1")
    newer = {
        **legacy(1, "FAILED"),
        **{
            name: {"S": value}
            for name, value in listing_keys(f"{1:032x}", "FAILED", "image").items()
        },
    }
    for name in LEGACY_ATTRIBUTES:
        del newer[name]

    def pipeline_writes_first(**_: Any) -> None:
        pipeline.put_item(TableName=TABLE, Item=newer)

    dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem", pipeline_writes_first)

    progress = migrate.backfill(dynamodb, TABLE)

    assert (progress.updated, progress.changed) == (0, 1)
    assert (
        stored(dynamodb, 1)["list_status"]
        == listing_keys(f"{1:032x}", "FAILED", "image")["list_status"]
    )


def test_a_record_without_status_is_reported_not_touched(dynamodb: Any) -> None:
    item = legacy(3)
    del item["status"]
    put(dynamodb, item)

    progress = migrate.backfill(dynamodb, TABLE)

    assert progress.unlisted == [f"{3:032x}"]
    assert progress.updated == 0


def test_the_command_reads_the_table_from_the_outputs(
    dynamodb: Any, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(dynamodb, *(legacy(n) for n in range(1, 4)))
    isolated.mkdir(parents=True, exist_ok=True)
    (isolated / "outputs-dev.json").write_text(
        json.dumps({"table_name": TABLE, "region": "us-east-1"})
    )
    monkeypatch.setattr(migrate, "dynamodb_client", lambda env, outputs: dynamodb)
    out, err = io.StringIO(), io.StringIO()

    code = main(["migrate-listing", "--env", "dev"], out=out, err=err)

    assert code == 0, err.getvalue()
    assert out.getvalue().startswith(f"{TABLE}: 3 records read, updated 3, 0 already current")
    assert len(listed(dynamodb)) == 3
