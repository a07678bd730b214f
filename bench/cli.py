"""``python -m bench [--quick] [--only ID ...] [--skip ID ...] [--no-sandbox]``.

Runs the figure groups in order, writes bench/results.json and the table of
BENCHMARKS.md. A group that fails is recorded as not measured (with the
error) and the others still run; the exit status is 1 if any group failed.
``--quick`` uses tiny inputs and writes to build/bench-quick/ instead, so a
smoke run never overwrites the committed results. ``--only``/``--skip``
replace the figures of the groups they run and keep the others' from the
previous results.json (the date and machine are those of the latest run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import chart, machine, report
from bench.config import FULL, QUICK, Context, sizes_from_env
from bench.figures import (
    burst,
    coldstart,
    data,
    document,
    hostile,
    image,
    json_data,
    listing,
    package,
    parquet,
    sandbox,
)
from bench.measure import REPO_ROOT
from bench.model import Figure, not_measured

Group = Callable[[Context], list[Figure]]

# Package before cold start: the cold start imports the zips it builds.
GROUPS: dict[str, Group] = {
    "image": image.run,
    "data": data.run,
    "parquet": parquet.run,
    "json": json_data.run,
    "document": document.run,
    "hostile": hostile.run,
    "package": package.run,
    "coldstart": coldstart.run,
    "api": listing.run,
    "sandbox": sandbox.run,
    "burst": burst.run,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny inputs (smoke run)")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run only these groups")
    parser.add_argument("--skip", nargs="+", choices=GROUPS, default=[], help="skip groups")
    parser.add_argument(
        "--no-sandbox", action="store_true", help="skip the figures that deploy the sandbox"
    )
    parser.add_argument("--out", type=Path, help="directory for results.json and BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sizes_from_env(QUICK if args.quick else FULL)
    out = args.out or (REPO_ROOT / "build" / "bench-quick" if args.quick else None)
    results_path = (out or REPO_ROOT / "bench") / "results.json"
    markdown_path = (out or REPO_ROOT) / "BENCHMARKS.md"
    work_dir = REPO_ROOT / "build" / ("bench-quick" if args.quick else "bench")
    work_dir.mkdir(parents=True, exist_ok=True)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        sizes=sizes,
        quick=args.quick,
        work_dir=work_dir,
        sandbox=not args.no_sandbox,
        log=[],
    )
    selected = [name for name in (args.only or GROUPS) if name not in args.skip]
    started = time.monotonic()
    figures: list[dict[str, Any]] = []
    failures = 0
    for name in selected:
        group_started = time.monotonic()
        try:
            produced = GROUPS[name](ctx)
        except Exception as exc:
            failures += 1
            traceback.print_exc()
            produced = [not_measured(name, name, "-", f"not measured: {exc}"[:300])]
        ctx.say(f"{name}: {time.monotonic() - group_started:.0f} s")
        for figure in produced:
            figures.append(figure.as_dict())
            ctx.say(_summary(figure))
    provenance: dict[str, Any] = {}
    if selected != list(GROUPS) and results_path.exists():
        previous = json.loads(results_path.read_text())
        figures = _merged(previous, selected, figures)
        provenance = {
            "groups": selected,
            "previous_date": previous.get("previous_date") or previous.get("date"),
        }
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "duration_s": round(time.monotonic() - started, 1),
        "machine": machine.describe() | _runtime_python(figures),
        "sizes": asdict(sizes),
        "figures": figures,
        **provenance,
    }
    report.write_json(results_path, run)
    chart_path = (out / chart.CHART.name) if out else chart.CHART
    drawn = _draw_chart(run, chart_path)
    link = os.path.relpath(drawn, markdown_path.parent) if drawn else None
    report.write_markdown(markdown_path, run, link)
    ctx.say(f"wrote {results_path}, {markdown_path}" + (f" and {drawn}" if drawn else ""))
    return 1 if failures else 0


def _draw_chart(run: dict[str, Any], path: Path) -> Path | None:
    """The throughput chart, or None (said why) when it cannot be drawn: the figures
    and the table are written all the same."""
    try:
        return chart.draw(run, path)
    except ImportError as exc:
        print(f"no chart: {exc} (`make bench` installs the bench extra)", file=sys.stderr)
        return None


def _group_of(figure_id: str) -> str:
    return figure_id.split(".")[0]  # ids start with their group's name


def _merged(
    previous: dict[str, Any], selected: list[str], figures: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The previous run's figures of the groups not run now, in group order, plus the new."""
    kept = [
        figure for figure in previous.get("figures", []) if _group_of(figure["id"]) not in selected
    ]
    order = {name: index for index, name in enumerate(GROUPS)}
    return sorted(kept + figures, key=lambda figure: order.get(_group_of(figure["id"]), 99))


def _summary(figure: Figure) -> str:
    met = {True: "met", False: "NOT MET", None: "reported"}[figure.met]
    ratio = f", {figure.ratio}x" if figure.ratio is not None else ""
    return f"  {figure.id}: {figure.value} {figure.unit}{ratio} (target {figure.target}: {met})"


def _runtime_python(figures: list[dict[str, Any]]) -> dict[str, str]:
    for figure in figures:
        version = figure.get("details", {}).get("python")
        if figure["id"].startswith("coldstart.") and version:
            return {"runtime_python": version}
    return {}
