"""decide(): each command's own rules and the exact field changes it returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain import commands as c
from core.domain.decisions import (
    ANSWER_MAX_LENGTH,
    Context,
    MessageState,
    action_of,
    decide,
)
from core.domain.enums import (
    REJECT_REASON_TITLES,
    Action,
    Arrival,
    NotificationKind,
    RejectReason,
    Stage,
    Status,
)
from core.domain.errors import IllegalTransition, PermissionDenied, ValidationError

NSK = ZoneInfo("Asia/Novosibirsk")  # UTC+7
REGISTERED = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 12:00 in Novosibirsk
DUE = datetime(2026, 7, 1, 16, 59, 59, tzinfo=UTC)  # 01.07.2026 23:59:59 in Novosibirsk
NOW = datetime(2026, 6, 3, 5, 0, tzinfo=UTC)  # 03.06.2026 12:00 in Novosibirsk
ORG, EXECUTOR_ORG, OTHER_ORG = 10, 20, 30

MOD = frozenset({"moderator"})
COORD = frozenset({"coordinator"})
EXEC = frozenset({"executor"})
MANAGER = frozenset({"manager"})
CITIZEN = frozenset({"citizen"})
SYSTEM = frozenset({"system"})


@pytest.fixture
def ctx() -> Context:
    return Context(now=NOW, tz=NSK, answer_days=30, coordination_hours=24)


@pytest.fixture
def state() -> MessageState:
    return MessageState(
        status=Status.IN_WORK, organisation_id=ORG, executor_organisation_id=EXECUTOR_ORG,
        pending_organisation_id=None, fast_track=False, registered_at=REGISTERED,
        answer_due=DUE, coordination_due=None, answer_text=None,
    )


def arrive() -> dict[str, datetime]:
    return {"coordination_due": NOW + timedelta(hours=24), "arrived_at": NOW}


def test_fixture_due_is_end_of_local_day() -> None:
    assert DUE.astimezone(NSK) == datetime(2026, 7, 1, 23, 59, 59, tzinfo=NSK)


# --- moderation -------------------------------------------------------------------------------

def test_approve_moderation_requires_an_organisation(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION, organisation_id=None,
                executor_organisation_id=None)
    with pytest.raises(ValidationError, match="Выберите организацию") as err:
        decide(s, c.ApproveModeration(), roles=MOD, ctx=ctx)
    assert err.value.details == {"field": "organisation_id"}


def test_approve_moderation_with_chosen_organisation(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION, organisation_id=None)
    d = decide(s, c.ApproveModeration(organisation_id=OTHER_ORG), roles=MOD, ctx=ctx)
    assert d.target is Status.NEW
    assert d.transition.target_stage is Stage.COORDINATION
    assert d.notification is NotificationKind.STATUS_CHANGED
    assert d.changes == {"organisation_id": OTHER_ORG, "arrival": Arrival.AFTER_MODERATION,
                         **arrive(), "moderated_at": NOW, "executor_organisation_id": None,
                         "executor_staff_id": None}
    assert d.details == {}


def test_approve_moderation_keeps_routed_organisation(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION)
    d = decide(s, c.ApproveModeration(), roles=frozenset({"admin"}), ctx=ctx)
    assert d.changes["organisation_id"] == ORG
    assert d.changes["coordination_due"] == datetime(2026, 6, 4, 5, 0, tzinfo=UTC)


def test_approve_moderation_by_coordinator_is_denied(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION)
    with pytest.raises(PermissionDenied):
        decide(s, c.ApproveModeration(), roles=COORD, ctx=ctx)


def test_change_category_recomputes_due_from_registration(
    state: MessageState, ctx: Context
) -> None:
    s = replace(state, status=Status.MODERATION)
    d = decide(s, c.ChangeCategory(category_id=1, subcategory_id=2, organisation_id=None),
               roles=MOD, ctx=replace(ctx, answer_days=10))
    assert d.target is Status.MODERATION
    assert d.notification is None
    assert d.changes == {"category_id": 1, "subcategory_id": 2, "fast_track": False,
                         "answer_due": datetime(2026, 6, 11, 16, 59, 59, tzinfo=UTC)}


def test_change_category_to_fast_track(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION)
    cmd = c.ChangeCategory(category_id=1, subcategory_id=2, organisation_id=None, fast_track=True)
    d = decide(s, cmd, roles=MOD, ctx=replace(ctx, answer_days=3))
    assert d.changes["fast_track"] is True
    assert d.changes["answer_due"] == datetime(2026, 6, 4, 16, 59, 59, tzinfo=UTC)


def test_change_category_with_new_organisation_clears_executor(
    state: MessageState, ctx: Context
) -> None:
    s = replace(state, status=Status.MODERATION)
    d = decide(s, c.ChangeCategory(category_id=1, subcategory_id=2, organisation_id=OTHER_ORG),
               roles=MOD, ctx=ctx)
    assert d.changes["organisation_id"] == OTHER_ORG
    assert d.changes["executor_organisation_id"] is None
    assert d.changes["answer_due"] == DUE


def test_change_category_after_re_review_keeps_a_future_deadline(
    state: MessageState, ctx: Context
) -> None:
    # Registered in June, answered and rated low in August; the re-review deadline is in
    # September. The coordinator returns it to moderation, the moderator fixes the category.
    later = replace(ctx, now=datetime(2026, 8, 20, 5, 0, tzinfo=UTC), answer_days=10)
    s = replace(state, status=Status.MODERATION, re_review_count=1,
                answer_due=datetime(2026, 9, 19, 16, 59, 59, tzinfo=UTC),
                cycle_started_at=datetime(2026, 8, 18, 5, 0, tzinfo=UTC))
    d = decide(s, c.ChangeCategory(category_id=1, subcategory_id=2, organisation_id=None),
               roles=MOD, ctx=later)
    assert d.changes["answer_due"] > later.now


def test_change_category_after_postponement_keeps_the_postponed_deadline(
    state: MessageState, ctx: Context
) -> None:
    postponed_to = datetime(2026, 7, 20, 16, 59, 59, tzinfo=UTC)
    later = replace(ctx, now=datetime(2026, 7, 5, 5, 0, tzinfo=UTC), answer_days=30)
    s = replace(state, status=Status.MODERATION, postponement_count=1, answer_due=postponed_to)
    d = decide(s, c.ChangeCategory(category_id=1, subcategory_id=2, organisation_id=None),
               roles=MOD, ctx=later)
    assert d.changes.get("answer_due", s.answer_due) >= postponed_to


def test_change_organisation(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION)
    d = decide(s, c.ChangeOrganisation(organisation_id=OTHER_ORG), roles=MOD, ctx=ctx)
    assert d.target is Status.MODERATION
    assert d.changes == {"organisation_id": OTHER_ORG, "executor_organisation_id": None,
                         "executor_staff_id": None}


def test_reject(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.MODERATION)
    d = decide(s, c.Reject(reason=RejectReason.SPAM, comment="  реклама  "), roles=MOD, ctx=ctx)
    assert d.target is Status.REJECTED
    assert d.transition.target_stage is Stage.CLOSED
    assert d.notification is NotificationKind.REJECTED
    assert d.changes == {"closed_at": NOW}
    assert d.details == {"reason": "spam", "reason_title": REJECT_REASON_TITLES[RejectReason.SPAM],
                         "comment": "реклама"}
    assert d.details["reason_title"] == "Реклама или спам"


# --- coordination -----------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Status.NEW, Status.RETURNED, Status.RE_REVIEW])
def test_send_to_execution(state: MessageState, ctx: Context, status: Status) -> None:
    s = replace(state, status=status, executor_organisation_id=None)
    d = decide(s, c.SendToExecution(executor_organisation_id=EXECUTOR_ORG, executor_staff_id=5,
                                    comment=" срочно "), roles=COORD, ctx=ctx)
    assert d.target is Status.IN_WORK
    assert d.transition.target_stage is Stage.EXECUTION
    assert d.notification is NotificationKind.STATUS_CHANGED
    assert d.changes == {"executor_organisation_id": EXECUTOR_ORG, "executor_staff_id": 5,
                         "coordinated_at": NOW}
    assert d.details == {"comment": "срочно"}


def test_send_to_execution_without_comment_has_no_details(
    state: MessageState, ctx: Context
) -> None:
    s = replace(state, status=Status.NEW)
    d = decide(s, c.SendToExecution(executor_organisation_id=EXECUTOR_ORG), roles=COORD, ctx=ctx)
    assert d.details == {}
    assert d.changes["executor_staff_id"] is None


@pytest.mark.parametrize(("relation", "arrival"), [
    ("higher", Arrival.FROM_SUBORDINATE),
    ("subordinate", Arrival.FROM_HIGHER),
])
def test_redirect_within_the_tree_moves_at_once(
    state: MessageState, ctx: Context, relation: str, arrival: Arrival
) -> None:
    s = replace(state, status=Status.NEW, redirect_count=2)
    cmd = c.Redirect(organisation_id=OTHER_ORG, relation=relation, reason="  не наш вопрос ")
    assert action_of(cmd) is Action.REDIRECT
    d = decide(s, cmd, roles=COORD, ctx=ctx)
    assert d.transition.action is Action.REDIRECT
    assert d.target is Status.NEW
    assert d.notification is NotificationKind.STATUS_CHANGED
    assert d.changes == {"organisation_id": OTHER_ORG, "executor_organisation_id": None,
                         "executor_staff_id": None, "arrival": arrival, **arrive(),
                         "redirect_count": 3}
    assert d.details == {"reason": "не наш вопрос", "relation": relation,
                         "to_organisation_id": OTHER_ORG}


def test_redirect_to_non_subordinate_is_a_request(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.RETURNED)
    cmd = c.Redirect(organisation_id=OTHER_ORG, relation="non_subordinate", reason="соседи")
    assert action_of(cmd) is Action.REQUEST_REDIRECT
    d = decide(s, cmd, roles=COORD, ctx=ctx)
    assert d.transition.action is Action.REQUEST_REDIRECT
    assert d.target is Status.REDIRECT_REQUESTED
    assert d.transition.target_stage is Stage.MODERATION
    assert d.notification is None
    assert d.changes == {"pending_organisation_id": OTHER_ORG}


def test_redirect_to_the_same_organisation_is_refused(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.NEW)
    with pytest.raises(ValidationError, match="уже в этой организации"):
        decide(s, c.Redirect(organisation_id=ORG, relation="higher", reason="причина"),
               roles=COORD, ctx=ctx)


def test_redirect_needs_a_reason(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.NEW)
    with pytest.raises(ValidationError, match="Укажите причину перенаправления"):
        decide(s, c.Redirect(organisation_id=OTHER_ORG, relation="higher", reason="   "),
               roles=COORD, ctx=ctx)


def test_redirect_reason_too_long(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.NEW)
    with pytest.raises(ValidationError, match="не больше 2000 символов"):
        decide(s, c.Redirect(organisation_id=OTHER_ORG, relation="higher", reason="я" * 2001),
               roles=COORD, ctx=ctx)


def test_redirect_from_in_work_is_illegal(state: MessageState, ctx: Context) -> None:
    with pytest.raises(IllegalTransition):
        decide(state, c.Redirect(organisation_id=OTHER_ORG, relation="higher", reason="x"),
               roles=COORD, ctx=ctx)


def test_approve_redirect(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.REDIRECT_REQUESTED, pending_organisation_id=OTHER_ORG)
    d = decide(s, c.ApproveRedirect(comment="ок"), roles=MOD, ctx=ctx)
    assert d.target is Status.NEW
    assert d.notification is NotificationKind.STATUS_CHANGED
    assert d.changes == {"organisation_id": OTHER_ORG, "pending_organisation_id": None,
                         "executor_organisation_id": None, "executor_staff_id": None,
                         "arrival": Arrival.FROM_NON_SUBORDINATE, **arrive(),
                         "redirect_count": 1}
    assert d.details == {"comment": "ок"}


def test_approve_redirect_without_request(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.REDIRECT_REQUESTED)
    with pytest.raises(ValidationError, match="Нет запроса на перенаправление"):
        decide(s, c.ApproveRedirect(), roles=MOD, ctx=ctx)


def test_decline_redirect(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.REDIRECT_REQUESTED, pending_organisation_id=OTHER_ORG)
    d = decide(s, c.DeclineRedirect(comment=" ваш вопрос "), roles=MOD, ctx=ctx)
    assert d.target is Status.RETURNED
    assert d.notification is None
    assert d.changes == {"pending_organisation_id": None}
    assert d.details == {"comment": "ваш вопрос"}
    with pytest.raises(ValidationError, match="Укажите причину отказа"):
        decide(s, c.DeclineRedirect(comment=""), roles=MOD, ctx=ctx)


def test_return_to_moderation(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.RE_REVIEW)
    d = decide(s, c.ReturnToModeration(reason="не та категория"), roles=COORD, ctx=ctx)
    assert d.target is Status.MODERATION
    assert d.changes == {"executor_organisation_id": None, "executor_staff_id": None}
    assert d.details == {"reason": "не та категория"}
    with pytest.raises(ValidationError, match="Укажите причину возврата"):
        decide(s, c.ReturnToModeration(reason=" "), roles=COORD, ctx=ctx)


# --- execution --------------------------------------------------------------------------------

def test_answer(state: MessageState, ctx: Context) -> None:
    d = decide(state, c.Answer(text="  Яму заделали.  ", attachments=("a.jpg",)), roles=EXEC,
               ctx=ctx)
    assert d.target is Status.ANSWER_PREPARED
    assert d.transition.target_stage is Stage.APPROVAL
    assert d.notification is None
    assert d.changes == {"answer_text": "Яму заделали.", "answer_attachments": ["a.jpg"],
                         "answer_prepared_at": NOW}


@pytest.mark.parametrize("text", ["", "коротко", "  123456789  ", "x" * 9])
def test_answer_shorter_than_ten_characters_is_refused(
    state: MessageState, ctx: Context, text: str
) -> None:
    with pytest.raises(ValidationError, match=r"не меньше 10 символов|Укажите текст ответа") as err:
        decide(state, c.Answer(text=text), roles=EXEC, ctx=ctx)
    assert err.value.details == {"field": "answer_text"}


def test_answer_of_exactly_ten_characters(state: MessageState, ctx: Context) -> None:
    d = decide(state, c.Answer(text=" 1234567890 "), roles=EXEC, ctx=ctx)
    assert d.changes["answer_text"] == "1234567890"


def test_answer_too_long(state: MessageState, ctx: Context) -> None:
    decide(state, c.Answer(text="я" * ANSWER_MAX_LENGTH), roles=EXEC, ctx=ctx)
    with pytest.raises(ValidationError, match="не больше 10000 символов"):
        decide(state, c.Answer(text="я" * (ANSWER_MAX_LENGTH + 1)), roles=EXEC, ctx=ctx)


def test_return_to_coordinator_is_for_executors_only(state: MessageState, ctx: Context) -> None:
    d = decide(state, c.ReturnToCoordinator(reason="не наш профиль"), roles=EXEC, ctx=ctx)
    assert d.target is Status.RETURNED
    assert d.changes == {"executor_staff_id": None}
    with pytest.raises(PermissionDenied):
        decide(state, c.ReturnToCoordinator(reason="x"), roles=COORD, ctx=ctx)


@pytest.mark.parametrize("status", [Status.IN_WORK, Status.POSTPONED])
def test_postpone_moves_due_to_end_of_new_local_day(
    state: MessageState, ctx: Context, status: Status
) -> None:
    s = replace(state, status=status, postponement_count=1)
    d = decide(s, c.Postpone(reason="ждём подрядчика", new_due_date=date(2026, 7, 10)),
               roles=EXEC, ctx=ctx)
    new_due = datetime(2026, 7, 10, 16, 59, 59, tzinfo=UTC)
    assert d.target is Status.POSTPONED
    assert d.notification is NotificationKind.POSTPONED
    assert d.changes == {"answer_due": new_due, "postponement_count": 2}
    assert d.changes["answer_due"].astimezone(NSK).time().isoformat() == "23:59:59"
    assert d.details == {"reason": "ждём подрядчика", "old_due": DUE.isoformat(),
                         "new_due": new_due.isoformat(), "new_due_date": "2026-07-10"}


@pytest.mark.parametrize("day", [date(2026, 6, 20), date(2026, 6, 30), date(2026, 7, 1)])
def test_postpone_refuses_same_or_earlier_date(
    state: MessageState, ctx: Context, day: date
) -> None:
    with pytest.raises(ValidationError, match=r"позже текущего \(01\.07\.2026\)") as err:
        decide(state, c.Postpone(reason="причина", new_due_date=day), roles=EXEC, ctx=ctx)
    assert err.value.details == {"field": "new_due_date"}


def test_postpone_at_most_thirty_days(state: MessageState, ctx: Context) -> None:
    d = decide(state, c.Postpone(reason="причина", new_due_date=date(2026, 7, 31)), roles=EXEC,
               ctx=ctx)
    assert d.changes["answer_due"] == datetime(2026, 7, 31, 16, 59, 59, tzinfo=UTC)
    with pytest.raises(ValidationError, match="не более чем на 30 дней"):
        decide(state, c.Postpone(reason="причина", new_due_date=date(2026, 8, 1)), roles=EXEC,
               ctx=ctx)


def test_postpone_needs_a_reason(state: MessageState, ctx: Context) -> None:
    with pytest.raises(ValidationError, match="Укажите причину переноса срока"):
        decide(state, c.Postpone(reason="", new_due_date=date(2026, 7, 5)), roles=EXEC, ctx=ctx)


def test_postpone_not_from_answer_prepared(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWER_PREPARED)
    with pytest.raises(IllegalTransition):
        decide(s, c.Postpone(reason="x", new_due_date=date(2026, 7, 5)), roles=EXEC, ctx=ctx)


def test_send_to_sed_and_receive_answer(state: MessageState, ctx: Context) -> None:
    d = decide(state, c.SendToSed(reference=" СЭД-42 "), roles=EXEC, ctx=ctx)
    assert d.target is Status.SENT_TO_SED
    assert d.changes == {}
    assert d.details == {"reference": "СЭД-42"}
    s = replace(state, status=Status.SENT_TO_SED)
    d = decide(s, c.ReceiveSedAnswer(text=" Ответ ведомства "), roles=SYSTEM, ctx=ctx)
    assert d.target is Status.SED_ANSWER_RECEIVED
    assert d.changes == {"answer_text": "Ответ ведомства", "answer_attachments": [],
                         "arrival": Arrival.FROM_SED}
    assert d.details == {}
    with pytest.raises(ValidationError, match="Укажите текст ответа из СЭД"):
        decide(s, c.ReceiveSedAnswer(text=" "), roles=SYSTEM, ctx=ctx)


# --- approval ---------------------------------------------------------------------------------

def test_approve_answer_without_text_is_refused(state: MessageState, ctx: Context) -> None:
    for text in (None, ""):
        s = replace(state, status=Status.ANSWER_PREPARED, answer_text=text)
        with pytest.raises(ValidationError, match="Нет подготовленного ответа"):
            decide(s, c.ApproveAnswer(), roles=MANAGER, ctx=ctx)


def test_approve_answer(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWER_PREPARED, answer_text="Яму заделали.")
    d = decide(s, c.ApproveAnswer(comment=""), roles=MANAGER, ctx=ctx)
    assert d.target is Status.ANSWERED
    assert d.transition.target_stage is Stage.ANSWERED
    assert d.notification is NotificationKind.ANSWERED
    assert d.changes == {"answered_at": NOW}
    assert d.details == {}
    with pytest.raises(PermissionDenied):
        decide(s, c.ApproveAnswer(), roles=EXEC | COORD, ctx=ctx)


def test_send_back_for_rework(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWER_PREPARED, answer_text="Яму заделали.")
    d = decide(s, c.SendBackForRework(comment="приложите фото"), roles=MANAGER, ctx=ctx)
    assert d.target is Status.IN_WORK
    assert d.changes == {}
    assert d.details == {"comment": "приложите фото"}
    with pytest.raises(ValidationError, match="Укажите комментарий для доработки"):
        decide(s, c.SendBackForRework(comment=""), roles=MANAGER, ctx=ctx)


# --- rating -----------------------------------------------------------------------------------

@pytest.mark.parametrize("score", [1, 2])
def test_low_rating_reopens_with_fresh_deadline(
    state: MessageState, ctx: Context, score: int
) -> None:
    s = replace(state, status=Status.ANSWERED, answer_text="Яму заделали.", re_review_count=2)
    d = decide(s, c.Rate(score=score, comment="  ничего не сделано "), roles=CITIZEN, ctx=ctx)
    assert d.transition.action is Action.RATE_LOW
    assert d.target is Status.RE_REVIEW
    assert d.transition.target_stage is Stage.COORDINATION
    assert d.notification is NotificationKind.RE_REVIEW
    # 03.06.2026 (local) + 30 days = 03.07.2026 23:59:59 Novosibirsk, from now not registration.
    assert d.changes == {
        "rating": score, "rating_comment": "ничего не сделано", "rated_at": NOW,
        "answer_due": datetime(2026, 7, 3, 16, 59, 59, tzinfo=UTC), "re_review_count": 3,
        **arrive(), "answer_text": None, "answer_attachments": [], "executor_staff_id": None,
    }
    assert d.details == {"score": score}


def test_low_rating_uses_context_days(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWERED)
    d = decide(s, c.Rate(score=1), roles=CITIZEN, ctx=replace(ctx, answer_days=5))
    assert d.changes["answer_due"] == datetime(2026, 6, 8, 16, 59, 59, tzinfo=UTC)
    assert d.changes["rating_comment"] is None


@pytest.mark.parametrize("score", [3, 4, 5])
def test_high_rating_closes(state: MessageState, ctx: Context, score: int) -> None:
    s = replace(state, status=Status.ANSWERED)
    d = decide(s, c.Rate(score=score), roles=CITIZEN, ctx=ctx)
    assert d.transition.action is Action.RATE_HIGH
    assert d.target is Status.CLOSED
    assert d.transition.target_stage is Stage.CLOSED
    assert d.notification is NotificationKind.CLOSED
    assert d.changes == {"rating": score, "rating_comment": None, "rated_at": NOW,
                         "closed_at": NOW}
    assert "answer_due" not in d.changes


@pytest.mark.parametrize("score", [0, 6, -1, 10])
def test_rating_out_of_range(state: MessageState, ctx: Context, score: int) -> None:
    s = replace(state, status=Status.ANSWERED)
    with pytest.raises(ValidationError, match="от 1 до 5") as err:
        decide(s, c.Rate(score=score), roles=CITIZEN, ctx=ctx)
    assert err.value.details == {"field": "score"}


def test_rating_by_staff_is_denied(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWERED)
    with pytest.raises(PermissionDenied):
        decide(s, c.Rate(score=5), roles=frozenset({"manager", "coordinator", "admin"}), ctx=ctx)


def test_rating_before_the_answer_is_illegal(state: MessageState, ctx: Context) -> None:
    with pytest.raises(IllegalTransition):
        decide(state, c.Rate(score=5), roles=CITIZEN, ctx=ctx)


def test_auto_close(state: MessageState, ctx: Context) -> None:
    s = replace(state, status=Status.ANSWERED)
    d = decide(s, c.AutoClose(), roles=SYSTEM, ctx=ctx)
    assert d.target is Status.CLOSED
    assert d.notification is NotificationKind.CLOSED
    assert d.changes == {"closed_at": NOW}
    with pytest.raises(PermissionDenied):
        decide(s, c.AutoClose(), roles=CITIZEN, ctx=ctx)


# --- the whole table through decide() ---------------------------------------------------------

NOTIFY_CASES: list[tuple[Status, c.Command, frozenset[str], Status, NotificationKind | None]] = [
    (Status.MODERATION, c.ApproveModeration(), MOD, Status.NEW, NotificationKind.STATUS_CHANGED),
    (Status.MODERATION, c.ChangeCategory(1, 2, None), MOD, Status.MODERATION, None),
    (Status.MODERATION, c.ChangeOrganisation(OTHER_ORG), MOD, Status.MODERATION, None),
    (Status.MODERATION, c.Reject(RejectReason.DUPLICATE), MOD, Status.REJECTED,
     NotificationKind.REJECTED),
    (Status.NEW, c.SendToExecution(EXECUTOR_ORG), COORD, Status.IN_WORK,
     NotificationKind.STATUS_CHANGED),
    (Status.NEW, c.Redirect(OTHER_ORG, "subordinate", "причина"), COORD, Status.NEW,
     NotificationKind.STATUS_CHANGED),
    (Status.NEW, c.Redirect(OTHER_ORG, "non_subordinate", "причина"), COORD,
     Status.REDIRECT_REQUESTED, None),
    (Status.NEW, c.ReturnToModeration("причина"), COORD, Status.MODERATION, None),
    (Status.NEW, c.SendToSed(), COORD, Status.SENT_TO_SED, None),
    (Status.REDIRECT_REQUESTED, c.ApproveRedirect(), MOD, Status.NEW,
     NotificationKind.STATUS_CHANGED),
    (Status.REDIRECT_REQUESTED, c.DeclineRedirect("причина"), MOD, Status.RETURNED, None),
    (Status.IN_WORK, c.Answer("Ответ гражданину"), EXEC, Status.ANSWER_PREPARED, None),
    (Status.IN_WORK, c.ReturnToCoordinator("причина"), EXEC, Status.RETURNED, None),
    (Status.IN_WORK, c.Postpone("причина", date(2026, 7, 2)), EXEC, Status.POSTPONED,
     NotificationKind.POSTPONED),
    (Status.SENT_TO_SED, c.ReceiveSedAnswer("ответ"), EXEC, Status.SED_ANSWER_RECEIVED, None),
    (Status.ANSWER_PREPARED, c.ApproveAnswer(), MANAGER, Status.ANSWERED,
     NotificationKind.ANSWERED),
    (Status.ANSWER_PREPARED, c.SendBackForRework("причина"), MANAGER, Status.IN_WORK, None),
    (Status.ANSWERED, c.Rate(2), CITIZEN, Status.RE_REVIEW, NotificationKind.RE_REVIEW),
    (Status.ANSWERED, c.Rate(3), CITIZEN, Status.CLOSED, NotificationKind.CLOSED),
    (Status.ANSWERED, c.AutoClose(), SYSTEM, Status.CLOSED, NotificationKind.CLOSED),
]


@pytest.mark.parametrize(("status", "command", "roles", "target", "notify"), NOTIFY_CASES,
                         ids=[f"{case[0].value}-{action_of(case[1]).value}"
                              for case in NOTIFY_CASES])
def test_target_and_notification_per_command(
    *, state: MessageState, ctx: Context, status: Status, command: c.Command,
    roles: frozenset[str], target: Status, notify: NotificationKind | None,
) -> None:
    s = replace(state, status=status, answer_text="Подготовленный ответ",
                pending_organisation_id=OTHER_ORG)
    d = decide(s, command, roles=roles, ctx=ctx)
    assert d.target is target
    assert d.notification is notify
    assert d.transition.source is status


def test_every_command_type_maps_to_an_action() -> None:
    covered = {action_of(cmd) for _, cmd, _, _, _ in NOTIFY_CASES}
    assert covered == {a for a in Action if a not in (Action.REGISTER, Action.APPLY_AUTO_RULE)}


def test_decide_leaves_the_state_alone(state: MessageState, ctx: Context) -> None:
    before = replace(state)
    decide(state, c.Postpone(reason="причина", new_due_date=date(2026, 7, 5)), roles=EXEC,
           ctx=ctx)
    assert state == before
    assert state.answer_due == DUE


def test_postponement_into_the_past_is_refused(state: MessageState, ctx: Context) -> None:
    overdue = replace(state, status=Status.IN_WORK,
                      answer_due=datetime(2026, 5, 1, 16, 59, 59, tzinfo=UTC))
    with pytest.raises(ValidationError, match="в прошлом"):
        decide(overdue, c.Postpone(reason="Поставка", new_due_date=date(2026, 5, 10)),
               roles=frozenset({"executor"}), ctx=ctx)


def test_unknown_relation_is_a_programming_error(state: MessageState, ctx: Context) -> None:
    with pytest.raises(ValueError, match="relation"):
        decide(replace(state, status=Status.NEW),
               c.Redirect(organisation_id=OTHER_ORG, relation="sideways", reason="Профиль"),
               roles=frozenset({"coordinator"}), ctx=ctx)


def test_boolean_is_not_a_rating(state: MessageState, ctx: Context) -> None:
    with pytest.raises(ValidationError, match="от 1 до 5"):
        decide(replace(state, status=Status.ANSWERED, answer_text="Ответ дан подробно."),
               c.Rate(score=True), roles=frozenset({"citizen"}), ctx=ctx)
