"""modules/storage: the uploads bucket, the files table, the key and the backups."""

from __future__ import annotations

from typing import Any

import pytest
from tfplan import Plan, statements

from fileproc.config import Settings
from fileproc.listing import KEY_ATTRIBUTES
from fileproc_tools.tfconfig import REPO_ROOT

pytestmark = pytest.mark.terraform


# --- bucket ------------------------------------------------------------------------


def test_bucket_is_versioned_private_and_owner_enforced(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    versioning = plan.one("aws_s3_bucket_versioning").values
    assert versioning["versioning_configuration"] == [{"status": "Enabled"}]
    block = plan.one("aws_s3_bucket_public_access_block").values
    assert {k: block[k] for k in block if k != "bucket"} == {
        "block_public_acls": True,
        "block_public_policy": True,
        "ignore_public_acls": True,
        "restrict_public_buckets": True,
    }
    ownership = plan.one("aws_s3_bucket_ownership_controls").values
    assert ownership["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]


def _default_encryption(plan: Plan) -> dict[str, Any]:
    rule = plan.one("aws_s3_bucket_server_side_encryption_configuration").values["rule"]
    assert len(rule) == 1
    return dict(rule[0])


def test_bucket_uses_sse_s3_without_a_customer_key(dev: Plan) -> None:
    rule = _default_encryption(dev)
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "AES256"
    assert not default["kms_master_key_id"]
    assert dev.count("aws_kms_key") == 0


def test_bucket_uses_the_customer_key_when_asked(prod: Plan) -> None:
    rule = _default_encryption(prod)
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True
    references = prod.references(
        "storage", "aws_s3_bucket_server_side_encryption_configuration.this", "rule"
    )
    assert "local.kms_key_arn" in references
    key = prod.one("aws_kms_key").values
    assert key["enable_key_rotation"] is True
    assert prod.one("aws_kms_alias").values["name"] == "alias/fileproc-prod"


def test_bucket_policy_denies_requests_without_tls(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    bucket = plan.one("aws_s3_bucket").values["bucket"]
    (statement,) = statements(plan.one("aws_s3_bucket_policy").values["policy"])
    assert statement.effect == "Deny"
    assert statement.actions == {"s3:*"}
    assert statement.principals == {"*": {"*"}}
    assert statement.resources == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
    assert statement.conditions == {"Bool": {"aws:SecureTransport": "false"}}


def _lifecycle_rules(plan: Plan) -> dict[str, dict[str, Any]]:
    rules = plan.one("aws_s3_bucket_lifecycle_configuration").values["rule"]
    return {rule["id"]: rule for rule in rules}


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads(dev: Plan, variant: Plan) -> None:
    rules = _lifecycle_rules(dev)
    assert set(rules) == {"expire-noncurrent-versions", "abort-incomplete-multipart-uploads"}
    for rule in rules.values():
        assert rule["status"] == "Enabled"
        (scope,) = rule["filter"]
        assert scope["prefix"] == ""  # the whole bucket
        assert scope["and"] == []
        assert scope["tag"] == []
    noncurrent = rules["expire-noncurrent-versions"]["noncurrent_version_expiration"]
    assert [n["noncurrent_days"] for n in noncurrent] == [30]
    abort = rules["abort-incomplete-multipart-uploads"]["abort_incomplete_multipart_upload"]
    assert abort == [{"days_after_initiation": 7}]
    # The 30 days are a variable.
    noncurrent = _lifecycle_rules(variant)["expire-noncurrent-versions"]
    assert [n["noncurrent_days"] for n in noncurrent["noncurrent_version_expiration"]] == [45]


def test_cors_allows_browser_uploads_from_the_configured_origins(dev: Plan, sandbox: Plan) -> None:
    cors = dev.one("aws_s3_bucket_cors_configuration")
    # The configured origins, and the console's (the API's own origin, known after apply).
    rules = cors.values["cors_rule"]
    assert len(rules) == 2
    (rule,) = [r for r in rules if "allowed_origins" in r]
    (console,) = [r for r in rules if "allowed_origins" not in r]
    assert set(rule["allowed_origins"]) == {"http://localhost:3000", "https://dev.app.example.com"}
    assert "POST" in rule["allowed_methods"]  # presigned POST
    assert "GET" in rule["allowed_methods"]  # presigned GET from a page
    assert console["allowed_methods"] == rule["allowed_methods"]
    assert "local.console_origins" in dev.module_input_references("storage", "console_origins")
    # "*" admits the console already: no second rule.
    (rule,) = sandbox.one("aws_s3_bucket_cors_configuration").values["cors_rule"]
    assert rule["allowed_origins"] == ["*"]


@pytest.mark.parametrize(
    ("env", "force_destroy"),
    [("dev", True), ("sandbox", True), ("staging", False), ("prod", False)],
)
def test_force_destroy_only_where_the_environment_allows_it(
    all_plans: dict[str, Plan], env: str, force_destroy: bool
) -> None:
    assert all_plans[env].one("aws_s3_bucket").values["force_destroy"] is force_destroy


# --- table ---------------------------------------------------------------------------


def test_table_keys_and_indexes_match_the_code(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    table = plan.one("aws_dynamodb_table").values
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "file_id"
    assert table["range_key"] is None
    indexes = {
        gsi["name"]: (gsi["hash_key"], gsi["range_key"], gsi["projection_type"])
        for gsi in table["global_secondary_index"]
    }
    # The names fileproc.config uses by default, with the sharded keys the records
    # write (fileproc.listing, docs/contracts.md).
    defaults = Settings(table_name="t", bucket_name="b")
    keys = KEY_ATTRIBUTES
    assert indexes == {
        defaults.index_all: (keys["all"], "uploaded_at", "ALL"),
        defaults.index_status: (keys["status"], "uploaded_at", "ALL"),
        defaults.index_category: (keys["category"], "uploaded_at", "ALL"),
        defaults.index_category_status: (keys["category_status"], "uploaded_at", "ALL"),
    }
    attributes = {a["name"]: a["type"] for a in table["attribute"]}
    assert attributes == dict.fromkeys(("file_id", "uploaded_at", *keys.values()), "S")


def test_table_has_point_in_time_recovery(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    (pitr,) = plan.one("aws_dynamodb_table").values["point_in_time_recovery"]
    assert pitr["enabled"] is True


def test_table_encryption_uses_the_customer_key_only_when_asked(dev: Plan, prod: Plan) -> None:
    (sse,) = dev.one("aws_dynamodb_table").values["server_side_encryption"]
    assert sse["enabled"] is False  # AWS owned key: encrypted at rest, no KMS cost
    table = prod.one("aws_dynamodb_table")
    (sse,) = table.values["server_side_encryption"]
    assert sse["enabled"] is True
    assert table.unknown["server_side_encryption"] == [{"kms_key_arn": True}]


def test_table_expires_records_by_expires_at(env_plan: tuple[str, Plan]) -> None:
    # The api function sets expires_at (epoch seconds) on a PENDING record, so
    # an upload requested but never made disappears; a processor removes it
    # when the file arrives. The name is the record's, in docs/contracts.md.
    _, plan = env_plan
    assert plan.one("aws_dynamodb_table").values.get("ttl") == [
        {"attribute_name": "expires_at", "enabled": True}
    ]
    record = (REPO_ROOT / "docs" / "contracts.md").read_text().split("## Record", 1)[1]
    assert "\nexpires_at (N" in record.split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("env", "protected"),
    [("dev", False), ("sandbox", False), ("staging", True), ("prod", True)],
)
def test_deletion_protection(all_plans: dict[str, Plan], env: str, protected: bool) -> None:
    table = all_plans[env].one("aws_dynamodb_table").values
    assert table["deletion_protection_enabled"] is protected


# --- backups ---------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "retention"), [("staging", 7), ("prod", 35), ("sandbox", 35)])
def test_backup_plan_covers_the_table(all_plans: dict[str, Plan], env: str, retention: int) -> None:
    plan = all_plans[env]
    (rule,) = plan.one("aws_backup_plan").values["rule"]
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["lifecycle"][0]["delete_after"] == retention
    assert plan.one("aws_backup_selection").unknown["resources"] is True
    assert "aws_dynamodb_table.this.arn" in plan.references(
        "storage", "aws_backup_selection.this", "resources"
    )
    attachment = plan.one("aws_iam_role_policy_attachment").values
    assert attachment["policy_arn"] == (
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    )


@pytest.mark.parametrize("env", ["dev"])
def test_no_backup_plan_where_it_is_off(all_plans: dict[str, Plan], env: str) -> None:
    plan = all_plans[env]
    for resource_type in ("aws_backup_vault", "aws_backup_plan", "aws_backup_selection"):
        assert plan.count(resource_type) == 0


# --- key ---------------------------------------------------------------------------------


def test_key_policy_lets_only_this_stack_use_the_key(prod: Plan) -> None:
    policy = {s.sid: s for s in statements(prod.one("aws_kms_key").values["policy"])}
    assert set(policy) == {
        "AccountAdministersThroughIam",
        "CloudWatchLogsForThisStack",
        "S3NotificationsToEncryptedQueues",
        "CloudWatchAlarmsToTopic",
    }
    assert policy["AccountAdministersThroughIam"].principals == {
        "AWS": {"arn:aws:iam::333333333333:root"}
    }
    logs = policy["CloudWatchLogsForThisStack"]
    assert logs.principals == {"Service": {"logs.us-east-1.amazonaws.com"}}
    patterns = set(logs.conditions["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert "arn:aws:logs:us-east-1:333333333333:log-group:/aws/lambda/fileproc-prod-*" in patterns
    # AWS's documented statement for S3 notifications to encrypted queues, with
    # no source condition the notification check might not carry; the queue
    # policy limits senders to this bucket and account (test_queues).
    s3 = policy["S3NotificationsToEncryptedQueues"]
    assert s3.principals == {"Service": {"s3.amazonaws.com"}}
    assert s3.actions == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert s3.conditions == {}
