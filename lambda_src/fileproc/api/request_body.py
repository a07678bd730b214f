"""A request body as the API takes it: JSON in UTF-8, checked before Powertools parses it.

Powertools' validation also parses form-encoded and multipart bodies, and some
of their defects escape it unhandled (a multipart type without a boundary raises
ValueError, non-Latin-1 text in a multipart body UnicodeEncodeError: 500s), while
a form body reaches the model as lists (400s that name pydantic's internals).
It also compares media types case-sensitively. ``JsonBodyValidation`` runs in
its place: a route that takes a body gets the request with its Content-Type
made canonical and its body decoded to text, or the client gets 415 / 400 here.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)

from fileproc.api.errors import BadRequest, UnsupportedMediaType

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance

JSON_MEDIA_TYPE = "application/json"
# RFC 8259 8.1: JSON exchanged between systems is UTF-8.
JSON_CHARSETS = frozenset({"utf-8"})
NOT_JSON = f"the request body must be {JSON_MEDIA_TYPE} (UTF-8)"


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """("type/subtype", {parameter: value}), the type and the parameter names lowercased.

    RFC 9110 8.3.1: type, subtype and parameter names are case-insensitive; a
    parameter value may be a quoted string. A charset's value is lowercased by
    the caller (it is case-insensitive too, other parameters' values may not be).
    """
    kind, *parts = value.split(";")
    parameters = {}
    for part in parts:
        name, sep, raw = part.partition("=")
        if sep:
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1]
            parameters[name.strip().lower()] = raw
    return kind.strip().lower(), parameters


def is_json(content_type: str | None) -> bool:
    """Whether a request's Content-Type announces UTF-8 JSON. A request without
    one is taken as JSON, as API Gateway takes it to choose the body model."""
    if content_type is None or not content_type.strip():
        return True
    kind, parameters = parse_media_type(content_type)
    charset = parameters.get("charset")
    return kind == JSON_MEDIA_TYPE and (charset is None or charset.lower() in JSON_CHARSETS)


def body_text(body: str | None, is_base64: bool) -> str | None:
    """The body as text. API Gateway base64-encodes a body whose media type is
    one of the API's binary media types; its bytes must then be UTF-8."""
    if not is_base64 or body is None:
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):  # ValueError: a non-ASCII character
        raise BadRequest("request body is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8 JSON") from None


def json_request(event: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a REST proxy event that make its request JSON as the API takes it:
    Content-Type application/json and a text body.

    Raises UnsupportedMediaType (415) for another media type or charset and
    BadRequest (400) for a base64 body that is not base64 or not UTF-8.
    """
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not is_json(content_type):
        raise UnsupportedMediaType(NOT_JSON)
    return {
        "body": body_text(event.get("body"), bool(event.get("isBase64Encoded"))),
        "isBase64Encoded": False,
        "headers": _with_json_type(headers, JSON_MEDIA_TYPE),
        "multiValueHeaders": _with_json_type(
            event.get("multiValueHeaders") or {}, [JSON_MEDIA_TYPE]
        ),
    }


def _with_json_type(headers: Mapping[str, Any], value: Any) -> dict[str, Any]:
    others = {name: v for name, v in headers.items() if name.lower() != "content-type"}
    return {**others, "Content-Type": value}


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, for routes with a body only after ``json_request``.

    The event is updated in place: Powertools keeps the current event on a class
    attribute (``BaseRouter.current_event``), so it cannot be replaced per request;
    ``ApiResolver.resolve`` hands Powertools a copy of the Lambda's event.
    """

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response:
        if app.context["_route"].dependant.body_params:
            event = app.current_event.raw_event
            event.update(json_request(event))
        return super().handler(app, next_middleware)
