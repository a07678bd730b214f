"""Hostile files at full size (fileproc_tools.hostile.FULL; --quick: SMALL) through the
isolated processor of their function: outcome, the extraction child's peak memory and
the time, per kind. The headline figure is the largest memory one file took (the
child's peak less what it was forked with) against the smallest memory a function
may be given (modules/compute: memory_mb >= 128).

Each kind runs in a process forked for it, which calls the isolated processor as the
function does (its default memory as the child's limit, its default timeout as the
deadline): the forked process's RUSAGE_CHILDREN is then the extraction child's alone
(its ru_maxrss: the peak resident set, the parent's shared pages it touched included).
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

from bench.config import Context
from bench.measure import run_worker
from bench.model import Figure, rounded

# modules/compute/variables.tf: the smallest memory_mb its validation allows.
SMALLEST_FUNCTION_MB = 128
# The module's defaults per function (memory MB, timeout s).
FUNCTION = {"image": (1024, 120), "document": (2048, 300), "data": (1024, 300)}


def run(ctx: Context) -> list[Figure]:
    scale = "small" if ctx.quick else "full"
    result = run_worker(
        "bench.figures.hostile:measure",
        {"work_dir": str(ctx.work_dir / f"hostile-{scale}"), "scale": scale},
        timeout=3600,
    )
    rows = result["kinds"]
    for row in rows:
        if not row["as_expected"]:
            ctx.say(f"hostile: {row['kind']} ended {row['outcome']}, expected {row['expected']}")
    growth = max(row["growth_mb"] for row in rows)
    worst = max(rows, key=lambda row: row["growth_mb"])
    base = max(row["base_mb"] for row in rows)
    matched = sum(row["as_expected"] for row in rows)
    table = {
        "title": (
            f"Hostile files ({scale} size) through the isolated processors (peak: the "
            f"extraction child's ru_maxrss; growth: over the {base} MB it started with)"
        ),
        "columns": ["kind", "file", "outcome", "as expected", "peak RSS", "growth", "time"],
        "rows": [
            [
                row["kind"],
                _size(row["bytes"]),
                row["outcome"],
                "yes" if row["as_expected"] else f"**no** (expected {row['expected']})",
                f"{row['peak_mb']} MB",
                f"{row['growth_mb']} MB",
                f"{row['seconds']:.2f} s",
            ]
            for row in rows
        ],
    }
    return [
        Figure(
            id="hostile.peak",
            title=f"hostile files: largest memory one file took ({len(rows)} kinds)",
            value=growth,
            unit="MB",
            baseline=SMALLEST_FUNCTION_MB,
            baseline_what="the smallest function memory modules/compute allows",
            ratio=rounded(growth / SMALLEST_FUNCTION_MB),
            target=f"< {SMALLEST_FUNCTION_MB} MB",
            met=growth < SMALLEST_FUNCTION_MB,
            method=(
                "each kind of fileproc_tools.hostile through isolated(process) of its "
                "function (module default memory and timeout), in a process forked for it: "
                "the extraction child's ru_maxrss less the resident set it was forked with "
                f"(up to {base} MB here: the bench process with the processors imported; "
                "a function holds its own on top); largest: "
                f"{worst['kind']} (peak RSS {worst['peak_mb']} MB)"
            ),
            details={"table": table, **result},
        ),
        Figure(
            id="hostile.outcomes",
            title="hostile files: kinds ending in their expected record",
            value=matched,
            unit=f"of {len(rows)}",
            target="all",
            met=matched == len(rows),
            method="outcome of each kind against the one its generator expects",
        ),
    ]


def _size(size: int) -> str:
    for unit, scale in (("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def measure(work_dir: str, scale: str) -> dict[str, Any]:
    # Imported once, before the forks (as a warm function has them): not timed per kind.
    from fileproc.processors import data, document, image, pdf  # noqa: F401
    from fileproc_tools import hostile

    sizes = hostile.FULL if scale == "full" else hostile.SMALL
    os.makedirs(work_dir, exist_ok=True)
    rows = []
    for kind in hostile.KINDS:
        path = os.path.join(work_dir, kind.key_name)
        if not os.path.exists(path):
            with open(path, "wb") as out:
                out.write(kind.make(sizes))
        rows.append(_forked(kind, path, sizes))
    return {"scale": scale, "parent_rss_mb": _rss_mb(), "kinds": rows}


def _forked(kind: Any, path: str, sizes: Any) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the measuring child
        code = 1
        try:
            os.close(read_end)
            os.write(write_end, json.dumps(_one(kind, path, sizes)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return dict(json.loads(text))


def _one(kind: Any, path: str, sizes: Any) -> dict[str, Any]:
    from fileproc import isolation
    from fileproc.config import Settings
    from fileproc.errors import PermanentError
    from fileproc.keys import category_for
    from fileproc.processors import data, document, image

    category = str(category_for(kind.key_name))
    process = {"image": image.process, "document": document.process, "data": data.process}
    memory_mb, timeout_s = FUNCTION[category]
    ends = time.monotonic() + timeout_s
    settings = Settings(table_name="bench", bucket_name="bench")
    size = os.path.getsize(path)
    base_mb = _status_mb("VmRSS")  # what the extraction child starts with
    started = time.perf_counter()
    reason = ""
    with (
        open(path, "rb") as stream,
        isolation.deadline(lambda: int((ends - time.monotonic()) * 1000), whole_invocation=True),
    ):
        try:
            extraction = isolation.isolated(process[category], memory_mb=memory_mb)(
                stream, size=size, extension=kind.extension, settings=settings
            )
            outcome = "PROCESSED"
            reason = ", ".join(sorted(extraction.metadata))[:200]
        except PermanentError as exc:
            outcome, reason = f"FAILED {exc.type}", str(exc)[:300]
        except Exception as exc:  # what the pipeline records as InternalError
            outcome, reason = "FAILED InternalError", f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - started
    expect = kind.expected(sizes)
    expected = " ".join(filter(None, (expect.status, expect.error_type)))
    return {
        "kind": kind.key_name,
        "function": category,
        "bytes": size,
        "outcome": outcome,
        "expected": expected,
        "as_expected": outcome == expected,
        "reason": reason,
        "base_mb": base_mb,
        "peak_mb": (peak := resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024),
        "growth_mb": max(peak - base_mb, 0),
        "seconds": round(seconds, 3),
    }


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _status_mb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0
