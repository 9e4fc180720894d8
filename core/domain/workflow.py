"""The message workflow as data.

(status, action) -> new status, who may do it, and what the citizen is told.

One function, :func:`transition`, applies the table; everything else in the platform asks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import (
    ACTION_TITLES,
    STATUS_STAGE,
    STATUS_TITLES,
    Action,
    ActorKind,
    NotificationKind,
    Role,
    Stage,
    Status,
)
from core.domain.errors import IllegalTransition, PermissionDenied

CITIZEN = ActorKind.CITIZEN.value
SYSTEM = ActorKind.SYSTEM.value


@dataclass(frozen=True, slots=True)
class Transition:
    source: Status
    action: Action
    target: Status
    allowed: frozenset[str]
    notify: NotificationKind | None = None

    @property
    def target_stage(self) -> Stage:
        return STATUS_STAGE[self.target]


def _rows(
    sources: tuple[Status, ...],
    action: Action,
    target: Status,
    allowed: tuple[str, ...],
    notify: NotificationKind | None = None,
) -> list[Transition]:
    return [Transition(s, action, target, frozenset(allowed), notify) for s in sources]


_MOD = (Role.MODERATOR.value, Role.ADMIN.value)
_COORD = (Role.COORDINATOR.value,)
_EXEC = (Role.EXECUTOR.value, Role.COORDINATOR.value)
_COORDINATION = (Status.NEW, Status.RETURNED, Status.RE_REVIEW)
_WORK = (Status.IN_WORK, Status.POSTPONED)

TRANSITIONS: tuple[Transition, ...] = (
        # Moderation.
        *_rows((Status.MODERATION,), Action.APPROVE_MODERATION, Status.NEW, _MOD,
               NotificationKind.STATUS_CHANGED),
        *_rows((Status.MODERATION,), Action.CHANGE_CATEGORY, Status.MODERATION, _MOD),
        *_rows((Status.MODERATION,), Action.CHANGE_ORGANISATION, Status.MODERATION, _MOD),
        *_rows((Status.MODERATION,), Action.REJECT, Status.REJECTED, _MOD,
               NotificationKind.REJECTED),
        # Coordination at the responsible organisation.
        *_rows(_COORDINATION, Action.SEND_TO_EXECUTION, Status.IN_WORK, _COORD,
               NotificationKind.STATUS_CHANGED),
        *_rows(_COORDINATION, Action.REDIRECT, Status.NEW, _COORD,
               NotificationKind.STATUS_CHANGED),
        *_rows(_COORDINATION, Action.REQUEST_REDIRECT, Status.REDIRECT_REQUESTED, _COORD),
        *_rows(_COORDINATION, Action.RETURN_TO_MODERATION, Status.MODERATION, _COORD),
        *_rows(_COORDINATION, Action.SEND_TO_SED, Status.SENT_TO_SED, _COORD),
        *_rows(_WORK, Action.SEND_TO_SED, Status.SENT_TO_SED, _EXEC),
        # A redirect to a non-subordinate organisation waits for a moderator.
        *_rows((Status.REDIRECT_REQUESTED,), Action.APPROVE_REDIRECT, Status.NEW, _MOD,
               NotificationKind.STATUS_CHANGED),
        *_rows((Status.REDIRECT_REQUESTED,), Action.DECLINE_REDIRECT, Status.RETURNED, _MOD),
        # Execution.
        *_rows((*_WORK, Status.SED_ANSWER_RECEIVED), Action.ANSWER, Status.ANSWER_PREPARED,
               _EXEC),
        *_rows((*_WORK, Status.SED_ANSWER_RECEIVED), Action.RETURN_TO_COORDINATOR,
               Status.RETURNED, (Role.EXECUTOR.value,)),
        *_rows(_WORK, Action.POSTPONE, Status.POSTPONED, _EXEC, NotificationKind.POSTPONED),
        *_rows((Status.SENT_TO_SED,), Action.RECEIVE_SED_ANSWER, Status.SED_ANSWER_RECEIVED,
               (*_EXEC, SYSTEM)),
        # Approval by the manager.
        *_rows((Status.ANSWER_PREPARED,), Action.APPROVE_ANSWER, Status.ANSWERED,
               (Role.MANAGER.value,), NotificationKind.ANSWERED),
        *_rows((Status.ANSWER_PREPARED,), Action.SEND_BACK_FOR_REWORK, Status.IN_WORK,
               (Role.MANAGER.value,)),
        # The citizen's rating, or silence.
        *_rows((Status.ANSWERED,), Action.RATE_LOW, Status.RE_REVIEW, (CITIZEN,),
               NotificationKind.RE_REVIEW),
        *_rows((Status.ANSWERED,), Action.RATE_HIGH, Status.CLOSED, (CITIZEN,),
               NotificationKind.CLOSED),
        *_rows((Status.ANSWERED,), Action.AUTO_CLOSE, Status.CLOSED, (SYSTEM,),
               NotificationKind.CLOSED),
)

_TABLE: dict[tuple[Status, Action], Transition] = {(t.source, t.action): t for t in TRANSITIONS}
if len(_TABLE) != len(TRANSITIONS):  # pragma: no cover - guards edits of the table
    raise RuntimeError("duplicate (status, action) pair in the workflow table")


def find(status: Status, action: Action) -> Transition | None:
    return _TABLE.get((status, action))


def transition(status: Status, action: Action, actor_roles: frozenset[str]) -> Transition:
    """Return the row for (status, action) if one of ``actor_roles`` may take it.

    ``actor_roles`` are the roles the actor holds *for this message* (see
    :mod:`core.domain.permissions`), or ``{"citizen"}`` / ``{"system"}``.
    """
    row = _TABLE.get((status, action))
    if row is None:
        raise IllegalTransition(
            f"Действие «{ACTION_TITLES[action]}» недоступно в статусе «{STATUS_TITLES[status]}»",
            status=status.value,
            action=action.value,
        )
    if not row.allowed & actor_roles:
        raise PermissionDenied(
            f"Действие «{ACTION_TITLES[action]}» не разрешено вашей роли для этого сообщения",
            status=status.value,
            action=action.value,
        )
    return row


def available_actions(status: Status, actor_roles: frozenset[str]) -> list[Action]:
    """The actions an actor with these roles may take now, in table order."""
    return [t.action for t in TRANSITIONS if t.source == status and t.allowed & actor_roles]
