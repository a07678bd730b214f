"""What a benchmark run produces: figures, and the run that measured them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One row of the results table.

    ``ratio`` is defined per figure so that its target reads naturally (e.g.
    processor time / baseline time <= 1.3, or processor throughput / csv.reader
    throughput >= 0.5); ``met`` is None when a figure is only reported or could
    not be measured (``note`` says why).
    """

    id: str
    title: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_what: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    method: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def not_measured(id: str, title: str, target: str, reason: str) -> Figure:
    return Figure(id=id, title=title, value=None, unit="", target=target, note=reason)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
