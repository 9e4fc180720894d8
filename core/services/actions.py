"""Workflow actions: load, decide (pure rules), then apply in one transaction with an audit event,
an outbox notification where the citizen must be told, and an optimistic version check."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain import commands as c
from core.domain.decisions import Context, Decision, MessageState, action_of, decide
from core.domain.enums import (
    STATUS_STAGE,
    STATUS_TITLES,
    Action,
    ActorKind,
    NotificationKind,
    Role,
    Status,
)
from core.domain.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from core.domain.permissions import relation
from core.domain.workflow import transition
from core.services import records
from core.services.access import memberships, staff_roles_for
from core.services.directory import Directory
from core.services.platform import Platform


@dataclass(frozen=True, slots=True)
class StaffActor:
    staff_id: int


@dataclass(frozen=True, slots=True)
class CitizenActor:
    citizen_id: int


@dataclass(frozen=True, slots=True)
class SystemActor:
    reason: str = ""


Actor = StaffActor | CitizenActor | SystemActor


@dataclass(frozen=True, slots=True)
class ActionResult:
    message_id: int
    number: int
    status: Status
    version: int
    notified: bool


def _state(m: t.Message) -> MessageState:
    return MessageState(
        status=Status(m.status), organisation_id=m.organisation_id,
        executor_organisation_id=m.executor_organisation_id,
        pending_organisation_id=m.pending_organisation_id, fast_track=m.fast_track,
        registered_at=m.registered_at, answer_due=m.answer_due,
        coordination_due=m.coordination_due, answer_text=m.answer_text,
        re_review_count=m.re_review_count, redirect_count=m.redirect_count,
        postponement_count=m.postponement_count,
        cycle_started_at=m.rated_at if m.re_review_count and m.rated_at else m.registered_at)


async def _actor_roles(session: AsyncSession, d: Directory, m: t.Message, actor: Actor
                       ) -> frozenset[str]:
    if isinstance(actor, SystemActor):
        return frozenset({ActorKind.SYSTEM.value})
    if isinstance(actor, CitizenActor):
        if actor.citizen_id != m.citizen_id:
            raise NotFound(f"Сообщение № {m.number} не найдено")
        return frozenset({ActorKind.CITIZEN.value})
    roles = staff_roles_for(d, m, await memberships(session, actor.staff_id))
    if not roles:
        raise NotFound(f"Сообщение {m.id} не найдено")
    return roles


def _target(d: Directory, m: t.Message, org_id: int, field: str) -> int:
    """An organisation a message may be sent to: known, active, in the message's region."""
    try:
        org = d.organisation(org_id)
    except NotFound:
        raise ValidationError("Организация не найдена", field=field) from None
    if not org.is_active:
        raise ValidationError(f"Организация «{org.display_name}» отключена", field=field)
    if d.territories[org.territory_id].region_id != m.region_id:
        raise ValidationError(f"Организация «{org.display_name}» — из другого региона",
                              field=field)
    return org.id


def _resolve(d: Directory, m: t.Message, command: c.Command) -> c.Command:
    """Fill in what the rules need from the directory and check organisation references."""
    match command:
        case c.Redirect(organisation_id=org):
            target = _target(d, m, org, "organisation_id")
            if m.organisation_id is None:
                raise ValidationError("У сообщения нет текущей организации")
            return dataclasses.replace(
                command, relation=relation(m.organisation_id, target, d.org_ancestors_map()))
        case c.SendToExecution(executor_organisation_id=org):
            _target(d, m, org, "executor_organisation_id")
            if m.organisation_id is None or org not in d.subordinates(m.organisation_id):
                raise ValidationError(
                    "Исполнителем может быть только ваша или подведомственная организация",
                    field="executor_organisation_id")
        case c.ChangeOrganisation(organisation_id=org) | c.ApproveModeration(organisation_id=org):
            if org is not None:
                _target(d, m, org, "organisation_id")
        case c.ChangeCategory(subcategory_id=sub):
            try:
                info = d.subcategory(sub)
            except NotFound:
                raise ValidationError("Подкатегория не найдена", field="subcategory_id") from None
            if not info.is_active:
                raise ValidationError(f"Подкатегория «{info.name}» больше не используется",
                                      field="subcategory_id")
            routed = d.route(subcategory_id=info.id, territory_id=m.territory_id)
            fast = d.policy(d.region_of(m.territory_id).id, info.id).fast_track
            return dataclasses.replace(command, category_id=info.category_id,
                                       organisation_id=routed, fast_track=fast)
    return command


async def _check_executor(session: AsyncSession, command: c.SendToExecution) -> None:
    found = (await session.scalars(
        select(t.StaffRole.id).join(t.Staff, t.Staff.id == t.StaffRole.staff_id)
        .where(t.StaffRole.staff_id == command.executor_staff_id,
               t.StaffRole.organisation_id == command.executor_organisation_id,
               t.StaffRole.role == Role.EXECUTOR.value, t.Staff.is_active.is_(True)))
             ).first()
    if found is None:
        raise ValidationError("Выбранный сотрудник не исполнитель этой организации",
                              field="executor_staff_id")


def _context(d: Directory, m: t.Message, command: c.Command, now: datetime) -> Context:
    region = d.region_of(m.territory_id)
    sub_id = command.subcategory_id if isinstance(command, c.ChangeCategory) else m.subcategory_id
    policy = d.policy(region.id, sub_id)
    fast = command.fast_track if isinstance(command, c.ChangeCategory) else m.fast_track
    hours = region.fast_track_coordination_hours if fast else region.coordination_hours
    return Context(now=now, tz=region.tz, answer_days=policy.days(fast_track=fast),
                   coordination_hours=hours)


def _payload(d: Directory, m: t.Message, decision: Decision, changes: dict[str, Any]
             ) -> dict[str, Any]:
    region = d.region_of(m.territory_id)
    org_id = changes.get("organisation_id", m.organisation_id)
    org = d.organisations.get(org_id) if org_id else None
    due = changes.get("answer_due", m.answer_due)
    payload: dict[str, Any] = {
        "number": m.number, "status": decision.target.value,
        "status_title": STATUS_TITLES[decision.target],
        "organisation": org.display_name if org else None,
        "answer_due": due.isoformat(), "answer_due_date": f"{due.astimezone(region.tz):%d.%m.%Y}",
    }
    kind = decision.notification
    if kind is NotificationKind.ANSWERED:
        payload["answer"] = m.answer_text
        payload["attachments"] = list(m.answer_attachments or [])
    if kind in (NotificationKind.REJECTED, NotificationKind.POSTPONED):
        payload["reason"] = decision.details.get("reason_title") or decision.details.get("reason")
        payload["comment"] = decision.details.get("comment") or None
    return payload


async def perform(
    p: Platform,
    *,
    message_id: int,
    actor: Actor,
    command: c.Command,
    expected_version: int | None = None,
) -> ActionResult:
    """Apply one workflow action. Exactly one of two concurrent actions on a message wins;
    the other gets ConflictError (HTTP 409 at the web edge)."""
    d = await p.directory.get()
    now = p.clock.now()
    async with p.db.transaction() as session:
        m = (await session.scalars(select(t.Message).where(t.Message.id == message_id))
             ).one_or_none()
        if m is None:
            raise NotFound(f"Сообщение {message_id} не найдено")
        roles = await _actor_roles(session, d, m, actor)
        if expected_version is not None and expected_version != m.version:
            raise ConflictError("Сообщение уже изменил другой сотрудник — обновите страницу",
                                current_version=m.version)
        # Role and status first: someone who may not act learns nothing from validation.
        transition(Status(m.status), action_of(command), roles)
        command = _resolve(d, m, command)
        if isinstance(command, c.SendToExecution) and command.executor_staff_id is not None:
            await _check_executor(session, command)
        decision = decide(_state(m), command, roles=roles, ctx=_context(d, m, command, now))
        target = decision.target
        changes = {**decision.changes, "status": target.value,
                   "stage": STATUS_STAGE[target].value, "version": m.version + 1,
                   "updated_at": now}
        result = await session.execute(
            update(t.Message).where(t.Message.id == m.id, t.Message.version == m.version)
            .values(**changes).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("Сообщение уже изменил другой сотрудник — обновите страницу")
        used_role = next((r for r in sorted(decision.transition.allowed & roles)), None)
        await records.add_event(
            session, message_id=m.id, action=decision.transition.action.value,
            actor_kind=(ActorKind.STAFF if isinstance(actor, StaffActor) else
                        ActorKind.CITIZEN if isinstance(actor, CitizenActor) else
                        ActorKind.SYSTEM).value,
            actor_staff_id=actor.staff_id if isinstance(actor, StaffActor) else None,
            actor_citizen_id=actor.citizen_id if isinstance(actor, CitizenActor) else None,
            actor_role=used_role if isinstance(actor, StaffActor) else None,
            from_status=m.status, to_status=target.value, from_stage=m.stage,
            to_stage=STATUS_STAGE[target].value,
            organisation_id=changes.get("organisation_id", m.organisation_id),
            from_organisation_id=m.organisation_id, details=_jsonable(decision.details),
            created_at=now)
        notified = False
        new_due = changes.get("answer_due", m.answer_due)
        if decision.transition.action is Action.CHANGE_CATEGORY and new_due != m.answer_due:
            # The citizen was told a deadline at registration; a new one is told too.
            notified = await records.add_notification(
                session, citizen_id=m.citizen_id, source=m.source, message_id=m.id,
                kind=NotificationKind.DEADLINE_CHANGED.value, now=now,
                payload={**_payload(d, m, decision, changes),
                         "subcategory": d.subcategory(changes["subcategory_id"]).name})
        if decision.notification is not None:
            notified = await records.add_notification(
                session, citizen_id=m.citizen_id, source=m.source, message_id=m.id,
                kind=decision.notification.value, now=now,
                payload=_payload(d, m, decision, changes))
        return ActionResult(m.id, m.number, target, m.version + 1, notified)


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in details.items()}


async def rate_answer(
    p: Platform, *, citizen_id: int, number: int, score: int, comment: str = ""
) -> ActionResult:
    """The citizen rates the answer: 1–2 re-opens the message for re-review, 3–5 closes it."""
    async with p.db.sessions() as session:
        message_id = (await session.execute(
            select(t.Message.id).where(t.Message.number == number))).scalar_one_or_none()
    if message_id is None:
        raise NotFound(f"Сообщение № {number} не найдено")
    return await perform(p, message_id=message_id, actor=CitizenActor(citizen_id),
                         command=c.Rate(score=score, comment=comment))


async def close_unrated(p: Platform, *, limit: int = 500) -> int:
    """Close answered messages the citizen did not rate within the region's window."""
    d = await p.directory.get()
    now = p.clock.now()
    closed = 0
    async with p.db.sessions() as session:
        candidates: list[int] = []
        for region in d.regions.values():
            cutoff = now - timedelta(days=region.rating_window_days)
            candidates += (await session.scalars(
                select(t.Message.id).where(
                    t.Message.region_id == region.id,
                    t.Message.status == Status.ANSWERED.value,
                    t.Message.answered_at <= cutoff).order_by(t.Message.id).limit(limit))).all()
    for message_id in candidates:
        try:
            await perform(p, message_id=message_id, actor=SystemActor("rating window passed"),
                          command=c.AutoClose())
            closed += 1
        except (ConflictError, IllegalTransition):
            continue  # rated or changed meanwhile: nothing to close
    return closed
