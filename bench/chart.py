"""The throughput chart of BENCHMARKS.md: fileproc against its baselines and peers.

Drawn from a run's figures (bench/results.json), whatever they are: every figure
whose unit is a rate (``.../s``) and whose value was measured gets a bar for
fileproc, one for its baseline (``baseline``, named by ``baseline_what``) and
one per peer measured in the same run and unit. Peers are read from
``details["peers"]`` (``{"DuckDB": 80.1}`` or ``{"DuckDB": {"value": 80.1}}``)
when a figure has it, else from its rate tables (``details["<where>_mb_per_s"]``
and the like, ``{mode: rate}``): each mode but fileproc's own (``profile``) and
the baseline is a peer, and a table of another interpreter (``dev_venv_...``)
says so in its labels. Figures of one measurement (same group, unit and value,
e.g. PDF text against PDFium and against pypdf, or CSV against csv.reader and
against DuckDB) share a panel. A figure without baseline or peers still gets its
bar; a figure not measured gets none. Each panel has its own scale: MB/s and
pages/s are not compared with each other.

matplotlib (the ``bench`` extra) draws with its Agg backend: no display needed.

    python -m bench.chart [bench/results.json] [docs/bench-throughput.png]
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import REPO_ROOT

CHART = REPO_ROOT / "docs" / "bench-throughput.png"
TITLE = "Throughput: fileproc against its baselines and peers (higher is faster)"
COLOURS = {"fileproc": "#1b6ca8", "baseline": "#9a9a9a", "peer": "#e08a2c"}
LABEL_CHARS = 52
# A rate table's mode that is fileproc itself (under another interpreter, or the figure's value).
SELF_MODES = frozenset({"profile", "processor", "fileproc"})
# How a rate table's modes read on the chart; others as they are.
MODE_LABELS = {
    "bare": "csv.reader",
    "duckdb": "DuckDB",
    "polars": "Polars",
    "pyarrow": "pyarrow",
    "pandas": "pandas",
    "ijson": "ijson (C backend)",
    "scanner": "fileproc's own scanner alone",
}
# A rate table's prefix naming the interpreter the figure itself ran (no label suffix).
SAME_RUNTIME = frozenset({"", "lambda"})


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    kind: str  # fileproc, baseline or peer


@dataclass
class Panel:
    title: str
    unit: str
    bars: list[Bar] = field(default_factory=list)

    def add(self, bar: Bar) -> None:
        """Once per label, and once per measurement: a rate already drawn as a baseline
        or a peer (the same number from another figure of the panel) is not drawn again."""
        if any(
            bar.label == old.label or (bar.kind != "fileproc" and bar.value == old.value)
            for old in self.bars
        ):
            return
        self.bars.append(bar)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None


def _peer_value(value: Any) -> float | None:
    if isinstance(value, dict):
        return _number(value.get("value"))
    return _number(value)


def peers(
    details: Any, value: float | None = None, baseline: float | None = None
) -> list[tuple[str, float]]:
    """The peers a figure's details name, with their values; anything else is skipped."""
    if not isinstance(details, dict):
        return []
    found = details.get("peers")
    if isinstance(found, list):  # [{"name": ..., "value": ...}]
        found = {
            str(item.get("name") or item.get("label")): item
            for item in found
            if isinstance(item, dict) and (item.get("name") or item.get("label"))
        }
    if isinstance(found, dict):
        pairs = [(str(name), _peer_value(peer)) for name, peer in found.items()]
        return [(name, peer) for name, peer in pairs if peer is not None]
    return _rate_tables(details, value, baseline)


def _same(a: float, b: float | None) -> bool:
    return b is not None and abs(a - b) <= 0.051 * max(1.0, abs(b) / 100)


def _rate_tables(
    details: dict[str, Any], value: float | None, baseline: float | None
) -> list[tuple[str, float]]:
    """Peers from ``<where>_<unit>_per_s`` tables: every mode but fileproc and the baseline."""
    found = []
    for key, table in details.items():
        if not (isinstance(key, str) and key.endswith("_per_s") and isinstance(table, dict)):
            continue
        prefix = key.removesuffix("_per_s").rsplit("_", 1)[0] if key.count("_") > 2 else ""
        same_runtime = prefix in SAME_RUNTIME
        for mode, rate in table.items():
            number = _number(rate)
            if number is None or str(mode) in SELF_MODES:
                continue
            if same_runtime and (_same(number, value) or _same(number, baseline)):
                continue  # the figure itself, or its baseline
            label = MODE_LABELS.get(str(mode), str(mode))
            found.append(
                (label if same_runtime else f"{label} ({prefix.replace('_', ' ')})", number)
            )
    return found


def _label(text: str) -> str:
    return textwrap.shorten(text, LABEL_CHARS, placeholder="...")


def panels(run: dict[str, Any]) -> list[Panel]:
    """One panel per measured throughput, in the run's order."""
    found: dict[tuple[str, str, float], Panel] = {}  # (group, unit, value)
    for figure in run.get("figures") or []:
        if not isinstance(figure, dict):
            continue
        unit = str(figure.get("unit") or "")
        value = _number(figure.get("value"))
        if not unit.endswith("/s") or value is None:
            continue
        title = str(figure.get("title") or figure.get("id") or "?")
        group = str(figure.get("id") or title).split(".")[0]
        panel = found.setdefault((group, unit, value), Panel(title, unit))
        panel.add(Bar("fileproc", value, "fileproc"))
        baseline = _number(figure.get("baseline"))
        if baseline is not None:
            what = _label(str(figure.get("baseline_what") or "baseline"))
            panel.add(Bar(what, baseline, "baseline"))
        for name, peer in peers(figure.get("details"), value, baseline):
            panel.add(Bar(_label(name), peer, "peer"))
    return list(found.values())


def draw(run: dict[str, Any], path: Path) -> Path | None:
    """The chart of the run's throughputs at ``path``; None (nothing written) without any."""
    found = panels(run)
    if not found:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches
    from matplotlib import pyplot

    heights = [0.9 + 0.32 * len(panel.bars) for panel in found]
    figure, axes = pyplot.subplots(
        len(found),
        1,
        figsize=(9, sum(heights) + 0.8),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, panel in zip(axes[:, 0], found, strict=True):
        bars = panel.bars
        positions = range(len(bars))
        axis.barh(
            positions,
            [bar.value for bar in bars],
            color=[COLOURS[bar.kind] for bar in bars],
            height=0.7,
        )
        axis.set_yticks(list(positions), [bar.label for bar in bars], fontsize=8)
        axis.invert_yaxis()  # fileproc on top
        top = max(bar.value for bar in bars) or 1.0
        axis.set_xlim(0, top * 1.18)
        for position, bar in zip(positions, bars, strict=True):
            axis.text(
                bar.value + top * 0.01,
                position,
                f"{bar.value:,.1f}" if bar.value < 100 else f"{bar.value:,.0f}",
                va="center",
                fontsize=8,
            )
        axis.set_title(f"{panel.title} ({panel.unit})", fontsize=9, loc="left")
        axis.tick_params(axis="x", labelsize=7)
        axis.spines[["top", "right"]].set_visible(False)
    date = run.get("date", "")
    figure.suptitle(f"{TITLE}\n{date}", fontsize=10)
    kinds = {bar.kind for panel in found for bar in panel.bars}
    handles = [
        matplotlib.patches.Patch(color=colour, label=kind)
        for kind, colour in COLOURS.items()
        if kind in kinds
    ]
    figure.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No software version in the file: the same figures give the same picture.
    figure.savefig(path, dpi=110, metadata={"Software": None})
    pyplot.close(figure)
    return path


def main(argv: list[str]) -> int:
    results = Path(argv[0]) if argv else REPO_ROOT / "bench" / "results.json"
    out = Path(argv[1]) if len(argv) > 1 else CHART
    drawn = draw(json.loads(results.read_text()), out)
    print(f"wrote {drawn}" if drawn else f"no throughput figure in {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
