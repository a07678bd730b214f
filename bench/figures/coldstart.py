"""Cold start: the import time of each handler module in a fresh interpreter, as on Lambda.

The interpreter is the Lambda runtime's Python (3.12, found as the sandbox's
runner finds it), and the code is what Lambda loads: build/function.zip and
the layer zip unpacked side by side, plus the SDK the runtime bundles (boto3,
copied by the runner). On Lambda the runtime's SDK comes compiled and the
code directories are read-only: here the SDK copy is compiled once, the zips
bring their own bytecode (``make build`` compiles it for the runtime) and the
runs write none (PYTHONDONTWRITEBYTECODE). The environment is the functions'
(bench.aws.FUNCTION_ENV, with Lambda's own variables; tracing on, as the stack
sets it). Importing a handler also runs its module code: settings, clients,
Powertools.

Baseline: ``import boto3`` alone in the same interpreter and paths. Each
figure is the median of several fresh interpreters, run in rounds of one
import of the baseline and of each handler. The details name the
packages that cost most (one more run with ``-X importtime``), count the
modules of the zips that were compiled at import (``python -v``: 0 when the
zips' bytecode is used), and time the same import with the zips' bytecode
removed (what the zips gave before they carried it).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess

from bench.config import Context
from bench.model import Figure, rounded
from bench.runtime import prepare

TARGET_MS = 300
SOURCES_ONLY_REPEATS = 3
HANDLERS = ("image", "document", "data", "api")
# CPU time of the import: on a shared machine, wall time also counts the time
# other processes held the CPU.
SNIPPET = (
    "import sys, time, importlib; c, w = time.process_time(), time.perf_counter(); "
    "importlib.import_module(sys.argv[1]); "
    "print(time.process_time() - c, time.perf_counter() - w)"
)


def run(ctx: Context) -> list[Figure]:
    runtime = prepare(ctx)
    python, version, env = runtime.python, runtime.version, runtime.env()
    ctx.say(f"cold start: Python {version} ({python}), {ctx.sizes.import_repeats} runs each")
    repeats = ctx.sizes.import_repeats
    sources_env = runtime.without_bytecode().env()
    modules = [f"fileproc.handlers.{name}" for name in HANDLERS]
    samples = _interleaved(python, env, ["boto3", *modules], repeats)
    baseline = statistics.median(samples["boto3"])
    figures = []
    for name, module in zip(HANDLERS, modules, strict=True):
        median = statistics.median(samples[module])
        figures.append(
            Figure(
                id=f"coldstart.{name}",
                title=f"cold start: import of {module}",
                value=rounded(median * 1000, 0),
                unit="ms",
                baseline=rounded(baseline * 1000, 0),
                baseline_what="import boto3 alone, same interpreter and paths",
                ratio=rounded(median / baseline),
                target=f"<= {TARGET_MS} ms",
                met=median * 1000 <= TARGET_MS,
                method=f"CPU time of the import, median of {repeats} fresh interpreters, "
                "interleaved with the baseline's and the other handlers' "
                f"(Python {version}, the zips' bytecode, none written, as on Lambda)",
                details={
                    "python": version,
                    "samples_ms": [round(seconds * 1000) for seconds in samples[module]],
                    "baseline_samples_ms": [round(seconds * 1000) for seconds in samples["boto3"]],
                    "slowest_modules_ms": _slowest_modules(python, env, module),
                    "compiled_at_import": _compiled_at_import(python, env, module),
                    "without_zip_bytecode_ms": round(
                        _median_import(python, sources_env, module, SOURCES_ONLY_REPEATS) * 1000
                    ),
                },
            )
        )
    return figures


def _import_seconds(python: str, env: dict[str, str], module: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of importing ``module`` in a fresh interpreter."""
    completed = subprocess.run(
        [python, "-c", SNIPPET, module], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} failed: {completed.stderr[-2000:]}")
    cpu, wall = completed.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def _interleaved(
    python: str, env: dict[str, str], modules: list[str], repeats: int
) -> dict[str, list[float]]:
    """CPU seconds of each module's import, ``repeats`` rounds of one import of each:
    a slow spell of this shared machine then hits the baseline and every handler
    alike rather than one figure."""
    samples: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(repeats):
        for module in modules:
            samples[module].append(_import_seconds(python, env, module)[0])
    return samples


def _median_import(python: str, env: dict[str, str], module: str, repeats: int) -> float:
    return statistics.median(_import_seconds(python, env, module)[0] for _ in range(repeats))


def _compiled_at_import(python: str, env: dict[str, str], module: str) -> int:
    """How many modules of the zips the import compiled from source (``python -v`` says
    "code object from <file>.py" for those, and names the .pyc for the others)."""
    completed = subprocess.run(
        [python, "-v", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    roots = tuple(env["PYTHONPATH"].split(os.pathsep)[:2])  # the function, then the layer
    prefix = "# code object from "
    sources = [
        line.removeprefix(prefix)
        for line in completed.stderr.splitlines()
        if line.startswith(prefix) and line.endswith(".py")
    ]
    return sum(1 for source in sources if source.startswith(roots))


def _slowest_modules(python: str, env: dict[str, str], module: str) -> dict[str, float]:
    """Top-level packages by cumulative import time (-X importtime), in ms."""
    completed = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    totals: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| *(\S+)", line)
        if match:
            package = match[2].split(".")[0]
            totals[package] = max(totals.get(package, 0.0), int(match[1]) / 1000)
    top = sorted(totals.items(), key=lambda item: -item[1])[:8]
    return {name: round(ms, 1) for name, ms in top}
