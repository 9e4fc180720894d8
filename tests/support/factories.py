"""Test data helpers over the real services."""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy import select

from core.db import tables as t
from core.domain.enums import Channel, Source
from core.services.actions import StaffActor
from core.services.intake import SubmittedMessage, submit_message
from core.services.platform import Platform
from core.services.records import CitizenRef

_ids = count(1)
POTHOLE_TEXT = "Огромная яма на проезжей части, машины объезжают её по встречной полосе."


def citizen(channel: Channel = Channel.TELEGRAM) -> CitizenRef:
    return CitizenRef(channel, f"test-{next(_ids)}", name="Пётр Иванов")


async def file_message(p: Platform, **overrides: Any) -> SubmittedMessage:
    values: dict[str, Any] = {
        "citizen": citizen(), "subcategory": "roads_potholes", "text": POTHOLE_TEXT,
        "source": Source.TELEGRAM, "address": "Новосибирск, ул. Ленина, 15",
    }
    values.update(overrides)
    return await submit_message(p, **values)


async def staff(p: Platform, login: str) -> StaffActor:
    async with p.db.sessions() as session:
        staff_id = (await session.scalars(select(t.Staff.id).where(t.Staff.login == login))).one()
    return StaffActor(staff_id)


async def message_row(p: Platform, message_id: int) -> t.Message:
    async with p.db.sessions() as session:
        return (await session.scalars(select(t.Message).where(t.Message.id == message_id))).one()


async def events(p: Platform, message_id: int) -> list[t.MessageEvent]:
    async with p.db.sessions() as session:
        return list((await session.scalars(
            select(t.MessageEvent).where(t.MessageEvent.message_id == message_id)
            .order_by(t.MessageEvent.id))).all())


async def outbox(p: Platform, message_id: int | None = None) -> list[t.OutboxRow]:
    async with p.db.sessions() as session:
        q = select(t.OutboxRow).order_by(t.OutboxRow.id)
        if message_id is not None:
            q = q.where(t.OutboxRow.message_id == message_id)
        return list((await session.scalars(q)).all())


async def org_id(p: Platform, code: str) -> int:
    return (await p.directory.get()).organisation(code).id
