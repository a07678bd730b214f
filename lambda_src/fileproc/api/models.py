"""Request and response shapes of the REST API.

``UploadRequest`` is validated by Powertools (``enable_validation=True``); the
response models document the API in the generated OpenAPI document. Routes
return plain dicts built from the DynamoDB record, so a record field a
processor adds later is served without an API change.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from fileproc.keys import EXTENSIONS, Category
from fileproc.records import Status

# A media type with optional parameters ("text/plain; charset=utf-8") as RFC 9110 8.3.1
# writes it: tokens, optional whitespace that is only space or tab (the upload form's
# Content-Type header carries it as it is: a CR or LF would end the header), and
# quoted strings of printable ASCII.
_TCHARS = r"[A-Za-z0-9!#$&^_.+-]+"
_OWS = r"[ \t]*"
_QUOTED = r'"[ !#-\[\]-~]*"'
MEDIA_TYPE_PATTERN = rf"^{_TCHARS}/{_TCHARS}({_OWS};{_OWS}{_TCHARS}=({_TCHARS}|{_QUOTED}))*$"
# Control characters (C0, DEL, C1) would end up in logs and in Content-Disposition.
FILENAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
# The most a presigned POST can store: S3 takes up to 5 GiB in one request.
MAX_UPLOAD_BYTES = 5 * 1024**3


def _integral_number(value: Any) -> Any:
    """12.0 is the integer 12 in JSON Schema (and OpenAPI 3.1); 12.5 stays a float and fails."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class UploadRequest(BaseModel):
    """The file to upload. Types are strict: a size of "12", 12.5 or true is rejected (12.0
    is the integer 12)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    filename: Annotated[
        str,
        Field(
            min_length=1,
            max_length=255,
            pattern=FILENAME_PATTERN,
            description="Original file name; its extension decides the category: "
            + ", ".join(f"{ext} {category}" for ext, category in EXTENSIONS.items())
            + ".",
            examples=["holiday photo.jpg"],
        ),
    ]
    content_type: Annotated[
        str,
        Field(
            max_length=255,
            pattern=MEDIA_TYPE_PATTERN,
            description="Media type of the file; must match the extension "
            "(image/jpeg for .jpg, application/vnd.apache.parquet for .parquet). "
            "The upload must send exactly this Content-Type.",
            examples=["image/jpeg"],
        ),
    ]
    size: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_UPLOAD_BYTES,
            description="Exact size of the file in bytes; the presigned POST accepts only "
            "this size and the category's limit applies (413 above it). At most 5 GiB, "
            "what S3 stores in one request.",
            examples=[482113],
        ),
        BeforeValidator(_integral_number),
    ]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_request.")
    message: str = Field(description="What was wrong, for a human.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class FileError(BaseModel):
    type: str
    message: str
    retryable: bool


class FileRecord(BaseModel):
    """One file as the pipeline recorded it (the record minus its index keys)."""

    model_config = ConfigDict(extra="allow")

    file_id: str
    bucket: str
    key: str
    filename: str | None = None
    category: Category
    status: Status
    content_type: str | None = None
    size: int | None = None
    version_id: str | None = None
    sequencer: str | None = None
    etag: str | None = None
    metadata: dict[str, Any] | None = None
    derived: dict[str, str] | None = None
    error: FileError | None = None
    attempts: int | None = None
    ai: dict[str, Any] | None = None
    uploaded_at: str
    processed_at: str | None = None
    updated_at: str | None = None
    expires_at: int | None = Field(
        None,
        description="PENDING only: when (epoch seconds) the record of an upload that never "
        "came is deleted, a day after its upload link expires (DynamoDB deletes expired "
        "records within a few days). Gone once the file arrives.",
    )


class FileList(BaseModel):
    items: list[FileRecord]
    next_token: str | None = Field(
        description="Pass it back as next_token for the next page; null on the last page."
    )


class DownloadLink(BaseModel):
    url: str = Field(description="Presigned S3 GET; the browser saves it under the file's name.")
    expires_in: int = Field(description="Seconds the URL stays valid.")


class UploadForm(BaseModel):
    url: str = Field(description="POST a multipart/form-data form here.")
    fields: dict[str, str] = Field(
        description="Form fields to send as they are, before the 'file' field."
    )


class UploadTicket(BaseModel):
    file_id: str
    upload: UploadForm
    expires_in: int = Field(description="Seconds the upload form stays valid.")
