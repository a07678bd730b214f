"""DynamoDB record -> the JSON the API returns."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer

from fileproc.listing import KEY_ATTRIBUTES, LEGACY_ATTRIBUTES

# GSI keys (and those of the design before sharding): derived from other fields,
# meaningless to a client.
INTERNAL_FIELDS = frozenset({*KEY_ATTRIBUTES.values(), *LEGACY_ATTRIBUTES})

_deserializer = TypeDeserializer()


def json_value(value: Any) -> Any:
    """A deserialised DynamoDB value as plain JSON (Decimal -> int/float, set -> sorted list)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json_value(v) for v in value)
    if isinstance(value, Binary):
        value = value.value  # type: ignore[attr-defined]  # missing from boto3-stubs
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def record_view(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (``{"size": {"N": "12"}}``) as the API's file record."""
    return {
        name: json_value(_deserializer.deserialize(value))
        for name, value in item.items()
        if name not in INTERNAL_FIELDS
    }
