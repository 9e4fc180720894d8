"""Row-level helpers shared by services: numbers, citizens, events and outbox rows.

They run inside the caller's unit of work and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import Channel, Source
from core.domain.errors import ValidationError

MESSAGE_COUNTER = "message_number"
OUTBOX_PENDING = "pending"
OUTBOX_SENT = "sent"
OUTBOX_DEAD = "dead"

SOURCE_CHANNEL: dict[str, Channel] = {
    Source.TELEGRAM: Channel.TELEGRAM,
    Source.VK: Channel.VK,
    Source.WIDGET: Channel.WEB,
    Source.API: Channel.WEB,
}


@dataclass(frozen=True, slots=True)
class CitizenRef:
    """How a citizen reached us: a channel and the id the channel gives them."""

    channel: Channel
    external_id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None


async def next_message_number(session: AsyncSession) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return int((await session.execute(t.message_number_seq.next_value().select())).scalar_one())
    # SQLite serialises writers, so the counter row is never contended across transactions.
    result = await session.execute(
        update(t.Counter).where(t.Counter.name == MESSAGE_COUNTER)
        .values(value=t.Counter.value + 1).returning(t.Counter.value)
    )
    value = result.scalar_one_or_none()
    if value is None:
        await session.execute(insert(t.Counter).values(name=MESSAGE_COUNTER, value=1))
        return 1
    return int(value)


async def get_or_create_citizen(session: AsyncSession, ref: CitizenRef, now: datetime) -> int:
    if not ref.external_id.strip():
        raise ValidationError("Не указан идентификатор заявителя", field="citizen")
    query = select(t.CitizenIdentity.citizen_id).where(
        t.CitizenIdentity.channel == ref.channel.value,
        t.CitizenIdentity.external_id == ref.external_id,
    )
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return int(found)
    try:
        async with session.begin_nested():
            citizen_id = (await session.execute(
                insert(t.Citizen).values(name=ref.name, phone=ref.phone, email=ref.email,
                                         created_at=now).returning(t.Citizen.id)
            )).scalar_one()
            await session.execute(insert(t.CitizenIdentity).values(
                citizen_id=citizen_id, channel=ref.channel.value,
                external_id=ref.external_id, created_at=now))
    except IntegrityError:
        # Another process created the same identity a moment ago; use theirs.
        return int((await session.execute(query)).scalar_one())
    return int(citizen_id)


async def create_anonymous_citizen(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        insert(t.Citizen).values(created_at=now).returning(t.Citizen.id))
    return int(result.scalar_one())


async def citizen_address(
    session: AsyncSession, citizen_id: int, source: str
) -> tuple[str, str] | None:
    """The (channel, recipient) to notify: the channel the message came from, else the newest."""
    rows = (await session.execute(
        select(t.CitizenIdentity.channel, t.CitizenIdentity.external_id)
        .where(t.CitizenIdentity.citizen_id == citizen_id,
               t.CitizenIdentity.unreachable_since.is_(None))
        .order_by(t.CitizenIdentity.id.desc())
    )).all()
    preferred = SOURCE_CHANNEL.get(source)
    for channel, external_id in rows:
        if channel == preferred:
            return channel, external_id
    return (rows[0][0], rows[0][1]) if rows else None


async def add_event(session: AsyncSession, **values: Any) -> None:
    await session.execute(insert(t.MessageEvent).values(**values))


async def add_notification(
    session: AsyncSession,
    *,
    citizen_id: int,
    source: str,
    message_id: int,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Queue a notification in the caller's transaction; False if the citizen has no channel."""
    address = await citizen_address(session, citizen_id, source)
    if address is None:
        return False
    await session.execute(insert(t.OutboxRow).values(
        kind=kind, channel=address[0], recipient=address[1], citizen_id=citizen_id,
        message_id=message_id, payload=payload, status=OUTBOX_PENDING, attempts=0,
        next_attempt_at=now, created_at=now,
    ))
    return True
