"""What can go wrong for the CLI, each with its exit code.

Exit codes (also in ``fileproc --help``):

- 0: done; every file waited for is PROCESSED
- 1: a file ended FAILED, or no file has the id: the API does not know it (404),
  or it is not a file id at all (32 hex characters), which the CLI tells itself
- 2: usage or configuration: bad arguments, no API URL or key, no such local
  file, an existing file not to overwrite
- 3: nothing answers at the API URL (or at the storage URL it handed out)
- 4: the API or the storage refused the request (400, 403, 409, 413, 429, 5xx),
  or the CLI refused a file the API would refuse (empty, of a type not taken)
- 5: files were still not PROCESSED or FAILED when the wait timed out
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNREACHABLE = 3
    REFUSED = 4
    TIMEOUT = 5


class CliError(Exception):
    """An error the CLI reports as one line and an exit code, without a traceback."""

    exit_code = ExitCode.USAGE
    hint: str | None = None  # a second line: what to check or do about it


class ConfigError(CliError):
    """The API URL or key cannot be found, or an argument makes no sense."""


class Unreachable(CliError):
    """No answer at a URL: refused, unresolvable, timed out."""

    exit_code = ExitCode.UNREACHABLE


class ApiError(CliError):
    """The API answered with an error: ``{"error": {"code", "message"}}`` (or API Gateway's
    ``{"message"}`` when a request never reached the API's function)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.exit_code = ExitCode.FAILED if status == 404 else ExitCode.REFUSED
        super().__init__(f"{message} (HTTP {status} {code})")


class NoSuchFile(CliError):
    """An id that names no file; found without asking when it is not even a file id."""

    exit_code = ExitCode.FAILED


class FileRefused(CliError):
    """A file the API would refuse, found before anything is sent (the reason says why)."""

    exit_code = ExitCode.REFUSED


class StorageRefused(CliError):
    """The storage refused a presigned upload or download (S3's XML error)."""

    exit_code = ExitCode.REFUSED


class WaitTimeout(CliError):
    """Files not final when the wait ran out; ``records`` holds what was last seen of each."""

    exit_code = ExitCode.TIMEOUT

    def __init__(self, message: str, records: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(message)
        self.records = dict(records)
