"""Hostile files at full size (fileproc_tools.hostile.FULL; --quick: SMALL) through the
isolated processor of their function, run as in the smallest function modules/compute
allows (memory_mb = 128 for image and document, 256 for data, whose engine needs it:
the child's memory limit and so the image decode budget follow from it), with the
function's default timeout: outcome, memory and time per kind. The headline figure is
the largest memory a function held while one file was processed, against that
function's smallest memory. The quick run gives each function its
default memory instead, as tests/unit/test_hostile.py does for the small kinds.

Each kind runs in a process forked for it (the "function": the bench's interpreter
with the three handlers imported, as Lambda's runtime imports one, about 77 MB),
which calls the isolated processor as the function does; the extraction child is
forked from it. What the function holds at the file's peak is its own resident set
plus the child's private memory at its peak (its own allocations and the pages it
copied on write; the pages it shares with the function are counted once). The
child's ru_maxrss (from RUSAGE_CHILDREN of the forked process, the extraction
child's alone) counts the shared pages it touched too, so:

- the child's private memory at its end (Private_Clean + Private_Dirty of
  /proc/self/smaps_rollup, read by a wrapper of the processor as it returns or
  raises) plus what its resident set fell from its peak to that end (memory freed
  before the end was private) is its private peak (conservative: Private_Clean
  counts the library files only the child mapped, page cache Lambda can reclaim);
- a child killed before its end (a signal: at its memory limit) has no end reading:
  its peak resident set less the function's anonymous memory (what it started with
  resident) stands for it, marked "~" in the table (copy-on-write copies not seen).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import resource
import time
from collections.abc import Callable
from typing import Any

from bench.config import Context
from bench.measure import run_worker
from bench.model import Figure, rounded

# modules/compute/variables.tf: the smallest memory_mb its validations allow (128,
# Lambda's least; the data function at least 256, for DuckDB).
SMALLEST_FUNCTION_MB = {"image": 128, "document": 128, "data": 256}
# The module's default timeout per function (s), and its default memory (MB), which
# the quick run (--quick, SMALL) uses as tests/unit/test_hostile.py does: the small
# kinds' expected outcomes are those.
TIMEOUT_S = {"image": 120, "document": 300, "data": 300}
DEFAULT_MB = {"image": 1024, "document": 2048, "data": 1024}


def run(ctx: Context) -> list[Figure]:
    scale = "small" if ctx.quick else "full"
    result = run_worker(
        "bench.figures.hostile:measure",
        {"work_dir": str(ctx.work_dir / f"hostile-{scale}"), "scale": scale},
        timeout=3600,
    )
    rows = result["kinds"]
    memory = (
        "its smallest memory (128 MB; data 256 MB)" if scale == "full" else "its default memory"
    )
    for row in rows:
        if not row["as_expected"]:
            ctx.say(f"hostile: {row['kind']} ended {row['outcome']}, expected {row['expected']}")
    # The file that came nearest its function's memory (data's 256 MB allow it more).
    worst = max(rows, key=lambda row: row["function_mb"] / SMALLEST_FUNCTION_MB[row["function"]])
    peak = worst["function_mb"]
    smallest = SMALLEST_FUNCTION_MB[worst["function"]]
    fits = all(row["function_mb"] < SMALLEST_FUNCTION_MB[row["function"]] for row in rows)
    matched = sum(row["as_expected"] for row in rows)
    table = {
        "title": (
            f"Hostile files ({scale} size) through the isolated processors, each function "
            f"with {memory}. child peak: the extraction child's ru_maxrss "
            "(the function's pages it touched included); child private: its own memory at "
            "its peak (~: estimated from its peak resident set, the child was killed); "
            "function: what the function held at that peak, its resident set (up to "
            f"{max(row['function_rss_mb'] for row in rows)} MB here) plus the child's "
            "private memory"
        ),
        "columns": [
            "kind",
            "file",
            "outcome",
            "as expected",
            "child peak",
            "child private",
            "function",
            "time",
        ],
        "rows": [
            [
                row["kind"],
                _size(row["bytes"]),
                row["outcome"],
                "yes" if row["as_expected"] else f"**no** (expected {row['expected']})",
                f"{row['peak_mb']} MB",
                f"{'' if row['private_measured'] else '~'}{row['private_mb']} MB",
                f"{row['function_mb']} MB",
                f"{row['seconds']:.2f} s",
            ]
            for row in rows
        ],
    }
    return [
        Figure(
            id="hostile.peak",
            title=(
                f"hostile files: largest memory a function held for one file, each with "
                f"{memory} ({len(rows)} kinds)"
            ),
            value=peak,
            unit="MB",
            baseline=smallest,
            baseline_what=(
                f"the smallest memory modules/compute allows the {worst['function']} function"
            ),
            ratio=rounded(peak / smallest),
            # Only the full run is in the smallest functions; the quick one reports.
            target="< its function's smallest, every kind" if scale == "full" else "reported",
            met=fits if scale == "full" else None,
            method=(
                "each kind of fileproc_tools.hostile through isolated(process) of its "
                f"function with {memory}, in a process forked "
                "for it (the function: the bench's interpreter with the three handlers "
                "imported): its resident set plus the extraction child's private memory "
                "at its peak (bench/figures/hostile.py says how); largest: "
                f"{worst['kind']} ({worst['outcome']}, child peak RSS {worst['peak_mb']} MB)"
            ),
            details={"table": table, **result},
        ),
        Figure(
            id="hostile.outcomes",
            title=(
                "hostile files: kinds ending in their expected record "
                f"(each function with {memory})"
            ),
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
    from bench import aws
    from fileproc_tools import hostile

    # The three handlers imported once, before the forks, as a warm function has its
    # own (with its settings, clients and libraries): what the function holds.
    aws.use_function_env()
    for category in TIMEOUT_S:
        importlib.import_module(f"fileproc.handlers.{category}")

    sizes = hostile.FULL if scale == "full" else hostile.SMALL
    os.makedirs(work_dir, exist_ok=True)
    paths = {kind.name: os.path.join(work_dir, kind.key_name) for kind in hostile.KINDS}
    # Made in a process of their own: the 40 MB buffers would stay in this one's heap
    # and in every function forked from it.
    _forked(functools.partial(_make_missing, hostile.KINDS, paths, sizes))
    rows = [
        _forked(functools.partial(_one, kind, paths[kind.name], sizes)) for kind in hostile.KINDS
    ]
    return {"scale": scale, "parent_rss_mb": _rss_mb(), "kinds": rows}


def _make_missing(kinds: Any, paths: dict[str, str], sizes: Any) -> dict[str, Any]:
    made = []
    for kind in kinds:
        if not os.path.exists(paths[kind.name]):
            with open(paths[kind.name], "wb") as out:
                out.write(kind.make(sizes))
            made.append(kind.name)
    return {"made": made}


def _forked(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``work()`` in a forked process, its JSON answer back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the measuring child
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                out.write(json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f"the bench's forked process ended with status {status}")
    return dict(json.loads(text))


def _one(kind: Any, path: str, sizes: Any) -> dict[str, Any]:
    from fileproc import isolation
    from fileproc.config import Settings
    from fileproc.errors import PermanentError
    from fileproc.keys import category_for
    from fileproc.processors import data, document, image

    category = str(category_for(kind.key_name))
    process = {"image": image.process, "document": document.process, "data": data.process}
    ends = time.monotonic() + TIMEOUT_S[category]
    memory_mb = (SMALLEST_FUNCTION_MB if sizes.name == "full" else DEFAULT_MB)[category]
    settings = Settings(table_name="bench", bucket_name="bench")
    size = os.path.getsize(path)
    function_rss = _status_kb("VmRSS") // 1024  # what the function holds
    started_with = _status_kb("RssAnon") // 1024  # what the child starts with resident
    note = f"{path}.end.json"
    with contextlib.suppress(FileNotFoundError):
        os.remove(note)
    started = time.perf_counter()
    reason = ""
    with (
        open(path, "rb") as stream,
        isolation.deadline(lambda: int((ends - time.monotonic()) * 1000), whole_invocation=True),
    ):
        measured = _noting_its_end(process[category], note)
        try:
            extraction = isolation.isolated(measured, memory_mb=memory_mb)(
                stream, size=size, extension=kind.extension, settings=settings
            )
            outcome = "PROCESSED"
            reason = ", ".join(sorted(extraction.metadata))[:200]
        except PermanentError as exc:
            outcome, reason = f"FAILED {exc.type}", str(exc)[:300]
        except Exception as exc:  # what the pipeline records as InternalError
            outcome, reason = "FAILED InternalError", f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    try:
        with open(note) as end_file:
            end = json.load(end_file)
        private = end["private_kb"] // 1024 + max(peak - end["rss_kb"] // 1024, 0)
        private_measured = True
    except FileNotFoundError:  # killed before its end
        private, private_measured = max(peak - started_with, 0), False
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
        "function_rss_mb": function_rss,
        "peak_mb": peak,
        "private_mb": private,
        "private_measured": private_measured,
        "function_mb": function_rss + private,
        "seconds": round(seconds, 3),
    }


def _noting_its_end(process: Any, note: str) -> Any:
    """``process``, writing the child's private and resident memory to ``note`` as it
    returns or raises (it runs in the extraction child)."""

    def measured(stream: Any, **options: Any) -> Any:
        try:
            return process(stream, **options)
        finally:
            rollup = _smaps_rollup_kb()
            private = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
            with open(note, "w") as end_file:
                json.dump({"private_kb": private, "rss_kb": rollup.get("Rss", 0)}, end_file)

    return measured


def _smaps_rollup_kb() -> dict[str, int]:
    found = {}
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                found[name] = int(value.split()[0])
    return found


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0
