"""The REST API: routes, validation and the one place where errors become responses.

``create_app`` wires the routes to a DynamoDB and an S3 client; the handler
builds one app per container at import, tests build one per test with moto.
Every response, errors included, is JSON and carries the CORS headers; no
client input reaches the 500 handler (it is there for real faults only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from fileproc.api import pagination
from fileproc.api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
)
from fileproc.api.models import (
    DownloadLink,
    ErrorResponse,
    FileList,
    FileRecord,
    UploadRequest,
    UploadTicket,
)
from fileproc.api.presign import (
    artefact_download,
    download_name,
    presign_download,
    presign_upload,
)
from fileproc.api.request_body import JsonBodyValidation
from fileproc.api.store import FileStore, listing_query
from fileproc.api.uploads import pending_record, plan_upload
from fileproc.api.views import record_view
from fileproc.config import Settings
from fileproc.errors import is_transient
from fileproc.keys import FILE_ID_PATTERN, ArtefactName, Category
from fileproc.records import Status

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

logger = Logger(child=True)

FileId = Annotated[str, Path(pattern=FILE_ID_PATTERN.pattern, description="32 hex characters")]
LIST_PARAMETERS = frozenset({"status", "category", "limit", "next_token"})
RETRY_AFTER_SECONDS = 1

# Validation messages that say more than "String should match pattern '...'".
_PATTERN_HINTS = {
    "file_id": "must be 32 lowercase hexadecimal characters",
    "filename": "must not contain control characters",
    "content_type": "must be a media type such as image/jpeg, without control characters",
}


def _error_doc(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


# Answers any route may give. 403, 413, 429, 502 and 504 come from API Gateway (API key,
# payload limit, usage plan, integration failures) in the same error shape
# (modules/api/errors.tf); a route lists its own statuses after these, overriding one.
_COMMON_ERRORS: dict[int, OpenAPIResponse] = {
    403: _error_doc("Missing or unknown API key (forbidden)"),
    413: _error_doc("The request is over API Gateway's 10 MB payload limit (request_too_large)"),
    429: _error_doc("Too many requests, or the quota used up, for this API key"),
    500: _error_doc("A fault of the service, not of the request (internal_error)"),
    502: _error_doc("The function failed without answering (internal_error)"),
    503: _error_doc("A backing service is throttling; retry after Retry-After seconds"),
    504: _error_doc("The function did not answer in time (gateway_timeout)"),
}


def _ok_doc(description: str, model: type) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=headers,
    )


def describe_validation(errors: Sequence[Any]) -> str:
    """One clause per problem, naming the field and why: "query parameter limit: Input should be
    less than or equal to 100"."""
    parts = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        kind = error.get("type", "")
        where, field = (loc[0], str(loc[-1])) if len(loc) > 1 else ("body", "")
        if kind == "json_invalid":
            reason = error.get("ctx", {}).get("error", "")
            parts.append(f"request body is not valid JSON: {reason}")
        elif not field and kind == "missing":
            parts.append("request body is required: a JSON object")
        elif not field:
            parts.append("request body must be a JSON object")
        else:
            label = {"query": "query parameter", "path": "path parameter"}.get(where, "field")
            if kind == "string_pattern_mismatch" and field in _PATTERN_HINTS:
                reason = _PATTERN_HINTS[field]
            else:
                reason = error.get("msg", kind)
            parts.append(f"{label} {field}: {reason}")
    return "; ".join(parts) or "invalid request"


class ApiResolver(APIGatewayRestResolver):
    """APIGatewayRestResolver that marks responses as varying with Origin.

    Powertools reflects the request's Origin when several origins are allowed;
    without ``Vary: Origin`` a cache could serve one origin's answer to another.
    """

    def __init__(self, cors: CORSConfig, vary_origin: bool) -> None:
        super().__init__(cors=cors, enable_validation=True)
        # In place of Powertools' own: takes JSON only, refused before parsing (request_body).
        self._request_validation_middleware = JsonBodyValidation()
        self._vary_origin = vary_origin

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # A copy: JsonBodyValidation rewrites the body and Content-Type of the event it is given.
        response = super().resolve(dict(event), context)
        if self._vary_origin:
            response.setdefault("multiValueHeaders", {}).setdefault("Vary", []).append("Origin")
        return response


def cors_config(origins: Sequence[str]) -> CORSConfig:
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=list(origins[1:]),
        allow_headers=["x-api-key"],
        expose_headers=["Retry-After"],
        max_age=600,
    )


def create_app(
    settings: Settings, dynamodb: DynamoDBClient, s3: S3Client, metrics: Metrics
) -> ApiResolver:
    app = ApiResolver(
        cors=cors_config(settings.allowed_origins),
        vary_origin="*" not in settings.allowed_origins,
    )
    store = FileStore(dynamodb, settings.table_name)

    def find_record(file_id: str) -> dict[str, Any]:
        item = store.get(file_id)
        if item is None:
            raise NotFound(f"file {file_id} does not exist")
        return record_view(item)

    @app.get(
        "/files",
        summary="List files, newest first",
        description="Filter by status and/or category. Pass next_token from a response to "
        "get the next page; a token only works with the filters it was issued for.",
        tags=["files"],
        operation_id="listFiles",
        responses={
            **_COMMON_ERRORS,
            200: _ok_doc("A page of files", FileList),
            400: _error_doc("Invalid filter, limit or next_token"),
            503: _error_doc(
                "A backing service is throttling (service_unavailable), or an upgrade is "
                "building the listing indexes (listing_unavailable); retry after Retry-After "
                "seconds"
            ),
        },
    )
    def list_files(
        status: Annotated[Status | None, Query(description="Only files in this status")] = None,
        category: Annotated[
            Category | None, Query(description="Only files of this category")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 25,
        next_token: Annotated[
            str | None, Query(description="Opaque position from the previous page")
        ] = None,
    ) -> dict[str, Any]:
        unknown = set(app.current_event.query_string_parameters or {}) - LIST_PARAMETERS
        if unknown:
            raise BadRequest(
                f"unknown query parameter(s): {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(LIST_PARAMETERS))}"
            )
        query = listing_query(settings, status, category)
        after = None if next_token is None else pagination.decode_token(query, next_token)
        page = store.page(query, limit, after)
        return {
            "items": [record_view(item) for item in page.items],
            "next_token": None
            if page.positions is None
            else pagination.encode_token(query, page.positions),
        }

    @app.get(
        "/files/<file_id>",
        summary="One file's record",
        tags=["files"],
        operation_id="getFile",
        responses={
            **_COMMON_ERRORS,
            200: _ok_doc("The file's record", FileRecord),
            400: _error_doc("file_id is not a file id"),
            404: _error_doc("No such file"),
        },
    )
    def get_file(
        file_id: FileId,
    ) -> dict[str, Any]:
        return find_record(file_id)

    def file_link(record: dict[str, Any]) -> str:
        version_id = record.get("version_id")
        if record["status"] == Status.PENDING:
            # The upload may have landed before its event was processed.
            version_id = _uploaded_version(s3, settings.bucket_name, str(record["key"]))
        return presign_download(
            s3,
            bucket=settings.bucket_name,
            key=str(record["key"]),
            filename=download_name(record),
            expires_in=settings.download_url_ttl_seconds,
            version_id=str(version_id) if version_id else None,
        )

    def artefact_link(record: dict[str, Any], artefact: ArtefactName) -> str:
        derived = record.get("derived") or {}
        key = derived.get(artefact)
        if not isinstance(key, str):
            has = f"; it has: {', '.join(sorted(derived))}" if derived else ""
            raise NotFound(
                f"file {record['file_id']} has no {artefact} artefact{has}",
                code="artefact_not_found",
            )
        filename, content_type = artefact_download(record, artefact)
        return presign_download(
            s3,
            bucket=settings.bucket_name,
            key=key,
            filename=filename,
            expires_in=settings.download_url_ttl_seconds,
            content_type=content_type,
        )

    @app.get(
        "/files/<file_id>/download",
        summary="A short-lived download link",
        description="A presigned S3 GET of the file's recorded version, saved under its "
        "original name; with artefact, of that derived file instead (thumbnail of an image "
        'or of a PDF\'s first page: "<name>.thumbnail.jpg"; text of a PDF: "<name>.txt").',
        tags=["files"],
        operation_id="getDownloadLink",
        responses={
            **_COMMON_ERRORS,
            200: _ok_doc("The presigned URL", DownloadLink),
            400: _error_doc("file_id is not a file id, or artefact is not an artefact name"),
            404: _error_doc("No such file, or the file has no such artefact"),
            409: _error_doc("The file was deleted, or has not been uploaded yet"),
        },
    )
    def download_file(
        file_id: FileId,
        artefact: Annotated[
            ArtefactName | None,
            Query(description="A derived file instead of the upload (see the record's derived)"),
        ] = None,
    ) -> dict[str, Any]:
        record = find_record(file_id)
        if record["status"] == Status.DELETED:
            raise Conflict(f"file {file_id} was deleted", code="file_deleted")
        url = file_link(record) if artefact is None else artefact_link(record, artefact)
        metrics.add_metric(name="DownloadLinksIssued", unit=MetricUnit.Count, value=1)
        return {"url": url, "expires_in": settings.download_url_ttl_seconds}

    @app.post(
        "/files",
        summary="Start an upload",
        description="Checks the file's type and size, records it as PENDING and returns a "
        "presigned POST form that accepts exactly this file (key, Content-Type, size).",
        tags=["files"],
        operation_id="createUpload",
        status_code=HTTPStatus.CREATED,
        responses={
            **_COMMON_ERRORS,
            201: _ok_doc("The upload form", UploadTicket),
            400: _error_doc("Invalid body, unsupported file type or mismatched content_type"),
            413: _error_doc(
                "The file is over its category's size limit (file_too_large), or the "
                "request over API Gateway's 10 MB payload limit (request_too_large)"
            ),
            415: _error_doc("The request body is not application/json (UTF-8)"),
        },
    )
    def create_upload(request: UploadRequest) -> dict[str, Any]:
        plan = plan_upload(request, settings)
        form = presign_upload(
            s3,
            bucket=settings.bucket_name,
            key=plan.key,
            content_type=plan.content_type,
            size=plan.size,
            expires_in=settings.upload_url_ttl_seconds,
        )
        store.create(
            pending_record(
                plan, settings.bucket_name, datetime.now(UTC), settings.upload_url_ttl_seconds
            )
        )
        metrics.add_metric(name="UploadsRequested", unit=MetricUnit.Count, value=1)
        logger.info("upload requested", file_id=plan.file_id, key=plan.key, size=plan.size)
        return {
            "file_id": plan.file_id,
            "upload": {"url": form.url, "fields": form.fields},
            "expires_in": settings.upload_url_ttl_seconds,
        }

    @app.exception_handler(ApiError)
    def on_api_error(exc: ApiError) -> Response[str]:
        headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return error_response(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    def on_invalid_request(exc: RequestValidationError) -> Response[str]:
        return error_response(400, "invalid_request", describe_validation(exc.errors()))

    # json.loads recurses once per nesting level: "[[[[...]]]]" is a client's doing.
    @app.exception_handler(RecursionError)
    def on_deep_body(exc: RecursionError) -> Response[str]:
        return error_response(400, "invalid_request", "request body is nested too deeply")

    # API Gateway invokes the function only for the methods and paths modules/api
    # declares (it answers any other itself, 404 not_found); this covers a route
    # declared there and not here, in the API's error shape.
    @app.not_found
    def on_no_route(exc: NotFoundError) -> Response[str]:
        event = app.current_event
        return error_response(404, "not_found", f"no route for {event.http_method} {event.path}")

    @app.exception_handler(Exception)
    def on_fault(exc: Exception) -> Response[str]:
        if is_transient(exc):
            # Throttled or unavailable downstream: the request itself was fine.
            logger.warning("downstream unavailable", error=str(exc))
            return error_response(
                503,
                "service_unavailable",
                "the service is busy, retry shortly",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal error")

    return app


def _uploaded_version(s3: S3Client, bucket: str, key: str) -> str | None:
    """The version id of an upload not processed yet; 409 when nothing was uploaded.

    S3 answers 404 for a missing key only to a caller allowed s3:ListBucket.
    """
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise Conflict("the file has not been uploaded yet", code="file_not_uploaded") from None
        raise
    return head.get("VersionId")
