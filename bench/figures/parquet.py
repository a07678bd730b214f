"""Parquet: metadata of a large file from its footer, without downloading the object.

Input: a ~200 MB Parquet file written by DuckDB (--quick: ~2 MB), hex digests,
numbers and labels in DuckDB's default row groups, uploaded to moto's S3 server on
loopback (a separate process: real HTTP, as the function reads S3).

Measured in one fresh process, interleaved rounds after a warm-up (DuckDB's import
and first connection are reported apart, as ``first_call_s``), in CPU time (the
machine is shared: wall times, in the details, move with its load):
- the pipeline's path: ``s3io.open_ends`` (ranged GETs of the object's ends) then
  ``processors.parquet.process`` (the footer copied to a temporary file, parsed by
  DuckDB): wall and CPU time, GET requests and bytes fetched;
- the baseline: the same DuckDB queries (``parquet._describe``) on the local file;
- for scale, the whole object downloaded from the same server (read through).
The isolation's fork per file is not included (the image group's figure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.config import MB, Context
from bench.measure import Samples, run_worker, timed
from bench.model import Figure, rounded
from bench.moto_server import moto_server, s3_client
from fileproc.processors import parquet

# CPU against DuckDB on the local file: the ranged GETs' few KB and the footer's copy
# to a temporary file are all the pipeline's path adds. (Wall time, in the details,
# is the GETs' latency on top: on loopback a few ms each, under load much more.)
TIME_TARGET = 1.5
FULL_MB = 200
QUICK_MB = 2
BUCKET = "bench"


def run(ctx: Context) -> list[Figure]:
    target_mb = QUICK_MB if ctx.quick else FULL_MB
    path = _input(ctx.work_dir / f"parquet-{target_mb}mb.parquet", target_mb)
    size = path.stat().st_size
    ctx.say(f"parquet: metadata of a {size / MB:.0f} MB file, {ctx.sizes.repeats} rounds")
    with moto_server() as endpoint:
        client = s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        version = client.put_object(Bucket=BUCKET, Key=path.name, Body=path.read_bytes())
        result = run_worker(
            "bench.figures.parquet:measure",
            {
                "endpoint": endpoint,
                "key": path.name,
                "version_id": version.get("VersionId"),
                "path": str(path),
                "repeats": ctx.sizes.repeats,
            },
        )
    return [_fetched(result, size), _time(result, size, ctx.sizes.repeats)]


def _fetched(result: dict[str, Any], size: int) -> Figure:
    fetched = result["fetched_bytes"]
    ratio = fetched / size
    # The object's ends and nothing else: the first ranged GET (its last 64 KB), the
    # head, and the rest of a footer longer than the first GET held.
    ends = max(parquet.TAIL_PROBE_BYTES, result["footer_bytes"] + 8) + parquet.HEAD_BYTES
    return Figure(
        id="parquet.fetched",
        title=f"parquet: bytes fetched from S3 for the metadata of a {size / MB:.0f} MB file",
        value=rounded(fetched / 1024, 1),
        unit="KB",
        baseline=rounded(size / 1024, 1),
        baseline_what="the object's size (what a download would fetch)",
        ratio=rounded(ratio, 6),
        target=f"<= the ends ({ends / 1024:.0f} KB), whatever the size",
        met=fetched <= ends,
        method="ContentLength of every GetObject answer of one file (botocore after-call hook)",
        details={
            "requests": result["ranges"],
            "footer_bytes": result["footer_bytes"],
            "rows": result["rows"],
            "row_groups": result["row_groups"],
            "columns": result["columns"],
        },
    )


def _time(result: dict[str, Any], size: int, repeats: int) -> Figure:
    ends, local = result["ends"], result["local"]
    ratio = ends["median_cpu_s"] / local["median_cpu_s"]
    return Figure(
        id="parquet.time",
        title=f"parquet: metadata of a {size / MB:.0f} MB file read from S3 (its ends only)",
        value=rounded(ends["median_cpu_s"] * 1000, 1),
        unit="ms CPU",
        baseline=rounded(local["median_cpu_s"] * 1000, 1),
        baseline_what="the same DuckDB footer queries on the local file",
        ratio=rounded(ratio, 2),
        target=f"<= {TIME_TARGET:g}x",
        met=ratio <= TIME_TARGET,
        method=f"CPU time, median of {repeats} interleaved rounds in one process after a "
        "warm-up, moto's S3 server on loopback; wall times in the details",
        details={
            "ends": ends,
            "local": local,
            "download": result["download"],
            "download_bytes": size,
            "first_call_s": result["first_call_s"],
        },
    )


def _input(path: Path, megabytes: int) -> Path:
    """A Parquet file of about ``megabytes`` MB: the same bytes on every run (one
    thread, values from the row number), made once and kept in the work directory."""
    if path.exists():
        return path
    import duckdb

    # About 42 bytes a row once compressed (zstd halves the md5 hex, no more).
    rows = megabytes * MB // 42
    columns = (
        "i AS id, md5(i::VARCHAR) AS a, md5((i * 7)::VARCHAR) AS b, "
        "hash(i) % 1000000 AS c, (hash(i * 3) % 100000) / 100.0 AS d, "
        "CASE WHEN i % 11 = 0 THEN NULL ELSE 'label ' || (i % 97) END AS e"
    )
    select = f"SELECT {columns} FROM range({rows}) t(i)"  # noqa: S608 - the bench's own SQL
    scratch = path.with_suffix(".tmp")
    with duckdb.connect(":memory:", config={"threads": 1}) as con:
        con.execute(f"COPY ({select}) TO '{scratch}' (FORMAT parquet, COMPRESSION zstd)")
    scratch.rename(path)
    return path


# ---------------------------------------------------------------- in the worker process


def measure(
    endpoint: str, key: str, version_id: str | None, path: str, repeats: int
) -> dict[str, Any]:
    from fileproc.s3io import open_ends

    client = s3_client(endpoint)
    ranges: list[str] = []
    sizes: list[int] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        ranges.append(str(params.get("Range")))

    def after(parsed: dict[str, Any], **_: Any) -> None:
        sizes.append(int(parsed.get("ContentLength", 0)))

    client.meta.events.register("provide-client-params.s3.GetObject", before)
    client.meta.events.register("after-call.s3.GetObject", after)

    def from_ends() -> dict[str, Any]:
        with open_ends(
            client,
            BUCKET,
            key,
            version_id,
            head_bytes=parquet.HEAD_BYTES,
            probe_bytes=parquet.TAIL_PROBE_BYTES,
            tail_bytes=parquet.tail_bytes,
        ) as opened:
            return parquet.process(opened.stream, size=opened.size).metadata

    def local() -> dict[str, Any]:
        # DuckDB straight on the file: the footer is read where it is, nothing copied.
        with open(path, "rb") as file:
            file.seek(-8, 2)
            footer = int.from_bytes(file.read(4), "little")
        return parquet.describe(path, footer_bytes=footer)

    def download() -> int:
        body = client.get_object(Bucket=BUCKET, Key=key, VersionId=version_id)["Body"]
        total = 0
        while chunk := body.read(1024 * 1024):
            total += len(chunk)
        return total

    _, first_call_s, metadata = timed(from_ends)  # DuckDB's import and first connection
    ranges.clear()
    sizes.clear()
    from_ends()
    one_file = {"ranges": list(ranges), "fetched_bytes": sum(sizes)}
    works = {"ends": from_ends, "local": local, "download": download}
    samples = {name: Samples() for name in works}
    for _ in range(repeats):
        for name, work in works.items():
            cpu, wall, _ = timed(work)
            samples[name].add(cpu, wall)
    assert local() == metadata, "the ends and the local file must give the same metadata"
    return {
        **one_file,
        "footer_bytes": metadata["footer_bytes"],
        "rows": metadata["rows"],
        "row_groups": metadata["row_groups"],
        "columns": metadata["columns"],
        "first_call_s": round(first_call_s, 4),
        **{name: sample.as_dict() for name, sample in samples.items()},
    }
