"""A tiny run of ``python -m bench --quick``: every figure group still runs end to end.

Not a performance test (no timing is asserted): it keeps the benchmark from
rotting as the code it measures changes. The sandbox group is left out (it
deploys the whole stack); the quick run writes under build/bench-quick/, never
over the committed bench/results.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_bench_run_measures_every_figure(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-sandbox", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    run = json.loads((tmp_path / "results.json").read_text())
    ids = {figure["id"] for figure in run["figures"]}
    assert {
        "image.time", "image.memory", "data.throughput.mixed", "data.throughput.numeric",
        "data.memory", "data.peers.mixed", "data.peers.numeric", "data.engines",
        "document.pdf", "document.pdf.pypdf", "package.function", "coldstart.image",
        "coldstart.document", "coldstart.data", "coldstart.api", "api.list.60", "api.list.120",
        "api.list.write_ceiling",
        "hostile.peak", "hostile.outcomes", "package.unzipped.image", "package.unzipped.data",
        "package.layer.common", "package.layer.data", "coldstart.first.csv",
        "coldstart.first.pdf", "coldstart.engine.duckdb",
        "parquet.fetched", "parquet.time",
        "json.throughput.array", "json.throughput.lines",
        "json.memory",
    } <= ids  # fmt: skip
    for figure in run["figures"]:
        assert figure["value"] is not None, figure
    # The listing reads one page, not the table, whatever its size; its partitions do not
    # cap the writes below the account's quota.
    listing = [figure for figure in run["figures"] if figure["id"].startswith("api.list.")]
    assert all(figure["met"] for figure in listing), listing
    # A Parquet file's metadata costs its ends, not a download, whatever its size.
    [fetched] = [figure for figure in run["figures"] if figure["id"] == "parquet.fetched"]
    assert fetched["met"], fetched
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| figure | value | baseline | ratio | target | met |" in markdown
    assert "image: peak memory" in markdown
    assert "Hostile files (small size) through the isolated processors" in markdown
    # The throughput chart, beside the page that links it.
    assert (tmp_path / "bench-throughput.png").read_bytes().startswith(b"\x89PNG")
    assert "![Throughput: fileproc against its baselines and peers](bench-throughput.png)" in (
        markdown
    )
    # Every function within the size make build allows, on its own layers.
    sizes = {f["id"]: f for f in run["figures"] if f["id"].startswith("package.unzipped.")}
    assert sizes
    assert all(figure["met"] for figure in sizes.values()), sizes
