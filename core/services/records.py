"""Row-level helpers shared by services: numbers, citizens, events and outbox rows.

They run inside the caller's unit of work and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.db import tables as t
from core.domain.enums import Channel, Source
from core.domain.errors import ValidationError

# Helpers run on an ORM session or, on hot paths, on a bare connection.
Executor = AsyncSession | AsyncConnection
MESSAGE_COUNTER = "message_number"

# Hot-path statements are built once: the values travel as bound parameters, so SQLAlchemy
# reuses the compiled SQL instead of building a cache key from literal values on every call.
MESSAGES, EVENTS, OUTBOX = t.MESSAGES, t.EVENTS, t.OUTBOX
IDENTITIES, CITIZENS = t.IDENTITIES, t.CITIZENS
INSERT_EVENT = insert(EVENTS)
INSERT_OUTBOX = insert(OUTBOX)
INSERT_CITIZEN = insert(CITIZENS).returning(CITIZENS.c.id)
INSERT_IDENTITY = insert(IDENTITIES)
FIND_IDENTITY = select(IDENTITIES.c.citizen_id).where(
    IDENTITIES.c.channel == bindparam("channel"),
    IDENTITIES.c.external_id == bindparam("external_id"))
INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id, MESSAGES.c.number)
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


def dialect_name(executor: Executor) -> str:
    if isinstance(executor, AsyncConnection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


async def insert_message(session: Executor, values: dict[str, Any]) -> tuple[int, int]:
    """Insert a message row with the next number from the counters row; return (id, number).
    PostgreSQL takes its numbers from a sequence inside the registration statement instead."""
    number = await _next_counter(session)
    row = (await session.execute(INSERT_MESSAGE, {**values, "number": number})).one()
    return int(row[0]), int(row[1])


async def _next_counter(session: Executor) -> int:
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


async def get_or_create_citizen(session: Executor, ref: CitizenRef, now: datetime) -> int:
    if not ref.external_id.strip():
        raise ValidationError("Не указан идентификатор заявителя", field="citizen")
    key = {"channel": ref.channel.value, "external_id": ref.external_id}
    found = (await session.execute(FIND_IDENTITY, key)).scalar_one_or_none()
    if found is not None:
        return int(found)
    try:
        async with session.begin_nested():
            citizen_id = (await session.execute(INSERT_CITIZEN, {
                "name": ref.name, "phone": ref.phone, "email": ref.email,
                "consent_at": None, "consent_version": None, "created_at": now})).scalar_one()
            await session.execute(INSERT_IDENTITY, {
                **key, "citizen_id": citizen_id, "unreachable_since": None, "created_at": now})
    except IntegrityError:
        # Another process created the same identity a moment ago; use theirs.
        return int((await session.execute(FIND_IDENTITY, key)).scalar_one())
    return int(citizen_id)


async def create_anonymous_citizen(session: Executor, now: datetime) -> int:
    result = await session.execute(INSERT_CITIZEN, {
        "name": None, "phone": None, "email": None, "consent_at": None,
        "consent_version": None, "created_at": now})
    return int(result.scalar_one())


async def citizen_address(
    session: Executor, citizen_id: int, source: str
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


EVENT_DEFAULTS: dict[str, Any] = {
    "actor_staff_id": None, "actor_citizen_id": None, "actor_role": None, "auto_rule_id": None,
    "from_status": None, "from_stage": None, "organisation_id": None,
    "from_organisation_id": None, "details": {},
}


async def add_event(session: Executor, **values: Any) -> None:
    await session.execute(INSERT_EVENT, {**EVENT_DEFAULTS, **values})


async def add_notification(
    session: Executor,
    *,
    citizen_id: int,
    source: str,
    message_id: int | None,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    address: tuple[str, str] | None = None,
) -> bool:
    """Queue a notification in the caller's transaction; False if the citizen has no channel.
    ``message_id`` is None for a notice about the citizen's accounts, not about a message.

    ``address`` skips the look-up when the caller knows the channel (the citizen just wrote)."""
    if address is None:
        address = await citizen_address(session, citizen_id, source)
    if address is None:
        return False
    await session.execute(INSERT_OUTBOX, {
        "kind": kind, "channel": address[0], "recipient": address[1], "citizen_id": citizen_id,
        "message_id": message_id, "payload": payload, "status": OUTBOX_PENDING, "attempts": 0,
        "next_attempt_at": now, "claimed_until": None, "last_error": None, "created_at": now,
        "sent_at": None})
    return True
