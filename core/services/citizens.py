"""Citizens: consent to personal-data processing and contact details."""

from __future__ import annotations

import re

from sqlalchemy import update

from core.db import tables as t
from core.domain.enums import Channel
from core.domain.errors import ValidationError
from core.services.platform import Platform
from core.services.records import CitizenRef, get_or_create_citizen

PHONE_RE = re.compile(r"^\+?[0-9]{10,15}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(phone: str) -> str:
    """One form for one number: +7 9131234567 whether typed as 8 913…, 7913… or 913…"""
    digits = re.sub(r"[\s().-]", "", phone.strip())
    if not PHONE_RE.match(digits):
        raise ValidationError("Телефон — 10–15 цифр, например +79131234567", field="phone")
    digits = digits.lstrip("+")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10:  # a Russian number without the country code (913…, 383…, 495…)
        digits = "7" + digits
    return "+" + digits


async def record_consent(p: Platform, *, citizen: CitizenRef) -> int:
    """The citizen accepted the personal-data processing terms: store when and which version.
    Nothing about a citizen is stored before this, except what the channel itself gives."""
    now = p.clock.now()
    async with p.db.core_transaction() as conn:
        citizen_id = await get_or_create_citizen(conn, citizen, now)
        await conn.execute(update(t.CITIZENS).where(t.CITIZENS.c.id == citizen_id).values(
            consent_at=now, consent_version=p.settings.consent_version))
    return citizen_id


async def update_contacts(
    p: Platform, *, citizen_id: int, name: str | None = None, phone: str | None = None,
    email: str | None = None,
) -> None:
    values: dict[str, str] = {}
    if name is not None:
        name = name.strip()
        if not 1 <= len(name) <= 255:
            raise ValidationError("Имя — от 1 до 255 символов", field="name")
        values["name"] = name
    if phone is not None:
        values["phone"] = normalise_phone(phone)
    if email is not None:
        email = email.strip().lower()
        if not EMAIL_RE.match(email) or len(email) > 255:
            raise ValidationError("Проверьте адрес электронной почты", field="email")
        values["email"] = email
    if values:
        async with p.db.core_transaction() as conn:
            await conn.execute(update(t.CITIZENS).where(t.CITIZENS.c.id == citizen_id)
                               .values(**values))


async def withdraw_consent(p: Platform, *, citizen_id: int) -> None:
    """The citizen withdrew consent: forget their contacts and stop taking new messages from
    them until they consent again. Messages already filed stay: the law on citizens' appeals
    requires keeping them."""
    async with p.db.core_transaction() as conn:
        await conn.execute(update(t.CITIZENS).where(t.CITIZENS.c.id == citizen_id).values(
            consent_at=None, consent_version=None, name=None, phone=None, email=None))


async def set_reachable(p: Platform, *, channel: Channel, external_id: str, reachable: bool
                        ) -> bool:
    """The messenger told us whether the person takes our messages (VK's message_allow and
    message_deny): notifications go to channels that can deliver them. True if it changed."""
    i = t.IDENTITIES.c
    since = None if reachable else p.clock.now()
    async with p.db.core_transaction() as conn:
        result = await conn.execute(
            update(t.IDENTITIES)
            .where(i.channel == channel.value, i.external_id == external_id,
                   i.unreachable_since.is_(None) if not reachable
                   else i.unreachable_since.is_not(None))
            .values(unreachable_since=since))
    return bool(result.rowcount)
