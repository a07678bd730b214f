"""Domain errors: permanent ones end a file as FAILED, transient ones are retried.

A processor raises a ``PermanentError`` subclass for anything about the file
itself (corrupt, too large, not what its extension says); the message is then
acknowledged and the record says why. Anything that may succeed on a second
try (throttling, 5xx, timeouts) propagates, fails that SQS message only, and
comes back after the visibility timeout, landing in the DLQ after N receives.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)


class PermanentError(Exception):
    """The file cannot be processed, whatever the number of attempts."""

    type = "Unsupported"

    def as_record(self) -> dict[str, object]:
        return {"type": self.type, "message": str(self), "retryable": False}


class TooLarge(PermanentError):
    type = "TooLarge"


class ContentMismatch(PermanentError):
    type = "ContentMismatch"


class Corrupt(PermanentError):
    type = "Corrupt"


class Unsupported(PermanentError):
    type = "Unsupported"


class DecompressionBomb(PermanentError):
    type = "DecompressionBomb"


class InvalidJson(PermanentError):
    type = "InvalidJson"


class ObjectMissing(PermanentError):
    type = "ObjectMissing"


# What the isolation of each file's extraction reports (fileproc.isolation): the
# file made its child process hit a limit, or took a native library down with it.
class OutOfMemory(PermanentError):
    type = "OutOfMemory"


class TimedOut(PermanentError):
    type = "TimedOut"


class Crashed(PermanentError):
    type = "Crashed"


class RetryLater(Exception):
    """Not the file's fault, and likely to pass: the function was short of a resource
    (fileproc.isolation.ForkFailed). The message is redelivered."""


# Error codes AWS documents as worth retrying (throttling and server faults).
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "BandwidthLimitExceeded",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
        "ModelNotReadyException",
    }
)


def is_transient(exc: BaseException) -> bool:
    """True when a retry may succeed: throttling, a 5xx, a connection or timeout error."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status >= 500
    return isinstance(
        exc,
        RetryLater
        | EndpointConnectionError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ConnectionClosedError
        | TimeoutError
        | ConnectionError,
    ) or (isinstance(exc, BotoCoreError) and "timeout" in type(exc).__name__.lower())
