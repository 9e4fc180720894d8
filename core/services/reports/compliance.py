"""Deadline compliance per responsible organisation, and the same for fast-track messages.

Definitions (messages of the scope, see :mod:`core.services.reports.scope`):

- **Поступило** — messages registered in the period.
- **Дан ответ** — messages with an approved answer (``answered_at`` set). After a low rating
  and re-review the latest answer counts.
- **Ответ в срок** — ``answered_at <= answer_due``: the latest answer against the deadline in
  force (a re-review sets a new deadline; a postponement the citizen was told of moves it).
- **Доля ответов в срок** — answered on time / answered.
- **Просрочено сейчас** — open (not answered, closed or rejected) and ``answer_due`` before now.
  Unanswered overdue messages show here, not in the share above.
- **Медиана времени ответа** — the median of ``answered_at − registered_at`` over answered
  messages, in days with one decimal.
- **Ускоренное рассмотрение** — the same figures over ``fast_track`` messages only.

One grouped statement does it: on PostgreSQL with ``percentile_cont`` and ``ROLLUP`` for the
totals' median in the same scan; on SQLite the counts are grouped in the database and the
medians come from the answered messages' two timestamps (SQLite has no percentile).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import RowMapping, func, select

from core.db import tables as t
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.reports import sql as q
from core.services.reports.model import Cell, Chart, Column, Report, Table, days, percent, share
from core.services.reports.scope import ReportScope, ResolvedScope, resolve

TITLE = "Соблюдение сроков рассмотрения"
BY_ORGANISATION = "Сроки по организациям"
SUMMARY = "Итого по срокам"
CHART_ORGANISATIONS = 20


@dataclass(slots=True)
class Compliance:
    total: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0
    median_days: float | None = None

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.answered)

    def add(self, other: Compliance) -> None:
        self.total += other.total
        self.answered += other.answered
        self.on_time += other.on_time
        self.overdue += other.overdue


@dataclass(slots=True)
class OrgCompliance:
    all: Compliance = field(default_factory=Compliance)
    fast: Compliance = field(default_factory=Compliance)


Key = int | None  # organisation id; None for messages without an organisation


async def compliance_figures(p: Platform, rs: ResolvedScope
                             ) -> tuple[dict[Key, OrgCompliance], OrgCompliance]:
    """Per organisation and in total."""
    m = t.Message
    now = p.clock.now()
    counts = [
        func.count().label("total"),
        q.count_if(q.answered()).label("answered"),
        q.count_if(q.on_time()).label("on_time"),
        q.count_if(q.overdue(now)).label("overdue"),
        q.count_if(q.fast()).label("fast_total"),
        q.count_if(q.fast() & q.answered()).label("fast_answered"),
        q.count_if(q.fast() & q.on_time()).label("fast_on_time"),
        q.count_if(q.fast() & q.overdue(now)).label("fast_overdue"),
    ]
    by_org: dict[Key, OrgCompliance] = {}
    total = OrgCompliance()
    async with p.db.sessions() as session:
        if p.db.is_postgres:
            seconds = q.answer_seconds()
            stmt = (select(func.grouping(m.organisation_id).label("is_total"), m.organisation_id,
                           *counts, q.pg_median(seconds).label("median"),
                           q.pg_median(seconds).filter(q.fast()).label("fast_median"))
                    .where(rs.message_filter()).group_by(func.rollup(m.organisation_id)))
            for row in (await session.execute(stmt)).mappings():
                figures = _figures(row)
                figures.all.median_days = days(q.as_float(row["median"]))
                figures.fast.median_days = days(q.as_float(row["fast_median"]))
                if row["is_total"]:
                    total = figures
                else:
                    by_org[row["organisation_id"]] = figures
            return by_org, total
        stmt = (select(m.organisation_id, *counts).where(rs.message_filter())
                .group_by(m.organisation_id))
        for row in (await session.execute(stmt)).mappings():
            figures = by_org[row["organisation_id"]] = _figures(row)
            total.all.add(figures.all)
            total.fast.add(figures.fast)
        durations: dict[tuple[Key, bool], list[float]] = defaultdict(list)
        answered = (select(m.organisation_id, m.fast_track, m.registered_at, m.answered_at)
                    .where(rs.message_filter(), q.answered()))
        for org_id, fast_track, registered_at, answered_at in await session.execute(answered):
            if answered_at is not None:
                durations[org_id, bool(fast_track)].append(
                    (answered_at - registered_at).total_seconds())
    for org_id, figures in by_org.items():
        slow, quick = durations[org_id, False], durations[org_id, True]
        figures.all.median_days = days(q.median(slow + quick))
        figures.fast.median_days = days(q.median(quick))
    total.all.median_days = days(q.median(v for x in durations.values() for v in x))
    total.fast.median_days = days(q.median(
        v for (_, fast_track), x in durations.items() if fast_track for v in x))
    return by_org, total


def _figures(r: RowMapping) -> OrgCompliance:
    return OrgCompliance(
        all=Compliance(q.as_int(r["total"]), q.as_int(r["answered"]), q.as_int(r["on_time"]),
                       q.as_int(r["overdue"])),
        fast=Compliance(q.as_int(r["fast_total"]), q.as_int(r["fast_answered"]),
                        q.as_int(r["fast_on_time"]), q.as_int(r["fast_overdue"])))


async def compliance_report(p: Platform, *, scope: ReportScope) -> Report:
    """Deadline compliance of the scope's organisations; worst (most overdue) first."""
    d = await p.directory.get()
    rs = resolve(d, scope)
    by_org, total = await compliance_figures(p, rs)
    ordered = sorted(by_org.items(), key=lambda kv: (
        -kv[1].all.overdue, -kv[1].all.total, q.org_name(d, kv[0]).casefold()))
    return Report(
        title=TITLE,
        tables=[_organisation_table(d, ordered), _summary_table(total)],
        charts=_charts(d, ordered),
    )


_FIGURE_COLUMNS = [
    Column("total", "Поступило", "int"),
    Column("answered", "Дан ответ", "int"),
    Column("on_time", "Ответ в срок", "int"),
    Column("on_time_share", "Доля ответов в срок", "percent"),
    Column("overdue_now", "Просрочено сейчас", "int"),
    Column("median_days", "Медиана времени ответа, дн.", "duration_days"),
]


def _cells(c: Compliance, prefix: str = "") -> dict[str, Cell]:
    return {f"{prefix}total": c.total, f"{prefix}answered": c.answered,
            f"{prefix}on_time": c.on_time, f"{prefix}on_time_share": c.on_time_share,
            f"{prefix}overdue_now": c.overdue, f"{prefix}median_days": c.median_days}


def _organisation_table(d: Directory, ordered: list[tuple[Key, OrgCompliance]]) -> Table:
    columns = [
        Column("organisation", "Организация"), *_FIGURE_COLUMNS,
        Column("fast_total", "Ускоренных", "int"),
        Column("fast_answered", "Ускоренных с ответом", "int"),
        Column("fast_on_time_share", "Ускоренных в срок", "percent"),
        Column("fast_overdue_now", "Ускоренных просрочено", "int"),
        Column("fast_median_days", "Медиана по ускоренным, дн.", "duration_days"),
    ]
    keep = {c.key for c in columns}
    rows: list[dict[str, Cell]] = []
    for org_id, figures in ordered:
        cells = {"organisation": q.org_name(d, org_id), **_cells(figures.all),
                 **_cells(figures.fast, "fast_")}
        rows.append({k: v for k, v in cells.items() if k in keep})
    return Table(BY_ORGANISATION, columns, rows)


def _summary_table(total: OrgCompliance) -> Table:
    return Table(SUMMARY, [Column("group", "Сообщения"), *_FIGURE_COLUMNS], [
        {"group": "Все сообщения", **_cells(total.all)},
        {"group": "Ускоренное рассмотрение", **_cells(total.fast)},
    ])


def _charts(d: Directory, ordered: list[tuple[Key, OrgCompliance]]) -> list[Chart]:
    # A chart of 500 bars says nothing: the organisations with the most messages.
    top = sorted(ordered, key=lambda kv: -kv[1].all.total)[:CHART_ORGANISATIONS]
    labels = [q.org_name(d, org_id) for org_id, _ in top]
    return [
        Chart("bar", "Доля ответов в срок, %", labels, [
            ("Все сообщения", [percent(f.all.on_time, f.all.answered) for _, f in top]),
            ("Ускоренное рассмотрение",
             [percent(f.fast.on_time, f.fast.answered) for _, f in top]),
        ]),
        Chart("bar", "Просрочено сейчас", labels, [
            ("Все сообщения", [f.all.overdue for _, f in top]),
            ("Ускоренное рассмотрение", [f.fast.overdue for _, f in top]),
        ]),
    ]
