"""Inbox filters, full-text search and sort orders, as SQL conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, text

from core.db import tables as t
from core.db.database import fold
from core.domain.deadlines import end_of_local_day
from core.domain.enums import Arrival, Source
from core.services.directory import Directory
from core.services.inbox.workspaces import territory_clause
from core.services.queries import overdue_clause

M = t.Message
PAGE_SIZES = (10, 50, 100)
SORTS = {"new": "Сначала новые", "old": "Сначала старые", "due": "По сроку ответа"}
ARRIVAL_TITLES = {
    Arrival.ROUTED: "Маршрутизация",
    Arrival.AFTER_MODERATION: "После модерации",
    Arrival.FROM_SED: "Из СЭД",
    Arrival.FROM_HIGHER: "От вышестоящей организации",
    Arrival.FROM_SUBORDINATE: "От подведомственной организации",
    Arrival.FROM_NON_SUBORDINATE: "От неподведомственной организации",
}
SOURCE_TITLES = {
    Source.TELEGRAM: "Telegram", Source.VK: "ВКонтакте", Source.WIDGET: "Виджет",
    Source.API: "API", Source.INCIDENT: "Инцидент", Source.IMPORT: "Импорт",
}
# Must stay the expression of the GIN index made by migration 0004, or PostgreSQL scans.
SEARCH_DOCUMENT = ("to_tsvector('russian'::regconfig, coalesce(messages.text, '') || ' ' || "
                   "coalesce(messages.address, ''))")
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class InboxFilter:
    due_before: date | None = None
    overdue: bool = False
    auto_rules: bool = False
    sources: tuple[Source, ...] = ()
    arrival: Arrival | None = None
    category_id: int | None = None
    territory_id: int | None = None
    query: str = ""
    sort: str = "new"
    page: int = 1
    per_page: int = 50

    @property
    def active(self) -> bool:
        return bool(self.due_before or self.overdue or self.auto_rules or self.sources
                    or self.arrival or self.category_id or self.territory_id or self.query)


def _words(query: str) -> list[str]:
    return [w for w in re.split(r"[^\w-]+", query.strip()) if w][:10]


def search_clause(query: str, *, postgres: bool) -> Any:
    """Words of the query in the text or address (all of them); a bare number is also the
    message number. PostgreSQL: Russian full-text search on the GIN index, so «ямы» finds
    «яма». SQLite (the embedded default): substring match, case- and ё-insensitive."""
    query = query.strip()[:MAX_QUERY]
    words = _words(query)
    if not words:
        return None
    found: Any
    if postgres:
        found = text(f"{SEARCH_DOCUMENT} @@ plainto_tsquery('russian'::regconfig, :q)"
                     ).bindparams(q=" ".join(words))
    else:
        haystack = func.pos_fold(func.coalesce(M.text, "") + literal_column("' '")
                                 + func.coalesce(M.address, ""))
        found = and_(*[haystack.contains(fold(w) or "", autoescape=True) for w in words])
    if re.fullmatch(r"№?\s*\d{1,15}", query):
        found = or_(found, M.number == int(query.lstrip("№ ")))
    return found


def clauses(f: InboxFilter, d: Directory, *, region_tz: Any, now: datetime,
            postgres: bool) -> list[Any]:
    out: list[Any] = []
    if f.due_before:
        out.append(M.answer_due <= end_of_local_day(f.due_before, region_tz))
    if f.overdue:
        out.append(overdue_clause(now))
    if f.auto_rules:
        out.append(M.delegated_by_auto_rule.is_(True))
    if f.sources:
        out.append(M.source.in_([s.value for s in f.sources]))
    if f.arrival:
        out.append(M.arrival == f.arrival.value)
    if f.category_id:
        out.append(M.category_id == f.category_id)
    if f.territory_id and f.territory_id in d.territories:
        out.append(territory_clause(d, f.territory_id))
    if f.query:
        found = search_clause(f.query, postgres=postgres)
        if found is not None:
            out.append(found)
    return out


def order(sort: str) -> list[Any]:
    if sort == "due":
        return [M.answer_due.asc(), M.id.asc()]
    if sort == "old":
        return [M.arrived_at.asc(), M.id.asc()]
    return [M.arrived_at.desc(), M.id.desc()]
