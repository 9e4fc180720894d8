"""The inbox a page shows: folder counters, one page of cards, and the total for the pager."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from core.db import tables as t
from core.domain.deadlines import DeadlineLabel, deadline_label
from core.domain.enums import STATUS_TITLES, Source, Status
from core.services.access import memberships
from core.services.directory import Directory
from core.services.inbox.filters import SOURCE_TITLES, InboxFilter, clauses, order
from core.services.inbox.folders import Folder, folder, folders_of
from core.services.inbox.workspaces import Workspace, pick, scope, workspaces_for
from core.services.platform import Platform

M = t.Message
COORDINATION_STATUSES = frozenset({Status.NEW.value, Status.RETURNED.value,
                                   Status.RE_REVIEW.value})
FINISHED_STATUSES = frozenset({Status.ANSWERED.value, Status.CLOSED.value,
                               Status.REJECTED.value})
TEXT_PREVIEW = 400
CARD_COLUMNS = (M.id, M.number, M.category_id, M.subcategory_id, M.fast_track, M.source, M.text,
                M.territory_id, M.region_id, M.organisation_id, M.executor_organisation_id,
                M.address, M.arrived_at, M.answer_due, M.coordination_due, M.status,
                M.delegated_by_auto_rule, M.re_review_count)


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    number: int
    category: str
    subcategory: str
    fast_track: bool
    source: str
    text: str
    territory: str
    region: str
    organisation: str
    executor: str | None
    address: str | None
    received: str
    status: str
    answer: DeadlineLabel | None
    coordination: DeadlineLabel | None
    auto_rule: bool
    re_review: bool


# Counting stops here: a folder of a region or an archive holds tens or hundreds of thousands
# of messages, and «9999+» tells a person as much as the exact figure, at a fraction of the cost.
COUNT_CAP = 9999


def count_label(count: int) -> str:
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@dataclass(frozen=True, slots=True)
class FolderCount:
    folder: Folder
    count: int

    @property
    def label(self) -> str:
        return count_label(self.count)


@dataclass(frozen=True, slots=True)
class Inbox:
    workspaces: list[Workspace]
    workspace: Workspace
    folders: list[FolderCount]
    folder: Folder
    cards: list[Card]
    total: int  # capped at COUNT_CAP + 1
    filter: InboxFilter

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.filter.per_page))

    @property
    def total_label(self) -> str:
        return count_label(self.total)


class NoWorkspace(Exception):
    """The staff member holds no role in any organisation."""


def _capped_count(query: Any) -> Any:
    return select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery()) \
        .scalar_subquery()


async def counters(p: Platform, d: Directory, w: Workspace) -> list[FolderCount]:
    """Every folder's count in one statement: a capped count per folder, each on its own index
    (the organisation's or the region's status index, the audit trail's for the archives)."""
    now = p.clock.now()
    e = t.MessageEvent
    parts = []
    for f in folders_of(w):
        if f.is_history:
            # DISTINCT reads the audit index in message order, so no sort is needed.
            parts.append(_capped_count(select(e.message_id).distinct().where(
                e.from_organisation_id == w.organisation_id,
                e.action.in_([a.value for a in f.handled]))))
        else:
            parts.append(_capped_count(select(M.id).where(scope(d, w), f.clause(w, now))))
    async with p.db.sessions() as session:
        row = (await session.execute(select(*parts))).one()
    return [FolderCount(f, int(n or 0)) for f, n in zip(folders_of(w), row, strict=True)]


def _where(p: Platform, d: Directory, w: Workspace, f: Folder, flt: InboxFilter, *,
           now: datetime) -> Any:
    region_tz = d.region_of(d.organisation(w.organisation_id).territory_id).tz
    parts = [f.clause(w, now)]
    if not f.is_history:  # what an organisation passed on is no longer in its scope
        parts.append(scope(d, w))
    parts += clauses(flt, d, region_tz=region_tz, now=now, postgres=p.db.is_postgres)
    return and_(*parts)


def card(d: Directory, row: Any, now: datetime) -> Card:
    tz = d.regions[row.region_id].tz
    sub = d.subcategories[row.subcategory_id]
    open_ = row.status not in FINISHED_STATUSES
    org = d.organisations.get(row.organisation_id) if row.organisation_id else None
    executor = (d.organisations.get(row.executor_organisation_id)
                if row.executor_organisation_id else None)
    text = row.text if len(row.text) <= TEXT_PREVIEW else row.text[:TEXT_PREVIEW].rstrip() + "…"
    return Card(
        id=row.id, number=row.number, category=d.categories[row.category_id].name,
        subcategory=sub.name, fast_track=row.fast_track,
        source=SOURCE_TITLES.get(Source(row.source), row.source), text=text,
        territory=d.territories[row.territory_id].name,
        region=d.territories[row.region_id].name,
        organisation=org.display_name if org else "—",
        executor=executor.display_name if executor else None, address=row.address,
        received=f"{row.arrived_at.astimezone(tz):%d.%m.%Y %H:%M}",
        status=STATUS_TITLES[Status(row.status)],
        answer=deadline_label(row.answer_due, now, tz) if open_ else None,
        coordination=(deadline_label(row.coordination_due, now, tz)
                      if row.status in COORDINATION_STATUSES else None),
        auto_rule=row.delegated_by_auto_rule, re_review=row.re_review_count > 0)


async def load_inbox(p: Platform, *, staff_id: int, workspace: str | None, folder_key: str | None,
                     flt: InboxFilter) -> Inbox:
    d = await p.directory.get()
    now = p.clock.now()
    async with p.db.sessions() as session:
        member = await memberships(session, staff_id)
    spaces = workspaces_for(d, staff_id, member)
    w = pick(spaces, workspace)
    if w is None:
        raise NoWorkspace
    f = folder(w, folder_key)
    counts = await counters(p, d, w)
    where = _where(p, d, w, f, flt, now=now)
    async with p.db.sessions() as session:
        total = int((await session.execute(select(_capped_count(select(M.id).where(where))))
                     ).scalar_one())
        page = min(max(1, flt.page), max(1, -(-min(total, COUNT_CAP) // flt.per_page)))
        rows = (await session.execute(
            select(*CARD_COLUMNS).where(where).order_by(*order(flt.sort))
            .limit(flt.per_page).offset((page - 1) * flt.per_page))).all()
    if page != flt.page:
        flt = dataclasses.replace(flt, page=page)
    return Inbox(spaces, w, counts, f, [card(d, r, now) for r in rows], total, flt)
