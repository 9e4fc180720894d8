"""Notifications from the outbox as dialog replies: the same text in every channel, with the
buttons that let the citizen act on it (rate an answer, open the message)."""

from __future__ import annotations

from typing import Any

from core.conversations import payloads
from core.conversations import texts as tx
from core.conversations.replies import Button, Reply
from core.domain.enums import NotificationKind
from core.notifications.texts import render


def notice_reply(kind: str, payload: dict[str, Any]) -> Reply:
    text = render(kind, payload)
    number = payload.get("number")
    if number is None:
        return Reply(text)
    buttons: list[Button] = []
    media: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    if kind == NotificationKind.ANSWERED:
        buttons = [Button(str(score), payloads.encode(payloads.GLOBAL, "rate", number, score), 0)
                   for score in range(1, 6)]
        # The answer's attachments go first, so the rating buttons end the conversation.
        files = [str(key) for key in payload.get("attachments") or ()]
        documents = tuple(key for key in files if key.endswith(".pdf"))
        media = tuple(key for key in files if not key.endswith(".pdf"))
    buttons.append(Button(tx.OPEN_MESSAGE, payloads.encode(payloads.GLOBAL, "msg", number), 1))
    return Reply(text, tuple(buttons), media=media, documents=documents)
