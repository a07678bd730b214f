"""bench/results.json (everything measured) and the table of BENCHMARKS.md (from it).

BENCHMARKS.md has a generated part between two markers, rewritten by each
run, and hand-written notes below it (what the figures mean, profiles of the
targets not met), which a run leaves alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by `make bench` from bench/results.json) -->"
END = "<!-- bench:end -->"

_HEADER = """# Benchmarks

Measured by `make bench` (`python -m bench`, see bench/). Every figure is
measured against a baseline of the same run on the same inputs, which the
benchmark generates from a seed; the raw numbers are in
[bench/results.json](bench/results.json).
"""


def write_json(path: Path, run: dict[str, Any]) -> None:
    path.write_text(json.dumps(run, indent=2, sort_keys=False) + "\n")


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def table(run: dict[str, Any], chart: str | None = None) -> str:
    """The generated part; ``chart``: the throughput chart's path relative to the page."""
    machine = run["machine"]
    provenance = ""
    if run.get("previous_date"):
        provenance = (
            f"; re-measured {', '.join(run['groups'])}, the other figures are from the run "
            f"of {run['previous_date']}"
        )
    lines = [
        f"Run: {run['date']} ({'quick' if run['quick'] else 'full'} run, "
        f"{run['duration_s']:.0f} s{provenance})  ",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gb']} GB; {machine['os']}  ",
        f"Python {machine['python']} (the bench; image, document, CSV memory, API list), "
        f"Lambda runtime Python {machine.get('runtime_python', '-')} with the deployed zips "
        "(cold start, CSV throughput); "
        + ", ".join(f"{name} {version}" for name, version in machine["libraries"].items()),
        "",
        *(
            [
                f"![Throughput: fileproc against its baselines and peers]({chart})",
                "",
                f"The throughput figures as a chart ([{chart}]({chart}), bench/chart.py).",
                "",
            ]
            if chart
            else []
        ),
        "| figure | value | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in run["figures"]:
        value = f"{_number(figure['value'])} {figure['unit']}".strip()
        baseline = (
            f"{_number(figure['baseline'])} {figure['unit'].replace('items/page', 'items')} "
            f"({figure['baseline_what']})"
            if figure["baseline"] is not None
            else "-"
        )
        ratio = f"{_number(figure['ratio'])}x" if figure["ratio"] is not None else "-"
        title = figure["title"] + (f" *({figure['note']})*" if figure["note"] else "")
        lines.append(
            f"| {title} | {value} | {baseline} | {ratio} | {figure['target']} "
            f"| {_met(figure['met'])} |"
        )
    lines.append("")
    lines.append("How each figure is measured:")
    lines.append("")
    for figure in run["figures"]:
        if figure["method"]:
            lines.append(f"- `{figure['id']}`: {figure['method']}.")
    for figure in run["figures"]:
        lines += _detail_table(figure.get("details", {}).get("table"))
    return "\n".join(lines)


def _detail_table(table: dict[str, Any] | None) -> list[str]:
    """A figure's per-item table (e.g. hostile's one row per kind), under the figures."""
    if not table:
        return []
    lines = ["", f"{table['title']}:", ""]
    lines.append("| " + " | ".join(table["columns"]) + " |")
    lines.append("|" + "---|" * len(table["columns"]))
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in table["rows"]]
    return lines


def write_markdown(path: Path, run: dict[str, Any], chart: str | None = None) -> None:
    generated = f"{BEGIN}\n{table(run, chart)}\n{END}"
    if path.exists() and BEGIN in (text := path.read_text()) and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + generated + after)
    else:
        path.write_text(f"{_HEADER}\n{generated}\n")
