"""Opaque, validated ``next_token`` values.

A token is urlsafe base64 (no padding) of the compact JSON
``[uploaded_at, file_id, checksum]``: the last item of the page, plus a
checksum over that position and the query it came from (index and filter
value). So a token that was edited, truncated, or taken from another filter
fails the checksum and is a 400, never a DynamoDB ValidationException.

The checksum is not a secret MAC: whoever forges one can only start a listing
they are already allowed to read at a position of their choice. The shape
checks below are what keeps the ExclusiveStartKey well formed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from fileproc.api.errors import InvalidNextToken
from fileproc.api.store import IndexQuery, PageKey
from fileproc.keys import is_file_id

MAX_TOKEN_LENGTH = 512
# urlsafe_b64decode silently drops characters outside the alphabet; a token must not.
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_MAX_SORT_KEY_LENGTH = 64  # ISO-8601 timestamps are ~24 characters


def _checksum(query: IndexQuery, key: PageKey) -> str:
    bound = json.dumps([query.index, query.key_name, query.key_value, key.uploaded_at, key.file_id])
    return hashlib.sha256(bound.encode()).hexdigest()[:24]


def encode_token(query: IndexQuery, key: PageKey) -> str:
    payload = json.dumps(
        [key.uploaded_at, key.file_id, _checksum(query, key)], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(query: IndexQuery, token: str) -> PageKey:
    """Where a token resumes; InvalidNextToken for anything but a token of this query."""
    if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_PATTERN.fullmatch(token):
        raise InvalidNextToken
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):  # ValueError covers bad UTF-8 and bad JSON
        raise InvalidNextToken from None
    if not (
        isinstance(decoded, list)
        and len(decoded) == 3
        and all(isinstance(part, str) for part in decoded)
    ):
        raise InvalidNextToken
    uploaded_at, file_id, checksum = decoded
    if not (0 < len(uploaded_at) <= _MAX_SORT_KEY_LENGTH and is_file_id(file_id)):
        raise InvalidNextToken
    key = PageKey(uploaded_at=uploaded_at, file_id=file_id)
    if checksum != _checksum(query, key):
        raise InvalidNextToken
    return key
