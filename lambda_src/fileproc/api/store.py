"""The DynamoDB reads and writes of the API: one record by id, one page of a listing, a new record.

A listing is spread over ``SHARDS`` partitions of its index (fileproc/listing.py),
each sorted newest first by uploaded_at. A page is a k-way merge of the shards
with a one-item lookahead: one Query (Limit 1) opens each shard, a heap keyed
by (uploaded_at, file_id) hands out the newest head, and the shard it came
from is read one item further. So a page reads at most ``limit + shards``
items (``shards`` heads, then one per item handed out) whatever the table
size, is always full unless the listing ends, and is never a Scan nor a
FilterExpression. Where each shard stands after a page (after its last listed
item, not started, or finished) is the next page's position, one per shard;
the items read ahead and not listed are read again by the next page.

Why one item ahead and not more: any item read beyond a shard's next one may
not be listed on this page (the other shards' may be newer), and the bound of
``limit + shards`` leaves room for exactly one such item per shard.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from fileproc.api.errors import ListingUnavailable
from fileproc.config import Settings
from fileproc.keys import Category
from fileproc.listing import KEY_ATTRIBUTES, SHARDS, listing_value, partition
from fileproc.records import Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

_serializer = TypeSerializer()

# What DynamoDB says (ValidationException) when a Query names an index that is not
# there ("The table does not have the specified index"), is still being built
# ("Cannot read from backfilling global secondary index") or has the keys of the
# design before sharding ("Query condition missed key schema element"), as while an
# upgrade replaces the listing indexes (modules/storage): a 503, not a fault. moto
# answers ResourceNotFoundException "Invalid index" for the first.
_INDEX_NOT_READY = ("specified index", "backfilling", "key schema element", "Invalid index")
_INDEX_ERRORS = ("ValidationException", "ResourceNotFoundException")


@dataclass(frozen=True)
class IndexQuery:
    """Which GSI answers a listing, its partition key, and the listing's value before sharding."""

    index: str
    key_name: str
    value: str
    shards: int = SHARDS

    def partition(self, shard: int) -> str:
        return partition(self.value, shard)


def listing_query(
    settings: Settings, status: Status | None, category: Category | None
) -> IndexQuery:
    if status and category:
        role, index = "category_status", settings.index_category_status
    elif status:
        role, index = "status", settings.index_status
    elif category:
        role, index = "category", settings.index_category
    else:
        role, index = "all", settings.index_all
    value = listing_value(role, str(status), str(category))
    return IndexQuery(index, KEY_ATTRIBUTES[role], value)


@dataclass(frozen=True)
class PageKey:
    """A listed item's place in its shard: its index sort key and table key."""

    uploaded_at: str
    file_id: str


START: Final = "start"  # the shard has listed nothing yet: read it from its newest item
END: Final = "end"  # the shard has listed all it holds
Position = PageKey | Literal["start", "end"]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]  # low-level DynamoDB items
    positions: tuple[Position, ...] | None  # where each shard resumes; None on the last page


@dataclass(frozen=True)
class _Head:
    """A shard's next item in the heap, keyed by (uploaded_at, file_id)."""

    key: tuple[str, str]
    shard: int
    item: dict[str, Any]

    def __lt__(self, other: _Head) -> bool:
        # heapq pops the smallest: the newest is the "smallest" here.
        return self.key > other.key


class FileStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, file_id: str) -> dict[str, Any] | None:
        # Consistent: a client that has just created a file reads it back at once.
        response = self._client.get_item(
            TableName=self._table, Key={"file_id": {"S": file_id}}, ConsistentRead=True
        )
        return response.get("Item")

    def page(
        self, query: IndexQuery, limit: int, after: tuple[Position, ...] | None = None
    ) -> Page:
        positions: list[Position] = list(after) if after else [START] * query.shards
        heads: list[_Head] = []
        for shard, position in enumerate(positions):
            if position != END:
                self._read_next(query, shard, positions, heads)
        items: list[dict[str, Any]] = []
        while heads and len(items) < limit:
            head = heapq.heappop(heads)
            items.append(head.item)
            positions[head.shard] = _page_key(head.item)
            # Read on even after the last item of the page: knowing whether any
            # shard has more is what keeps a next_token off the listing's last page.
            self._read_next(query, head.shard, positions, heads)
        return Page(items, tuple(positions) if heads else None)

    def _read_next(
        self, query: IndexQuery, shard: int, positions: list[Position], heads: list[_Head]
    ) -> None:
        """Push the shard's next item after its position, or mark it END."""
        value = query.partition(shard)
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": query.index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": query.key_name},
            "ExpressionAttributeValues": {":pk": {"S": value}},
            "ScanIndexForward": False,
            "Limit": 1,
        }
        position = positions[shard]
        if isinstance(position, PageKey):
            request["ExclusiveStartKey"] = {
                "file_id": {"S": position.file_id},
                "uploaded_at": {"S": position.uploaded_at},
                query.key_name: {"S": value},
            }
        try:
            response = self._client.query(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            message = str(error.get("Message", ""))
            if error.get("Code") in _INDEX_ERRORS and any(
                words in message for words in _INDEX_NOT_READY
            ):
                raise ListingUnavailable(query.index) from exc
            raise
        found = response.get("Items", [])
        if found:
            item = found[0]
            key = (item["uploaded_at"]["S"], item["file_id"]["S"])
            heapq.heappush(heads, _Head(key, shard, item))
        else:
            # Without a FilterExpression, a Query with Limit 1 that finds nothing
            # has reached the end of its partition.
            positions[shard] = END

    def create(self, record: dict[str, Any]) -> None:
        """Write a new record; never overwrites one (file ids are fresh uuid4s)."""
        self._client.put_item(
            TableName=self._table,
            Item={name: _serializer.serialize(value) for name, value in record.items()},
            ConditionExpression="attribute_not_exists(file_id)",
        )


def _page_key(item: dict[str, Any]) -> PageKey:
    return PageKey(uploaded_at=item["uploaded_at"]["S"], file_id=item["file_id"]["S"])
