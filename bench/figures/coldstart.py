"""Cold start: the import time of each handler module in a fresh interpreter, as on Lambda,
and what the first file of each kind adds to it.

The interpreter is the Lambda runtime's Python (3.12, found as the sandbox's
runner finds it), and the code is what Lambda loads for that function:
build/function.zip and the function's own layers (common + its own) unpacked
side by side, plus the SDK the runtime bundles (boto3, copied by the runner).
On Lambda the runtime's SDK comes compiled and the code directories are
read-only: here the SDK copy is compiled once, the zips bring their own bytecode
(``make build`` compiles it for the runtime) and the runs write none
(PYTHONDONTWRITEBYTECODE). The environment is the functions'
(bench.aws.FUNCTION_ENV, with Lambda's own variables; tracing on, as the stack
sets it). Importing a handler also runs its module code: settings, clients,
Powertools.

Baseline: ``import boto3`` alone in the same interpreter and paths. Each
figure is the median of several fresh interpreters, run in rounds of one
import of the baseline and of each handler. The details name the
packages that cost most (one more run with ``-X importtime``), count the
modules of the zips that were compiled at import (``python -v``: 0 when the
zips' bytecode is used), time the same import with the zips' bytecode
removed (what the zips gave before they carried it), and name the engines
(ENGINES) the import loaded: a handler must load none it does not use.

First file (``coldstart.first.<kind>``): a sample of each kind processed twice
after the handler's import (bench.firstfile), in the handler's process: the
first file's extra CPU time is its one-time cost (the engine's import and
first-use set-up), with the packages it imported. The same through the
isolation the deployed handler uses is in the details: a child per file
forgets what it imported, so an engine imported while processing is paid by
every file, not once. ``coldstart.engine.<module>``: the import of each engine
alone in its function's paths: what a handler's cold start grows by if it
imports that engine up front.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.config import Context
from bench.measure import REPO_ROOT
from bench.model import Figure, rounded
from bench.runtime import LambdaRuntime, prepare

TARGET_MS = 300
SOURCES_ONLY_REPEATS = 3
HANDLERS = ("image", "document", "data", "api")
# The third-party engines, by import name, and the functions that use them.
ENGINES = {
    "PIL": ("image", "document"),
    "pypdfium2": ("document",),
    "chardet": ("document", "data"),
    "duckdb": ("data",),
    "polars": ("data",),
    "pyarrow": ("data",),
    "pydantic": ("api",),
}
# kind -> (function, sample, extension): the demo's samples, one a kind, plus text in a
# legacy encoding (charset's chardet path) and JSON Lines, written by the run.
SAMPLES = REPO_ROOT / "samples"
KINDS: dict[str, tuple[str, Path | None, str]] = {
    "jpeg": ("image", SAMPLES / "photo.jpg", ".jpg"),
    "pdf": ("document", SAMPLES / "report.pdf", ".pdf"),
    "txt": ("document", SAMPLES / "notes.txt", ".txt"),
    "txt-cp1252": ("document", None, ".txt"),
    "csv": ("data", SAMPLES / "measurements.csv", ".csv"),
    "json": ("data", SAMPLES / "catalog.json", ".json"),
    "jsonl": ("data", None, ".jsonl"),
}
# Each engine's import alone, in its function's paths (module, function).
ENGINE_IMPORTS = (
    ("PIL.Image", "image"),
    ("pypdfium2", "document"),
    ("chardet", "document"),
    ("duckdb", "data"),
)
FIRST_FILE_REPEATS = 3
# CPU time of the import: on a shared machine, wall time also counts the time
# other processes held the CPU.
SNIPPET = (
    "import sys, time, importlib; c, w = time.process_time(), time.perf_counter(); "
    "importlib.import_module(sys.argv[1]); "
    "print(time.process_time() - c, time.perf_counter() - w)"
)


def run(ctx: Context) -> list[Figure]:
    runtime = prepare(ctx)
    python, version = runtime.python, runtime.version
    ctx.say(f"cold start: Python {version} ({python}), {ctx.sizes.import_repeats} runs each")
    repeats = ctx.sizes.import_repeats
    sources = runtime.without_bytecode()
    modules = [f"fileproc.handlers.{name}" for name in HANDLERS]
    envs = {module: runtime.env(name) for name, module in zip(HANDLERS, modules, strict=True)}
    samples = _interleaved(python, {"boto3": runtime.env("api"), **envs}, repeats)
    baseline = statistics.median(samples["boto3"])
    figures = []
    for name, module in zip(HANDLERS, modules, strict=True):
        median = statistics.median(samples[module])
        env = envs[module]
        loaded = _loaded(python, env, module)
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
                f"(Python {version}, the function's code and layers "
                f"{' + '.join(runtime.function_layers[name])}, the zips' bytecode, none "
                "written, as on Lambda)",
                details={
                    "python": version,
                    "layers": runtime.function_layers[name],
                    "engines_loaded": sorted(set(loaded) & set(ENGINES)),
                    "samples_ms": [round(seconds * 1000) for seconds in samples[module]],
                    "baseline_samples_ms": [round(seconds * 1000) for seconds in samples["boto3"]],
                    "slowest_modules_ms": _slowest_modules(python, env, module),
                    "compiled_at_import": _compiled_at_import(python, runtime, name, module),
                    "without_zip_bytecode_ms": round(
                        _median_import(python, sources.env(name), module, SOURCES_ONLY_REPEATS)
                        * 1000
                    ),
                },
            )
        )
    figures += _first_files(ctx, runtime)
    figures += _engine_imports(ctx, runtime, repeats)
    return figures


def _sample(ctx: Context, kind: str, path: Path | None) -> Path:
    if path is not None:
        return path
    written = ctx.work_dir / "coldstart" / f"sample-{kind}"
    written.parent.mkdir(parents=True, exist_ok=True)
    if kind == "txt-cp1252":
        text = "Café, crème brûlée et œuvres complètes: déjà vu à Noël. " * 40
        written.write_bytes(text.encode("cp1252"))
    else:  # jsonl
        rows = (json.dumps({"id": i, "name": f"item {i}", "price": i * 1.5}) for i in range(200))
        written.write_text("\n".join(rows) + "\n")
    return written


def _worker(python: str, env: dict[str, str], arguments: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [python, "-m", "bench.worker", "bench.firstfile:measure", json.dumps(arguments)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"first file {arguments}: {completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _first_files(ctx: Context, runtime: LambdaRuntime) -> list[Figure]:
    figures = []
    repeats = 1 if ctx.quick else FIRST_FILE_REPEATS
    for kind, (role, path, extension) in KINDS.items():
        env = runtime.env(role, with_bench=True)
        arguments = {"role": role, "path": str(_sample(ctx, kind, path)), "extension": extension}
        runs = {
            mode: [
                _worker(runtime.python, env, {**arguments, "isolated": mode == "isolated"})
                for _ in range(repeats)
            ]
            for mode in ("inprocess", "isolated")
        }

        def ms(mode: str, key: str, runs: dict[str, list[dict[str, Any]]] = runs) -> float:
            return statistics.median(run[key] for run in runs[mode]) * 1000

        extra = ms("inprocess", "first_s") - ms("inprocess", "second_s")
        every_file = ms("isolated", "second_s") - ms("inprocess", "second_s")
        last = runs["inprocess"][-1]
        engines = sorted(set(last["imported"]) & set(ENGINES))
        figures.append(
            Figure(
                id=f"coldstart.first.{kind}",
                title=f"cold start: the {role} function's first {kind} file, beyond the next "
                f"({', '.join(engines) or 'no engine'} imported)",
                value=rounded(max(extra, 0.0), 0),
                unit="ms",
                target="reported",
                method="CPU time of processing a sample in the handler's process, first call "
                f"less second, median of {repeats} fresh Lambda runtime interpreters "
                "with the function's code and layers (bench.firstfile)",
                details={
                    "sample": Path(arguments["path"]).name,
                    "outcome": last["outcome"],
                    "imported_by_first_file": last["imported"],
                    "engines_imported": engines,
                    "foreign_engines_loaded": sorted(
                        name
                        for name in set(last["loaded"]) & set(ENGINES)
                        if role not in ENGINES[name]
                    ),
                    "first_ms": round(ms("inprocess", "first_s")),
                    "second_ms": round(ms("inprocess", "second_s")),
                    "isolated_first_ms": round(ms("isolated", "first_s")),
                    "isolated_second_ms": round(ms("isolated", "second_s")),
                    # What every file pays under isolation beyond an in-process warm file:
                    # the child's imports, the fork and the pipes.
                    "isolated_every_file_extra_ms": round(every_file),
                },
            )
        )
    return figures


def _engine_imports(ctx: Context, runtime: LambdaRuntime, repeats: int) -> list[Figure]:
    envs = {module: runtime.env(role) for module, role in ENGINE_IMPORTS}
    samples = _interleaved(runtime.python, envs, repeats)
    figures = []
    for module, role in ENGINE_IMPORTS:
        median = statistics.median(samples[module])
        figures.append(
            Figure(
                id=f"coldstart.engine.{module.split('.')[0].lower()}",
                title=f"cold start: import {module} alone ({role} function's paths)",
                value=rounded(median * 1000, 0),
                unit="ms",
                target="reported",
                method=f"CPU time of the import, median of {repeats} fresh Lambda runtime "
                f"interpreters with the {role} function's code and layers: what the {role} "
                "handler's cold start grows by if it imports the engine up front",
                details={"samples_ms": [round(seconds * 1000) for seconds in samples[module]]},
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
    python: str, envs: dict[str, dict[str, str]], repeats: int
) -> dict[str, list[float]]:
    """CPU seconds of each module's import (in its own environment), ``repeats`` rounds
    of one import of each: a slow spell of this shared machine then hits the baseline
    and every handler alike rather than one figure."""
    samples: dict[str, list[float]] = {module: [] for module in envs}
    for _ in range(repeats):
        for module, env in envs.items():
            samples[module].append(_import_seconds(python, env, module)[0])
    return samples


def _loaded(python: str, env: dict[str, str], module: str) -> list[str]:
    """The top-level modules loaded once ``module`` is imported."""
    completed = subprocess.run(
        [
            python,
            "-c",
            "import importlib, sys; importlib.import_module(sys.argv[1]); "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))",
            module,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return completed.stdout.split()


def _median_import(python: str, env: dict[str, str], module: str, repeats: int) -> float:
    return statistics.median(_import_seconds(python, env, module)[0] for _ in range(repeats))


def _compiled_at_import(python: str, runtime: LambdaRuntime, role: str, module: str) -> int:
    """How many modules of the zips the import compiled from source (``python -v`` says
    "code object from <file>.py" for those, and names the .pyc for the others)."""
    completed = subprocess.run(
        [python, "-v", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=runtime.env(role),
        check=True,
    )
    roots = tuple(str(path) for path in [runtime.function_dir, *runtime.layers_of(role)])
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
