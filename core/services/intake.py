"""Intake: register a citizen's message, route it, apply auto-rules, and tell the citizen."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select

from core.db import tables as t
from core.domain import deadlines
from core.domain.enums import (
    STATUS_STAGE,
    Arrival,
    NotificationKind,
    Source,
    Status,
)
from core.domain.errors import ValidationError
from core.domain.routing import MessageFacts
from core.ports import StoredFile
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.records import CitizenRef
from core.services.registration import NewMessage, register
from core.settings import Settings
from core.storage.images import validate_photo

ADDRESS_MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class SubmittedMessage:
    id: int
    number: int
    status: Status
    organisation_id: int | None
    organisation_name: str | None
    answer_due: datetime
    answer_due_text: str  # «до 26.06.2026» in the region's time zone
    fast_track: bool
    created: bool  # False when an idempotency key returned an earlier message


async def store_photo(p: Platform, data: bytes) -> StoredFile:
    """Validate an uploaded photo by its content and put it into file storage."""
    content_type = validate_photo(data, max_bytes=p.settings.max_photo_bytes)
    return await p.files.save(data, content_type=content_type)


def clean_text(settings: Settings, text: str) -> str:
    """The message text as it will be stored, or a ValidationError saying what is expected."""
    text = text.strip()
    lo, hi = settings.message_min_length, settings.message_max_length
    if len(text) < lo:
        raise ValidationError(
            f"Опишите проблему подробнее: не меньше {lo} символов (сейчас {len(text)})",
            field="text")
    if len(text) > hi:
        raise ValidationError(
            f"Текст слишком длинный: не больше {hi} символов (сейчас {len(text)}). "
            "Одно сообщение — одна проблема.", field="text")
    return text


def _resolve_territory(d: Directory, territory: str | int | None, address: str | None,
                       source_org: int | None) -> int:
    if territory is not None:
        return d.territory(territory).id
    found = d.resolve_territory(address)
    if found is not None:
        return found
    if source_org is not None:
        return d.organisation(source_org).territory_id
    if len(d.regions) == 1:
        return next(iter(d.regions))
    raise ValidationError("Укажите населённый пункт в адресе проблемы", field="address")


def _scoped_key(key: str, source: Source, citizen: CitizenRef | int | None) -> str:
    """A retry key belongs to one sender: another citizen's equal key is another message."""
    if isinstance(citizen, CitizenRef):
        who = f"{citizen.channel.value}:{citizen.external_id}"
    else:
        who = f"id:{citizen}" if citizen is not None else "anonymous"
    return hashlib.sha256(f"{source.value}|{who}|{key}".encode()).hexdigest()


def _check_coordinates(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError("Укажите обе координаты: широту и долготу", field="location")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError("Координаты вне допустимого диапазона", field="location")


_M = t.MESSAGES
_FIND_BY_ID = select(_M.c.id, _M.c.number, _M.c.status, _M.c.organisation_id, _M.c.answer_due,
                     _M.c.fast_track).where(_M.c.id == bindparam("id"))


async def submit_message(
    p: Platform,
    *,
    citizen: CitizenRef | int | None,
    subcategory: str | int,
    text: str,
    source: Source,
    address: str | None = None,
    territory: str | int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    photos: Sequence[StoredFile] = (),
    source_organisation: str | int | None = None,
    idempotency_key: str | None = None,
    notify: bool = True,
) -> SubmittedMessage:
    """Register one message in one transaction: the row, its audit events and its notification.

    A message from an organisation's widget or API key goes to that organisation; otherwise the
    routing rules choose. Then the region's auto-rules run in order. Every message starts at
    moderation. With ``idempotency_key`` a retry returns the first message instead of a copy.
    ``notify=False`` when the channel itself confirms to the citizen (the bots reply at once).
    """
    d = await p.directory.get()
    sub = d.subcategory(subcategory)
    if not sub.is_active:
        raise ValidationError("Эта подкатегория больше не используется — выберите другую",
                              field="subcategory")
    body = clean_text(p.settings, text)
    address = (address or "").strip() or None
    if address and len(address) > ADDRESS_MAX_LENGTH:
        raise ValidationError(f"Адрес длиннее {ADDRESS_MAX_LENGTH} символов", field="address")
    _check_coordinates(latitude, longitude)
    if len(photos) > p.settings.max_photos:
        raise ValidationError(f"Можно приложить не больше {p.settings.max_photos} фото",
                              field="photos")
    source_org = d.organisation(source_organisation).id if source_organisation else None
    territory_id = _resolve_territory(d, territory, address, source_org)
    region = d.region_of(territory_id)
    policy = d.policy(region.id, sub.id)

    organisation_id = source_org or d.route(subcategory_id=sub.id, territory_id=territory_id)
    outcome = d.auto_rules_for(region.id).apply(
        MessageFacts(sub.category_id, sub.id, d.territory_path(territory_id), source.value,
                     body),
        organisation_id=organisation_id, fast_track=policy.fast_track,
    )
    if idempotency_key:
        idempotency_key = _scoped_key(idempotency_key, source, citizen)
    now = p.clock.now()
    due = deadlines.answer_due(now, policy.days(fast_track=outcome.fast_track), region.tz)

    org = d.organisations.get(outcome.organisation_id) if outcome.organisation_id else None
    new = NewMessage(
        values={
            "idempotency_key": idempotency_key, "source": source.value,
            "category_id": sub.category_id, "subcategory_id": sub.id, "text": body,
            "address": address, "latitude": latitude, "longitude": longitude,
            "territory_id": territory_id, "region_id": region.id,
            "source_organisation_id": source_org, "organisation_id": outcome.organisation_id,
            "executor_organisation_id": outcome.executor_organisation_id,
            "status": Status.MODERATION.value, "stage": STATUS_STAGE[Status.MODERATION].value,
            "arrival": Arrival.ROUTED.value, "fast_track": outcome.fast_track,
            "auto_rule_ids": list(outcome.applied_rule_ids),
            "delegated_by_auto_rule": bool(outcome.applied_rule_ids),
            "registered_at": now, "arrived_at": now, "answer_due": due,
            "coordination_due": None, "answer_attachments": [], "re_review_count": 0,
            "redirect_count": 0, "postponement_count": 0, "version": 1, "updated_at": now,
        },
        photos=tuple(photos),
        auto_rule_ids=outcome.applied_rule_ids,
        event_details={"source": source.value, "routed_to": organisation_id,
                       "answer_due": due.isoformat(), "fast_track": outcome.fast_track},
        notification_kind=NotificationKind.REGISTERED.value,
        notification_payload={
            "organisation": org.display_name if org else None, "answer_due": due.isoformat(),
            "answer_due_date": f"{due.astimezone(region.tz):%d.%m.%Y}",
            "fast_track": outcome.fast_track, "subcategory": sub.name},
        now=now, notify=notify,
    )
    message_id, number, created = await register(p.db, citizen, new)
    if not created:
        async with p.db.engine.connect() as conn:
            earlier = (await conn.execute(_FIND_BY_ID, {"id": message_id})).one()
        return _result(d, earlier, region.tz, created=False)
    return SubmittedMessage(
        id=message_id, number=number, status=Status.MODERATION,
        organisation_id=outcome.organisation_id, organisation_name=org.name if org else None,
        answer_due=due, answer_due_text=f"до {due.astimezone(region.tz):%d.%m.%Y}",
        fast_track=outcome.fast_track, created=True)


def _result(d: Directory, m: Any, tz: ZoneInfo, *, created: bool) -> SubmittedMessage:
    org = d.organisations.get(m.organisation_id) if m.organisation_id else None
    return SubmittedMessage(
        id=m.id, number=m.number, status=Status(m.status), organisation_id=m.organisation_id,
        organisation_name=org.name if org else None, answer_due=m.answer_due,
        answer_due_text=f"до {m.answer_due.astimezone(tz):%d.%m.%Y}",
        fast_track=m.fast_track, created=created)
