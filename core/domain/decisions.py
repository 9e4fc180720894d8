"""Decide, then apply: the pure rules of every workflow action.

:func:`decide` takes the message's current state, a command, the roles the actor holds for
this message and the moment, and returns a :class:`Decision` — the table row, the field
changes (including deadlines) and the audit details — without touching storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.domain import commands as c
from core.domain import deadlines
from core.domain.enums import REJECT_REASON_TITLES, Action, Arrival, NotificationKind, Status
from core.domain.errors import ValidationError
from core.domain.workflow import Transition, transition

ANSWER_MIN_LENGTH = 10
ANSWER_MAX_LENGTH = 10_000
REASON_MAX_LENGTH = 2_000
RATING_LOW_MAX = 2
RELATIONS = frozenset({"higher", "subordinate", "non_subordinate"})


@dataclass(frozen=True, slots=True)
class MessageState:
    status: Status
    organisation_id: int | None
    executor_organisation_id: int | None
    pending_organisation_id: int | None
    fast_track: bool
    registered_at: datetime
    answer_due: datetime
    coordination_due: datetime | None
    answer_text: str | None
    re_review_count: int = 0
    redirect_count: int = 0
    postponement_count: int = 0
    # When the current answer cycle began: registration, or the low rating that re-opened it.
    cycle_started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules need to know besides the message."""

    now: datetime
    tz: ZoneInfo
    answer_days: int  # for the message's subcategory in its region, fast-track already applied
    coordination_hours: int = 24


@dataclass(frozen=True, slots=True)
class Decision:
    transition: Transition
    changes: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def notification(self) -> NotificationKind | None:
        return self.transition.notify

    @property
    def target(self) -> Status:
        return self.transition.target


def _text(value: str, what: str, *, field: str = "reason", minimum: int = 1,
          maximum: int = REASON_MAX_LENGTH) -> str:
    """``what`` names the text in the accusative («причину возврата») for «Укажите …»."""
    value = value.strip()
    if not value:
        raise ValidationError(f"Укажите {what}", field=field)
    if len(value) < minimum:
        raise ValidationError(f"Слишком короткий текст: не меньше {minimum} символов",
                              field=field)
    if len(value) > maximum:
        raise ValidationError(f"Слишком длинный текст: не больше {maximum} символов",
                              field=field)
    return value


_ACTION_OF: dict[type, Action] = {
    c.ApproveModeration: Action.APPROVE_MODERATION,
    c.ChangeCategory: Action.CHANGE_CATEGORY,
    c.ChangeOrganisation: Action.CHANGE_ORGANISATION,
    c.Reject: Action.REJECT,
    c.SendToExecution: Action.SEND_TO_EXECUTION,
    c.ApproveRedirect: Action.APPROVE_REDIRECT,
    c.DeclineRedirect: Action.DECLINE_REDIRECT,
    c.ReturnToModeration: Action.RETURN_TO_MODERATION,
    c.Answer: Action.ANSWER,
    c.ReturnToCoordinator: Action.RETURN_TO_COORDINATOR,
    c.Postpone: Action.POSTPONE,
    c.SendToSed: Action.SEND_TO_SED,
    c.ReceiveSedAnswer: Action.RECEIVE_SED_ANSWER,
    c.ApproveAnswer: Action.APPROVE_ANSWER,
    c.SendBackForRework: Action.SEND_BACK_FOR_REWORK,
    c.AutoClose: Action.AUTO_CLOSE,
}


def action_of(command: c.Command) -> Action:
    if isinstance(command, c.Redirect):
        if command.relation == "non_subordinate":
            return Action.REQUEST_REDIRECT
        return Action.REDIRECT
    if isinstance(command, c.Rate):
        return Action.RATE_LOW if command.score <= RATING_LOW_MAX else Action.RATE_HIGH
    return _ACTION_OF[type(command)]


def decide(
    state: MessageState, command: c.Command, *, roles: frozenset[str], ctx: Context
) -> Decision:
    """Check the table and the command's own rules; return what must change."""
    if isinstance(command, c.Rate) and (isinstance(command.score, bool)
                                        or not 1 <= command.score <= 5):
        raise ValidationError("Оценка — целое число от 1 до 5", field="score")
    row = transition(state.status, action_of(command), roles)
    now = ctx.now
    arrive = {"coordination_due": deadlines.coordination_due(now, ctx.coordination_hours),
              "arrived_at": now}
    ch: dict[str, Any] = {}
    det: dict[str, Any] = {}
    match command:
        case c.ApproveModeration(organisation_id=org):
            target = org if org is not None else state.organisation_id
            if target is None:
                raise ValidationError("Выберите организацию, которой направить сообщение",
                                      field="organisation_id")
            ch = {"organisation_id": target, "arrival": Arrival.AFTER_MODERATION, **arrive,
                  "moderated_at": now}
            if target != state.organisation_id:
                # An executor chosen for the old organisation does not follow the message.
                ch |= {"executor_organisation_id": None, "executor_staff_id": None}
        case c.ChangeCategory(category_id=cat, subcategory_id=sub, organisation_id=org,
                              fast_track=fast):
            start = state.cycle_started_at or state.registered_at
            due = deadlines.answer_due(start, ctx.answer_days, ctx.tz)
            if state.postponement_count:
                # A postponement the citizen was told of is never taken back silently.
                due = max(due, state.answer_due)
            ch = {"category_id": cat, "subcategory_id": sub, "fast_track": fast,
                  "answer_due": due}
            if org is not None and org != state.organisation_id:
                ch |= {"organisation_id": org, "executor_organisation_id": None,
                       "executor_staff_id": None}
        case c.ChangeOrganisation(organisation_id=org):
            ch = {"organisation_id": org, "executor_organisation_id": None,
                  "executor_staff_id": None}
        case c.Reject(reason=reason, comment=comment):
            ch = {"closed_at": now}
            det = {"reason": reason.value, "reason_title": REJECT_REASON_TITLES[reason],
                   "comment": comment.strip()}
        case c.SendToExecution(executor_organisation_id=org, executor_staff_id=staff,
                               comment=comment):
            ch = {"executor_organisation_id": org, "executor_staff_id": staff,
                  "coordinated_at": now}
            det = {"comment": comment.strip()} if comment.strip() else {}
        case c.Redirect(organisation_id=org, relation=rel, reason=reason):
            if rel not in RELATIONS:
                raise ValueError(f"unknown organisation relation {rel!r}")
            det = {"reason": _text(reason, "причину перенаправления"), "relation": rel,
                   "to_organisation_id": org}
            if org == state.organisation_id:
                raise ValidationError("Сообщение уже в этой организации", field="organisation_id")
            if row.action is Action.REQUEST_REDIRECT:
                ch = {"pending_organisation_id": org}
            else:
                arrival = Arrival.FROM_SUBORDINATE if rel == "higher" else Arrival.FROM_HIGHER
                ch = {"organisation_id": org, "executor_organisation_id": None,
                      "executor_staff_id": None, "arrival": arrival, **arrive,
                      "redirect_count": state.redirect_count + 1}
        case c.ApproveRedirect(comment=comment):
            if state.pending_organisation_id is None:
                raise ValidationError("Нет запроса на перенаправление")
            ch = {"organisation_id": state.pending_organisation_id,
                  "pending_organisation_id": None, "executor_organisation_id": None,
                  "executor_staff_id": None, "arrival": Arrival.FROM_NON_SUBORDINATE, **arrive,
                  "redirect_count": state.redirect_count + 1}
            det = {"comment": comment.strip()} if comment.strip() else {}
        case c.DeclineRedirect(comment=comment):
            ch = {"pending_organisation_id": None}
            det = {"comment": _text(comment, "причину отказа", field="comment")}
        case c.ReturnToModeration(reason=reason):
            ch = {"executor_organisation_id": None, "executor_staff_id": None}
            det = {"reason": _text(reason, "причину возврата")}
        case c.Answer(text=text, attachments=files):
            ch = {"answer_text": _text(text, "текст ответа", field="answer_text",
                                       minimum=ANSWER_MIN_LENGTH, maximum=ANSWER_MAX_LENGTH),
                  "answer_attachments": list(files), "answer_prepared_at": now}
        case c.ReturnToCoordinator(reason=reason):
            ch = {"executor_staff_id": None}
            det = {"reason": _text(reason, "причину возврата")}
        case c.Postpone(reason=reason, new_due_date=new_day):
            new_due = deadlines.postponed_due(state.answer_due, new_day, ctx.tz, now=now)
            ch = {"answer_due": new_due, "postponement_count": state.postponement_count + 1}
            det = {"reason": _text(reason, "причину переноса срока"),
                   "old_due": state.answer_due.isoformat(), "new_due": new_due.isoformat(),
                   "new_due_date": new_day.isoformat()}
        case c.SendToSed(reference=ref):
            det = {"reference": ref.strip()} if ref.strip() else {}
        case c.ReceiveSedAnswer(text=text, reference=ref):
            # The answer from СЭД replaces a draft, its attachments included.
            ch = {"answer_text": _text(text, "текст ответа из СЭД", field="answer_text",
                                       maximum=ANSWER_MAX_LENGTH),
                  "answer_attachments": [], "arrival": Arrival.FROM_SED}
            det = {"reference": ref.strip()} if ref.strip() else {}
        case c.ApproveAnswer(comment=comment):
            if not state.answer_text:
                raise ValidationError("Нет подготовленного ответа")
            ch = {"answered_at": now}
            det = {"comment": comment.strip()} if comment.strip() else {}
        case c.SendBackForRework(comment=comment):
            det = {"comment": _text(comment, "комментарий для доработки", field="comment")}
        case c.Rate(score=score, comment=comment):
            ch = {"rating": score, "rating_comment": comment.strip()[:REASON_MAX_LENGTH] or None,
                  "rated_at": now}
            if row.action is Action.RATE_LOW:
                ch |= {"answer_due": deadlines.answer_due(now, ctx.answer_days, ctx.tz),
                       "re_review_count": state.re_review_count + 1, **arrive,
                       "answer_text": None, "answer_attachments": [],
                       "executor_staff_id": None}
            else:
                ch["closed_at"] = now
            det = {"score": score}
        case c.AutoClose():
            ch = {"closed_at": now}
    return Decision(row, ch, det)
