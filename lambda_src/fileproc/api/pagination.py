"""Opaque, validated ``next_token`` values.

A token is urlsafe base64 (no padding) of the zlib-compressed compact JSON
``[2, positions, checksum]``: the format's version, where each shard of the
listing resumes (api/store.py: ``0`` not started, ``1`` finished, or
``[uploaded_at, file_id]`` of its last listed item), and a checksum over those
positions and the query they came from (index, partition key, listing value,
shard count). So a token that was edited, truncated, or taken from another
filter fails the checksum and is a 400, never a DynamoDB ValidationException.

Tokens of the design before sharding (``[uploaded_at, file_id, checksum]``,
one position) are refused the same way: 400 invalid_next_token, and the client
starts the listing again. A token lives as long as a client pages through a
listing; an upgrade that changes how listings are stored ends the pages then
in flight rather than answering them wrongly. The same holds when ``SHARDS``
changes.

The checksum is not a secret MAC: whoever forges one can only start a listing
they are already allowed to read at a position of their choice. The shape
checks below are what keeps each ExclusiveStartKey well formed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

from fileproc.api.errors import InvalidNextToken
from fileproc.api.store import END, START, IndexQuery, PageKey, Position
from fileproc.keys import is_file_id

VERSION = 2
# 48 shards' positions take about 2 KB; the bound leaves room and keeps the URL
# well inside API Gateway's 10 KB request line and headers.
MAX_TOKEN_LENGTH = 4096
# Decompressing more than this is not a token of ours (a zlib bomb is refused unread).
_MAX_PAYLOAD_BYTES = 16384
# urlsafe_b64decode silently drops characters outside the alphabet; a token must not.
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_MAX_SORT_KEY_LENGTH = 64  # ISO-8601 timestamps are ~24 characters
_CODES: dict[str, int] = {START: 0, END: 1}


def _encode_position(position: Position) -> Any:
    if isinstance(position, PageKey):
        return [position.uploaded_at, position.file_id]
    return _CODES[position]


def _checksum(query: IndexQuery, encoded: Sequence[Any]) -> str:
    bound = json.dumps(
        [VERSION, query.index, query.key_name, query.value, query.shards, list(encoded)],
        separators=(",", ":"),
    )
    return hashlib.sha256(bound.encode()).hexdigest()[:24]


def encode_token(query: IndexQuery, positions: Sequence[Position]) -> str:
    encoded = [_encode_position(position) for position in positions]
    payload = json.dumps([VERSION, encoded, _checksum(query, encoded)], separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(payload.encode(), 9)).decode().rstrip("=")


def _decode_position(value: Any) -> Position:
    if value == 0 and not isinstance(value, bool):
        return START
    if value == 1 and not isinstance(value, bool):
        return END
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(part, str) for part in value)
        and 0 < len(value[0]) <= _MAX_SORT_KEY_LENGTH
        and is_file_id(value[1])
    ):
        return PageKey(uploaded_at=value[0], file_id=value[1])
    raise InvalidNextToken


def _payload(token: str) -> Any:
    if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_PATTERN.fullmatch(token):
        raise InvalidNextToken
    try:
        compressed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, _MAX_PAYLOAD_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise InvalidNextToken
        return json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):  # ValueError: bad UTF-8 and bad JSON
        raise InvalidNextToken from None


def decode_token(query: IndexQuery, token: str) -> tuple[Position, ...]:
    """Where each shard resumes; InvalidNextToken for anything but a token of this query."""
    decoded = _payload(token)
    if not (
        isinstance(decoded, list)
        and len(decoded) == 3
        and decoded[0] == VERSION
        and isinstance(decoded[1], list)
        and len(decoded[1]) == query.shards
        and isinstance(decoded[2], str)
    ):
        raise InvalidNextToken
    _, encoded, checksum = decoded
    positions = tuple(_decode_position(value) for value in encoded)
    if checksum != _checksum(query, encoded) or all(p == END for p in positions):
        raise InvalidNextToken
    return positions
