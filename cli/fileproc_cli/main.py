"""``fileproc``: upload files to a deployed pipeline, follow them, list, show, download, redrive,
migrate-listing.

Results (tables, records, JSON) go to stdout; progress and errors to stderr.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from fileproc_cli import config, files, migrate, redrive, render
from fileproc_cli.api import ApiClient
from fileproc_cli.errors import (
    ApiError,
    CliError,
    ConfigError,
    ExitCode,
    FileRefused,
    StorageRefused,
    WaitTimeout,
)
from fileproc_cli.progress import Progress, elapsed

T = TypeVar("T")

STATUSES = ("PENDING", "PROCESSING", "PROCESSED", "FAILED", "DELETED")
CATEGORIES = ("image", "document", "data")
# Answers about one file (its type, its size), not about the API: the next file may pass.
FILE_REFUSALS = frozenset({400, 413, 415})

EPILOG = """\
API URL and key, first found: --api-url/--api-key, FILEPROC_API_URL/FILEPROC_API_KEY,
then .sandbox/outputs-<env>.json (written by `make deploy ENV=<env>`).

exit codes:
  0  done (every file waited for is PROCESSED)
  1  a file ended FAILED, or no file has that id (or that artefact), a malformed id too
  2  usage or configuration error (arguments, no API URL or key, no such local file)
  3  the API (or the storage) cannot be reached
  4  the API or the storage refused the request, or a file it would refuse (empty, type)
  5  files still not processed when --timeout ran out
"""


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def _shared_options(default: object) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--api-url", default=default, help="the API's base URL")
    options.add_argument("--api-key", default=default, help="the x-api-key value")
    options.add_argument(
        "--env",
        default=config.DEFAULT_ENV if default is None else default,
        help="deployment whose outputs file to read (default: sandbox)",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fileproc",
        description="Use a deployed fileproc pipeline through its REST API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_shared_options(None)],
    )
    # The same options after the command too; SUPPRESS there keeps a command from
    # resetting a value given before it (parents share action objects, hence two).
    common = _shared_options(argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[common])

    up = command("upload", "upload files and wait until each is PROCESSED or FAILED")
    up.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files to upload, of the types the pipeline takes: "
        + " ".join(sorted(files.CONTENT_TYPES)),
    )
    up.add_argument("--no-wait", action="store_true", help="print the file ids and return")
    _wait_options(up)

    wait = command("wait", "wait until files are PROCESSED or FAILED")
    wait.add_argument("file_ids", nargs="+", metavar="FILE_ID")
    _wait_options(wait)

    ls = command("ls", "list files, newest first")
    ls.add_argument("--status", type=str.upper, choices=STATUSES)
    ls.add_argument("--category", type=str.lower, choices=CATEGORIES)
    ls.add_argument("--limit", type=_count, default=50, help="most files to list (default 50)")
    ls.add_argument("--json", action="store_true", help="the records as a JSON array")

    show = command("show", "one file's record")
    show.add_argument("file_id", metavar="FILE_ID")
    show.add_argument("--json", action="store_true", help="the raw record")

    get = command("download", "save a file's uploaded version, or one of its derived files")
    get.add_argument("file_id", metavar="FILE_ID")
    get.add_argument(
        "--artefact",
        choices=tuple(files.ARTEFACT_SUFFIXES),
        help="the thumbnail of an image, or the text extracted from a document",
    )
    get.add_argument("-o", "--output", type=Path, help="file or directory (default: its name)")
    get.add_argument("--force", action="store_true", help="overwrite an existing file")

    again = command("redrive", "move dead-letter messages back to their processor queues")
    again.add_argument("--dry-run", action="store_true", help="count them, move nothing")

    backfill = command(
        "migrate-listing",
        "give records written before the listing was sharded their listing keys "
        "(before and after deploying the upgrade: README, Upgrading; idempotent)",
    )
    backfill.add_argument("--dry-run", action="store_true", help="count them, change nothing")
    backfill.add_argument(
        "--resume", metavar="FILE_ID", help="start after this file id (printed as it goes)"
    )

    command("config", 'print the API URL and key as shell exports: eval "$(fileproc config)"')
    return parser


def _wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=files.DEFAULT_WAIT_SECONDS,
        help=f"seconds to wait for processing (default {files.DEFAULT_WAIT_SECONDS:g})",
    )
    parser.add_argument("--json", action="store_true", help="the final records as JSON")


class Cli:
    """One invocation: its arguments, its output streams, and the API client made on demand."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.progress = Progress(err)
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(
                config.resolve(self.args.api_url, self.args.api_key, self.args.env)
            )
        return self._client

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def print_json(self, value: Any) -> None:
        self.print(json.dumps(value, indent=2, ensure_ascii=False))

    # ------------------------------------------------------------------ commands

    def upload(self) -> int:
        paths: list[Path] = self.args.paths
        for path in paths:  # every path checked before the first upload
            files.local_file_size(path)
        started: list[files.Upload] = []
        refused: CliError | None = None
        for path in paths:
            try:
                upload = files.upload(self.client, path, on_bytes=self._sending(path))
            except (ApiError, StorageRefused, FileRefused) as exc:
                if isinstance(exc, ApiError) and exc.status not in FILE_REFUSALS:
                    raise  # a wrong key or a broken API: the next file would fare no better
                self.progress.note(f"{path}: not uploaded: {exc}")
                refused = refused or exc
                continue
            started.append(upload)
            self.progress.note(
                f"{path}: uploaded {render.human_size(upload.size)} as {upload.file_id}"
            )
        if self.args.no_wait or not started:
            if self.args.json:
                self.print_json([{"file_id": u.file_id, "path": str(u.path)} for u in started])
            return int(refused.exit_code) if refused else ExitCode.OK
        code = self._wait([upload.file_id for upload in started])
        return int(refused.exit_code) if refused else code

    def _sending(self, path: Path) -> Callable[[int], None]:
        """A live line of how much of the file is sent (big files take a while)."""
        size = path.stat().st_size
        sent = 0

        def moved(count: int) -> None:
            nonlocal sent
            sent += count
            self.progress.live(f"sending {path.name}: {sent * 100 // max(size, 1)}%")

        return moved

    def wait(self) -> int:
        return self._wait([files.check_file_id(file_id) for file_id in self.args.file_ids])

    def _wait(self, file_ids: Sequence[str]) -> int:
        names: dict[str, str] = {}

        def changed(record: dict[str, Any], seconds: float) -> None:
            file_id = str(record.get("file_id"))
            names.setdefault(file_id, str(record.get("filename") or file_id))
            line = f"{names[file_id]}: {record.get('status')} after {seconds:.1f} s"
            if record.get("status") == "FAILED" and isinstance(record.get("error"), dict):
                line += f" ({render.details(record)})"
            self.progress.note(line)

        def polled(pending: Sequence[str], seconds: float) -> None:
            self.progress.live(f"waiting for {len(pending)} file(s)... {elapsed(seconds)}")

        try:
            records = files.wait_all(
                self.client,
                file_ids,
                timeout=self.args.timeout,
                on_change=changed,
                on_poll=polled,
            )
        except WaitTimeout as exc:
            self.progress.clear()
            self._print_records(list(exc.records.values()))
            raise
        self.progress.clear()
        self._print_records(list(records.values()))
        failed = any(record.get("status") != "PROCESSED" for record in records.values())
        return ExitCode.FAILED if failed else ExitCode.OK

    def _print_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        if self.args.json:
            self.print_json(records)
        else:
            self.print(render.records_table(records))

    def ls(self) -> int:
        records = list(
            self.client.iter_files(
                status=self.args.status, category=self.args.category, limit=self.args.limit
            )
        )
        if self.args.json:
            self.print_json(records)
        elif records:
            self.print(render.records_table(records))
        else:
            self.progress.note("no files")
        return ExitCode.OK

    def show(self) -> int:
        record = self.client.get_file(files.check_file_id(self.args.file_id))
        if self.args.json:
            self.print_json(record)
        else:
            self.print(render.describe(record))
        return ExitCode.OK

    def download(self) -> int:
        path = files.download(
            self.client,
            files.check_file_id(self.args.file_id),
            self.args.output,
            artefact=self.args.artefact,
            force=self.args.force,
        )
        self.progress.note(f"saved {path} ({render.human_size(path.stat().st_size)})")
        return ExitCode.OK

    def redrive(self) -> int:
        pairs, sqs = _queues(self.args.env)
        moves = _aws_call(
            self.args.env, "SQS", lambda: redrive.redrive(sqs, pairs, dry_run=self.args.dry_run)
        )
        for move in moves:
            verb = "waiting" if move.dry_run else "moved back"
            line = f"{move.pair.name}: {_count_text(move.moved)} {verb}"
            if move.failed:
                line += f", {move.failed} left in the DLQ (the queue refused them)"
            self.print(line)
        if not moves:
            self.print("no dead-letter queues in the outputs")
        failed = any(move.failed for move in moves)
        return ExitCode.REFUSED if failed else ExitCode.OK

    def migrate_listing(self) -> int:
        from fileproc_cli import outputs

        try:
            found = outputs.load(self.args.env)
        except outputs.OutputsMissing as exc:
            raise ConfigError(f"no table name for {self.args.env}: {exc}") from None
        table = found.get("table_name")
        if not isinstance(table, str):
            raise ConfigError(f"no table_name in the outputs of {self.args.env}")
        client = migrate.dynamodb_client(self.args.env, found)

        def page(progress: migrate.Progress) -> None:
            if not progress.done:
                self.progress.note(
                    f"{progress.scanned} records read, {progress.updated} updated; "
                    f"to resume: --resume {progress.resume_after}"
                )

        done = _aws_call(
            self.args.env,
            "DynamoDB",
            lambda: migrate.backfill(
                client,
                table,
                dry_run=self.args.dry_run,
                resume_after=self.args.resume,
                on_page=page,
            ),
        )
        verb = "would update" if self.args.dry_run else "updated"
        self.print(
            f"{table}: {done.scanned} records read, {verb} {done.updated}, "
            f"{done.current} already current, {done.changed} changed meanwhile (current)"
        )
        if done.unlisted:
            self.print(
                f"{len(done.unlisted)} records have no status or category and are not listed: "
                + ", ".join(done.unlisted[:10])
            )
        return ExitCode.OK

    def print_config(self) -> int:
        resolved = self.client.config
        self.print(f"export {config.URL_VARIABLE}={shlex.quote(resolved.url)}")
        self.print(f"export {config.KEY_VARIABLE}={shlex.quote(resolved.key)}")
        return ExitCode.OK


COMMANDS: dict[str, Callable[[Cli], int]] = {
    "upload": Cli.upload,
    "wait": Cli.wait,
    "ls": Cli.ls,
    "show": Cli.show,
    "download": Cli.download,
    "redrive": Cli.redrive,
    "migrate-listing": Cli.migrate_listing,
    "config": Cli.print_config,
}


def _count_text(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"


def _queues(env: str) -> tuple[list[redrive.QueuePair], Any]:
    from fileproc_cli import outputs

    try:
        found = outputs.load(env)
    except outputs.OutputsMissing as exc:
        raise ConfigError(f"no queue URLs for {env}: {exc}") from None
    return redrive.queue_pairs(found), redrive.sqs_client(env, found)


def _aws_call(env: str, service: str, call: Callable[[], T]) -> T:
    """Botocore's failures as CLI errors: the sandbox down, no credentials, access denied."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    from fileproc_cli.api import unreachable

    try:
        return call()
    except EndpointConnectionError as exc:
        raise unreachable(service, str(exc.kwargs.get("endpoint_url", "")), exc) from None
    except NoCredentialsError:
        raise ConfigError(
            f"no AWS credentials for {env}: configure a profile or SSO (aws configure sso)"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        refused = CliError(f"{service} refused: {error.get('Code')}: {error.get('Message')}")
        refused.exit_code = ExitCode.REFUSED
        raise refused from None
    except BotoCoreError as exc:
        raise CliError(str(exc)) from None


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    cli = Cli(args, out, err)
    try:
        code = COMMANDS[args.command](cli)
    except CliError as exc:
        cli.progress.clear()
        print(f"fileproc: error: {exc}", file=err)
        if exc.hint:
            print(f"fileproc: {exc.hint}", file=err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        cli.progress.clear()
        print("fileproc: interrupted", file=err)
        return 130
    return code
