"""The citizen's own view of their messages: the list, a card with history, and the rating
comment. Every query is scoped to the citizen, so a guessed number shows nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from core.db import tables as t
from core.domain.enums import Action, ActorKind, Status
from core.domain.errors import ValidationError
from core.services import records
from core.services.directory import Directory
from core.services.platform import Platform

COMMENT_MAX_LENGTH = 1000
RATING_COMMENT_EVENT = "rating_comment"


@dataclass(frozen=True, slots=True)
class MessageLine:
    number: int
    registered_at: datetime
    subcategory: str
    status: Status
    answer_due: datetime
    tz: ZoneInfo


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    action: str
    status: Status
    details: dict[str, object]


@dataclass(frozen=True, slots=True)
class MessageCard:
    number: int
    registered_at: datetime
    category: str
    subcategory: str
    text: str
    address: str | None
    latitude: float | None
    longitude: float | None
    status: Status
    answer_due: datetime
    organisation: str | None
    answer_text: str | None
    answered_at: datetime | None
    rating: int | None
    photos: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    tz: ZoneInfo


async def list_citizen_messages(p: Platform, *, citizen_id: int, offset: int = 0,
                                limit: int = 5) -> tuple[int, list[MessageLine]]:
    """(total, one page newest first)."""
    d = await p.directory.get()
    m = t.MESSAGES
    async with p.db.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(m)
                                    .where(m.c.citizen_id == citizen_id))).scalar_one()
        rows = (await conn.execute(
            select(m.c.number, m.c.registered_at, m.c.subcategory_id, m.c.status,
                   m.c.answer_due, m.c.region_id)
            .where(m.c.citizen_id == citizen_id)
            .order_by(m.c.registered_at.desc(), m.c.id.desc()).offset(offset).limit(limit)
        )).all()
    return int(total), [
        MessageLine(r.number, r.registered_at, d.subcategories[r.subcategory_id].name,
                    Status(r.status), r.answer_due, _tz(d, r.region_id)) for r in rows]


def _tz(d: Directory, region_id: int) -> ZoneInfo:
    region = d.regions.get(region_id)
    return region.tz if region else ZoneInfo("Europe/Moscow")


async def citizen_message_card(p: Platform, *, citizen_id: int, number: int
                               ) -> MessageCard | None:
    d = await p.directory.get()
    async with p.db.sessions() as session:
        msg = (await session.scalars(select(t.Message).where(
            t.Message.number == number, t.Message.citizen_id == citizen_id))).one_or_none()
        if msg is None:
            return None
        photos = (await session.scalars(select(t.MessagePhoto.file_key).where(
            t.MessagePhoto.message_id == msg.id).order_by(t.MessagePhoto.position))).all()
        events = (await session.execute(
            select(t.MessageEvent.created_at, t.MessageEvent.action, t.MessageEvent.to_status,
                   t.MessageEvent.details)
            .where(t.MessageEvent.message_id == msg.id)
            .order_by(t.MessageEvent.created_at, t.MessageEvent.id))).all()
    org = d.organisations.get(msg.organisation_id) if msg.organisation_id else None
    # Who did what inside the organisations stays internal; the citizen sees what happened.
    history = tuple(HistoryEntry(e.created_at, e.action, Status(e.to_status),
                                 _public_details(e.action, e.details or {}))
                    for e in events if e.action != Action.APPLY_AUTO_RULE.value)
    return MessageCard(
        number=msg.number, registered_at=msg.registered_at,
        category=d.categories[msg.category_id].name,
        subcategory=d.subcategories[msg.subcategory_id].name, text=msg.text,
        address=msg.address, latitude=msg.latitude, longitude=msg.longitude,
        status=Status(msg.status), answer_due=msg.answer_due,
        organisation=org.name if org else None,
        answer_text=msg.answer_text if msg.answered_at else None, answered_at=msg.answered_at,
        rating=msg.rating, photos=tuple(photos), history=history, tz=_tz(d, msg.region_id))


def _public_details(action: str, details: dict[str, object]) -> dict[str, object]:
    if action in (Action.RATE_LOW.value, Action.RATE_HIGH.value):
        return {"score": details.get("score")}
    if action == Action.POSTPONE.value:
        return {"answer_due": details.get("answer_due")}
    return {}


async def comment_rating(p: Platform, *, citizen_id: int, number: int, comment: str) -> bool:
    """Attach the citizen's comment to the rating they gave; False if there is none to attach
    it to (not rated yet, or commented already)."""
    comment = comment.strip()
    if not 1 <= len(comment) <= COMMENT_MAX_LENGTH:
        raise ValidationError(f"Комментарий — от 1 до {COMMENT_MAX_LENGTH} символов",
                              field="comment")
    now = p.clock.now()
    m = t.MESSAGES
    async with p.db.core_transaction() as conn:
        row = (await conn.execute(
            update(m).where(m.c.number == number, m.c.citizen_id == citizen_id,
                            m.c.rating.is_not(None), m.c.rating_comment.is_(None))
            .values(rating_comment=comment, updated_at=now)
            .returning(m.c.id, m.c.status, m.c.stage, m.c.organisation_id))).first()
        if row is None:
            return False
        await records.add_event(
            conn, message_id=row.id, action=RATING_COMMENT_EVENT,
            actor_kind=ActorKind.CITIZEN.value, actor_citizen_id=citizen_id,
            from_status=row.status, to_status=row.status, from_stage=row.stage,
            to_stage=row.stage, organisation_id=row.organisation_id,
            details={"comment": comment}, created_at=now)
    return True
