"""Read-side queries for operators and reports. Overdue is a query, never a stored flag."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Select, select

from core.db import tables as t
from core.domain.enums import Status
from core.services.platform import Platform

AnySelect = Select[Unpack[tuple[Any, ...]]]  # noqa: UP044 - the * form breaks mypy's alias
OPEN_STATUSES = tuple(s.value for s in Status
                      if s not in (Status.ANSWERED, Status.CLOSED, Status.REJECTED))


def overdue_clause(now: datetime) -> Any:
    return (t.Message.status.in_(OPEN_STATUSES)) & (t.Message.answer_due < now)


def message_query(*, status: str | None, organisation_id: int | None, overdue: bool,
                  now: datetime) -> AnySelect:
    q: AnySelect = (select(t.Message.number, t.Message.status, t.Message.stage, t.Category.slug,
                t.Subcategory.slug, t.Organisation.code, t.Message.fast_track,
                t.Message.answer_due, t.Message.registered_at)
         .join(t.Category, t.Category.id == t.Message.category_id)
         .join(t.Subcategory, t.Subcategory.id == t.Message.subcategory_id)
         .outerjoin(t.Organisation, t.Organisation.id == t.Message.organisation_id)
         .order_by(t.Message.number))
    if status:
        q = q.where(t.Message.status == Status(status).value)
    if organisation_id is not None:
        q = q.where(t.Message.organisation_id == organisation_id)
    if overdue:
        q = q.where(overdue_clause(now))
    return q


async def iter_messages(
    p: Platform, *, status: str | None = None, org: str | None = None, overdue: bool = False
) -> AsyncIterator[dict[str, Any]]:
    """Stream matching messages as plain dicts, oldest number first."""
    d = await p.directory.get()
    org_id = d.organisation(org).id if org else None
    q = message_query(status=status, organisation_id=org_id, overdue=overdue, now=p.clock.now())
    async with p.db.sessions() as session:
        result = await session.stream(q.execution_options(yield_per=1000))
        async for row in result:
            yield {
                "number": row[0], "status": row[1], "stage": row[2], "category": row[3],
                "subcategory": row[4], "organisation": row[5], "fast_track": row[6],
                "answer_due": row[7].isoformat(), "created_at": row[8].isoformat(),
            }
