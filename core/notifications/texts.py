"""What the citizen reads for each notification, the same in every channel."""

from __future__ import annotations

from typing import Any

from core.domain.enums import NotificationKind

# What a status means to the citizen: staff titles («Подготовлен ответ», «Отправлено в СЭД»)
# describe internal work the citizen should see simply as being worked on.
CITIZEN_STATUS = {
    "moderation": "на проверке у модератора",
    "rejected": "отклонено",
    "new": "принято к рассмотрению",
    "redirect_requested": "передаётся в другую организацию",
    "returned": "рассматривается",
    "re_review": "на повторном рассмотрении",
    "in_work": "в работе у исполнителя",
    "postponed": "срок ответа продлён",
    "sent_to_sed": "в работе",
    "sed_answer_received": "готовится ответ",
    "answer_prepared": "готовится ответ",
    "answered": "дан ответ",
    "closed": "работа завершена",
}


# «Ваш аккаунт … привязан»: the messenger whose account joined the citizen.
ACCOUNT_OF = {"telegram": "Telegram", "vk": "ВКонтакте", "web": "на сайте"}


def citizen_status(status: str) -> str:
    return CITIZEN_STATUS.get(status, status)


def _sentence(text: object) -> str:
    value = str(text or "").strip()
    return value if value.endswith((".", "!", "?")) else value + "."


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
            title = CITIZEN_STATUS.get(str(payload.get("status")), payload.get("status_title"))
            text = f"Сообщение № {number}: {title}."
            if org:
                text += f" Ответственная организация: {org}."
            return text
        case NotificationKind.REJECTED:
            text = (f"Сообщение № {number} отклонено модератором. "
                    f"Причина: {_sentence(payload.get('reason'))}")
            if payload.get("comment"):
                text += f" Комментарий: {payload['comment']}"
            return text
        case NotificationKind.POSTPONED:
            return (f"Срок ответа на сообщение № {number} продлён до {due}. "
                    f"Причина: {_sentence(payload.get('reason'))}")
        case NotificationKind.DEADLINE_CHANGED:
            return (f"Сообщение № {number} уточнено модератором: {payload.get('subcategory')}. "
                    f"Срок ответа — до {due}.")
        case NotificationKind.ANSWERED:
            return (f"Ответ на сообщение № {number}. Отвечает: {org}.\n\n{payload.get('answer')}"
                    "\n\nОцените, пожалуйста, ответ от 1 до 5.")
        case NotificationKind.RE_REVIEW:
            return (f"Сообщение № {number} направлено на повторное рассмотрение. "
                    f"Новый срок ответа — до {due}.")
        case NotificationKind.CLOSED:
            return f"Работа по сообщению № {number} завершена. Спасибо, что помогаете нам!"
        case NotificationKind.ACCOUNTS_LINKED:
            channel = str(payload.get("channel"))
            return (f"Ваш аккаунт {ACCOUNT_OF.get(channel, channel)} привязан к этому "
                    "аккаунту: теперь ваши сообщения видны в обоих мессенджерах. Если это были "
                    "не вы — напишите /unlink.")
    raise ValueError(f"unknown notification kind {kind!r}")  # pragma: no cover
