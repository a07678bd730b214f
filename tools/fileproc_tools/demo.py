"""``make demo``: the whole pipeline on the local sandbox, from a fresh clone, in one command.

1. start the sandbox (or use the running one);
2. build the function zip and the layers for the sandbox's runtime;
3. deploy the root module to it (Terraform, auto-approved: it is the sandbox),
   with a live line of what Terraform is waiting on; the full output goes to
   ``.sandbox/demo-deploy.log``;
4. upload the committed samples (``samples/``) through the API with the CLI's
   own functions, and follow them until PROCESSED or FAILED;
5. print their records and how to carry on: the API URL, the key, the CLI,
   and how to stop the sandbox.

Run again on the same sandbox, it reuses what is unchanged: the zips (rebuilt
only when their inputs change), the deployed stack (no ``terraform apply`` when
neither the configuration nor the zips changed since the last deploy to this
sandbox) and, when the stack was left as it was, the records of samples already
processed by it (same name, size and content): the same code would process them
the same way, and each run would otherwise pile up six more records. ``make demo
FRESH=1`` applies and uploads everything again. Exit status 0 only when every
sample ends as expected (the damaged JPEG FAILED, the others PROCESSED).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shlex
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import fileproc_sandbox as sandbox
from fileproc_cli import ApiClient, ApiConfig, CliError, outputs, upload, wait_all
from fileproc_cli.config import display_path
from fileproc_cli.progress import Progress, elapsed
from fileproc_cli.render import human_size, records_table
from fileproc_sandbox.control import DEFAULT_PORT
from fileproc_tools import build, runtime_python, terraform
from fileproc_tools.samples import SAMPLES, SAMPLES_DIR

ENV = terraform.SANDBOX
PROCESSING_TIMEOUT_SECONDS = 180.0
TICK_SECONDS = 0.25
# Records looked through for samples processed before (newest first): many runs' worth.
REUSE_LOOKBACK = 200
# Settings of the caller that the printed commands must repeat to reach the same sandbox.
SANDBOX_SETTINGS = ("SANDBOX_PORT", "SANDBOX_API_PORT", "FILEPROC_SANDBOX_DIR")


class DemoError(Exception):
    """A step failed; the message says which and where to look."""


# --------------------------------------------------------------------------- deploy


_PLAN = re.compile(r"^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
_STARTED = re.compile(r"^(\S+)(?: \(deposed object \w+\))?: (Creating|Modifying|Destroying)\.\.\.")
_FINISHED = re.compile(r"^(\S+): (Creation|Modifications|Destruction) complete")
_REFRESHING = re.compile(r"^(\S+): Refreshing state\.\.\.")
_APPLIED = re.compile(r"^Apply complete! Resources: (.*)\.$")


@dataclass
class ApplyTracker:
    """What ``terraform apply`` is doing, read from its output line by line."""

    total: int | None = None  # resources the plan touches
    refreshed: int = 0
    finished: int = 0
    no_changes: bool = False
    applied: str = ""  # "6 added, 1 changed, 1 destroyed"
    working: dict[str, float] = field(default_factory=dict)  # address -> when it started
    errors: list[str] = field(default_factory=list)

    def feed(self, line: str, now: float) -> None:
        line = line.strip()
        if match := _PLAN.match(line):
            self.total = sum(int(group) for group in match.groups())
        elif match := _STARTED.match(line):
            self.working[match[1]] = now
        elif match := _FINISHED.match(line):
            self.working.pop(match[1], None)
            self.finished += 1
        elif _REFRESHING.match(line):
            self.refreshed += 1
        elif match := _APPLIED.match(line):
            self.applied = match[1]
        elif line.startswith("No changes."):
            self.no_changes = True
        elif line.startswith("Error:"):
            self.errors.append(line)

    def status(self, seconds: float) -> str:
        if self.total is None:
            read = f", {self.refreshed} resources read" if self.refreshed else ""
            return f"deploy: planning{read}, {elapsed(seconds)}"
        text = f"deploy: {self.finished}/{self.total} resources done, {elapsed(seconds)}"
        if self.working:
            oldest = sorted(self.working, key=self.working.__getitem__)
            names = ", ".join(_short(address) for address in oldest[:2])
            more = f" +{len(oldest) - 2}" if len(oldest) > 2 else ""
            text += f"; waiting on {names}{more}"
        return text


def _short(address: str) -> str:
    """``module.compute.aws_sqs_queue.this["image"]`` -> ``aws_sqs_queue.this["image"]``."""
    return re.sub(r"^(module\.[^.]+\.)+", "", address)


def _log_tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(f"    {line}" for line in text[-lines:])


def deploy(progress: Progress, force: bool = False) -> tuple[terraform.Deployed, ApplyTracker]:
    """``terraform.deploy`` of the sandbox (init, apply, outputs file), its output into a log
    and a live line of what it is waiting on."""
    tf = terraform.target(ENV)  # starts the sandbox if needed, makes the state bucket
    log_path = outputs.outputs_dir() / "demo-deploy.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tracker = ApplyTracker()
    failures: list[terraform.TerraformError] = []
    results: list[terraform.Deployed] = []
    started = time.monotonic()
    with log_path.open("w") as log:

        def on_line(line: str) -> None:
            log.write(line)
            tracker.feed(line, time.monotonic())

        def work() -> None:
            try:
                results.append(
                    terraform.deploy(tf, auto_approve=True, on_line=on_line, force=force)
                )
            except terraform.TerraformError as exc:
                failures.append(exc)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive():
            progress.live(tracker.status(time.monotonic() - started))
            worker.join(TICK_SECONDS)
    progress.clear()
    if failures:
        errors = "\n".join(f"    {line}" for line in tracker.errors[:5])
        raise DemoError(
            f"{failures[0]}\n{errors or _log_tail(log_path)}\n"
            f"  full output: {display_path(log_path)}"
        )
    return results[0], tracker


# --------------------------------------------------------------------------- samples


def content_key(filename: str, data: bytes) -> tuple[str, int, str]:
    """What identifies a sample's content in its record: name, size and S3's ETag (the MD5
    of an object uploaded in one part without KMS, as the sandbox stores it)."""
    return filename, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest()


def record_key(record: dict[str, Any]) -> tuple[str, int, str] | None:
    etag = record.get("etag")
    if not isinstance(etag, str) or not isinstance(record.get("size"), int):
        return None
    return str(record.get("filename")), int(record["size"]), etag.strip('"')


def processed_before(client: ApiClient) -> dict[str, dict[str, Any]]:
    """Sample file name -> the newest record of that same content that ended as expected."""
    wanted = {content_key(s.filename, (SAMPLES_DIR / s.filename).read_bytes()): s for s in SAMPLES}
    found: dict[str, dict[str, Any]] = {}
    for record in client.iter_files(limit=REUSE_LOOKBACK):
        sample = wanted.get(record_key(record) or ("", 0, ""))
        if sample and sample.filename not in found and record["status"] == sample.expected_status:
            found[sample.filename] = record
    return found


def upload_samples(
    client: ApiClient, progress: Progress, reuse: dict[str, dict[str, Any]] | None = None
) -> dict[str, str]:
    """Each sample through POST /files and its presigned form, unless ``reuse`` has its
    record; file id -> file name."""
    names: dict[str, str] = {}
    for sample in SAMPLES:
        if reuse and sample.filename in reuse:
            record = reuse[sample.filename]
            names[record["file_id"]] = sample.filename
            progress.note(
                f"  {sample.filename:<18} {human_size(record['size']):>9}  {'same content':<38} "
                f"-> {record['file_id']} (processed before)"
            )
            continue
        started = upload(client, SAMPLES_DIR / sample.filename)
        names[started.file_id] = sample.filename
        progress.note(
            f"  {sample.filename:<18} {human_size(started.size):>9}  {sample.about:<38} "
            f"-> {started.file_id}"
        )
    return names


def follow(
    client: ApiClient, names: dict[str, str], progress: Progress, timeout: float
) -> list[dict[str, Any]]:
    total = len(names)

    def changed(record: dict[str, Any], seconds: float) -> None:
        progress.note(f"  {names[record['file_id']]:<18} {record['status']:<10} {seconds:5.1f} s")

    def polled(pending: Any, seconds: float) -> None:
        progress.live(f"processing: {total - len(pending)} of {total} done, {elapsed(seconds)}")

    records = wait_all(client, list(names), timeout=timeout, on_change=changed, on_poll=polled)
    progress.clear()
    return list(records.values())


def unexpected(records: list[dict[str, Any]]) -> list[str]:
    """Samples that did not end as the demo expects, as sentences."""
    expected = {sample.filename: sample.expected_status for sample in SAMPLES}
    return [
        f"{record['filename']} ended {record['status']}, expected {expected[record['filename']]}"
        for record in records
        if record["status"] != expected[record["filename"]]
    ]


# --------------------------------------------------------------------------- the end


def command_prefix(environ: Mapping[str, str] | None = None) -> str:
    """``SANDBOX_PORT=4600 `` when this run used a sandbox other than the default."""
    environ = os.environ if environ is None else environ
    settings = {
        name: environ[name]
        for name in SANDBOX_SETTINGS
        if environ.get(name) and not (name == "SANDBOX_PORT" and environ[name] == str(DEFAULT_PORT))
    }
    return "".join(f"{name}={shlex.quote(value)} " for name, value in settings.items())


def closing(config: ApiConfig, records: list[dict[str, Any]]) -> str:
    prefix = command_prefix()
    cli = display_path(Path(sys.executable).parent / "fileproc")
    by_name = {record["filename"]: record["file_id"] for record in records}
    photo = by_name.get("photo.jpg", "<file id>")
    return f"""
The pipeline runs on the local sandbox.

  API URL   {config.url}
  Console   {outputs.load(ENV).get("console_url") or "off"} (in a browser, with the key below)
  API key   in {display_path(outputs.outputs_path(ENV))} (api_key_value); for your shell:
              eval "$({prefix}{cli} config)"
              curl -H "x-api-key: $FILEPROC_API_KEY" "$FILEPROC_API_URL/files?limit=5"

  The CLI ({cli}, or `fileproc` after `source .venv/bin/activate`):
    {prefix}{cli} ls --status FAILED
    {prefix}{cli} show {photo}
    {prefix}{cli} upload samples/report.pdf your-own-file.csv
    {prefix}{cli} download {photo} -o /tmp/
    {prefix}{cli} download {photo} --artefact thumbnail -o /tmp/
    {prefix}{cli} redrive --dry-run
    {prefix}{cli} --help

  Stop the sandbox (and everything deployed to it): {prefix}make sandbox-down"""


# --------------------------------------------------------------------------- main


def run(timeout: float, out: TextIO, fresh: bool = False) -> int:
    progress = Progress(out)
    began = time.monotonic()

    def step(title: str) -> float:
        progress.note(f"\n== {title}")
        return time.monotonic()

    def done(text: str, since: float) -> None:
        progress.note(f"   {text} ({elapsed(time.monotonic() - since)})")

    # The sandbox runs the functions with the runtime's Python (envs/sandbox.tfvars):
    # obtained now, before anything starts, or the demo stops saying what to install.
    runtime = build.target_for_env(ENV).runtime
    try:
        runtime_python.ensure_interpreter(runtime, note=progress.note)
    except runtime_python.MissingInterpreter as exc:
        raise DemoError(f"the sandbox runs the functions with {runtime}: {exc}") from None

    since = step("1/5 sandbox")
    was_running = sandbox.is_running()
    endpoint = sandbox.ensure_up()
    state = "already running" if was_running else "started"
    done(f"{state}: AWS at {endpoint}, API front at {sandbox.api_endpoint_url()}", since)

    since = step("2/5 build: function zip and layers for python3.12 on x86_64")
    out.flush()
    if build.main(["--env", ENV]) != 0:
        raise DemoError("the build failed (above); run `make build ENV=sandbox` to retry")
    done("built", since)

    since = step("3/5 deploy: terraform apply to the sandbox")
    progress.note(
        "   A fresh deploy takes about 90 s, mostly the aws provider waiting until each SQS\n"
        "   queue and the bucket lifecycle read back as written (its consistency checks, the\n"
        "   same on AWS). Run again with nothing changed, the apply is skipped; with a change,\n"
        "   it applies without reading every resource back (FRESH=1 reads them all)."
    )
    deployed, tracker = deploy(progress, force=fresh)
    if deployed.skipped:
        done("nothing changed since the last deploy to this sandbox: apply skipped", since)
    elif tracker.no_changes:
        done(f"no changes: the stack was already deployed ({deployed.how})", since)
    else:
        done(f"resources {tracker.applied or 'applied'} ({deployed.how})", since)
    found = outputs.load(ENV)
    config = ApiConfig(found["api_url"], found["api_key_value"])
    client = ApiClient(config)

    since = step(f"4/5 upload: {len(SAMPLES)} samples through {config.url}")
    # Only records made by this same deployed code say what it does with the samples.
    reuse = processed_before(client) if deployed.skipped else {}
    names = upload_samples(client, progress, reuse)
    if reuse:
        done(
            f"uploaded {len(SAMPLES) - len(reuse)}, {len(reuse)} processed before by this "
            "same stack: records reused (make demo FRESH=1 uploads them again)",
            since,
        )
    else:
        done("uploaded", since)

    since = step("5/5 processing: S3 -> SQS -> Lambda -> DynamoDB")
    records = follow(client, names, progress, timeout)
    done("all final", since)

    progress.note("")
    progress.note(records_table(records, with_id=False))
    problems = unexpected(records)
    progress.note(closing(config, records))
    progress.note(f"\nmake demo took {elapsed(time.monotonic() - began)}.")
    if problems:
        progress.note("\nNot as expected:\n" + "\n".join(f"  {p}" for p in problems))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fileproc_tools.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=PROCESSING_TIMEOUT_SECONDS,
        help=f"seconds to wait for processing (default {PROCESSING_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="apply (with a full refresh) and upload every sample, even when nothing changed",
    )
    args = parser.parse_args(argv)
    try:
        return run(args.timeout, sys.stdout, fresh=args.fresh)
    except (DemoError, CliError, terraform.TerraformError, sandbox.SandboxError) as exc:
        print(f"\ndemo: error: {exc}", file=sys.stderr)
        log = display_path(sandbox.Settings.from_env().log_file)
        print(f"demo: the sandbox's log: {log}; its state: make sandbox-status", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
