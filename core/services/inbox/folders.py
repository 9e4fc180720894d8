"""The folders of each role, as on the real platform, each a SQL condition within the
workspace's scope.

Most folders are the message's current status (and who executes it). The «Отработанные»
folders are history: messages this organisation handled and passed on — sent to execution,
answered, redirected — found in the audit trail by the organisation the message had *before*
the action (``message_events.from_organisation_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, true

from core.db import tables as t
from core.domain.enums import Action, Role, Status
from core.services.inbox.workspaces import Workspace
from core.services.queries import OPEN_STATUSES, overdue_clause

Clause = Callable[[Workspace, datetime], Any]
M = t.Message


@dataclass(frozen=True, slots=True)
class Folder:
    key: str
    title: str
    clause: Clause
    group: str | None = None  # folders of one group are shown under a common heading
    handled: tuple[Action, ...] = ()  # history folders: counted in the audit trail

    @property
    def is_history(self) -> bool:
        return bool(self.handled)


def _status(*statuses: Status) -> Clause:
    values = [s.value for s in statuses]
    return lambda _w, _now: M.status.in_(values)


def _executing(*statuses: Status) -> Clause:
    values = [s.value for s in statuses]
    return lambda w, _now: and_(M.status.in_(values),
                                M.executor_organisation_id == w.organisation_id)


def _handled(*actions: Action) -> Clause:
    values = [a.value for a in actions]

    def clause(w: Workspace, _now: datetime) -> Any:
        return M.id.in_(select(t.MessageEvent.message_id).where(
            t.MessageEvent.from_organisation_id == w.organisation_id,
            t.MessageEvent.action.in_(values)))
    return clause


def _overdue(_w: Workspace, now: datetime) -> Any:
    return overdue_clause(now)


def _everything(_w: Workspace, _now: datetime) -> Any:
    return true()


def _returned_inside(w: Workspace, _now: datetime) -> Any:
    return and_(M.status == Status.RETURNED.value,
                or_(M.executor_organisation_id.is_(None),
                    M.executor_organisation_id == w.organisation_id))


def _returned_from_org(w: Workspace, _now: datetime) -> Any:
    return and_(M.status == Status.RETURNED.value,
                M.executor_organisation_id != w.organisation_id)


def _assigned_to_me(w: Workspace, _now: datetime) -> Any:
    return and_(M.status.in_([Status.IN_WORK.value, Status.POSTPONED.value]),
                M.executor_staff_id == w.staff_id)


RETURNED = "Возвращены"
DONE = "Отработанные"
SED = "Отправлено в СЭД"
ALL = Folder("all", "Все сообщения", _everything)

COORDINATOR = (
    Folder("new", "Новые", _status(Status.NEW, Status.RE_REVIEW)),
    Folder("answer_prepared", "Подготовлен ответ", _status(Status.ANSWER_PREPARED)),
    Folder("answered", "Ответ заявителю", _status(Status.ANSWERED)),
    Folder("redirect", "Перенаправление", _status(Status.REDIRECT_REQUESTED)),
    Folder("in_work", "В работе", _status(Status.IN_WORK)),
    Folder("returned_inside", "в рамках организации", _returned_inside, RETURNED),
    Folder("returned_from_org", "из организации", _returned_from_org, RETURNED),
    Folder("postponed", "Отложенные", _status(Status.POSTPONED)),
    Folder("done_execution", "направленные на исполнение",
           _handled(Action.SEND_TO_EXECUTION), DONE, (Action.SEND_TO_EXECUTION,)),
    Folder("done_answer", "подготовлен ответ", _handled(Action.ANSWER), DONE, (Action.ANSWER,)),
    Folder("done_redirected", "перенаправлены",
           _handled(Action.REDIRECT, Action.APPROVE_REDIRECT), DONE,
           (Action.REDIRECT, Action.APPROVE_REDIRECT)),
    Folder("sed_in_work", "в работе", _status(Status.SENT_TO_SED), SED),
    Folder("sed_answered", "получен ответ", _status(Status.SED_ANSWER_RECEIVED), SED),
    ALL,
)

MODERATOR = (
    Folder("moderation", "Новые", _status(Status.MODERATION)),
    Folder("redirect", "Перенаправление", _status(Status.REDIRECT_REQUESTED)),
    Folder("approved", "одобренные",
           lambda _w, _now: M.moderated_at.is_not(None), DONE),
    Folder("rejected", "отклонённые", _status(Status.REJECTED), DONE),
    ALL,
)

EXECUTOR = (
    Folder("in_work", "В работе", _executing(Status.IN_WORK)),
    Folder("mine", "Назначены мне", _assigned_to_me),
    Folder("postponed", "Отложенные", _executing(Status.POSTPONED)),
    Folder("answer_prepared", "Подготовлен ответ", _executing(Status.ANSWER_PREPARED)),
    Folder("returned", "Возвращены координатору", _executing(Status.RETURNED)),
    Folder("sed_in_work", "в работе", _executing(Status.SENT_TO_SED), SED),
    Folder("sed_answered", "получен ответ", _executing(Status.SED_ANSWER_RECEIVED), SED),
    Folder("done", "Отработанные", _executing(Status.ANSWERED, Status.CLOSED)),
    ALL,
)

MANAGER = (
    Folder("approval", "Подготовлен ответ", _status(Status.ANSWER_PREPARED)),
    Folder("answered", "Ответ заявителю", _status(Status.ANSWERED)),
    Folder("in_work", "В работе", _status(Status.IN_WORK, Status.POSTPONED, Status.SENT_TO_SED,
                                          Status.SED_ANSWER_RECEIVED)),
    Folder("overdue", "Просроченные", _overdue),
    Folder("done_approved", "утверждённые ответы", _handled(Action.APPROVE_ANSWER), DONE,
           (Action.APPROVE_ANSWER,)),
    Folder("done_rework", "возвращённые на доработку", _handled(Action.SEND_BACK_FOR_REWORK),
           DONE, (Action.SEND_BACK_FOR_REWORK,)),
    ALL,
)

CURATOR = (
    Folder("open", "На рассмотрении", lambda _w, _now: M.status.in_(OPEN_STATUSES)),
    Folder("overdue", "Просроченные", _overdue),
    Folder("re_review", "Повторное рассмотрение", _status(Status.RE_REVIEW)),
    Folder("answered", "Ответ заявителю", _status(Status.ANSWERED)),
    Folder("closed", "Завершённые", _status(Status.CLOSED)),
    ALL,
)

BY_ROLE: dict[Role, tuple[Folder, ...]] = {
    Role.COORDINATOR: COORDINATOR,
    Role.MODERATOR: MODERATOR,
    Role.EXECUTOR: EXECUTOR,
    Role.MANAGER: MANAGER,
    Role.CURATOR: CURATOR,
    Role.ADMIN: (ALL,),
    Role.SMM: (ALL,),
}


def folders_of(w: Workspace) -> tuple[Folder, ...]:
    if w.role is Role.ADMIN and w.regional:
        return (*MODERATOR[:-1], *CURATOR)  # a regional admin moderates and oversees
    return BY_ROLE[w.role]


def folder(w: Workspace, key: str | None) -> Folder:
    options = folders_of(w)
    return next((f for f in options if f.key == key), options[0])
