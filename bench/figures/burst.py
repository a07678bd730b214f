"""Burst: 1,000 uploads through the API at once, from cold functions, until every record is final.

The burst gets a sandbox of its own (ports, state directory under build/bench/),
stopped first and deployed fresh with ``make deploy ENV=sandbox``, so every
function is cold: no execution environment has started. Then BURST_THREADS
clients send the uploads (``POST /files`` through the API, then the presigned
POST to the storage) as fast as the API takes them, with fileproc_cli (what the
``fileproc`` command uses), and the records are followed through the API's
listing by status until none is PENDING or PROCESSING (or the drain timeout).

The figure: the time to drain (first request to the last record's processed_at),
reported; its target is the counts that must be 0: lost (the storage took the
file, its record never left PENDING), stuck (still PROCESSING), 5xx (answers of
500 or more that the client got after its retries of 503), failed (FAILED
records: every file is valid), refused (uploads the API or storage turned down).
The details add the 429/503 answers the client retried, how long the sending
took and the machine's load average before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import inputs
from bench.config import Context
from bench.measure import REPO_ROOT
from bench.model import Figure, rounded

PORT = os.environ.get("BENCH_BURST_PORT", "4721")
BURST_THREADS = 8
DRAIN_TIMEOUT_S = 900.0
POLL_S = 2.0


def _env(ctx: Context) -> dict[str, str]:
    return {
        **os.environ,
        "SANDBOX_PORT": PORT,
        "SANDBOX_API_PORT": str(int(PORT) + 1),
        "FILEPROC_SANDBOX_DIR": str(ctx.work_dir / "burst-sandbox"),
    }


def _files(directory: Path) -> list[Path]:
    """Small valid files of each category: the burst measures the pipeline, not a processor."""
    directory.mkdir(parents=True, exist_ok=True)
    photo, table, text = directory / "photo.jpg", directory / "table.csv", directory / "notes.txt"
    photo.write_bytes(inputs.photo_jpeg(320, 240))
    inputs.write_csv(table, 20_000, "mixed")
    text.write_text("fileproc burst sample.\n" * 50)
    return [photo, table, text]


def run(ctx: Context) -> list[Figure]:
    if not ctx.sandbox:
        return []
    env = _env(ctx)
    sandbox = [sys.executable, "-m", "fileproc_sandbox"]
    subprocess.run([*sandbox, "down"], cwd=REPO_ROOT, env=env, capture_output=True, check=False)
    try:
        ctx.say(f"burst: fresh make deploy ENV=sandbox on port {PORT}")
        completed = subprocess.run(
            ["make", "deploy", "ENV=sandbox"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"make deploy failed: {completed.stderr[-2000:]}")
        result = _burst(ctx, env)
    finally:
        subprocess.run([*sandbox, "down"], cwd=REPO_ROOT, env=env, capture_output=True)
    zero = ("lost", "stuck", "5xx", "failed", "refused")
    return [
        Figure(
            id="burst.drain",
            title=f"burst of {result['uploads']} uploads through the API from cold functions: "
            "time until every record is final",
            value=rounded(result["drain_s"], 1),
            unit="s",
            target="lost, stuck, 5xx, failed, refused all 0 (drain time reported)",
            met=result["drain_s"] is not None and all(result[name] == 0 for name in zero),
            method=f"{BURST_THREADS} client threads send every upload at once (POST /files, "
            "presigned POST); records followed through GET /files?status=; drain = last "
            "processed_at minus the first request",
            details=result,
        ),
    ]


def _burst(ctx: Context, env: dict[str, str]) -> dict[str, Any]:
    from fileproc_cli import ApiClient, ApiError, CliError, resolve, upload

    files = _files(ctx.work_dir / "burst")
    count = ctx.sizes.burst_files
    previous = os.environ.get("FILEPROC_SANDBOX_DIR")
    os.environ["FILEPROC_SANDBOX_DIR"] = env["FILEPROC_SANDBOX_DIR"]
    try:
        config = resolve(env="sandbox")
    finally:
        if previous is None:
            os.environ.pop("FILEPROC_SANDBOX_DIR")
        else:
            os.environ["FILEPROC_SANDBOX_DIR"] = previous
    lock = threading.Lock()
    retried = 0

    def counting_sleep(seconds: float) -> None:
        nonlocal retried
        with lock:
            retried += 1
        time.sleep(seconds)

    client = ApiClient(config, sleep=counting_sleep)
    errors: dict[str, int] = {}
    server_errors = 0

    def one(index: int) -> str | None:
        nonlocal server_errors
        try:
            return upload(client, files[index % len(files)]).file_id
        except CliError as exc:
            with lock:
                key = f"{type(exc).__name__}: {str(exc)[:120]}"
                errors[key] = errors.get(key, 0) + 1
                status = exc.status if isinstance(exc, ApiError) else 0
                if status >= 500 or "HTTP 5" in str(exc):
                    server_errors += 1
            return None

    ctx.say(f"burst: {count} uploads from {BURST_THREADS} threads")
    load_before = os.getloadavg()
    started_wall = time.time()
    started = time.monotonic()
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        ids = [file_id for file_id in pool.map(one, range(count)) if file_id]
    sent_s = time.monotonic() - started
    ctx.say(f"burst: {len(ids)} accepted in {sent_s:.1f} s; draining")
    wanted = set(ids)
    by_status: dict[str, set[str]] = {}
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        by_status = {
            status: {
                str(record["file_id"])
                for record in client.iter_files(status=status, limit=count + 1000)
            }
            & wanted
            for status in ("PENDING", "PROCESSING")
        }
        pending = len(by_status["PENDING"]) + len(by_status["PROCESSING"])
        if pending == 0 or time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    final = {
        status: list(client.iter_files(status=status, limit=count + 1000))
        for status in ("PROCESSED", "FAILED")
    }
    done = [r for records in final.values() for r in records if r["file_id"] in wanted]
    finished = [
        datetime.fromisoformat(str(r["processed_at"]).replace("Z", "+00:00")).timestamp()
        for r in done
        if r.get("processed_at")
    ]
    complete = len(done) == len(wanted)
    return {
        "uploads": count,
        "accepted": len(ids),
        "refused": sum(errors.values()),
        "errors": errors,
        "retried_429_or_503": retried,
        "5xx": server_errors,
        "send_s": round(sent_s, 1),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "drain_s": round(max(finished) - started_wall, 1) if complete and finished else None,
        "processed": sum(1 for r in final["PROCESSED"] if r["file_id"] in wanted),
        "failed": sum(1 for r in final["FAILED"] if r["file_id"] in wanted),
        "lost": len(by_status["PENDING"]),
        "stuck": len(by_status["PROCESSING"]),
        "missing": len(wanted) - len(done) - pending,
        "threads": BURST_THREADS,
        "files": [path.name for path in files],
    }
