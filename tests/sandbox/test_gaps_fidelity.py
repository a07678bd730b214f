"""The gaps that made the sandbox differ from AWS where the stack relies on AWS (GAP 17-21 of
sandbox/gaps.py), checked on a live sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import table as moto_table
from sandbox_helpers import Sandbox, unique

from fileproc_sandbox import gaps

# ---------------------------------------------------------------- GAP 17: atomic conditional writes

WRITERS = 6
ROUNDS = 30


def race(writers: int, attempt: Callable[[int], bool]) -> list[int]:
    """Run attempt(i) in `writers` threads released together; the winners' indexes."""
    start = threading.Barrier(writers)

    def one(i: int) -> bool:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(writers) as pool:
        outcomes = list(pool.map(one, range(writers)))
    return [i for i, won in enumerate(outcomes) if won]


def conditional(write: Callable[[], Any]) -> bool:
    try:
        write()
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


@pytest.fixture(scope="module")
def table(box: Sandbox) -> str:
    name = unique("race")
    dynamodb = box.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture
def slow_conditions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in this process with GAP 17 applied (undone after the test), its condition
    checks slowed down so that, unserialised, every writer would see the item absent."""
    original = moto_table.get_filter_expression

    def slow(*args: Any, **kwargs: Any) -> Any:
        condition = original(*args, **kwargs)
        check = condition.expr

        def expr(item: Any) -> Any:
            holds = check(item)
            time.sleep(0.05)  # between the check and the write
            return holds

        condition.expr = expr
        return condition

    monkeypatch.setattr(moto_table, "get_filter_expression", slow)
    for name in ("put_item", "update_item", "delete_item", "query", "scan", "transact_write_items"):
        monkeypatch.setattr(DynamoDBBackend, name, getattr(DynamoDBBackend, name))
    gaps.fix_dynamodb_atomic_writes()
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_table(
            TableName="race",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def test_the_check_and_the_write_are_one_step(slow_conditions: Any) -> None:
    def put(i: int) -> bool:
        return conditional(
            lambda: slow_conditions.put_item(
                TableName="race",
                Item={"pk": {"S": "one"}, "writer": {"N": str(i)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    winners = race(WRITERS, put)
    assert len(winners) == 1, winners
    stored = slow_conditions.get_item(TableName="race", Key={"pk": {"S": "one"}})
    assert stored["Item"]["writer"]["N"] == str(winners[0])


def test_a_race_of_conditional_puts_on_one_item_has_exactly_one_winner(
    box: Sandbox, table: str
) -> None:
    clients = [box.client("dynamodb") for _ in range(WRITERS)]  # one connection pool each
    for round_ in range(ROUNDS):
        key = f"item-{round_}"

        def put(i: int, key: str = key) -> bool:
            return conditional(
                lambda: clients[i].put_item(
                    TableName=table,
                    Item={"pk": {"S": key}, "writer": {"N": str(i)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            )

        winners = race(WRITERS, put)
        assert len(winners) == 1, f"round {round_}: winners {winners}"
        stored = clients[0].get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert stored["Item"]["writer"]["N"] == str(winners[0])


def test_versioned_updates_never_go_back(box: Sandbox, table: str) -> None:
    """Writers of versions 1..6 racing `version < :v`: the newest always ends recorded."""
    clients = [box.client("dynamodb") for _ in range(WRITERS)]
    for round_ in range(ROUNDS):
        key = f"versioned-{round_}"

        def update(i: int, key: str = key) -> bool:
            return conditional(
                lambda: clients[i].update_item(
                    TableName=table,
                    Key={"pk": {"S": key}},
                    UpdateExpression="SET version = :v",
                    ConditionExpression="attribute_not_exists(version) OR version < :v",
                    ExpressionAttributeValues={":v": {"N": str(i + 1)}},
                )
            )

        race(WRITERS, update)
        stored = clients[0].get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert stored["Item"]["version"]["N"] == str(WRITERS), f"round {round_}"
