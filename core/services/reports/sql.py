"""SQL pieces the reports share, written once so every report counts alike."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, extract, func

from core.db import tables as t
from core.services.directory import Directory
from core.services.queries import overdue_clause

NO_ORGANISATION = "Без организации"


def count_if(condition: ColumnElement[bool]) -> Any:
    """COUNT(*) FILTER (WHERE …): PostgreSQL and SQLite (3.30+) both have it."""
    return func.count().filter(condition)


def answered() -> ColumnElement[bool]:
    return t.Message.answered_at.is_not(None)


def on_time() -> ColumnElement[bool]:
    """Answered on time: the latest answer came no later than the deadline in force."""
    return t.Message.answered_at <= t.Message.answer_due


def overdue(now: datetime) -> ColumnElement[bool]:
    """Overdue now: still open and past its deadline (the inboxes' own definition)."""
    clause: ColumnElement[bool] = overdue_clause(now)
    return clause


def fast() -> ColumnElement[bool]:
    return t.Message.fast_track.is_(True)


def answer_seconds() -> Any:
    """Seconds from registration to the answer (PostgreSQL only; NULL when unanswered)."""
    return cast(extract("epoch", t.Message.answered_at - t.Message.registered_at), Float)


def pg_median(expr: Any) -> Any:
    return func.percentile_cont(0.5).within_group(expr)


def median(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.median(items) if items else None


def org_name(d: Directory, organisation_id: int | None) -> str:
    if organisation_id is None:
        return NO_ORGANISATION
    org = d.organisations.get(organisation_id)
    return org.display_name if org else f"Организация {organisation_id}"


def as_int(value: Any) -> int:
    return int(value or 0)


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)
