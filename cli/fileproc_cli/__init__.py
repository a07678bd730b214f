"""The ``fileproc`` command line, and the functions behind it for the demo and the tests.

    from fileproc_cli import ApiClient, resolve, upload, wait

    # options, then FILEPROC_API_URL/KEY, then .sandbox/outputs-sandbox.json
    client = ApiClient(resolve())
    started = upload(client, Path("samples/photo.jpg"))
    record = wait(client, started.file_id, timeout=120)  # the PROCESSED or FAILED record

    moved = redrive(sqs_client("sandbox", outputs.load("sandbox")),
                    queue_pairs(outputs.load("sandbox")))

Modules: ``config`` (where the API and key come from), ``api`` (the REST API
over HTTP), ``transfer`` (presigned upload and download), ``files`` (upload,
wait, download), ``redrive`` (DLQ back to the queues), ``migrate`` (listing keys
for records written before the listing was sharded), ``render`` (tables and
summaries), ``progress`` (status lines), ``main`` (argparse), ``errors`` (exit codes).
"""

from fileproc_cli.api import ApiClient
from fileproc_cli.config import ApiConfig, resolve
from fileproc_cli.errors import (
    ApiError,
    CliError,
    ConfigError,
    ExitCode,
    FileRefused,
    NoSuchFile,
    StorageRefused,
    Unreachable,
    WaitTimeout,
)
from fileproc_cli.files import FINAL_STATUSES, Upload, download, upload, wait, wait_all
from fileproc_cli.main import main
from fileproc_cli.redrive import Moved, QueuePair, queue_pairs, redrive, sqs_client

__all__ = [
    "FINAL_STATUSES",
    "ApiClient",
    "ApiConfig",
    "ApiError",
    "CliError",
    "ConfigError",
    "ExitCode",
    "FileRefused",
    "Moved",
    "NoSuchFile",
    "QueuePair",
    "StorageRefused",
    "Unreachable",
    "Upload",
    "WaitTimeout",
    "download",
    "main",
    "queue_pairs",
    "redrive",
    "resolve",
    "sqs_client",
    "upload",
    "wait",
    "wait_all",
]
