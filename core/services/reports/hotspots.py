"""Problem hotspots: what people write about, where, and how it changes over time.

Definitions (messages of the scope, see :mod:`core.services.reports.scope`):

- **Доля** — a group's messages / all messages of the scope.
- **Просрочено сейчас** — as in the compliance report: open and past ``answer_due`` now.
- **Подкатегории** — the top ``limit`` subcategories by messages.
- **Улицы** — the top ``limit`` streets by messages, the address text grouped by its street
  key (:func:`core.services.reports.addresses.street_key`). The database groups equal texts
  (PostgreSQL first drops a trailing house number, see :func:`street_prefix`); only the
  distinct texts are normalised here. Messages without an address are not in this table.
- **Территории** — one level below the scope's territory (below the region: the
  municipalities, which is the usual view); a message of a deeper territory counts for its
  ancestor on that level; a message filed on the scope's territory itself gets its own row.
  **На 10 тыс. жителей** uses the directory's population of that territory.
- **Динамика** — messages per local day when the period is at most 31 days, else per week
  (Monday to Sunday; the first and last weeks are cut at the period's ends and labelled by their
  first day). PostgreSQL groups by the local day itself; SQLite (no time zones) groups by UTC
  hour and each hour goes to the local day it starts in — exact for whole-hour UTC offsets,
  which every Russian zone has.

PostgreSQL counts all four groupings in one scan (GROUPING SETS); SQLite runs four grouped
statements over the same filtered rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.reports import sql as q
from core.services.reports.addresses import street_key
from core.services.reports.model import Cell, Chart, Column, Report, Table, share
from core.services.reports.scope import ReportScope, ResolvedScope, resolve

TITLE = "Проблемные точки"
SUBCATEGORIES = "Частые подкатегории"
STREETS = "Частые улицы и места"
TERRITORIES = "По территориям"
TREND = "Динамика поступления"
DAILY_UP_TO_DAYS = 31
DEFAULT_LIMIT = 10


Groups = list[tuple[Any, int, int]]  # (key, messages, overdue now)
DIMENSIONS = ("subcategory", "territory", "day", "street")


async def hotspots_report(p: Platform, *, scope: ReportScope,
                          limit: int = DEFAULT_LIMIT) -> Report:
    d = await p.directory.get()
    rs = resolve(d, scope)
    async with p.db.sessions() as session:
        groups = await _groups(session, rs, now=p.clock.now(), postgres=p.db.is_postgres)
    per_day: dict[date, int] = defaultdict(int)
    for key, n, _ in groups["day"]:
        # SQLite gives the UTC hour: it goes to the local day it starts in.
        day = key if isinstance(key, date) else rs.local_date(
            datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC))
        per_day[day] += n
    total = sum(n for _, n, _ in groups["subcategory"])
    subs = _subcategory_table(d, groups["subcategory"], total, limit)
    streets = _street_table([g for g in groups["street"] if g[0] is not None], total, limit)
    territories = _territory_table(d, rs, groups["territory"], total)
    trend = _trend_table(rs, per_day)
    return Report(TITLE, [subs, streets, territories, trend], [
        _bar(subs, "subcategory"), _bar(streets, "street"), _bar(territories, "territory"),
        Chart("line", TREND, [_label(r["period"]) for r in trend.rows],
              [("Сообщений", [_count(r) for r in trend.rows])]),
    ])


def street_prefix(address: Any) -> Any:
    """PostgreSQL: the address without a trailing «, 15» part. Addresses differ mostly by the
    house, so grouping by this sends a few thousand rows instead of one per house; the part it
    drops is one :func:`street_key` drops too (digits only), so the keys come out the same.
    Plain string functions: a regular expression here costs seconds on a million rows."""
    last = func.reverse(func.split_part(func.reverse(address), ",", 1))
    house = ((func.strpos(address, ",") > 0) & (func.btrim(last, " 0123456789") == "")
             & (func.length(func.btrim(last)) > 0))
    # greatest(): the planner may fold constants in a branch that never runs.
    keep = func.greatest(func.length(address) - func.length(last) - 1, 0)
    return case((house, func.substr(address, 1, keep)), else_=address)


async def _groups(session: AsyncSession, rs: ResolvedScope, *, now: datetime, postgres: bool
                  ) -> dict[str, Groups]:
    """Messages and overdue ones per subcategory, territory, local day and street prefix."""
    m = t.Message
    if postgres:
        day: Any = cast(func.timezone(rs.tz.key, m.registered_at), Date)
        street: Any = street_prefix(m.address)
    else:  # no time zones in SQLite: the UTC hour, placed on a local day in Python
        day, street = func.strftime("%Y-%m-%d %H", m.registered_at), m.address
    # Bucketed in a subquery: PostgreSQL does not see an expression with bound parameters in
    # SELECT and in GROUP BY as the same one.
    rows = select(m.subcategory_id.label("subcategory"), m.territory_id.label("territory"),
                  day.label("day"), street.label("street"),
                  q.overdue(now).label("late")).where(rs.message_filter()).subquery()
    counts = (func.count(), q.count_if(rows.c.late))
    result: dict[str, Groups] = {name: [] for name in DIMENSIONS}
    if postgres:
        # One scan for all four: GROUPING SETS, told apart by GROUPING().
        keys = [rows.c[name] for name in DIMENSIONS]
        stmt = (select(*keys, *[func.grouping(k) for k in keys], *counts)
                .group_by(func.grouping_sets(*keys)))
        for row in await session.execute(stmt):
            values, flags, (n, late) = row[:4], row[4:8], row[8:]
            name = next(DIMENSIONS[i] for i, flag in enumerate(flags) if flag == 0)
            result[name].append((values[DIMENSIONS.index(name)], int(n), int(late)))
        return result
    for name in DIMENSIONS:
        key = rows.c[name]
        result[name] = [(k, int(n), int(late)) for k, n, late
                        in await session.execute(select(key, *counts).group_by(key))]
    return result


def _count(row: dict[str, Cell]) -> int:
    value = row["count"]
    return value if isinstance(value, int) else 0


def _bar(table: Table, label_key: str) -> Chart:
    return Chart("bar", table.title, [str(r[label_key]) for r in table.rows],
                 [("Сообщений", [_count(r) for r in table.rows])])


def _label(value: Cell) -> str:
    return f"{value:%d.%m.%Y}" if isinstance(value, date) else str(value)


def _subcategory_table(d: Directory, groups: Groups, total: int, limit: int) -> Table:
    rows: list[dict[str, Cell]] = []
    for sub_id, n, late in groups:
        sub = d.subcategories.get(sub_id)
        cat = d.categories.get(sub.category_id) if sub else None
        rows.append({"subcategory": sub.name if sub else f"Подкатегория {sub_id}",
                     "category": cat.name if cat else "", "count": n,
                     "share": share(n, total), "overdue_now": late})
    rows.sort(key=lambda r: (-_count(r), str(r["subcategory"]).casefold()))
    return Table(SUBCATEGORIES, [
        Column("subcategory", "Подкатегория"), Column("category", "Категория"),
        Column("count", "Сообщений", "int"), Column("share", "Доля", "percent"),
        Column("overdue_now", "Просрочено сейчас", "int"),
    ], rows[:limit])


def _street_table(groups: Groups, total: int, limit: int) -> Table:
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for address, n, late in groups:
        key = street_key(address)
        if key:
            merged[key][0] += n
            merged[key][1] += late
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return Table(STREETS, [
        Column("street", "Улица или место"), Column("count", "Сообщений", "int"),
        Column("share", "Доля", "percent"), Column("overdue_now", "Просрочено сейчас", "int"),
    ], [{"street": key, "count": n, "share": share(n, total), "overdue_now": late}
        for key, (n, late) in ordered])


def _territory_table(d: Directory, rs: ResolvedScope, groups: Groups, total: int) -> Table:
    root = rs.root_id
    merged: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for territory_id, n, late in groups:
        path = d.territory_path(territory_id)  # the territory first, the region last
        level = path[path.index(root) - 1] if root in path and path[0] != root else root
        merged[level][0] += n
        merged[level][1] += late
    rows: list[dict[str, Cell]] = []
    for tid, (n, late) in merged.items():
        terr = d.territories[tid]
        own = tid == root
        population = None if own else terr.population
        rows.append({
            "territory": f"{terr.name} — без уточнения территории" if own else terr.name,
            "count": n, "share": share(n, total), "overdue_now": late,
            "per_10k": round(n * 10_000 / population, 2) if population else None})
    rows.sort(key=lambda r: (-_count(r), str(r["territory"]).casefold()))
    return Table(TERRITORIES, [
        Column("territory", "Территория"), Column("count", "Сообщений", "int"),
        Column("share", "Доля", "percent"), Column("overdue_now", "Просрочено сейчас", "int"),
        Column("per_10k", "На 10 тыс. жителей", "float"),
    ], rows)


def _trend_table(rs: ResolvedScope, per_day: dict[date, int]) -> Table:
    first, last = rs.scope.date_from, rs.scope.date_to
    daily = rs.days <= DAILY_UP_TO_DAYS
    buckets: dict[date, int] = {}
    day = first
    while day <= last:
        start = day if daily else max(first, day - timedelta(days=day.weekday()))
        buckets[start] = buckets.get(start, 0) + per_day.get(day, 0)
        day += timedelta(days=1)
    return Table(TREND, [
        Column("period", "День" if daily else "Неделя с", "date"),
        Column("count", "Сообщений", "int"),
    ], [{"period": start, "count": n} for start, n in buckets.items()])
