"""modules/storage over a table of the design before sharding: what a user upgrading sees.

The state holds the files table as the module declared it before the listing
indexes were write-sharded (partition keys ``listing``, ``status``,
``category``, ``category_status``). An offline plan (no refresh, no AWS call)
of the current module must update that table in place, never replace it (a
replacement would delete every record), with the four indexes re-keyed. The
provider applies it one index at a time (DynamoDB takes one GSI create or
delete per UpdateTable): each old index deleted, then each new one created
and backfilled from the records (README, "Upgrading").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tftest
from tfplan import _offline_env

from fileproc.listing import KEY_ATTRIBUTES
from fileproc_tools.tfconfig import REPO_ROOT

pytestmark = pytest.mark.terraform

NAME_PREFIX = "fileproc-dev"
TABLE = f"{NAME_PREFIX}-files"
OLD_KEYS = {
    "all-uploaded-index": "listing",
    "status-uploaded-index": "status",
    "category-uploaded-index": "category",
    "category-status-uploaded-index": "category_status",
}
# The offline settings of fixtures/offline_override.tf, as a whole provider block.
ROOT = f"""
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}

module "storage" {{
  source               = "./modules/storage"
  name_prefix          = "{NAME_PREFIX}"
  account_id           = "111111111111"
  region               = "us-east-1"
  cors_allowed_origins = ["*"]
}}
"""


def _old_table_state() -> dict[str, Any]:
    account = "111111111111"
    arn = f"arn:aws:dynamodb:us-east-1:{account}:table/{TABLE}"
    attributes = ["file_id", "uploaded_at", *OLD_KEYS.values()]
    table = {
        "id": TABLE,
        "name": TABLE,
        "arn": arn,
        "billing_mode": "PAY_PER_REQUEST",
        "hash_key": "file_id",
        "range_key": None,
        "deletion_protection_enabled": True,
        "attribute": [{"name": name, "type": "S"} for name in attributes],
        "global_secondary_index": [
            {
                "name": index,
                "hash_key": key,
                "range_key": "uploaded_at",
                "projection_type": "ALL",
                "non_key_attributes": [],
                "read_capacity": 0,
                "write_capacity": 0,
                "on_demand_throughput": [],
            }
            for index, key in OLD_KEYS.items()
        ],
        "local_secondary_index": [],
        "ttl": [{"attribute_name": "expires_at", "enabled": True}],
        "point_in_time_recovery": [{"enabled": True}],
        "server_side_encryption": [{"enabled": False, "kms_key_arn": ""}],
        "stream_enabled": False,
        "stream_view_type": "",
        "table_class": "STANDARD",
        "read_capacity": 0,
        "write_capacity": 0,
        "tags": {},
        "tags_all": {},
        "replica": [],
        "import_table": [],
        "on_demand_throughput": [],
        "timeouts": None,
    }
    return {
        "version": 4,
        "terraform_version": "1.9.0",
        "serial": 1,
        "lineage": "00000000-0000-0000-0000-000000000000",
        "outputs": {},
        "resources": [
            {
                "module": "module.storage",
                "mode": "managed",
                "type": "aws_dynamodb_table",
                "name": "this",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 1, "attributes": table}],
            }
        ],
    }


@pytest.fixture(scope="module")
def upgrade_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory: Path = tmp_path_factory.mktemp("storage-upgrade")
    shutil.copytree(REPO_ROOT / "modules" / "storage", directory / "modules" / "storage")
    (directory / "main.tf").write_text(ROOT)
    (directory / "terraform.tfstate").write_text(json.dumps(_old_table_state()))
    binary = shutil.which("terraform")
    assert binary, "the plan tests need the terraform CLI"
    tf = tftest.TerraformTest(str(directory), binary=binary)
    tf.env = _offline_env()
    tf.init(input=False, color=False)
    tf.execute_command("plan", "-refresh=false", "-input=false", "-out=upgrade.tfplan")
    return dict(json.loads(tf.execute_command("show", "-json", "upgrade.tfplan").out))


def test_the_table_is_updated_in_place_with_its_indexes_rekeyed(
    upgrade_plan: dict[str, Any],
) -> None:
    (change,) = [
        c["change"]
        for c in upgrade_plan["resource_changes"]
        if c["address"] == "module.storage.aws_dynamodb_table.this"
    ]
    # Never a replacement: that would delete every record.
    assert change["actions"] == ["update"]

    def keys(side: dict[str, Any]) -> dict[str, str]:
        return {gsi["name"]: gsi["hash_key"] for gsi in side["global_secondary_index"]}

    assert keys(change["before"]) == OLD_KEYS
    assert keys(change["after"]) == {
        index: KEY_ATTRIBUTES[role]
        for index, role in zip(
            OLD_KEYS, ("all", "status", "category", "category_status"), strict=True
        )
    }
    attributes = {a["name"] for a in change["after"]["attribute"]}
    assert attributes == {"file_id", "uploaded_at", *KEY_ATTRIBUTES.values()}
