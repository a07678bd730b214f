"""The API's domain errors: each one is an HTTP status, a stable code and a message.

Routes raise these; ``app.py`` turns every one into ``{"error": {"code", "message"}}``
in one place. The codes are part of the API contract (clients branch on them).
"""

from __future__ import annotations

from http import HTTPStatus


class ApiError(Exception):
    status = HTTPStatus.BAD_REQUEST
    code = "invalid_request"
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    pass


class InvalidNextToken(BadRequest):
    code = "invalid_next_token"

    def __init__(self) -> None:
        # One message whatever the defect: a token is opaque, the caller can only drop it.
        super().__init__("invalid next_token")


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"


class UnsupportedMediaType(ApiError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class ListingUnavailable(ApiError):
    """A listing index is missing or still being built: an upgrade of the table is under way."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "listing_unavailable"
    retry_after = 30  # an index backfills in minutes

    def __init__(self, index: str) -> None:
        super().__init__(
            f"the listing index {index} is being built (an upgrade of the table); "
            "retry later, GET /files/{file_id} works meanwhile"
        )
