"""Which messages a report counts.

A report covers the messages of one region **registered** from the start of ``date_from`` to
the end of ``date_to`` in the region's local time, optionally only in one territory and its
whole subtree, and only those whose **responsible organisation** (``messages.organisation_id``)
the viewer may see. Messages rejected at moderation (spam, duplicates, several problems in
one) never reached an organisation and are left out of every report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false

from core.db import tables as t
from core.domain.enums import Status
from core.domain.errors import ValidationError
from core.services.directory import Directory

MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What the viewer asked for and may see. ``organisation_ids`` None means the whole region
    (a regional administrator); an empty set means nothing."""

    region_id: int
    date_from: date
    date_to: date
    territory_id: int | None = None
    organisation_ids: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class ResolvedScope:
    """A scope checked against the directory, with the UTC bounds of its period."""

    scope: ReportScope
    tz: ZoneInfo
    start: datetime  # first moment of date_from, local, as UTC
    end: datetime  # first moment after date_to, local, as UTC (exclusive)
    territory_ids: frozenset[int] | None  # the territory's subtree, None for the whole region
    root_id: int  # the scope's territory, or the region

    @property
    def days(self) -> int:
        return (self.scope.date_to - self.scope.date_from).days + 1

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def message_filter(self) -> ColumnElement[bool]:
        """The WHERE clause for ``messages``. The period bounds a range on ``registered_at``,
        the organisation set goes through ``ix_messages_org_status``."""
        m = t.Message
        clauses: list[ColumnElement[bool]] = [
            m.region_id == self.scope.region_id,
            m.registered_at >= self.start,
            m.registered_at < self.end,
            m.status != Status.REJECTED.value,
        ]
        if self.territory_ids is not None:
            clauses.append(m.territory_id.in_(sorted(self.territory_ids)))
        orgs = self.scope.organisation_ids
        if orgs is not None:
            clauses.append(m.organisation_id.in_(sorted(orgs)) if orgs else false())
        return and_(*clauses)

    def organisations(self, d: Directory) -> list[int]:
        """Organisations the scope covers: in the region (in the territory's subtree when one is
        chosen), active, and visible to the viewer."""
        region = self.scope.region_id
        orgs = self.scope.organisation_ids
        return sorted(
            o.id for o in d.organisations.values()
            if o.is_active and d.territories[o.territory_id].region_id == region
            and (self.territory_ids is None or o.territory_id in self.territory_ids)
            and (orgs is None or o.id in orgs))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def subtree(d: Directory, territory_id: int) -> frozenset[int]:
    return frozenset(tid for tid in d.territories if territory_id in d.territory_path(tid))


def resolve(d: Directory, scope: ReportScope) -> ResolvedScope:
    """Check a scope and turn its local dates into UTC bounds."""
    if scope.region_id not in d.regions:
        raise ValidationError("Регион не найден", field="region_id")
    if scope.date_from > scope.date_to:
        raise ValidationError("Начало периода позже его конца", field="date_from")
    if (scope.date_to - scope.date_from).days >= MAX_PERIOD_DAYS:
        raise ValidationError("Период отчёта — не больше трёх лет", field="date_to")
    tz = d.regions[scope.region_id].tz
    territory_ids: frozenset[int] | None = None
    root = scope.region_id
    if scope.territory_id is not None and scope.territory_id != scope.region_id:
        terr = d.territories.get(scope.territory_id)
        if terr is None or terr.region_id != scope.region_id:
            raise ValidationError("Территория не найдена в регионе", field="territory_id")
        territory_ids = subtree(d, terr.id)
        root = terr.id
    return ResolvedScope(
        scope=scope, tz=tz, start=local_midnight(scope.date_from, tz),
        end=local_midnight(scope.date_to + timedelta(days=1), tz),
        territory_ids=territory_ids, root_id=root)


def bind_list(values: list[int]) -> Any:
    """Ids for an IN clause (the empty list matches nothing on every backend)."""
    return values or [-1]
