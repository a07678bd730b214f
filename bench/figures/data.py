"""Data: CSV profiling throughput against csv.reader and the engines of the field, and peak
memory on a large CSV streamed from S3.

Throughput: the data processor on a CSV of ~200 MB (``mixed``: a customer-like
table of integers, floats, ISO dates and date-times, booleans, strings, empty
cells and quoted text; ``numeric``: a sensor-like table of integers and floats
only), against bare ``csv.reader`` iteration of the same file, both with the
Lambda runtime's Python running the deployed zips (bench.runtime); beside
them the same two in the development venv, and ``pandas.read_csv`` +
``describe`` (which only the venv has). Each measurement is a fresh process
(so its peak RSS is its own); the alternatives run interleaved.

Peers (issue 9): bare DuckDB (count, min, max, avg of each column as its
sniffer types them: in the layer, so also under the Lambda runtime), Polars
streaming and pyarrow streaming batches (null count, min, max, mean; the bench
extra only, not in the layer), and today's scanner alone (the processor
with the engine off). ``data.peers.<kind>`` compares the processor with the
fastest peer that fits the size rule (a function with its layers under 200 MB
unzipped: with the data function's own layer all three fit), all measured in the
dev venv; ``data.engines`` has the sizes).

Memory: the processor reading the object from a moto S3 server on loopback
(the emulator, a separate process) at two sizes: its peak RSS should not
grow with the size. pandas and the peers read the largest file from disk for
comparison.

Engines (``data.engines``): import time in a fresh interpreter, unzipped size of
each engine's manylinux aarch64 wheel (downloaded once with pip into
build/bench/wheels/), and how many of a set of messy CSVs each reads with the
scanner's record count (bench.inputs.messy_csvs).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from bench import inputs
from bench.config import MB, Context
from bench.figures.package import BUILD_DIR, manifest_path
from bench.measure import Samples, run_worker, timed
from bench.model import Figure, rounded
from bench.moto_server import moto_server, s3_client
from bench.runtime import prepare

THROUGHPUT_TARGET = 2.0  # x bare csv.reader (issue 9)
PEER_TARGET = 0.8  # x the fastest peer that fits the size rule
MEMORY_TARGET_MB = 200
SIZE_RULE_MB = 200  # a function with its layers, unzipped
# pandas, polars and pyarrow come with the bench extra (`make bench` installs it);
# the quick smoke run in the tests runs without them and says so.
HAVE_PANDAS = importlib.util.find_spec("pandas") is not None
PEERS_OUTSIDE_LAYER = tuple(
    name for name in ("polars", "pyarrow") if importlib.util.find_spec(name) is not None
)
LAMBDA_MODES = ("bare", "profile", "scanner", "duckdb")
MODES = LAMBDA_MODES + PEERS_OUTSIDE_LAYER + (("pandas",) if HAVE_PANDAS else ())
NO_PANDAS = "pandas not installed (pip install -e '.[bench]'; make bench does)"
# The engines compared, with the wheels that make each (polars ships its engine apart).
ENGINE_WHEELS = {
    "duckdb": ("duckdb==2.0.1",),
    "polars": ("polars", "polars-runtime-32"),
    "pyarrow": ("pyarrow",),
}


def run(ctx: Context) -> list[Figure]:
    figures: list[Figure] = []
    for kind in inputs.CSV_KINDS:
        figures += _throughput(ctx, kind)
    figures.append(_memory(ctx))
    figures.append(_engines(ctx))
    return figures


def _throughput(ctx: Context, kind: str) -> list[Figure]:
    """Headline: the Lambda runtime's Python running the zipped code (what is deployed);
    the development venv's Python (and the peers only it has) beside it."""
    size = ctx.sizes.csv_bytes
    path = inputs.write_csv(inputs.csv_path(ctx.work_dir, size, kind), size, kind)
    megabytes = path.stat().st_size / MB
    runtime = prepare(ctx)
    ctx.say(f"data: {kind} CSV of {megabytes:.0f} MB, {ctx.sizes.repeats} rounds")
    lambda_runs = _Runs(LAMBDA_MODES, runtime.python, runtime.env(with_bench=True))
    venv_runs = _Runs(MODES)
    for _ in range(ctx.sizes.repeats):  # both in each round: a slow spell hits both
        lambda_runs.once(path)
        venv_runs.once(path)
    on_lambda, in_venv = lambda_runs.throughput(megabytes), venv_runs.throughput(megabytes)
    ratio = on_lambda["profile"] / on_lambda["bare"]
    method = (
        f"CPU time, median of {ctx.sizes.repeats} interleaved fresh processes, Lambda "
        f"runtime Python {runtime.version} with the zipped code; dev venv and peers in details"
    )
    details = {
        "file_mb": round(megabytes, 1),
        "lambda_mb_per_s": {mode: round(value, 1) for mode, value in on_lambda.items()},
        "engine": venv_runs.engines.get("profile"),
        "dev_venv": {
            "python": sys.version.split()[0],
            "ratio": round(in_venv["profile"] / in_venv["bare"], 3),
            "mb_per_s": {mode: round(value, 1) for mode, value in in_venv.items()},
            "peak_rss_mb": venv_runs.peak_mb(),
        },
        "rows": venv_runs.rows,
        "samples": {"lambda": lambda_runs.as_dict(), "dev_venv": venv_runs.as_dict()},
    }
    versus_reader = Figure(
        id=f"data.throughput.{kind}",
        title=f"data: CSV profiling throughput, {megabytes:.0f} MB {kind} table",
        value=rounded(on_lambda["profile"], 1),
        unit="MB/s",
        baseline=rounded(on_lambda["bare"], 1),
        baseline_what="bare csv.reader iteration of the same file",
        ratio=rounded(ratio),
        target=f">= {THROUGHPUT_TARGET}x",
        met=ratio >= THROUGHPUT_TARGET,
        method=method,
        details=details,
    )
    # Every peer fits the size rule now that the data function has a layer of its own
    # (data.engines: its code and layers without DuckDB are ~13 MB); Polars and pyarrow
    # are not in the layer, so the peers are compared in the venv, where all three run.
    peers = {name: in_venv[name] for name in ("duckdb", *PEERS_OUTSIDE_LAYER) if name in in_venv}
    fastest = max(peers, key=peers.__getitem__)
    peer_ratio = in_venv["profile"] / peers[fastest]
    versus_peer = Figure(
        id=f"data.peers.{kind}",
        title=f"data: CSV profiling throughput against the fastest peer that fits, {kind} table",
        value=rounded(in_venv["profile"], 1),
        unit="MB/s",
        baseline=rounded(peers[fastest], 1),
        baseline_what=f"bare {fastest} (null count/min/max/mean of every column; the fastest "
        f"peer under the {SIZE_RULE_MB} MB size rule, each in the dev venv; the others in "
        "details)",
        ratio=rounded(peer_ratio),
        target=f">= {PEER_TARGET}x",
        met=peer_ratio >= PEER_TARGET,
        method=method.replace("Lambda runtime Python", "dev venv beside the Lambda runtime Python"),
        details={
            "dev_venv_mb_per_s": {mode: round(value, 1) for mode, value in in_venv.items()},
            "lambda_mb_per_s": {mode: round(value, 1) for mode, value in on_lambda.items()},
            "scanner_lambda_mb_per_s": round(on_lambda["scanner"], 1),
        },
    )
    return [versus_reader, versus_peer]


class _Runs:
    """Fresh-process measurements of some modes, with one interpreter and environment."""

    def __init__(
        self, modes: tuple[str, ...], python: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.modes, self.python, self.env = modes, python, env
        self.samples = {mode: Samples() for mode in modes}
        self.peaks: dict[str, list[int]] = {mode: [] for mode in modes}
        self.rows: dict[str, int] = {}
        self.engines: dict[str, str] = {}

    def once(self, path: Path) -> None:
        for mode in self.modes:
            result = run_worker(
                "bench.figures.data:measure_csv",
                {"path": str(path), "mode": mode},
                python=self.python,
                env=self.env,
            )
            self.samples[mode].add(result["cpu_s"], result["wall_s"])
            self.peaks[mode].append(result["peak_rss_kb"])
            self.rows[mode] = result["rows"]
            if result.get("engine"):
                self.engines[mode] = result["engine"]

    def throughput(self, megabytes: float) -> dict[str, float]:
        return {mode: megabytes / sample.median_cpu for mode, sample in self.samples.items()}

    def peak_mb(self) -> dict[str, float]:
        return {mode: round(max(peaks) / 1024, 1) for mode, peaks in self.peaks.items()}

    def as_dict(self) -> dict[str, Any]:
        return {mode: sample.as_dict() for mode, sample in self.samples.items()}


def _memory(ctx: Context) -> Figure:
    sizes = ctx.sizes.big_csv_bytes
    paths = [inputs.write_csv(inputs.csv_path(ctx.work_dir, s, "mixed"), s, "mixed") for s in sizes]
    ctx.say(f"data: peak memory streaming {[f'{s / MB:.0f} MB' for s in sizes]} from moto S3")
    peaks: dict[str, dict[str, Any]] = {}
    with moto_server() as endpoint:
        client = s3_client(endpoint)
        client.create_bucket(Bucket="bench")
        for path in paths:
            client.upload_file(str(path), "bench", path.name)
            result = run_worker(
                "bench.figures.data:measure_csv_s3",
                {"endpoint": endpoint, "bucket": "bench", "key": path.name},
            )
            peaks[_mb(path)] = result
            client.delete_object(Bucket="bench", Key=path.name)
    largest = paths[-1]
    peers = {
        mode: run_worker("bench.figures.data:measure_csv", {"path": str(largest), "mode": mode})
        for mode in ("duckdb", *PEERS_OUTSIDE_LAYER)
    }
    pandas = (
        run_worker("bench.figures.data:measure_csv", {"path": str(largest), "mode": "pandas"})
        if HAVE_PANDAS
        else None
    )
    pandas_mb = None if pandas is None else pandas["peak_rss_kb"] / 1024
    headline = peaks[_mb(largest)]
    peak_mb = headline["peak_rss_kb"] / 1024
    smallest_mb = min(result["peak_rss_kb"] for result in peaks.values()) / 1024
    flat = peak_mb <= smallest_mb * 1.1 + 2  # within 10% (+2 MB of allocator noise)
    title = f"data: peak memory profiling a {_mb(largest)} CSV streamed from the emulator"
    if not ctx.quick:
        for path in paths:
            path.unlink()  # GBs of disk: made again (same bytes) by the next run
    return Figure(
        id="data.memory",
        title=title,
        value=rounded(peak_mb, 1),
        unit="MB",
        baseline=None if pandas_mb is None else rounded(pandas_mb, 1),
        baseline_what="pandas.read_csv + describe of the same file (from disk)"
        if pandas is not None
        else NO_PANDAS,
        ratio=None if pandas_mb is None else rounded(peak_mb / pandas_mb),
        target=f"flat, <= {MEMORY_TARGET_MB} MB",
        met=flat and peak_mb <= MEMORY_TARGET_MB,
        method="peak RSS (VmHWM) of the whole profiling process, interpreter and boto3 included",
        details={
            "by_size": {
                name: {
                    "peak_rss_mb": round(result["peak_rss_kb"] / 1024, 1),
                    "rows": result["rows"],
                    "wall_s": round(result["wall_s"], 1),
                }
                for name, result in peaks.items()
            },
            "flat": flat,
            "engine": headline.get("engine"),
            "peers_peak_rss_mb": {
                mode: round(result["peak_rss_kb"] / 1024, 1) for mode, result in peers.items()
            },
            "pandas": NO_PANDAS
            if pandas is None
            else {
                "peak_rss_mb": round(pandas["peak_rss_kb"] / 1024, 1),
                "wall_s": round(pandas["wall_s"], 1),
            },
        },
    )


def _engines(ctx: Context) -> Figure:
    """Import time, wheel size and agreement with the scanner on messy CSVs, per engine."""
    engines = ("duckdb", *PEERS_OUTSIDE_LAYER)
    imports: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(ctx.sizes.import_repeats):
        for name in engines:
            imports[name].append(run_worker("bench.figures.data:measure_import", {"name": name}))
    import_ms = {name: round(statistics.median(values) * 1000) for name, values in imports.items()}
    # (Not in the quick run: it downloads about 100 MB of wheels the first time.)
    sizes = {name: None if ctx.quick else _wheel_mb(ctx, name) for name in ENGINE_WHEELS}
    messy = inputs.messy_csvs(ctx.work_dir / "messy-csv")
    agreement = run_worker(
        "bench.figures.data:measure_messy",
        {"paths": [str(path) for path in messy], "engines": ["profile", *engines]},
    )
    agreed = {
        name: sum(result == agreement["scanner"][index] for index, result in enumerate(results))
        for name, results in agreement.items()
    }
    base = _layer_without_engines_mb()
    fits = [name for name, size in sizes.items() if size is not None and base + size < SIZE_RULE_MB]
    return Figure(
        id="data.engines",
        title="data: CSV engines, messy CSVs read with the scanner's record count "
        f"(of {len(messy)}) by the processor",
        value=agreed["profile"],
        unit="files",
        baseline=len(messy),
        baseline_what="messy CSVs (bench.inputs.messy_csvs)",
        target="all",
        met=agreed["profile"] == len(messy),
        method="import: CPU of the import in a fresh dev-venv interpreter, median; wheel: "
        "manylinux aarch64, cp312, unzipped; agreement: rows each engine reads by default "
        "(or its error) against the scanner's",
        details={
            "import_ms": import_ms,
            "wheel_unzipped_mb": sizes,
            "layer_without_engines_mb": base,
            "fit_the_size_rule": fits,
            "agreement": agreed,
            "rows": agreement,
            "files": [path.name for path in messy],
        },
    )


def _layer_without_engines_mb() -> float:
    """Unzipped size of the data function's code and layers (common + data) as the
    bench's target builds them, less DuckDB: what an engine adds to."""
    from bench.runtime import ENV

    manifest = json.loads(manifest_path(ENV).read_text())
    total = manifest["functions"]["data"]["code_bytes"]
    for name in manifest["functions"]["data"]["layers"]:
        with zipfile.ZipFile(BUILD_DIR / manifest["layers"][name]["zip"]) as archive:
            total += sum(
                info.file_size for info in archive.infolist() if "duckdb" not in info.filename
            )
    return round(total / MB, 1)


def _wheel_mb(ctx: Context, engine: str) -> float | None:
    """Unzipped size of the engine's manylinux aarch64 wheels (pip download, cached)."""
    target = ctx.work_dir / "wheels" / engine
    if not any(target.glob("*.whl")):
        target.mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--platform", "manylinux_2_28_aarch64",
             "--platform", "manylinux2014_aarch64", "--python-version", "3.12",
             "--dest", str(target), *ENGINE_WHEELS[engine]],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        if completed.returncode != 0:
            ctx.say(f"data: no {engine} wheel ({completed.stderr.strip()[-200:]})")
            return None
    total = 0
    for wheel in target.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            total += sum(info.file_size for info in archive.infolist())
    return round(total / MB, 1)


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / MB:.1f} MB"


# ---------------------------------------------------------------- in the worker process


def measure_csv(path: str, mode: str) -> dict[str, Any]:
    """One pass over the file; CPU and wall time, peak RSS of this process, rows seen."""
    engine: dict[str, str] = {}
    work = _PEERS.get(mode)
    if mode in ("profile", "scanner"):
        from fileproc.processors import csv_profile

        def work(path: str) -> int:
            size = Path(path).stat().st_size
            with open(path, "rb") as stream:
                metadata = csv_profile.process(stream, size=size, engine=mode == "profile").metadata
            engine["engine"] = metadata["engine"]
            return int(metadata["rows"])

    assert work is not None, mode
    cpu, wall, rows = timed(lambda: work(path))
    return {"cpu_s": cpu, "wall_s": wall, "rows": rows, "peak_rss_kb": _peak_kb(), **engine}


def _bare(path: str) -> int:
    with open(path, newline="", encoding="utf-8") as text:
        return sum(1 for _ in csv.reader(text)) - 1  # the header


def _pandas(path: str) -> int:
    import pandas

    frame = pandas.read_csv(path)
    frame.describe()
    return len(frame)


def _duckdb(path: str) -> int:
    """Count, min, max (and avg of numbers) of every column, typed by DuckDB's sniffer."""
    import duckdb

    connection = duckdb.connect(config={"threads": 1})
    source = "read_csv('" + path.replace("'", "''") + "')"
    described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608
    parts = ["count(*)"]
    for name, kind, *_ in described:
        column = '"' + name.replace('"', '""') + '"'
        parts.append(f"count({column}), min({column}), max({column})")
        if kind in ("BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "FLOAT"):
            parts.append(f"avg({column})")
    # The bench's own file and the sniffer's column names, quoted.
    row = connection.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def _polars(path: str) -> int:
    """Null count, min, max, mean of every column, streaming."""
    import polars

    frame = polars.scan_csv(path, infer_schema_length=10_000)
    schema = frame.collect_schema()
    numeric = [name for name, kind in schema.items() if kind.is_numeric()]
    result = frame.select(
        polars.len().alias("__rows"),
        *(polars.col(name).null_count().alias(f"{name}__nulls") for name in schema),
        *(polars.col(name).min().alias(f"{name}__min") for name in schema),
        *(polars.col(name).max().alias(f"{name}__max") for name in schema),
        *(polars.col(name).mean().alias(f"{name}__mean") for name in numeric),
    ).collect(engine="streaming")
    return int(result["__rows"][0])


def _pyarrow(path: str) -> int:
    """Null count, min, max, sum (for the mean) of every column, batch by batch."""
    import pyarrow.compute as compute
    from pyarrow import csv as arrow_csv

    rows = 0
    with arrow_csv.open_csv(path) as reader:
        for batch in reader:
            rows += batch.num_rows
            for column in batch.columns:
                column.null_count  # noqa: B018  the statistic is the work
                if column.type.id != 13:  # not a string column (pyarrow.string())
                    compute.min_max(column)
                    if str(column.type).startswith(("int", "double", "float")):
                        compute.sum(column)
                else:
                    compute.min_max(column)
    return rows


_PEERS = {
    "bare": _bare,
    "pandas": _pandas,
    "duckdb": _duckdb,
    "polars": _polars,
    "pyarrow": _pyarrow,
}


def measure_csv_s3(endpoint: str, bucket: str, key: str) -> dict[str, Any]:
    """The data processor on the object, streamed as the pipeline streams it."""
    from fileproc.processors import data
    from fileproc.s3io import open_object

    settings = _settings()
    client = s3_client(endpoint)

    def work() -> int:
        with open_object(client, bucket, key, None) as obj:
            extraction = data.process(
                obj.stream, size=obj.size, extension=".csv", settings=settings
            )
        engine["engine"] = extraction.metadata["engine"]
        return int(extraction.metadata["rows"])

    engine: dict[str, str] = {}
    cpu, wall, rows = timed(work)
    return {"cpu_s": cpu, "wall_s": wall, "rows": rows, "peak_rss_kb": _peak_kb(), **engine}


def measure_import(name: str) -> float:
    """CPU seconds to import an engine in this fresh interpreter."""
    started = time.process_time()
    importlib.import_module(name)
    return time.process_time() - started


def measure_messy(paths: list[str], engines: list[str]) -> dict[str, list[int | str]]:
    """Rows each engine reads from each file by default (or its error's class), and the
    scanner's rows; the processor (``profile``) with its engine on, as deployed."""
    from fileproc.processors import csv_profile

    def processor(path: str, engine: bool) -> int:
        data = Path(path).read_bytes()
        with open(path, "rb") as stream:
            metadata = csv_profile.process(stream, size=len(data), engine=engine).metadata
        return int(metadata["rows"])

    readers = {
        "profile": lambda path: processor(path, True),
        "scanner": lambda path: processor(path, False),
        "duckdb": _duckdb,
        "polars": _polars,
        "pyarrow": _pyarrow,
    }
    results: dict[str, list[int | str]] = {}
    for name in ["scanner", *engines]:
        results[name] = []
        for path in paths:
            try:
                results[name].append(readers[name](path))
            except Exception as exc:  # an engine refusing a file is a result
                results[name].append(type(exc).__name__)
    return results


def _peak_kb() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KB on Linux


def _settings() -> Any:
    from fileproc.config import Settings

    return Settings(table_name="bench", bucket_name="bench")
