"""bench/chart.py: the throughput chart of BENCHMARKS.md, drawn from any results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench import chart, report
from bench.chart import Bar
from PIL import Image

from fileproc_tools.tfconfig import REPO_ROOT


def figure(id: str, value: Any, unit: str = "MB/s", **fields: Any) -> dict[str, Any]:
    return {
        "id": id,
        "title": fields.pop("title", f"{id} title"),
        "value": value,
        "unit": unit,
        "baseline": fields.pop("baseline", None),
        "baseline_what": fields.pop("baseline_what", ""),
        "ratio": None,
        "target": "",
        "met": None,
        "method": "",
        "details": fields.pop("details", {}),
        "note": "",
    }


SYNTHETIC = {
    "date": "2026-12-02T16:00:00+00:00",
    "figures": [
        figure(
            "data.throughput.mixed",
            80.5,
            baseline=45.0,
            baseline_what="bare csv.reader iteration of the same file",
            details={
                "peers": {
                    "DuckDB": 80.0,
                    "Polars (streaming)": {"value": 95.2, "peak_rss_mb": 264},
                    "pyarrow": None,  # not measured this run
                    "broken": "fast",
                }
            },
        ),
        figure(
            "json.throughput.array",
            30.0,
            baseline=26.0,
            baseline_what="ijson (C backend) over the same records",
            details={"peers": [{"name": "orjson line by line", "value": 66.0}, {"value": 1}]},
        ),
        figure("json.throughput.lines", None, note="not measured"),
        figure("document.pdf", 700.0, "pages/s", title="PDF text", baseline=760.0,
               baseline_what="bare PDFium"),
        figure("document.pdf.pypdf", 700.0, "pages/s", title="PDF text", baseline=250.0,
               baseline_what="bare pypdf"),
        figure("image.time", 85.0, "ms", baseline=64.0, baseline_what="bare Pillow"),
        figure("package.layer.data", 25.9, "MB"),
    ],
}  # fmt: skip


def test_every_measured_throughput_gets_its_baseline_and_peers() -> None:
    panels = chart.panels(SYNTHETIC)
    assert [(panel.title, panel.unit) for panel in panels] == [
        ("data.throughput.mixed title", "MB/s"),
        ("json.throughput.array title", "MB/s"),
        ("PDF text", "pages/s"),
    ]
    mixed, json_array, pdf = panels
    assert mixed.bars == [
        Bar("fileproc", 80.5, "fileproc"),
        Bar("bare csv.reader iteration of the same file", 45.0, "baseline"),
        Bar("DuckDB", 80.0, "peer"),
        Bar("Polars (streaming)", 95.2, "peer"),
    ]
    assert json_array.bars[-1] == Bar("orjson line by line", 66.0, "peer")
    assert len(json_array.bars) == 3  # the nameless peer is skipped
    # One measurement with two baselines: one panel, fileproc once.
    assert [bar.label for bar in pdf.bars] == ["fileproc", "bare PDFium", "bare pypdf"]


# The shapes the CSV and JSON groups write: rate tables by mode, the processor as
# "profile", two figures of one measurement (against csv.reader, against DuckDB).
RATE_TABLES = {
    "figures": [
        figure(
            "data.throughput.mixed", 120.0, title="CSV mixed", baseline=95.0,
            baseline_what="bare csv.reader iteration of the same file",
            details={
                "lambda_mb_per_s": {"bare": 95.0, "profile": 120.0, "duckdb": 110.0},
                "dev_venv": {"mb_per_s": {"pandas": 80.0}},  # nested: not a rate table
            },
        ),
        figure(
            "data.peers.mixed", 120.0, title="CSV mixed against the fastest peer",
            baseline=110.0, baseline_what="bare DuckDB count/min/max/avg of every column",
            details={"dev_venv_mb_per_s": {"bare": 101.0, "profile": 99.0, "polars": 150.0}},
        ),
        figure(
            "json.throughput.array", 40.0, title="JSON array", baseline=27.0,
            baseline_what="ijson's C backend",
            details={"mb_per_s": {"ijson": 27.0, "profile": 40.0, "orjson": 66.0}},
        ),
    ]
}  # fmt: skip


def test_peers_are_read_from_rate_tables_by_mode() -> None:
    csv, json_array = chart.panels(RATE_TABLES)
    assert csv.title == "CSV mixed"
    assert [(bar.label, bar.value, bar.kind) for bar in csv.bars] == [
        ("fileproc", 120.0, "fileproc"),
        ("bare csv.reader iteration of the same file", 95.0, "baseline"),
        ("DuckDB", 110.0, "peer"),
        # The other figure's baseline is DuckDB's run, drawn once; the dev venv's peers
        # say where they ran, its own processor and csv.reader runs are not peers.
        ("csv.reader (dev venv)", 101.0, "peer"),
        ("Polars (dev venv)", 150.0, "peer"),
    ]
    assert [(bar.label, bar.value) for bar in json_array.bars] == [
        ("fileproc", 40.0),
        ("ijson's C backend", 27.0),
        ("orjson", 66.0),
    ]


def test_figures_without_baseline_peers_or_value_are_tolerated() -> None:
    run = {
        "figures": [
            figure("a.throughput", 10.0),
            figure("b.throughput", 5.0, details={"peers": "DuckDB"}),
            figure("c.throughput", -1.0),
            figure("d.throughput", True),
            "not a figure",
        ]
    }
    assert [[bar.label for bar in panel.bars] for panel in chart.panels(run)] == [
        ["fileproc"],
        ["fileproc"],
    ]
    assert chart.panels({}) == []


def _png(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_draws_a_png_of_the_synthetic_run(tmp_path: Path) -> None:
    drawn = chart.draw(SYNTHETIC, tmp_path / "chart" / "throughput.png")
    assert drawn == tmp_path / "chart" / "throughput.png"
    width, height = _png(drawn)
    assert width > 600
    # Taller with more bars: three panels of 4, 3 and 3 bars.
    one = chart.draw({"figures": SYNTHETIC["figures"][:1]}, tmp_path / "one.png")
    assert one is not None
    assert _png(one)[1] < height


def test_draws_the_committed_results(tmp_path: Path) -> None:
    run = json.loads((REPO_ROOT / "bench" / "results.json").read_text())
    panels = chart.panels(run)
    assert panels, "bench/results.json has throughput figures"
    drawn = chart.draw(run, tmp_path / "bench-throughput.png")
    assert drawn is not None
    _png(drawn)


def test_nothing_to_draw_writes_nothing(tmp_path: Path) -> None:
    assert chart.draw({"figures": [figure("image.time", 85.0, "ms")]}, tmp_path / "x.png") is None
    assert not (tmp_path / "x.png").exists()


def test_the_command_redraws_from_a_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(SYNTHETIC))
    assert chart.main([str(results), str(tmp_path / "out.png")]) == 0
    assert "wrote" in capsys.readouterr().out
    _png(tmp_path / "out.png")


def test_the_page_links_the_chart_only_when_drawn() -> None:
    run = {
        "date": "2026-12-02T16:00:00+00:00",
        "quick": True,
        "duration_s": 1.0,
        "machine": {"cpu": "cpu", "cores": 2, "memory_gb": 24, "os": "linux", "python": "3.11",
                    "libraries": {}},
        "figures": SYNTHETIC["figures"],
    }  # fmt: skip
    linked = report.table(run, "docs/bench-throughput.png")
    assert "![Throughput: fileproc against its baselines and peers](docs/bench-throughput.png)" in (
        linked
    )
    assert "docs/bench-throughput.png" not in report.table(run)
