"""Enumerations shared by the domain, storage and the edges."""

from __future__ import annotations

from enum import StrEnum


class TerritoryKind(StrEnum):
    REGION = "region"
    MUNICIPAL_DISTRICT = "municipal_district"
    URBAN_DISTRICT = "urban_district"
    MUNICIPAL_OKRUG = "municipal_okrug"
    SETTLEMENT = "settlement"


class OrgKind(StrEnum):
    REGIONAL_EXECUTIVE = "regional_executive"
    LOCAL_SELF_GOVERNMENT = "local_self_government"
    INSTITUTION = "institution"
    FEDERAL = "federal"


class Role(StrEnum):
    MODERATOR = "moderator"
    COORDINATOR = "coordinator"
    EXECUTOR = "executor"
    MANAGER = "manager"
    CURATOR = "curator"
    ADMIN = "admin"
    SMM = "smm"


ROLE_TITLES: dict[Role, str] = {
    Role.MODERATOR: "Модератор",
    Role.COORDINATOR: "Координатор",
    Role.EXECUTOR: "Исполнитель",
    Role.MANAGER: "Руководитель",
    Role.CURATOR: "Куратор",
    Role.ADMIN: "Администратор",
    Role.SMM: "SMM-редактор",
}


class ActorKind(StrEnum):
    STAFF = "staff"
    CITIZEN = "citizen"
    SYSTEM = "system"


class Source(StrEnum):
    TELEGRAM = "telegram"
    VK = "vk"
    WIDGET = "widget"
    API = "api"
    INCIDENT = "incident"
    IMPORT = "import"


class Channel(StrEnum):
    """Where a citizen can be reached."""

    TELEGRAM = "telegram"
    VK = "vk"
    WEB = "web"


class Stage(StrEnum):
    MODERATION = "moderation"
    COORDINATION = "coordination"
    EXECUTION = "execution"
    APPROVAL = "approval"
    ANSWERED = "answered"
    CLOSED = "closed"


STAGE_TITLES: dict[Stage, str] = {
    Stage.MODERATION: "Модерация",
    Stage.COORDINATION: "Координация",
    Stage.EXECUTION: "Исполнение",
    Stage.APPROVAL: "Согласование ответа",
    Stage.ANSWERED: "Ответ заявителю",
    Stage.CLOSED: "Завершено",
}


class Status(StrEnum):
    MODERATION = "moderation"
    REJECTED = "rejected"
    NEW = "new"
    REDIRECT_REQUESTED = "redirect_requested"
    RETURNED = "returned"
    RE_REVIEW = "re_review"
    IN_WORK = "in_work"
    POSTPONED = "postponed"
    SENT_TO_SED = "sent_to_sed"
    SED_ANSWER_RECEIVED = "sed_answer_received"
    ANSWER_PREPARED = "answer_prepared"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUS_TITLES: dict[Status, str] = {
    Status.MODERATION: "На модерации",
    Status.REJECTED: "Отклонено",
    Status.NEW: "Новое",
    Status.REDIRECT_REQUESTED: "Перенаправление",
    Status.RETURNED: "Возвращено",
    Status.RE_REVIEW: "На повторном рассмотрении",
    Status.IN_WORK: "В работе",
    Status.POSTPONED: "Отложено",
    Status.SENT_TO_SED: "Отправлено в СЭД",
    Status.SED_ANSWER_RECEIVED: "Получен ответ из СЭД",
    Status.ANSWER_PREPARED: "Подготовлен ответ",
    Status.ANSWERED: "Ответ дан",
    Status.CLOSED: "Закрыто",
}

STATUS_STAGE: dict[Status, Stage] = {
    Status.MODERATION: Stage.MODERATION,
    Status.REJECTED: Stage.CLOSED,
    Status.NEW: Stage.COORDINATION,
    Status.REDIRECT_REQUESTED: Stage.MODERATION,
    Status.RETURNED: Stage.COORDINATION,
    Status.RE_REVIEW: Stage.COORDINATION,
    Status.IN_WORK: Stage.EXECUTION,
    Status.POSTPONED: Stage.EXECUTION,
    Status.SENT_TO_SED: Stage.EXECUTION,
    Status.SED_ANSWER_RECEIVED: Stage.EXECUTION,
    Status.ANSWER_PREPARED: Stage.APPROVAL,
    Status.ANSWERED: Stage.ANSWERED,
    Status.CLOSED: Stage.CLOSED,
}

TERMINAL_STATUSES = frozenset({Status.REJECTED, Status.CLOSED})


class Arrival(StrEnum):
    """How a message reached its current organisation (the inbox filter «этап поступления»)."""

    ROUTED = "routed"
    AFTER_MODERATION = "after_moderation"
    FROM_SED = "from_sed"
    FROM_HIGHER = "from_higher"
    FROM_SUBORDINATE = "from_subordinate"
    FROM_NON_SUBORDINATE = "from_non_subordinate"


class Action(StrEnum):
    REGISTER = "register"
    APPLY_AUTO_RULE = "apply_auto_rule"
    APPROVE_MODERATION = "approve_moderation"
    CHANGE_CATEGORY = "change_category"
    CHANGE_ORGANISATION = "change_organisation"
    REJECT = "reject"
    SEND_TO_EXECUTION = "send_to_execution"
    REDIRECT = "redirect"
    REQUEST_REDIRECT = "request_redirect"
    APPROVE_REDIRECT = "approve_redirect"
    DECLINE_REDIRECT = "decline_redirect"
    RETURN_TO_MODERATION = "return_to_moderation"
    ANSWER = "answer"
    RETURN_TO_COORDINATOR = "return_to_coordinator"
    POSTPONE = "postpone"
    SEND_TO_SED = "send_to_sed"
    RECEIVE_SED_ANSWER = "receive_sed_answer"
    APPROVE_ANSWER = "approve_answer"
    SEND_BACK_FOR_REWORK = "send_back_for_rework"
    RATE_LOW = "rate_low"
    RATE_HIGH = "rate_high"
    AUTO_CLOSE = "auto_close"


ACTION_TITLES: dict[Action, str] = {
    Action.REGISTER: "Регистрация сообщения",
    Action.APPLY_AUTO_RULE: "Применено автоправило",
    Action.APPROVE_MODERATION: "Одобрить",
    Action.CHANGE_CATEGORY: "Изменить категорию",
    Action.CHANGE_ORGANISATION: "Изменить организацию",
    Action.REJECT: "Отклонить",
    Action.SEND_TO_EXECUTION: "Направить на исполнение",
    Action.REDIRECT: "Перенаправить",
    Action.REQUEST_REDIRECT: "Запросить перенаправление",
    Action.APPROVE_REDIRECT: "Подтвердить перенаправление",
    Action.DECLINE_REDIRECT: "Отказать в перенаправлении",
    Action.RETURN_TO_MODERATION: "Вернуть на модерацию",
    Action.ANSWER: "Подготовить ответ",
    Action.RETURN_TO_COORDINATOR: "Вернуть координатору",
    Action.POSTPONE: "Отложить",
    Action.SEND_TO_SED: "Отправить в СЭД",
    Action.RECEIVE_SED_ANSWER: "Получен ответ из СЭД",
    Action.APPROVE_ANSWER: "Утвердить ответ",
    Action.SEND_BACK_FOR_REWORK: "Вернуть на доработку",
    Action.RATE_LOW: "Низкая оценка",
    Action.RATE_HIGH: "Оценка ответа",
    Action.AUTO_CLOSE: "Закрыто без оценки",
}


class RejectReason(StrEnum):
    """The moderator's list of reasons (the citizen is told the title)."""

    NOT_A_PROBLEM = "not_a_problem"
    OBSCENE = "obscene"
    DUPLICATE = "duplicate"
    SEVERAL_PROBLEMS = "several_problems"
    NO_DETAILS = "no_details"
    NOT_IN_COMPETENCE = "not_in_competence"
    COURT_OR_INVESTIGATION = "court_or_investigation"
    SPAM = "spam"


REJECT_REASON_TITLES: dict[RejectReason, str] = {
    RejectReason.NOT_A_PROBLEM: "Сообщение не содержит описания проблемы",
    RejectReason.OBSCENE: "Сообщение содержит нецензурную лексику или оскорбления",
    RejectReason.DUPLICATE: "Повторное сообщение о той же проблеме",
    RejectReason.SEVERAL_PROBLEMS: "В одном сообщении несколько проблем — подайте их отдельно",
    RejectReason.NO_DETAILS: "Недостаточно сведений: не указан адрес или суть проблемы",
    RejectReason.NOT_IN_COMPETENCE: "Вопрос не относится к компетенции органов власти региона",
    RejectReason.COURT_OR_INVESTIGATION: "Вопрос рассматривается в суде или следственными органами",
    RejectReason.SPAM: "Реклама или спам",
}


class NotificationKind(StrEnum):
    REGISTERED = "registered"
    STATUS_CHANGED = "status_changed"
    REJECTED = "rejected"
    POSTPONED = "postponed"
    DEADLINE_CHANGED = "deadline_changed"
    ANSWERED = "answered"
    RE_REVIEW = "re_review"
    CLOSED = "closed"
    # Not about a message: another messenger's account joined the citizen by a code shown here.
    ACCOUNTS_LINKED = "accounts_linked"
