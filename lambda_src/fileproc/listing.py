"""Where a record sits in the listing indexes: write-sharded partition keys.

A DynamoDB partition takes about 1,000 write units a second, and an index
whose partition key has one value (every file in ``"file"``) or a handful
(statuses, categories) puts all of a listing's writes on one partition: a
throttled index throttles the table's writes. So each listing index's
partition key is ``<value>#<shard>``, the shard a hash of the file id, and the
writes of one listing value spread over ``SHARDS`` partitions. The API lists
by querying every shard and merging them newest first (api/store.py).

``SHARDS`` is 48 because the index that every file's every write touches
(all-uploaded-index, which projects whole items) takes as many write units as
the table, and the table's on-demand quota is 40,000 write units a second by
default: 40 partitions carry that, 48 leave a fifth for the hash's unevenness
(BENCHMARKS.md, "Listing: the write ceiling"). Raising it is safe at any time
(a record in shard ``s < old`` is still in a shard the API queries);
lowering it needs ``fileproc migrate-listing`` to move the records of the
shards that are gone.
"""

from __future__ import annotations

import hashlib

SHARDS = 48

# The listing everything is in: the all-uploaded-index partition key's value.
EVERY_FILE = "file"

# Index role -> the record's attribute that is that index's partition key.
# The record writes these, derived from file_id, status and category, in the
# same write as status (records.py, api/uploads.py).
KEY_ATTRIBUTES = {
    "all": "list_all",
    "status": "list_status",
    "category": "list_category",
    "category_status": "list_category_status",
}

# What the design before sharding wrote as partition keys (one value each);
# records not rewritten since may still hold them. Not part of a record's view.
LEGACY_ATTRIBUTES = ("listing", "category_status")


def shard_of(file_id: str) -> int:
    """The file's shard: stable for a file id, spread evenly over ``SHARDS``."""
    digest = hashlib.sha256(file_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % SHARDS


def partition(value: str, shard: int) -> str:
    """One shard's partition key value, e.g. ``PROCESSED#07``."""
    return f"{value}#{shard:02d}"


def listing_value(role: str, status: str, category: str) -> str:
    """The listing a record belongs to in the index of ``role``, before sharding."""
    return {
        "all": EVERY_FILE,
        "status": status,
        "category": category,
        "category_status": f"{category}#{status}",
    }[role]


def listing_keys(file_id: str, status: str, category: str) -> dict[str, str]:
    """Every listing index's partition key for a record in ``status`` and ``category``."""
    shard = shard_of(file_id)
    return {
        attribute: partition(listing_value(role, status, category), shard)
        for role, attribute in KEY_ATTRIBUTES.items()
    }
