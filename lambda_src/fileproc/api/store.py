"""The DynamoDB reads and writes of the API: one record by id, one page of an index, a new record.

Listing is always a Query on the GSI whose partition key is the filter, newest
first, never a Scan and never a FilterExpression: a page reads at most
``limit + 1`` items whatever the table size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer

from fileproc.config import Settings
from fileproc.keys import Category
from fileproc.records import LISTING, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

_serializer = TypeSerializer()


@dataclass(frozen=True)
class IndexQuery:
    """Which GSI answers a listing, and the partition key value to read from it."""

    index: str
    key_name: str
    key_value: str


def listing_query(
    settings: Settings, status: Status | None, category: Category | None
) -> IndexQuery:
    if status and category:
        return IndexQuery(settings.index_category_status, "category_status", f"{category}#{status}")
    if status:
        return IndexQuery(settings.index_status, "status", str(status))
    if category:
        return IndexQuery(settings.index_category, "category", str(category))
    return IndexQuery(settings.index_all, "listing", LISTING)


@dataclass(frozen=True)
class PageKey:
    """Where a page ended: the last item's table key and index sort key."""

    uploaded_at: str
    file_id: str


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]  # low-level DynamoDB items
    last: PageKey | None  # None on the last page


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

    def page(self, query: IndexQuery, limit: int, after: PageKey | None) -> Page:
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": query.index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": query.key_name},
            "ExpressionAttributeValues": {":pk": {"S": query.key_value}},
            "ScanIndexForward": False,
            # One more than asked tells whether a next page exists without
            # answering a later request with an empty page.
            "Limit": limit + 1,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {
                "file_id": {"S": after.file_id},
                "uploaded_at": {"S": after.uploaded_at},
                query.key_name: {"S": query.key_value},
            }
        response = self._client.query(**request)
        items = response.get("Items", [])
        if len(items) > limit:
            return Page(items[:limit], _page_key(items[limit - 1]))
        # DynamoDB also stops at 1 MB read: then the page is short but not the last.
        if response.get("LastEvaluatedKey") and items:
            return Page(items, _page_key(items[-1]))
        return Page(items, None)

    def create(self, record: dict[str, Any]) -> None:
        """Write a new record; never overwrites one (file ids are fresh uuid4s)."""
        self._client.put_item(
            TableName=self._table,
            Item={name: _serializer.serialize(value) for name, value in record.items()},
            ConditionExpression="attribute_not_exists(file_id)",
        )


def _page_key(item: dict[str, Any]) -> PageKey:
    return PageKey(uploaded_at=item["uploaded_at"]["S"], file_id=item["file_id"]["S"])
