"""What a report returns: plain data that a page renders, Chart.js draws and exports write.

Values in rows are plain Python: ``int``, ``float``, ``str``, ``datetime.date`` or ``None``
(no data: shown as «—», an empty cell in exports). A column's ``kind`` says how to show them:

- ``percent``: a share from 0 to 1 (0.8333 is 83.3 %), rounded to four places;
- ``duration_days``: days with one decimal;
- ``float``: a number as it is (averages to two places, rates per 10 000 to two places);
- ``date``: a ``datetime.date`` (local to the region);
- ``int`` and ``text`` as they are.

A row may carry keys that are not columns (the rating's ``key`` names its indicator); pages
may use them, exports write only the columns.

Chart values are ready to plot: shares in percent (0–100, one decimal), counts as counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ColumnKind = Literal["text", "int", "percent", "float", "date", "duration_days"]
ChartKind = Literal["bar", "line", "doughnut"]
Cell = int | float | str | date | None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: ColumnKind = "text"


@dataclass(slots=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Cell]] = field(default_factory=list)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(slots=True)
class Chart:
    kind: ChartKind
    title: str
    labels: list[str]
    series: list[tuple[str, list[float | int | None]]]

    def as_chartjs(self) -> dict[str, Any]:
        """The Chart.js configuration (``new Chart(canvas, config)``), JSON-ready."""
        return {
            "type": self.kind,
            "data": {
                "labels": list(self.labels),
                "datasets": [{"label": name, "data": list(values)}
                             for name, values in self.series],
            },
            "options": {"plugins": {"title": {"display": True, "text": self.title}}},
        }


@dataclass(slots=True)
class Report:
    title: str
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)

    def table(self, title: str) -> Table:
        return next(t for t in self.tables if t.title == title)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to four places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def percent(part: int, whole: int) -> float | None:
    """The same share in percent with one decimal, for charts and indicator values."""
    return round(100 * part / whole, 1) if whole else None


def days(seconds: float | None) -> float | None:
    return round(seconds / 86400, 1) if seconds is not None else None
