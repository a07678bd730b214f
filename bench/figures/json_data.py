"""JSON: profiling throughput of a JSON array and of JSON Lines, and its peak memory.

Inputs: 400 k customer-like records (~67 MB; bench.inputs.write_json) as one
JSON array and as JSON Lines. Throughput: the data processor (json_profile and
its msgspec engine) against iterating the same records with ijson's C backend
(yajl2_c: the streaming parser a user would otherwise run), with orjson
(line by line; the whole file at once for the array, which is not streaming)
and bare msgspec beside them as peers. All run with the Lambda runtime's
Python and the deployed zips (bench.runtime), the peers' wheels for that
Python installed beside them (build/bench/json-peers/, ijson and orjson at
the dev venv's versions; `make bench` installs the `bench` extra). Each
measurement is a fresh process, so its peak RSS is its own; the alternatives
run interleaved.

Memory: the growth of the processor's peak RSS while it profiles the array, at a
quarter and at the full size: flat if it does not grow with the file (the
interpreter, the layer's imports and the file's reading are the same for all).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import inputs
from bench.config import MB, Context
from bench.measure import Samples, peak_rss_kb, reset_peak_rss, run_worker, timed
from bench.model import Figure, rounded
from bench.runtime import prepare

THROUGHPUT_TARGET = 1.0  # issue 9: at least as fast as ijson's C backend
MEMORY_TARGET_MB = 32
PEERS = ("ijson", "orjson")
MODES = ("ijson", "profile", "orjson", "msgspec")
NO_PEERS = "ijson and orjson could not be installed for the runtime's Python (pip, offline?)"


def run(ctx: Context) -> list[Figure]:
    runtime = prepare(ctx)
    env = runtime.env(with_bench=True)
    peers = _peers(ctx, runtime.python)
    if peers is None:
        ctx.say(f"json: {NO_PEERS}; the processor and msgspec only")
    else:
        env["PYTHONPATH"] += os.pathsep + str(peers)
    modes = MODES if peers else ("profile", "msgspec")
    figures = [
        _throughput(ctx, kind, modes, runtime.python, runtime.version, env)
        for kind in inputs.JSON_KINDS
    ]
    figures.append(_memory(ctx, runtime.python, env))
    return figures


def _peers(ctx: Context, python: str) -> Path | None:
    """ijson and orjson wheels for the runtime's Python, at the dev venv's versions (the
    bench extra), else the newest; None if pip cannot install them."""
    versions = [f"{name}=={_version(name)}" if _version(name) else name for name in PEERS]
    target = ctx.work_dir / "json-peers" / "-".join(versions)
    marker = target / ".complete"
    if not marker.exists():
        major, minor = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        installed = subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                "--target", str(target), "--only-binary=:all:",
                "--python-version", f"{major}.{minor}", "--implementation", "cp",
                "--platform", f"manylinux2014_{platform.machine()}", *versions,
            ],
            check=False,
        )  # fmt: skip
        if installed.returncode != 0:
            return None
        marker.touch()
    return target


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _throughput(
    ctx: Context,
    kind: str,
    modes: tuple[str, ...],
    python: str,
    version: str,
    env: dict[str, str],
) -> Figure:
    count = ctx.sizes.json_records
    path = inputs.write_json(inputs.json_path(ctx.work_dir, kind, count), kind, count)
    megabytes = path.stat().st_size / MB
    what = "JSON array" if kind == "array" else "JSON Lines"
    ctx.say(f"json: {what} of {megabytes:.0f} MB, {ctx.sizes.repeats} rounds")
    samples = {mode: Samples() for mode in modes}
    growth: dict[str, list[int]] = {mode: [] for mode in modes}
    outcome: dict[str, Any] = {}
    for _ in range(ctx.sizes.repeats):  # every mode in each round: a slow spell hits all
        for mode in modes:
            result = run_worker(
                "bench.figures.json_data:measure", {"path": str(path), "mode": mode},
                python=python, env=env,
            )  # fmt: skip
            samples[mode].add(result["cpu_s"], result["wall_s"])
            growth[mode].append(result["growth_kb"])
            outcome[mode] = result["outcome"]
    speed = {mode: megabytes / sample.median_cpu for mode, sample in samples.items()}
    ratio = speed["profile"] / speed["ijson"] if "ijson" in speed else None
    return Figure(
        id=f"json.throughput.{kind}",
        title=f"json: {what} profiling throughput, {megabytes:.0f} MB, {count:,} records",
        value=rounded(speed["profile"], 1),
        unit="MB/s",
        baseline=rounded(speed.get("ijson"), 1),
        baseline_what="iterating the same records with ijson's C backend (yajl2_c)",
        ratio=rounded(ratio),
        target=f">= {THROUGHPUT_TARGET}x",
        met=None if ratio is None else ratio >= THROUGHPUT_TARGET,
        note="" if ratio is not None else NO_PEERS,
        method=f"CPU time, median of {ctx.sizes.repeats} interleaved fresh processes, Lambda "
        f"runtime Python {version} with the zipped code; peers orjson and msgspec in details",
        details={
            "file_mb": round(megabytes, 1),
            "mb_per_s": {mode: round(value, 1) for mode, value in speed.items()},
            "ratio_to_orjson": round(speed["profile"] / speed["orjson"], 3)
            if "orjson" in speed
            else None,
            "rss_growth_mb": {
                mode: round(max(values) / 1024, 1) for mode, values in growth.items()
            },
            "outcome": outcome,
            "samples": {mode: sample.as_dict() for mode, sample in samples.items()},
        },
    )


def _memory(ctx: Context, python: str, env: dict[str, str]) -> Figure:
    full = ctx.sizes.json_records
    by_size: dict[str, dict[str, Any]] = {}
    growth: dict[tuple[str, int], float] = {}
    for kind in inputs.JSON_KINDS:
        for count in (full // 4, full):
            path = inputs.write_json(inputs.json_path(ctx.work_dir, kind, count), kind, count)
            result = run_worker(
                "bench.figures.json_data:measure", {"path": str(path), "mode": "profile"},
                python=python, env=env,
            )  # fmt: skip
            growth[kind, count] = round(result["growth_kb"] / 1024, 1)
            by_size[f"{path.name} ({path.stat().st_size / MB:.1f} MB)"] = {
                "rss_growth_mb": growth[kind, count],
                "peak_rss_mb": round(result["peak_rss_kb"] / 1024, 1),
            }
    # Flat: within 10% (+2 MB of allocator noise) of the quarter-size file's.
    flat = all(
        growth[kind, full] <= growth[kind, full // 4] * 1.1 + 2 for kind in inputs.JSON_KINDS
    )
    large = max(growth[kind, full] for kind in inputs.JSON_KINDS)
    small = max(growth[kind, full // 4] for kind in inputs.JSON_KINDS)
    return Figure(
        id="json.memory",
        title=f"json: memory profiling {full:,} records (JSON array, JSON Lines)",
        value=large,
        unit="MB",
        baseline=small,
        baseline_what=f"the same of the first {full // 4:,} records",
        ratio=rounded(large / small) if small else None,
        target=f"flat, <= {MEMORY_TARGET_MB} MB",
        met=flat and large <= MEMORY_TARGET_MB,
        method="growth of the peak RSS (VmHWM, reset before the work) while profiling, the "
        "larger of the two files; Lambda runtime Python with the zipped code",
        details={"by_file": by_size, "flat": flat},
    )


# ---------------------------------------------------------------- in the worker process


def measure(path: str, mode: str) -> dict[str, Any]:
    """One pass over the file; CPU and wall time, peak RSS of this process, what it found."""
    lines = path.endswith(".jsonl")
    if mode == "profile":
        from fileproc.processors import json_fast, json_profile  # noqa: F401  imported untimed

        def work() -> Any:
            with open(path, "rb") as stream:
                metadata = json_profile.process(stream, extension=Path(path).suffix).metadata
            return {"records": metadata["records"], "engine": metadata["engine"]}

    elif mode == "ijson":
        import ijson

        def work() -> Any:
            with open(path, "rb") as stream:
                items = (
                    ijson.items(stream, "", multiple_values=True)
                    if lines
                    else ijson.items(stream, "item")
                )
                return {"records": sum(1 for _ in items), "backend": ijson.backend}

    else:
        if mode == "orjson":
            import orjson

            loads = orjson.loads
        else:
            import msgspec

            loads = msgspec.json.Decoder().decode

        def work() -> Any:
            with open(path, "rb") as stream:
                if lines:  # line by line: streaming
                    records = 0
                    for line in stream:
                        loads(line)
                        records += 1
                    return {"records": records}
                return {"records": len(loads(stream.read())), "whole_file": True}

    before = reset_peak_rss()
    cpu, wall, outcome = timed(work)
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "outcome": outcome,
        "peak_rss_kb": peak_rss_kb(),
        "growth_kb": peak_rss_kb() - before,
    }
