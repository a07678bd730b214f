"""The moto 5.2.1 gaps that sandbox/gaps.py closes (GAP 1-9), checked on a live sandbox.

GAP 3 (moto consuming messages of queues with an event source mapping) shows in
test_runner.py, where every first delivery has ApproximateReceiveCount 1, and
GAP 9 (Invoke) in its invoke test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests
from botocore.exceptions import ClientError
from sandbox_helpers import Queue, Sandbox, drain, unique, zip_of

from fileproc_sandbox.gaps import post_policy_violation
from fileproc_sandbox.policy import condition_holds, evaluate_bucket_policy

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
SECURE = {"aws:securetransport": "true", "aws:principalaccount": "123456789012"}
CLEAR = {**SECURE, "aws:securetransport": "false"}


# ---------------------------------------------------------------- GAP 1, pure


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_the_tls_only_deny_applies_to_clear_requests_only() -> None:
    assert (
        evaluate_bucket_policy(policy(TLS_ONLY), "s3:GetObject", "arn:aws:s3:::b/k", SECURE)
        == "NEUTRAL"
    )
    assert (
        evaluate_bucket_policy(policy(TLS_ONLY), "s3:GetObject", "arn:aws:s3:::b/k", CLEAR)
        == "DENIED"
    )
    assert (
        evaluate_bucket_policy(policy(TLS_ONLY), "s3:GetObject", "arn:aws:s3:::other/k", CLEAR)
        == "NEUTRAL"
    )


def test_an_allow_whose_condition_fails_does_not_deny() -> None:
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    }
    context = {**SECURE, "aws:sourceip": "127.0.0.1"}
    assert (
        evaluate_bucket_policy(policy(allow), "s3:GetObject", "arn:aws:s3:::b/k", context)
        == "NEUTRAL"
    )
    inside = {**SECURE, "aws:sourceip": "10.1.2.3"}
    assert (
        evaluate_bucket_policy(policy(allow), "s3:GetObject", "arn:aws:s3:::b/k", inside)
        == "PERMITTED"
    )


def test_principals_and_not_action() -> None:
    service_only = {**TLS_ONLY, "Principal": {"Service": "logging.s3.amazonaws.com"}}
    assert (
        evaluate_bucket_policy(policy(service_only), "s3:GetObject", "arn:aws:s3:::b/k", CLEAR)
        == "NEUTRAL"
    )
    all_but_get = {**TLS_ONLY, "Action": [], "NotAction": "s3:Get*", "Condition": {}}
    del all_but_get["Action"]
    assert (
        evaluate_bucket_policy(policy(all_but_get), "s3:GetObject", "arn:aws:s3:::b/k", SECURE)
        == "NEUTRAL"
    )
    assert (
        evaluate_bucket_policy(policy(all_but_get), "s3:PutObject", "arn:aws:s3:::b/k", SECURE)
        == "DENIED"
    )


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (
            {"StringEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]}},
            {"s3:x-amz-acl": "private"},
            True,
        ),
        ({"StringEquals": {"s3:x-amz-acl": "private"}}, {}, False),  # a missing key fails
        ({"StringNotEquals": {"s3:x-amz-acl": "private"}}, {}, True),  # except when negated
        (
            {"StringNotEquals": {"s3:x-amz-acl": ["a", "b"]}},
            {"s3:x-amz-acl": "b"},
            False,
        ),  # NOT any
        ({"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}, {}, True),
        ({"Null": {"s3:x-amz-acl": "true"}}, {}, True),
        ({"Null": {"s3:x-amz-acl": "false"}}, {}, False),
        ({"StringLike": {"aws:UserAgent": "Boto3/*"}}, {"aws:useragent": "Boto3/1.34 md/x"}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
        (
            {
                "Bool": {"aws:SecureTransport": "false"},
                "StringEquals": {"aws:PrincipalAccount": "1"},
            },
            CLEAR,
            False,
        ),
    ],
)
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, str], holds: bool
) -> None:
    assert condition_holds(condition, context) is holds


# ---------------------------------------------------------------- GAP 1, live


def with_header(client: Any, name: str, value: str) -> Any:
    client.meta.events.register(
        "before-sign.s3.*", lambda request, **_: request.headers.__setitem__(name, value)
    )
    return client


def test_the_tls_only_bucket_policy_on_the_sandbox(box: Sandbox) -> None:
    s3 = box.client("s3")
    bucket = unique("tls")
    s3.create_bucket(Bucket=bucket)
    statement = {**TLS_ONLY, "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy(statement)))

    s3.put_object(Bucket=bucket, Key="k", Body=b"1")  # loopback is the TLS-terminated front
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"1"
    clear = with_header(box.client("s3"), "X-Forwarded-Proto", "http")
    with pytest.raises(ClientError) as denied:
        clear.get_object(Bucket=bucket, Key="k")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError):
        clear.put_object(Bucket=bucket, Key="k2", Body=b"2")


def test_a_negated_condition_on_a_request_header(box: Sandbox) -> None:
    s3 = box.client("s3")
    bucket = unique("sse")
    s3.create_bucket(Bucket=bucket)
    deny_unencrypted = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy(deny_unencrypted)))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="plain", Body=b"1")
    s3.put_object(Bucket=bucket, Key="kms", Body=b"1", ServerSideEncryption="aws:kms")


# ---------------------------------------------------------------- GAP 2


def test_s3_notifications_carry_sequencer_version_and_delete_markers(
    box: Sandbox, make_queue: Callable[..., Queue]
) -> None:
    s3, sqs = box.client("s3"), box.client("sqs")
    bucket, queue = unique("events"), make_queue()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue.arn,
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "uploads/"},
                                {"Name": "suffix", "Value": ".png"},
                            ]
                        }
                    },
                }
            ]
        },
    )
    key = "uploads/dir/a photo.png"
    first = s3.put_object(Bucket=bucket, Key=key, Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key=key, Body=b"two!")["VersionId"]
    s3.put_object(Bucket=bucket, Key="uploads/a.jpg", Body=b"x")  # suffix filter
    s3.put_object(Bucket=bucket, Key="other/a.png", Body=b"x")  # prefix filter
    marker = s3.delete_object(Bucket=bucket, Key=key)["VersionId"]

    bodies = [json.loads(m["Body"]) for m in drain(sqs, queue.url)]
    records = [b["Records"][0] for b in bodies if "Records" in b]
    assert [b["Event"] for b in bodies if "Event" in b] == ["s3:TestEvent"]
    assert [r["eventName"] for r in records] == [
        "ObjectCreated:Put",
        "ObjectCreated:Put",
        "ObjectRemoved:DeleteMarkerCreated",
    ]
    objects = [r["s3"]["object"] for r in records]
    assert {o["key"] for o in objects} == {"uploads/dir/a+photo.png"}
    assert [o.get("versionId") for o in objects] == [first, second, marker]
    assert (objects[0]["size"], objects[1]["size"]) == (3, 4)
    assert "size" not in objects[2]
    assert "eTag" not in objects[2]
    sequencers = [int(o["sequencer"], 16) for o in objects]
    assert sequencers == sorted(set(sequencers))
    assert all(r["eventTime"].endswith("Z") for r in records)


# ---------------------------------------------------------------- GAP 4 and 5


def test_function_configuration_and_code_locations(
    box: Sandbox, make_queue: Callable[..., Queue], role_arn: str
) -> None:
    lam = box.client("lambda")
    layer_zip = zip_of({"python/x.py": "X = 1\n"})
    layer = lam.publish_layer_version(LayerName=unique("layer"), Content={"ZipFile": layer_zip})
    code = zip_of({"app.py": "def handler(event, context):\n    return event\n"})
    dlq = make_queue()
    name = unique("cfg")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": code},
        Layers=[layer["LayerVersionArn"]],
        DeadLetterConfig={"TargetArn": dlq.arn},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
    )
    got = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    assert config["DeadLetterConfig"] == {"TargetArn": dlq.arn}
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    assert config["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"

    def sha(data: bytes) -> str:
        return base64.b64encode(hashlib.sha256(data).digest()).decode()

    with urllib.request.urlopen(got["Code"]["Location"]) as response:  # noqa: S310
        assert sha(response.read()) == config["CodeSha256"] == sha(code)
    version = lam.get_layer_version(LayerName=layer["LayerArn"], VersionNumber=layer["Version"])
    with urllib.request.urlopen(version["Content"]["Location"]) as response:  # noqa: S310
        assert sha(response.read()) == version["Content"]["CodeSha256"] == sha(layer_zip)

    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lam.get_function(FunctionName=name)["Configuration"]


# ---------------------------------------------------------------- GAP 6


def test_a_queue_must_outlast_the_function_timeout(
    box: Sandbox, make_queue: Callable[..., Queue], deploy_function: Callable[..., str]
) -> None:
    function = deploy_function("def handler(event, context):\n    return None\n", timeout=10)
    with pytest.raises(ClientError) as refused:
        box.client("lambda").create_event_source_mapping(
            EventSourceArn=make_queue(visibility=5).arn, FunctionName=function
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "less than Function timeout: 10 seconds" in str(refused.value)


# ---------------------------------------------------------------- GAP 8


def presigned_post(box: Sandbox, bucket: str, expires: int = 60) -> dict[str, Any]:
    post: dict[str, Any] = box.client("s3").generate_presigned_post(
        Bucket=bucket,
        Key="uploads/one/photo.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 10]],
        ExpiresIn=expires,
    )
    return post


def test_post_policies_are_enforced(box: Sandbox) -> None:
    bucket = unique("post")
    box.client("s3").create_bucket(Bucket=bucket)
    post = presigned_post(box, bucket)

    def upload(fields: dict[str, str], body: bytes) -> requests.Response:
        return requests.post(post["url"], data=fields, files={"file": body}, timeout=30)

    too_large = upload(post["fields"], b"x" * 11)
    assert too_large.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in too_large.text
    wrong_type = upload({**post["fields"], "Content-Type": "text/html"}, b"x")
    assert wrong_type.status_code == 403
    assert "Policy Condition failed" in wrong_type.text
    extra = upload({**post["fields"], "acl": "public-read"}, b"x")
    assert extra.status_code == 403
    assert "Extra input fields: acl" in extra.text
    assert upload(post["fields"], b"x" * 10).status_code == 204
    head = box.client("s3").head_object(Bucket=bucket, Key="uploads/one/photo.png")
    assert head["ContentLength"] == 10


def test_an_expired_post_policy_is_refused(box: Sandbox) -> None:
    post = presigned_post(box, "any-bucket", expires=60)
    assert post_policy_violation(post["fields"], "any-bucket", 5) is None
    later = post_policy_violation(post["fields"], "any-bucket", 5, now=time.time() + 120)
    assert later == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    other_bucket = post_policy_violation(post["fields"], "other-bucket", 5)
    assert other_bucket is not None
    assert other_bucket[0] == 403


# ---------------------------------------------------------------- GAP 10


def sigv4_headers(box: Sandbox, service: str) -> dict[str, str]:
    """Just enough of a signature for moto to route the request to the service."""
    credential = f"test/20260101/us-east-1/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, Signature=x"}


def test_backup_selections(box: Sandbox) -> None:
    backup = box.client("backup")
    backup.create_backup_vault(BackupVaultName=unique("vault"))
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": unique("plan"),
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}],
        },
        BackupPlanTags={"Project": "fileproc"},
    )
    plan_id = plan["BackupPlanId"]
    # The Go SDK (Terraform) asks without the trailing slash that boto3 adds.
    path = f"/tags/{quote(plan['BackupPlanArn'], safe='')}"
    tags = requests.get(f"{box.endpoint}{path}", headers=sigv4_headers(box, "backup"), timeout=30)
    assert tags.json() == {"Tags": {"Project": "fileproc"}}
    selection = {
        "SelectionName": "files",
        "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
        "Resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/files"],
    }
    created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert got["BackupSelection"]["Resources"] == selection["Resources"]
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [s["SelectionName"] for s in listed] == ["files"]
    with pytest.raises(ClientError, match="selections must be deleted"):
        backup.delete_backup_plan(BackupPlanId=plan_id)
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    backup.delete_backup_plan(BackupPlanId=plan_id)


def test_backup_vault_recovery_points(box: Sandbox) -> None:
    # GAP 12: what the provider lists before it deletes a force_destroy vault.
    backup = box.client("backup")
    vault = unique("vault")
    backup.create_backup_vault(BackupVaultName=vault)
    assert (
        backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"] == []
    )
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.list_recovery_points_by_backup_vault(BackupVaultName=unique("missing"))
