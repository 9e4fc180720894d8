"""The whole message lifecycle through the services, with audit events and notifications."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain import commands as c
from core.domain.enums import Arrival, RejectReason, Status
from core.domain.errors import (
    ConflictError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from core.ports import FixedClock
from core.services.access import get_message_for_staff
from core.services.actions import CitizenActor, StaffActor, SystemActor, close_unrated, perform
from core.services.platform import Platform
from tests.support import factories as f


async def _to_new(p: Platform) -> int:
    msg = await f.file_message(p)
    await perform(p, message_id=msg.id, actor=await f.staff(p, "moderator"),
                  command=c.ApproveModeration())
    return msg.id


async def _answer(p: Platform, mid: int, text: str) -> None:
    """Coordinator sends to execution, executor answers, manager approves."""
    nsk = await f.org_id(p, "NSK-ADM")
    await perform(p, message_id=mid, actor=await f.staff(p, "coordinator"),
                  command=c.SendToExecution(executor_organisation_id=nsk))
    await perform(p, message_id=mid, actor=await f.staff(p, "executor"),
                  command=c.Answer(text=text))
    await perform(p, message_id=mid, actor=await f.staff(p, "manager"), command=c.ApproveAnswer())


async def _to_answered(p: Platform) -> int:
    mid = await _to_new(p)
    await _answer(p, mid, "Яма заделана 3 июня, фото работ во вложении.")
    return mid


async def test_full_lifecycle_with_low_rating_and_re_review(
    platform: Platform, clock: FixedClock
) -> None:
    p = platform
    mid = await _to_answered(p)
    row = await f.message_row(p, mid)
    assert (row.status, row.stage, row.version) == ("answered", "answered", 5)
    clock.advance(days=2)
    result = await perform(p, message_id=mid, actor=CitizenActor(row.citizen_id),
                           command=c.Rate(score=2, comment="Яму не заделали"))
    assert result.status is Status.RE_REVIEW and result.notified
    row = await f.message_row(p, mid)
    assert row.rating == 2 and row.re_review_count == 1 and row.answer_text is None
    assert row.answer_due > clock.now()  # a fresh deadline, counted from the rating
    # Second round: answered again, rated 5, closed.
    await _answer(p, mid, "Повторно выполнен ремонт покрытия, акт приложен.")
    done = await perform(p, message_id=mid, actor=CitizenActor(row.citizen_id),
                         command=c.Rate(score=5))
    assert done.status is Status.CLOSED
    trail = [(e.action, e.from_status, e.to_status, e.actor_role) for e in await f.events(p, mid)]
    assert trail == [
        ("register", None, "moderation", None),
        ("approve_moderation", "moderation", "new", "moderator"),
        ("send_to_execution", "new", "in_work", "coordinator"),
        ("answer", "in_work", "answer_prepared", "executor"),
        ("approve_answer", "answer_prepared", "answered", "manager"),
        ("rate_low", "answered", "re_review", None),
        ("send_to_execution", "re_review", "in_work", "coordinator"),
        ("answer", "in_work", "answer_prepared", "executor"),
        ("approve_answer", "answer_prepared", "answered", "manager"),
        ("rate_high", "answered", "closed", None),
    ]
    kinds = [n.kind for n in await f.outbox(p, mid)]
    assert kinds == ["registered", "status_changed", "status_changed", "answered", "re_review",
                     "status_changed", "answered", "closed"]
    answered = next(n for n in await f.outbox(p, mid) if n.kind == "answered")
    assert answered.payload["answer"].startswith("Яма заделана")


async def test_other_organisation_staff_cannot_see_or_act(platform: Platform) -> None:
    mid = await _to_new(platform)
    outsider = await f.staff(platform, "coordinator2")  # coordinator of MINTRANS-54
    with pytest.raises(NotFound):
        await perform(platform, message_id=mid, actor=outsider,
                      command=c.SendToExecution(executor_organisation_id=1))
    d = await platform.directory.get()
    async with platform.db.sessions() as session:
        with pytest.raises(NotFound):
            await get_message_for_staff(session, d, staff_id=outsider.staff_id, message_id=mid)
        mine = await get_message_for_staff(
            session, d, staff_id=(await f.staff(platform, "coordinator")).staff_id,
            message_id=mid)
    assert "coordinator" in mine.roles
    assert [a.value for a in mine.actions] == [
        "send_to_execution", "redirect", "request_redirect", "return_to_moderation",
        "send_to_sed"]


async def test_role_not_allowed_and_illegal_transition(platform: Platform) -> None:
    mid = await _to_new(platform)
    with pytest.raises(PermissionDenied):
        await perform(platform, message_id=mid, actor=await f.staff(platform, "manager"),
                      command=c.SendToExecution(executor_organisation_id=1))
    with pytest.raises(IllegalTransition, match="недоступно"):
        await perform(platform, message_id=mid, actor=await f.staff(platform, "manager"),
                      command=c.ApproveAnswer())
    row = await f.message_row(platform, mid)
    assert (row.status, row.version) == ("new", 2)  # nothing changed


async def test_stale_version_is_a_conflict(platform: Platform) -> None:
    mid = await _to_new(platform)
    with pytest.raises(ConflictError):
        await perform(platform, message_id=mid, actor=await f.staff(platform, "coordinator"),
                      command=c.SendToExecution(
                          executor_organisation_id=await f.org_id(platform, "NSK-ADM")),
                      expected_version=1)


async def test_executor_must_be_own_or_subordinate(platform: Platform) -> None:
    mid = await _to_new(platform)
    coord = await f.staff(platform, "coordinator")
    with pytest.raises(ValidationError, match="подведомственная"):
        await perform(platform, message_id=mid, actor=coord, command=c.SendToExecution(
            executor_organisation_id=await f.org_id(platform, "MINTRANS-54")))
    sub = await f.org_id(platform, "NSK-GCODD")
    await perform(platform, message_id=mid, actor=coord,
                  command=c.SendToExecution(executor_organisation_id=sub))
    assert (await f.message_row(platform, mid)).executor_organisation_id == sub


async def test_reject_with_reason_tells_the_citizen(platform: Platform) -> None:
    msg = await f.file_message(platform)
    await perform(platform, message_id=msg.id, actor=await f.staff(platform, "moderator"),
                  command=c.Reject(reason=RejectReason.SEVERAL_PROBLEMS))
    row = await f.message_row(platform, msg.id)
    assert (row.status, row.stage) == ("rejected", "closed") and row.closed_at is not None
    note = (await f.outbox(platform, msg.id))[-1]
    assert note.kind == "rejected" and "несколько проблем" in note.payload["reason"]


async def test_redirects_by_relation(platform: Platform) -> None:
    coord = await f.staff(platform, "coordinator")
    # To a subordinate organisation: immediate.
    mid = await _to_new(platform)
    target = await f.org_id(platform, "NSK-DTDBK")
    await perform(platform, message_id=mid, actor=coord,
                  command=c.Redirect(organisation_id=target, relation="", reason="Профиль"))
    row = await f.message_row(platform, mid)
    assert (row.status, row.organisation_id, row.arrival, row.redirect_count) == (
        "new", target, Arrival.FROM_HIGHER, 1)
    # To a non-subordinate organisation: a moderator decides.
    mid = await _to_new(platform)
    other = await f.org_id(platform, "MINTRANS-54")
    await perform(platform, message_id=mid, actor=coord,
                  command=c.Redirect(organisation_id=other, relation="", reason="Трасса"))
    row = await f.message_row(platform, mid)
    assert (row.status, row.organisation_id, row.pending_organisation_id) == (
        "redirect_requested", await f.org_id(platform, "NSK-ADM"), other)
    await perform(platform, message_id=mid, actor=await f.staff(platform, "moderator"),
                  command=c.ApproveRedirect())
    row = await f.message_row(platform, mid)
    assert (row.status, row.organisation_id, row.arrival) == (
        "new", other, Arrival.FROM_NON_SUBORDINATE)
    with pytest.raises(ValidationError, match="причину"):
        await perform(platform, message_id=mid, actor=await f.staff(platform, "coordinator2"),
                      command=c.Redirect(organisation_id=target, relation="", reason=" "))


async def test_postponement_moves_deadline_and_tells_citizen(platform: Platform) -> None:
    mid = await _to_new(platform)
    await perform(platform, message_id=mid, actor=await f.staff(platform, "coordinator"),
                  command=c.SendToExecution(
                      executor_organisation_id=await f.org_id(platform, "NSK-ADM")))
    before = (await f.message_row(platform, mid)).answer_due
    await perform(platform, message_id=mid, actor=await f.staff(platform, "executor"),
                  command=c.Postpone(reason="Нужна поставка асфальта",
                                     new_due_date=date(2026, 6, 20)))
    row = await f.message_row(platform, mid)
    assert row.status == "postponed" and row.answer_due > before
    note = (await f.outbox(platform, mid))[-1]
    assert note.kind == "postponed" and note.payload["answer_due_date"] == "20.06.2026"
    assert note.payload["reason"] == "Нужна поставка асфальта"


async def test_sed_round_trip(platform: Platform) -> None:
    mid = await _to_new(platform)
    await perform(platform, message_id=mid, actor=await f.staff(platform, "coordinator"),
                  command=c.SendToSed(reference="СЭД-2026-15"))
    await perform(platform, message_id=mid, actor=SystemActor("sed"),
                  command=c.ReceiveSedAnswer(text="Ответ подготовлен в СЭД: ремонт в июне."))
    row = await f.message_row(platform, mid)
    assert (row.status, row.arrival) == ("sed_answer_received", Arrival.FROM_SED)
    await perform(platform, message_id=mid, actor=await f.staff(platform, "executor"),
                  command=c.Answer(text=row.answer_text or ""))
    assert (await f.message_row(platform, mid)).status == "answer_prepared"


async def test_only_the_author_rates(platform: Platform) -> None:
    mid = await _to_answered(platform)
    with pytest.raises(NotFound):
        await perform(platform, message_id=mid, actor=CitizenActor(999_999),
                      command=c.Rate(score=1))
    citizen = (await f.message_row(platform, mid)).citizen_id
    with pytest.raises(ValidationError, match="от 1 до 5"):
        await perform(platform, message_id=mid, actor=CitizenActor(citizen),
                      command=c.Rate(score=7))


async def test_unrated_answers_close_after_the_window(
    platform: Platform, clock: FixedClock
) -> None:
    mid = await _to_answered(platform)
    clock.advance(days=9)
    assert await close_unrated(platform) == 0
    clock.advance(days=1, seconds=1)
    assert await close_unrated(platform) == 1
    row = await f.message_row(platform, mid)
    assert row.status == "closed" and row.rating is None
    assert (await f.events(platform, mid))[-1].actor_kind == "system"


async def test_change_category_recomputes_deadline_and_route(platform: Platform) -> None:
    msg = await f.file_message(platform)  # potholes: fast-track, 5 days
    new_sub = (await platform.directory.get()).subcategory("healthcare_appointment").id
    await perform(platform, message_id=msg.id, actor=await f.staff(platform, "moderator"),
                  command=c.ChangeCategory(category_id=0, subcategory_id=new_sub,
                                           organisation_id=None))
    row = await f.message_row(platform, msg.id)
    assert row.organisation_id == await f.org_id(platform, "MINZDRAV-54")
    assert row.answer_due > msg.answer_due
    assert row.status == "moderation"
    note = (await f.outbox(platform, msg.id))[-1]
    assert note.kind == "deadline_changed"
    assert note.payload["answer_due_date"] == "01.07.2026"


async def test_staff_actor_must_be_active(platform: Platform) -> None:
    mid = await _to_new(platform)
    with pytest.raises(PermissionDenied):
        await perform(platform, message_id=mid, actor=StaffActor(987_654),
                      command=c.SendToExecution(executor_organisation_id=1))


async def test_admin_or_moderator_outside_a_moderation_centre_cannot_moderate(
    platform: Platform
) -> None:
    from core.domain.enums import Role
    from core.services.staff import add_staff

    msg = await f.file_message(platform)
    for login, org in (("school.admin", "NSK-GYM1"), ("health.admin", "MINZDRAV-54")):
        staff_id = await add_staff(platform, org=org, role=Role.ADMIN, login=login,
                                   password="long-enough-1")
        with pytest.raises(NotFound):
            await perform(platform, message_id=msg.id, actor=StaffActor(staff_id),
                          command=c.Reject(reason=RejectReason.SPAM))
    nsk_admin = await add_staff(platform, org="NSK-ADM", role=Role.ADMIN, login="nsk.admin",
                                password="long-enough-1")
    with pytest.raises(PermissionDenied):  # sees its organisation's message, cannot moderate it
        await perform(platform, message_id=msg.id, actor=StaffActor(nsk_admin),
                      command=c.Reject(reason=RejectReason.SPAM))
    assert (await f.message_row(platform, msg.id)).status == "moderation"


async def test_overdue_query_finds_late_open_messages_only(
    platform: Platform, clock: FixedClock
) -> None:
    from core.services.queries import iter_messages

    late = await f.file_message(platform)          # potholes: due in 5 days
    answered = await _to_answered(platform)        # answered: never overdue
    clock.advance(days=6)
    fresh = await f.file_message(platform)
    overdue = [r["number"] async for r in iter_messages(platform, overdue=True)]
    assert late.number in overdue
    assert fresh.number not in overdue
    assert (await f.message_row(platform, answered)).number not in overdue
