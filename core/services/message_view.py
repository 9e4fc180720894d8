"""What the staff message page shows: the message, the citizen (masked unless the staff member
works in the organisation handling it), photos, the audit timeline, and what the forms of the
available actions offer (organisations, executors, subcategories, answer templates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from core.db import tables as t
from core.domain.deadlines import DeadlineLabel, deadline_label
from core.domain.enums import (
    ACTION_TITLES,
    ROLE_TITLES,
    STATUS_TITLES,
    Action,
    ActorKind,
    Role,
    Status,
)
from core.domain.permissions import sees_personal_data
from core.domain.privacy import mask_email, mask_name, mask_phone
from core.services.access import StaffMessage, get_message_for_staff
from core.services.directory import Directory
from core.services.inbox.listing import COORDINATION_STATUSES, FINISHED_STATUSES
from core.services.platform import Platform
from core.storage.images import EXTENSIONS

CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}
EXTRA_EVENT_TITLES = {"rating_comment": "Комментарий к оценке"}
ROLE_OR_MARKER_TITLES: dict[str, str] = {r.value: title for r, title in ROLE_TITLES.items()}


@dataclass(frozen=True, slots=True)
class CitizenView:
    name: str | None
    phone: str | None
    email: str | None
    channels: tuple[str, ...]
    masked: bool


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    title: str
    actor: str
    from_status: str | None
    to_status: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str
    group: str = ""


@dataclass(frozen=True, slots=True)
class FormOptions:
    organisations: tuple[Option, ...] = ()
    executor_organisations: tuple[Option, ...] = ()
    executors: tuple[Option, ...] = ()
    subcategories: tuple[Option, ...] = ()
    templates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MessageView:
    staff: StaffMessage
    tz: ZoneInfo
    citizen: CitizenView
    photos: tuple[int, ...]
    timeline: tuple[TimelineEntry, ...]
    names: dict[str, str]
    options: FormOptions = field(default_factory=FormOptions)
    answer_deadline: DeadlineLabel | None = None
    coordination_deadline: DeadlineLabel | None = None

    @property
    def message(self) -> t.Message:
        return self.staff.message

    @property
    def read_only(self) -> bool:
        return not self.staff.actions


def _citizen(row: t.Citizen, channels: list[str], full: bool) -> CitizenView:
    if full:
        return CitizenView(row.name, row.phone, row.email, tuple(channels), masked=False)
    return CitizenView(mask_name(row.name), mask_phone(row.phone), mask_email(row.email),
                       tuple(channels), masked=True)


def _org_name(d: Directory, org_id: Any) -> str:
    org = d.organisations.get(org_id) if isinstance(org_id, int) else None
    return org.display_name if org else "—"


def _details(d: Directory, details: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    labels = {"reason_title": "Причина", "reason": "Причина", "comment": "Комментарий",
              "reference": "Номер в СЭД", "score": "Оценка", "new_due_date": "Новый срок"}
    for key, label in labels.items():
        value = details.get(key)
        if key == "reason" and "reason_title" in details:
            continue
        if value in (None, ""):
            continue
        if key == "new_due_date":
            value = datetime.fromisoformat(str(value)).strftime("%d.%m.%Y")
        out.append((label, str(value)))
    if "to_organisation_id" in details:
        out.append(("Куда", _org_name(d, details["to_organisation_id"])))
    return tuple(out)


async def _timeline(session: Any, d: Directory, message_id: int, tz: ZoneInfo
                    ) -> tuple[TimelineEntry, ...]:
    e = t.MessageEvent
    rows = (await session.execute(
        select(e, t.Staff.full_name, t.AutoRuleRow.name)
        .outerjoin(t.Staff, t.Staff.id == e.actor_staff_id)
        .outerjoin(t.AutoRuleRow, t.AutoRuleRow.id == e.auto_rule_id)
        .where(e.message_id == message_id).order_by(e.created_at, e.id))).all()
    entries = []
    for ev, staff_name, rule_name in rows:
        if ev.action == Action.REGISTER.value:
            actor = "Заявитель"
        elif ev.actor_kind == ActorKind.STAFF.value:
            role = ROLE_OR_MARKER_TITLES.get(ev.actor_role or "", "")
            actor = f"{staff_name} ({role})" if role else str(staff_name)
        elif ev.actor_kind == ActorKind.CITIZEN.value:
            actor = "Заявитель"
        else:
            actor = f"Автоправило «{rule_name}»" if rule_name else "Система"
        try:
            title = ACTION_TITLES[Action(ev.action)]
        except ValueError:
            title = EXTRA_EVENT_TITLES.get(ev.action, ev.action)
        entries.append(TimelineEntry(
            at=ev.created_at.astimezone(tz), title=title, actor=actor,
            from_status=STATUS_TITLES[Status(ev.from_status)] if ev.from_status else None,
            to_status=STATUS_TITLES[Status(ev.to_status)],
            details=_details(d, ev.details or {})))
    return tuple(entries)


async def _options(session: Any, d: Directory, sm: StaffMessage) -> FormOptions:
    m = sm.message
    actions = set(sm.actions)
    region = d.region_of(m.territory_id).id
    orgs: tuple[Option, ...] = ()
    if actions & {Action.REDIRECT, Action.REQUEST_REDIRECT, Action.CHANGE_ORGANISATION,
                  Action.APPROVE_MODERATION}:
        orgs = tuple(Option(o.id, o.display_name) for o in sorted(
            (o for o in d.organisations.values()
             if o.is_active and d.territories[o.territory_id].region_id == region),
            key=lambda o: o.display_name))
    exec_orgs: tuple[Option, ...] = ()
    executors: tuple[Option, ...] = ()
    if Action.SEND_TO_EXECUTION in actions and m.organisation_id is not None:
        ids = d.subordinates(m.organisation_id)
        exec_orgs = tuple(Option(i, d.organisations[i].display_name) for i in ids
                          if d.organisations[i].is_active)
        rows = (await session.execute(
            select(t.Staff.id, t.Staff.full_name, t.StaffRole.organisation_id)
            .join(t.StaffRole, t.StaffRole.staff_id == t.Staff.id)
            .where(t.StaffRole.role == Role.EXECUTOR.value, t.Staff.is_active.is_(True),
                   t.StaffRole.organisation_id.in_(ids))
            .order_by(t.Staff.full_name))).all()
        executors = tuple(Option(sid, name, d.organisations[org].display_name)
                          for sid, name, org in rows)
    subs: tuple[Option, ...] = ()
    if Action.CHANGE_CATEGORY in actions:
        subs = tuple(Option(s.id, s.name, d.categories[s.category_id].name) for s in sorted(
            (s for s in d.subcategories.values() if s.is_active),
            key=lambda s: (d.categories[s.category_id].position, s.position)))
    templates: tuple[tuple[str, str], ...] = ()
    if Action.ANSWER in actions:
        at = t.AnswerTemplate
        rows = (await session.execute(
            select(at.title, at.text).where(
                at.region_id == region, at.is_active.is_(True),
                or_(at.organisation_id.is_(None), at.organisation_id == m.organisation_id,
                    at.organisation_id == m.executor_organisation_id))
            .order_by(at.position, at.id))).all()
        templates = tuple((title, text) for title, text in rows)
    return FormOptions(orgs, exec_orgs, executors, subs, templates)


async def load_message_view(p: Platform, *, staff_id: int, message_id: int) -> MessageView:
    d = await p.directory.get()
    async with p.db.sessions() as session:
        sm = await get_message_for_staff(session, d, staff_id=staff_id, message_id=message_id)
        m = sm.message
        tz = d.region_of(m.territory_id).tz
        citizen = await session.get(t.Citizen, m.citizen_id)
        channels = list((await session.scalars(
            select(t.CitizenIdentity.channel).where(t.CitizenIdentity.citizen_id == m.citizen_id)
            .order_by(t.CitizenIdentity.id))).all())
        photos = tuple((await session.scalars(
            select(t.MessagePhoto.id).where(t.MessagePhoto.message_id == m.id)
            .order_by(t.MessagePhoto.position))).all())
        timeline = await _timeline(session, d, m.id, tz)
        options = await _options(session, d, sm)
    assert citizen is not None  # a foreign key guarantees it
    full = sees_personal_data(sm.roles)
    sub = d.subcategories[m.subcategory_id]
    names = {
        "category": d.categories[m.category_id].name, "subcategory": sub.name,
        "territory": d.territories[m.territory_id].name,
        "region": d.territories[m.region_id].name,
        "organisation": _org_name(d, m.organisation_id),
        "executor_organisation": _org_name(d, m.executor_organisation_id),
        "pending_organisation": _org_name(d, m.pending_organisation_id),
        "status": STATUS_TITLES[Status(m.status)],
    }
    now = p.clock.now()
    return MessageView(
        sm, tz, _citizen(citizen, channels, full), photos, timeline, names, options,
        answer_deadline=(deadline_label(m.answer_due, now, tz)
                         if m.status not in FINISHED_STATUSES else None),
        coordination_deadline=(deadline_label(m.coordination_due, now, tz)
                               if m.status in COORDINATION_STATUSES else None))


async def attachment_for_staff(p: Platform, *, staff_id: int, message_id: int, index: int
                               ) -> tuple[bytes, str] | None:
    """The answer's ``index``-th attachment of a message the staff member may see, or None."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        sm = await get_message_for_staff(session, d, staff_id=staff_id, message_id=message_id)
    keys = list(sm.message.answer_attachments or [])
    if not 0 <= index < len(keys):
        return None
    key = keys[index]
    content_type = CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    return await p.files.load(key), content_type


async def photo_for_staff(p: Platform, *, staff_id: int, message_id: int, photo_id: int
                          ) -> tuple[bytes, str] | None:
    """A photo of a message the staff member may see, or None."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        await get_message_for_staff(session, d, staff_id=staff_id, message_id=message_id)
        row = (await session.scalars(select(t.MessagePhoto).where(
            t.MessagePhoto.id == photo_id, t.MessagePhoto.message_id == message_id))
               ).one_or_none()
    if row is None:
        return None
    return await p.files.load(row.file_key), row.content_type
