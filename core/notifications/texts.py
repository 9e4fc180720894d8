"""What the citizen reads for each notification, the same in every channel."""

from __future__ import annotations

from typing import Any

from core.domain.enums import NotificationKind


def render(kind: str, payload: dict[str, Any]) -> str:
    number = payload.get("number")
    org = payload.get("organisation")
    due = payload.get("answer_due_date")
    match NotificationKind(kind):
        case NotificationKind.REGISTERED:
            text = f"Ваше сообщение № {number} зарегистрировано."
            if org:
                text += f" Его рассмотрит: {org}."
            text += f" Ответ — до {due}."
            if payload.get("fast_track"):
                text += " Сообщение рассматривается в ускоренном порядке."
            return text
        case NotificationKind.STATUS_CHANGED:
            text = f"Сообщение № {number}: статус «{payload.get('status_title')}»."
            if org:
                text += f" Ответственная организация: {org}."
            return text
        case NotificationKind.REJECTED:
            text = f"Сообщение № {number} отклонено модератором. Причина: {payload.get('reason')}."
            if payload.get("comment"):
                text += f" Комментарий: {payload['comment']}"
            return text
        case NotificationKind.POSTPONED:
            return (f"Срок ответа на сообщение № {number} продлён до {due}. "
                    f"Причина: {payload.get('reason')}.")
        case NotificationKind.ANSWERED:
            return (f"Получен ответ на сообщение № {number} от {org}:\n\n{payload.get('answer')}"
                    "\n\nОцените, пожалуйста, ответ от 1 до 5.")
        case NotificationKind.RE_REVIEW:
            return (f"Сообщение № {number} направлено на повторное рассмотрение. "
                    f"Новый срок ответа — до {due}.")
        case NotificationKind.CLOSED:
            return f"Работа по сообщению № {number} завершена. Спасибо, что помогаете нам!"
    raise ValueError(f"unknown notification kind {kind!r}")  # pragma: no cover
