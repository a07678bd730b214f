"""Sandbox: a fresh ``make deploy ENV=sandbox`` and a no-op plan, then end-to-end latency.

The sandbox runs on its own ports and state directory (build/bench/sandbox),
so a developer's sandbox is left alone; it is stopped first (fresh) and at
the end. End to end: for each file, the time from ``POST /files`` (upload
through the API's presigned POST) until ``GET /files/{id}`` shows PROCESSED,
polled every 50 ms, with fileproc_cli (what the ``fileproc`` command
uses). Files: small photos, CSVs and text files in turn, one at a time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import inputs
from bench.config import Context
from bench.measure import REPO_ROOT
from bench.model import Figure, rounded

DEPLOY_TARGET_S = 120
PLAN_TARGET_S = 15
P50_TARGET_S = 2.0
PORT = "4711"


def _env(ctx: Context) -> dict[str, str]:
    return {
        **os.environ,
        "SANDBOX_PORT": PORT,
        "SANDBOX_API_PORT": str(int(PORT) + 1),
        "FILEPROC_SANDBOX_DIR": str(ctx.work_dir / "sandbox"),
    }


def _timed_command(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {completed.stderr[-2000:]}")
    return time.monotonic() - started


def run(ctx: Context) -> list[Figure]:
    if not ctx.sandbox:
        return []
    env = _env(ctx)
    sandbox = [sys.executable, "-m", "fileproc_sandbox"]
    subprocess.run([*sandbox, "down"], cwd=REPO_ROOT, env=env, capture_output=True, check=False)
    try:
        ctx.say(f"sandbox: fresh make deploy ENV=sandbox on port {PORT}")
        deploy_s = _timed_command(["make", "deploy", "ENV=sandbox"], env)
        ctx.say(f"sandbox: deployed in {deploy_s:.0f} s; no-op plan")
        plan_s = _timed_command(
            [sys.executable, "-m", "fileproc_tools.terraform", "plan", "--env", "sandbox"], env
        )
        latencies = _end_to_end(ctx, env)
    finally:
        subprocess.run([*sandbox, "down"], cwd=REPO_ROOT, env=env, capture_output=True)
    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[max(0, round(0.95 * len(latencies)) - 1)]
    return [
        Figure(
            id="sandbox.deploy",
            title="sandbox deploy: fresh make deploy ENV=sandbox",
            value=rounded(deploy_s, 1),
            unit="s",
            target=f"<= {DEPLOY_TARGET_S} s",
            met=deploy_s <= DEPLOY_TARGET_S,
            method="wall time of the command, sandbox started from nothing",
        ),
        Figure(
            id="sandbox.plan",
            title="sandbox deploy: no-op plan right after",
            value=rounded(plan_s, 1),
            unit="s",
            target=f"<= {PLAN_TARGET_S} s",
            met=plan_s <= PLAN_TARGET_S,
            method="wall time of python -m fileproc_tools.terraform plan --env sandbox",
        ),
        Figure(
            id="sandbox.e2e",
            title=f"sandbox end to end: upload to PROCESSED through the API, "
            f"{len(latencies)} files (p50; p95 in details)",
            value=rounded(p50, 2),
            unit="s",
            target=f"p50 <= {P50_TARGET_S} s; p95 reported",
            met=p50 <= P50_TARGET_S,
            method="wall time per file, one file at a time, status polled every 50 ms",
            details={"p95_s": round(p95, 2), "latencies_s": [round(x, 2) for x in latencies]},
        ),
    ]


def _samples(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    photo, table, text = directory / "photo.jpg", directory / "table.csv", directory / "notes.txt"
    photo.write_bytes(inputs.photo_jpeg(1600, 1200))
    inputs.write_csv(table, 200_000, "mixed")
    text.write_text("fileproc end-to-end sample.\n" * 200)
    return [photo, table, text]


def _end_to_end(ctx: Context, env: dict[str, str]) -> list[float]:
    from fileproc_cli import ApiClient, resolve, upload, wait

    samples = _samples(ctx.work_dir / "e2e")
    previous = os.environ.get("FILEPROC_SANDBOX_DIR")
    os.environ["FILEPROC_SANDBOX_DIR"] = env["FILEPROC_SANDBOX_DIR"]
    try:
        client = ApiClient(resolve(env="sandbox"))
    finally:
        if previous is None:
            os.environ.pop("FILEPROC_SANDBOX_DIR")
        else:
            os.environ["FILEPROC_SANDBOX_DIR"] = previous
    latencies = []
    for index in range(ctx.sizes.e2e_files):
        path = samples[index % len(samples)]
        started = time.monotonic()
        record: dict[str, Any] = dict(
            wait(client, upload(client, path).file_id, timeout=120, interval=0.05)
        )
        if record.get("status") != "PROCESSED":
            raise RuntimeError(f"{path.name} ended {record.get('status')}: {record.get('error')}")
        latencies.append(time.monotonic() - started)
    ctx.say(f"sandbox: {len(latencies)} files processed end to end")
    return latencies
