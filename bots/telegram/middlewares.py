"""Middlewares: drop redelivered updates, limit floods, and bind each update to its dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import TelegramObject, Update, User

from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event
from core.conversations.guards import RecentUpdates, Throttle
from core.conversations.replies import Reply
from core.domain.enums import Channel

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Dialog:
    """The citizen's dialog, bound to the update being handled."""

    engine: Conversations
    user: ChannelUser
    update_id: str

    async def handle(self, event: Event) -> list[Reply] | None:
        return await self.engine.handle(self.user, event, update_id=self.update_id)


class CitizenUpdates(BaseMiddleware):
    """One outer middleware for every update: skip a redelivery, limit a flood, and hand the
    handlers the citizen's dialog (the unit of work: the engine loads the state, and saves it
    together with the update id, in one statement).

    One layer instead of three: aiogram wraps every middleware layer anew for every update,
    and under bench.telegram that wrapping was a visible share of the bot's CPU."""

    def __init__(self, engine: Conversations, *, recent: RecentUpdates, throttle: Throttle
                 ) -> None:
        self.engine = engine
        self.recent = recent
        self.throttle = throttle

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]
                       ) -> Any:
        assert isinstance(event, Update)
        if not self.recent.claim(event.update_id):
            return None
        try:
            if _from_citizen(event):
                user: User | None = data.get("event_from_user")
                if user is None or user.is_bot:
                    return None
                if not self.throttle.allow(user.id):
                    if event.callback_query is not None:
                        await event.callback_query.answer(
                            "Слишком часто — подождите пару секунд", show_alert=False)
                    return None
                name = " ".join(x for x in (user.first_name, user.last_name) if x) or None
                data["dialog"] = Dialog(
                    self.engine, ChannelUser(Channel.TELEGRAM, str(user.id), name),
                    str(event.update_id))
            return await handler(event, data)
        except BaseException:
            self.recent.release(event.update_id)
            raise


def _from_citizen(update: Update) -> bool:
    """A private message or a button press: what the citizen dialogs answer. Anything else
    (channel posts, group chatter) passes untouched to whatever handles it."""
    if update.callback_query is not None:
        return True
    return update.message is not None and update.message.chat.type == ChatType.PRIVATE
