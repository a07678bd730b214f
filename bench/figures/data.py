"""Data: CSV profiling throughput, and peak memory on a large CSV streamed from S3.

Throughput: the data processor on a CSV of ~200 MB (``mixed``: a customer-like
table of integers, floats, ISO dates and date-times, booleans, strings, empty
cells and quoted text; ``numeric``: a sensor-like table of integers and floats
only), against bare ``csv.reader`` iteration of the same file, both with the
Lambda runtime's Python running the deployed zips (bench.runtime); beside
them the same two in the development venv, and ``pandas.read_csv`` +
``describe`` (which only the venv has). Each measurement is a fresh process
(so its peak RSS is its own); the alternatives run interleaved.

Memory: the processor reading the object from a moto S3 server on loopback
(the emulator, a separate process) at two sizes: its peak RSS should not
grow with the size. pandas reads the largest file from disk for comparison.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import inputs
from bench.config import MB, Context
from bench.measure import Samples, run_worker, timed
from bench.model import Figure, rounded
from bench.runtime import prepare

THROUGHPUT_TARGET = 0.5
MEMORY_TARGET_MB = 150
# pandas comes with the bench extra (`make bench` installs it); the quick smoke run
# in the tests runs without it and says so.
HAVE_PANDAS = importlib.util.find_spec("pandas") is not None
MODES = ("bare", "profile", "pandas") if HAVE_PANDAS else ("bare", "profile")
NO_PANDAS = "pandas not installed (pip install -e '.[bench]'; make bench does)"


def run(ctx: Context) -> list[Figure]:
    figures = [_throughput(ctx, kind) for kind in inputs.CSV_KINDS]
    figures.append(_memory(ctx))
    return figures


def _throughput(ctx: Context, kind: str) -> Figure:
    """Headline: the Lambda runtime's Python running the zipped code (what is deployed);
    the development venv's Python (and pandas, which only it has) beside it."""
    size = ctx.sizes.csv_bytes
    path = inputs.write_csv(inputs.csv_path(ctx.work_dir, size, kind), size, kind)
    megabytes = path.stat().st_size / MB
    runtime = prepare(ctx)
    ctx.say(f"data: {kind} CSV of {megabytes:.0f} MB, {ctx.sizes.repeats} rounds")
    lambda_runs = _Runs(("bare", "profile"), runtime.python, runtime.env(with_bench=True))
    venv_runs = _Runs(MODES)
    for _ in range(ctx.sizes.repeats):  # both in each round: a slow spell hits both
        lambda_runs.once(path)
        venv_runs.once(path)
    on_lambda, in_venv = lambda_runs.throughput(megabytes), venv_runs.throughput(megabytes)
    ratio = on_lambda["profile"] / on_lambda["bare"]
    return Figure(
        id=f"data.throughput.{kind}",
        title=f"data: CSV profiling throughput, {megabytes:.0f} MB {kind} table",
        value=rounded(on_lambda["profile"], 1),
        unit="MB/s",
        baseline=rounded(on_lambda["bare"], 1),
        baseline_what="bare csv.reader iteration of the same file",
        ratio=rounded(ratio),
        target=f">= {THROUGHPUT_TARGET}x",
        met=ratio >= THROUGHPUT_TARGET,
        method=f"CPU time, median of {ctx.sizes.repeats} interleaved fresh processes, Lambda "
        f"runtime Python {runtime.version} with the zipped code; dev venv and pandas in details",
        details={
            "file_mb": round(megabytes, 1),
            "dev_venv": {
                "python": sys.version.split()[0],
                "ratio": round(in_venv["profile"] / in_venv["bare"], 3),
                "mb_per_s": {mode: round(value, 1) for mode, value in in_venv.items()},
                "peak_rss_mb": venv_runs.peak_mb(),
            },
            "rows": venv_runs.rows,
            "samples": {"lambda": lambda_runs.as_dict(), "dev_venv": venv_runs.as_dict()},
        },
    )


class _Runs:
    """Fresh-process measurements of some modes, with one interpreter and environment."""

    def __init__(
        self, modes: tuple[str, ...], python: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.modes, self.python, self.env = modes, python, env
        self.samples = {mode: Samples() for mode in modes}
        self.peaks: dict[str, list[int]] = {mode: [] for mode in modes}
        self.rows: dict[str, int] = {}

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
    with _moto_server() as endpoint:
        client = _s3(endpoint)
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
            "pandas": NO_PANDAS
            if pandas is None
            else {
                "peak_rss_mb": round(pandas["peak_rss_kb"] / 1024, 1),
                "wall_s": round(pandas["wall_s"], 1),
            },
        },
    )


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / MB:.1f} MB"


def _s3(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106  moto's server takes any key
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _moto_server() -> Iterator[str]:
    """moto's server in its own process on a free loopback port; stopped on exit."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto server did not start")
            time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- in the worker process


def measure_csv(path: str, mode: str) -> dict[str, Any]:
    """One pass over the file; CPU and wall time, peak RSS of this process, rows seen."""
    if mode == "pandas":
        import pandas

        def work() -> int:
            frame = pandas.read_csv(path)
            frame.describe()
            return len(frame)

    elif mode == "profile":
        from fileproc.processors import csv_profile

        def work() -> int:
            with open(path, "rb") as stream:
                return int(csv_profile.process(stream).metadata["rows"])

    else:

        def work() -> int:
            with open(path, newline="", encoding="utf-8") as text:
                return sum(1 for _ in csv.reader(text)) - 1  # the header

    cpu, wall, rows = timed(work)
    return {"cpu_s": cpu, "wall_s": wall, "rows": rows, "peak_rss_kb": _peak_kb()}


def measure_csv_s3(endpoint: str, bucket: str, key: str) -> dict[str, Any]:
    """The data processor on the object, streamed as the pipeline streams it."""
    from fileproc.processors import data
    from fileproc.s3io import open_object

    settings = _settings()
    client = _s3(endpoint)

    def work() -> int:
        with open_object(client, bucket, key, None) as obj:
            extraction = data.process(
                obj.stream, size=obj.size, extension=".csv", settings=settings
            )
        return int(extraction.metadata["rows"])

    cpu, wall, rows = timed(work)
    return {"cpu_s": cpu, "wall_s": wall, "rows": rows, "peak_rss_kb": _peak_kb()}


def _peak_kb() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KB on Linux


def _settings() -> Any:
    from fileproc.config import Settings

    return Settings(table_name="bench", bucket_name="bench")
