"""How the benchmark measures: repeated timings, peak memory, and fresh interpreters.

Times are CPU time of the measuring process (``time.process_time``): on a
shared 2-core machine, wall time also counts the time other processes held the
CPU, CPU time does not. Wall time is recorded next to it. Alternatives are
measured interleaved (A B A B ...) so that a slow spell hits both, and the
median of the repeats is kept.

Peak memory is the growth of the resident set (RSS) of a fresh process: the
kernel's high-water mark (VmHWM) is reset just before the work (writing 5 to
/proc/self/clear_refs) and read after it, minus the RSS before. Unlike
tracemalloc, RSS sees the C allocations of Pillow, libjpeg and pandas.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
# The project's Python packages: the Lambda package, the CLI, the sandbox, the tooling.
SOURCE_DIRS = ("lambda_src", "cli", "sandbox", "tools")


@dataclass
class Samples:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def add(self, cpu: float, wall: float) -> None:
        self.cpu.append(cpu)
        self.wall.append(wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cpu_s": [round(value, 4) for value in self.cpu],
            "wall_s": [round(value, 4) for value in self.wall],
            "median_cpu_s": round(self.median_cpu, 4),
            "median_wall_s": round(self.median_wall, 4),
        }


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def interleaved(
    works: Mapping[str, Callable[[], Any]], repeats: int, warmup: bool = True
) -> dict[str, Samples]:
    """Each work ``repeats`` times, in turns; one untimed round first if ``warmup``."""
    if warmup:
        for work in works.values():
            work()
    samples = {name: Samples() for name in works}
    for _ in range(repeats):
        for name, work in works.items():
            cpu, wall, _ = timed(work)
            samples[name].add(cpu, wall)
    return samples


# ---------------------------------------------------------------- memory (Linux /proc)


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def rss_kb() -> int:
    return _status_kb("VmRSS")


def reset_peak_rss() -> int:
    """Reset the RSS high-water mark to the current RSS; return that RSS (KB)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return rss_kb()


def peak_rss_kb() -> int:
    return _status_kb("VmHWM")


def rss_growth(work: Callable[[], Any]) -> tuple[int, Any]:
    """(peak RSS growth in KB during ``work``, its result)."""
    before = reset_peak_rss()
    result = work()
    return peak_rss_kb() - before, result


# ---------------------------------------------------------------- fresh interpreters


class WorkerError(RuntimeError):
    """A measurement in a subprocess failed."""


def python_path(extra: Sequence[Path] = ()) -> str:
    """bench and fileproc importable, as in the project venv, plus ``extra`` after them."""
    paths = [REPO_ROOT, *(REPO_ROOT / part for part in SOURCE_DIRS), *extra]
    return os.pathsep.join(str(path) for path in paths)


def run_worker(
    function: str,
    arguments: Mapping[str, Any],
    *,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> Any:
    """Call ``module:function(**arguments)`` in a fresh interpreter; its JSON-able result.

    ``env`` replaces the environment (PYTHONPATH included) when given.
    """
    environment = dict(env) if env is not None else {**os.environ, "PYTHONPATH": python_path()}
    completed = subprocess.run(
        [python or sys.executable, "-m", "bench.worker", function, json.dumps(arguments)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO_ROOT,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise WorkerError(
            f"{function} failed (exit {completed.returncode}): {completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])
