"""What the CLI does with files: upload, wait for processing, download.

These are the functions the demo and the integration tests call; the command
line (``main.py``) only adds arguments and printing around them.

    client = ApiClient(resolve())
    started = upload(client, Path("samples/photo.jpg"))
    record = wait(client, started.file_id, timeout=120)
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fileproc_cli.api import ApiClient
from fileproc_cli.errors import ConfigError, FileRefused, NoSuchFile, WaitTimeout
from fileproc_cli.transfer import BytesCallback, fetch, post_form

# The media type sent for each extension the pipeline takes; each one is among
# those the API accepts for it (a test holds this to fileproc.api.uploads).
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
}
# Any other extension: the API answers with the list of those it takes.
UNKNOWN_CONTENT_TYPE = "application/octet-stream"

# The derived files the API serves with ?artefact=, and the name each is saved under:
# "<original stem><suffix>", as the API names them (a test holds this to the API's).
ARTEFACT_SUFFIXES = {"thumbnail": ".thumbnail.jpg", "text": ".txt"}
# The API's file ids (fileproc.keys.FILE_ID_PATTERN).
FILE_ID = re.compile(r"[0-9a-f]{32}")

FINAL_STATUSES = frozenset({"PROCESSED", "FAILED", "DELETED"})
DEFAULT_WAIT_SECONDS = 300.0
POLL_INTERVAL_SECONDS = 1.0

Record = dict[str, Any]
ChangeCallback = Callable[[Record, float], None]  # a record whose status changed, seconds waited
PollCallback = Callable[[Sequence[str], float], None]  # ids still waited for, seconds waited


@dataclass(frozen=True)
class Upload:
    """An upload the storage accepted; processing starts from its event."""

    file_id: str
    path: Path
    size: int


def content_type_for(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), UNKNOWN_CONTENT_TYPE)


def check_file_id(file_id: str) -> str:
    """The id, or NoSuchFile when it cannot be one: no need to ask the API about it."""
    if not FILE_ID.fullmatch(file_id):
        raise NoSuchFile(
            f"{file_id!r} is not a file id: ids are 32 hex characters (fileproc ls shows them)"
        )
    return file_id


def check_uploadable(path: Path, size: int, content_type: str | None = None) -> None:
    """FileRefused for what the API would refuse whatever its settings: an empty file, and
    (unless the caller chose the type) an extension the pipeline does not take."""
    if size == 0:
        raise FileRefused(f"{path} is empty (0 bytes): the pipeline takes files of 1 byte or more")
    if content_type is None and path.suffix.lower() not in CONTENT_TYPES:
        kind = f"type {path.suffix!r}" if path.suffix else "no extension"
        raise FileRefused(
            f"{path} has {kind}, which the pipeline does not take: it takes "
            f"{', '.join(sorted(CONTENT_TYPES))}"
        )


def local_file_size(path: Path) -> int:
    """The size of a regular file to upload; ConfigError for anything else."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    if not path.is_file():
        raise ConfigError(f"{path} is not a regular file")
    return info.st_size


def upload(
    client: ApiClient,
    path: Path,
    *,
    content_type: str | None = None,
    on_bytes: BytesCallback | None = None,
) -> Upload:
    """``POST /files`` with the file's name, type and size, then the presigned POST of its bytes.

    The record exists (PENDING) from the first step; the pipeline takes over once
    the storage has the object. Raises FileRefused, before asking anything, for an
    empty file or a type the pipeline does not take; ApiError when the API refuses the
    file (its size over the deployment's limit, its type), StorageRefused when the
    storage refuses the form.
    """
    path = Path(path)
    size = local_file_size(path)
    check_uploadable(path, size, content_type)
    kind = content_type or content_type_for(path)
    ticket = client.create_upload(path.name, kind, size)
    form = ticket["upload"]
    with path.open("rb") as file:
        post_form(
            form["url"],
            form["fields"],
            file,
            size=size,
            filename=path.name,
            content_type=kind,
            timeout=client.timeout,
            on_bytes=on_bytes,
        )
    return Upload(file_id=ticket["file_id"], path=path, size=size)


def wait_all(
    client: ApiClient,
    file_ids: Sequence[str],
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
    interval: float = POLL_INTERVAL_SECONDS,
    on_change: ChangeCallback | None = None,
    on_poll: PollCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Record]:
    """Poll ``GET /files/{id}`` until every file is PROCESSED, FAILED (or DELETED).

    Returns the final records by id, in the order given. WaitTimeout after
    ``timeout`` seconds carries the last record seen of each file.
    """
    order = list(dict.fromkeys(file_ids))
    started = clock()
    latest: dict[str, Record] = {}
    pending = list(order)
    while True:
        for file_id in list(pending):
            record = client.get_file(file_id)
            previous = latest.get(file_id)
            latest[file_id] = record
            if on_change and (previous is None or previous.get("status") != record.get("status")):
                on_change(record, clock() - started)
            if record.get("status") in FINAL_STATUSES:
                pending.remove(file_id)
        if not pending:
            return {file_id: latest[file_id] for file_id in order}
        waited = clock() - started
        if waited >= timeout:
            states = ", ".join(f"{fid} {latest[fid].get('status')}" for fid in pending)
            raise WaitTimeout(
                f"{len(pending)} file(s) not processed after {timeout:g} s: {states}", latest
            )
        if on_poll:
            on_poll(pending, waited)
        sleep(min(interval, timeout - waited))


def wait(
    client: ApiClient,
    file_id: str,
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
    interval: float = POLL_INTERVAL_SECONDS,
    on_change: ChangeCallback | None = None,
) -> Record:
    """The record of one file once it is PROCESSED or FAILED (see wait_all)."""
    records = wait_all(client, [file_id], timeout=timeout, interval=interval, on_change=on_change)
    return records[file_id]


def local_name(record: Mapping[str, Any]) -> str:
    """The name to save a download under: the uploaded name without any directory part."""
    name = str(record.get("filename") or record.get("key") or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return name if name not in ("", ".", "..") else str(record["file_id"])


def artefact_name(record: Mapping[str, Any], artefact: str) -> str:
    """The name to save an artefact under: "report.pdf" -> "report.txt", as the API names it."""
    stem = os.path.splitext(local_name(record))[0]
    return (stem or str(record["file_id"])) + ARTEFACT_SUFFIXES[artefact]


def download(
    client: ApiClient,
    file_id: str,
    output: Path | None = None,
    *,
    artefact: str | None = None,
    force: bool = False,
    on_bytes: BytesCallback | None = None,
) -> Path:
    """Save the file's recorded version, or its derived ``artefact`` (thumbnail, text);
    the path written.

    ``output`` may be a file or an existing directory (the original name is kept);
    default: the original name (the artefact's: ``photo.thumbnail.jpg``) in the
    working directory. An existing file is replaced only with ``force``, and only
    once the download is complete.
    """
    record = client.get_file(file_id)
    if artefact is not None and artefact not in ARTEFACT_SUFFIXES:
        raise ConfigError(f"no artefact {artefact!r}: one of {', '.join(ARTEFACT_SUFFIXES)}")
    name = local_name(record) if artefact is None else artefact_name(record, artefact)
    target = Path(output) if output is not None else Path(name)
    if target.is_dir():
        target = target / name
    if target.exists() and not force:
        raise ConfigError(f"{target} exists: pass --force to overwrite it")
    derived = record.get("derived") or {}
    if artefact is not None and artefact not in derived:
        has = f"it has: {', '.join(sorted(derived))}" if derived else "it has none"
        status = record.get("status")
        raise NoSuchFile(
            f"file {file_id} has no {artefact} ({has}; its status is {status})"
            + ("" if status in FINAL_STATUSES else ": wait until it is PROCESSED")
        )
    link = client.download_link(file_id, artefact)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as file:
            fetch(link["url"], file, timeout=client.timeout, on_bytes=on_bytes)
        partial.replace(target)
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target
