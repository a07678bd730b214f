"""The gaps that made the sandbox differ from AWS where the stack relies on AWS (GAP 17-21 of
sandbox/gaps.py), checked on a live sandbox."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests
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


# ---------------------------------------------------------------- GAP 18: POST signatures


@pytest.fixture
def post_bucket(box: Sandbox) -> str:
    bucket = unique("signed")
    box.client("s3").create_bucket(Bucket=bucket)
    return bucket


def signed_post(box: Sandbox, bucket: str, **client: str) -> dict[str, Any]:
    s3 = boto3.client(
        "s3",
        endpoint_url=box.endpoint,
        region_name="us-east-1",
        aws_access_key_id=client.get("key", "test"),
        aws_secret_access_key=client.get("secret", "test"),
    )
    post: dict[str, Any] = s3.generate_presigned_post(
        Bucket=bucket,
        Key="uploads/one/photo.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 10]],
        ExpiresIn=60,
    )
    return post


def multipart(parts: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body with its parts in exactly this order."""
    boundary = "sandbox-boundary-7d1"
    chunks = []
    for name, value in parts:
        filename = '; filename="photo.png"' if name == "file" else ""
        disposition = f'Content-Disposition: form-data; name="{name}"{filename}'
        chunks.append(f"--{boundary}\r\n{disposition}\r\n\r\n".encode() + value + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_form(url: str, parts: list[tuple[str, bytes]]) -> requests.Response:
    body, content_type = multipart(parts)
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=30)


def test_a_tampered_policy_is_refused(box: Sandbox, post_bucket: str) -> None:
    post = signed_post(box, post_bucket)
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
    policy["conditions"].append(["content-length-range", 1, 1_000_000])
    tampered = {**post["fields"], "policy": base64.b64encode(json.dumps(policy).encode()).decode()}

    reply = requests.post(post["url"], data=tampered, files={"file": b"x" * 500}, timeout=30)

    assert reply.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in reply.text
    with pytest.raises(ClientError):
        box.client("s3").head_object(Bucket=post_bucket, Key="uploads/one/photo.png")


def test_a_signature_made_with_another_secret_is_refused(box: Sandbox, post_bucket: str) -> None:
    post = signed_post(box, post_bucket, key="test", secret="not-the-secret")
    reply = requests.post(post["url"], data=post["fields"], files={"file": b"x"}, timeout=30)
    assert reply.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in reply.text


def test_an_iam_users_key_signs_with_its_own_secret(box: Sandbox, post_bucket: str) -> None:
    iam = box.client("iam")
    user = unique("uploader")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    post = signed_post(box, post_bucket, key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    reply = requests.post(post["url"], data=post["fields"], files={"file": b"x"}, timeout=30)
    assert reply.status_code == 204, reply.text


def test_the_file_must_come_after_the_fields(box: Sandbox, post_bucket: str) -> None:
    post = signed_post(box, post_bucket)
    fields = [(name, value.encode()) for name, value in post["fields"].items()]

    file_first = post_form(post["url"], [("file", b"12345"), *fields])
    assert file_first.status_code == 400
    assert "<Code>InvalidArgument</Code>" in file_first.text
    assert "check the order of the fields" in file_first.text

    # A field after the file is ignored, as S3 does: here the signed Content-Type.
    late_type = [f for f in fields if f[0] != "Content-Type"]
    after = post_form(post["url"], [*late_type, ("file", b"12345"), ("Content-Type", b"image/png")])
    assert after.status_code == 403
    assert "Policy Condition failed" in after.text

    in_order = post_form(post["url"], [*fields, ("file", b"12345")])
    assert in_order.status_code == 204, in_order.text
    head = box.client("s3").head_object(Bucket=post_bucket, Key="uploads/one/photo.png")
    assert (head["ContentLength"], head["ContentType"]) == (5, "image/png")


# ---------------------------------------------------------------- GAP 19: response overrides


def test_a_presigned_get_honours_response_overrides(box: Sandbox) -> None:
    bucket = unique("dl")
    s3 = box.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="t/report.txt", Body=b"hello", ContentType="text/plain")
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "t/report.txt",
            "ResponseContentDisposition": 'attachment; filename="report.txt"',
            "ResponseContentType": "application/octet-stream",
        },
        ExpiresIn=60,
    )
    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200
    assert reply.content == b"hello"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert reply.headers["Content-Type"] == "application/octet-stream"
    plain = requests.get(
        s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "t/report.txt"}, ExpiresIn=60
        ),
        timeout=30,
    )
    assert plain.headers["Content-Type"] == "text/plain"
    assert "Content-Disposition" not in plain.headers


# ---------------------------------------------------------------- GAP 20: S3 CORS


def test_s3_cors_headers_follow_the_buckets_rules(box: Sandbox) -> None:
    bucket = unique("cors")
    s3 = box.client("s3")
    s3.create_bucket(Bucket=bucket)
    listed = "https://app.example.com"
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": [listed], "AllowedMethods": ["POST", "GET"]}]
        },
    )
    post = signed_post(box, bucket)

    def upload(origin: str) -> requests.Response:
        return requests.post(
            post["url"],
            data=post["fields"],
            files={"file": b"12345"},
            headers={"Origin": origin},
            timeout=30,
        )

    allowed = upload(listed)
    assert allowed.status_code == 204
    assert allowed.headers.get("Access-Control-Allow-Origin") == listed
    other = upload("https://elsewhere.example")
    assert other.status_code == 204  # stored: CORS only hides the answer from the page
    assert "Access-Control-Allow-Origin" not in other.headers
    listing = requests.get(
        f"{box.endpoint}/{bucket}", headers={"Origin": "https://elsewhere.example"}, timeout=30
    )
    # Not moto's global flask-cors, which echoed any origin on any answer.
    assert "Access-Control-Allow-Origin" not in listing.headers
