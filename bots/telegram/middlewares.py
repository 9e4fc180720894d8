"""Middlewares: drop redelivered updates, limit floods, and bind each update to its dialog."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, Update, User

from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event
from core.conversations.replies import Reply
from core.domain.enums import Channel

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DuplicateUpdates(BaseMiddleware):
    """Skip an update id this process has just handled, before any database work. The dialog
    store is the authority across processes and restarts; this only saves the round trips."""

    def __init__(self, size: int = 50_000) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._size = size

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]
                       ) -> Any:
        assert isinstance(event, Update)
        if event.update_id in self._seen:
            return None
        self._seen[event.update_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        try:
            return await handler(event, data)
        except BaseException:
            self._seen.pop(event.update_id, None)  # failed: a redelivery must be handled
            raise


class Throttle(BaseMiddleware):
    """A token bucket per citizen: a burst (an album of photos) passes, a flood does not."""

    def __init__(self, *, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self._buckets: dict[int, tuple[float, float]] = {}

    def allow(self, user_id: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # forget citizens who have gone quiet
            cutoff = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}
        return True

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]
                       ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not self.allow(user.id):
            if isinstance(event, CallbackQuery):
                await event.answer("Слишком часто — подождите пару секунд", show_alert=False)
            return None
        return await handler(event, data)


@dataclass(frozen=True, slots=True)
class Dialog:
    """The citizen's dialog, bound to the update being handled."""

    engine: Conversations
    user: ChannelUser
    update_id: str

    async def handle(self, event: Event) -> list[Reply] | None:
        return await self.engine.handle(self.user, event, update_id=self.update_id)


class DialogMiddleware(BaseMiddleware):
    """Loads who wrote and hands the handler their dialog (the unit of work: the engine loads
    the state, and saves it together with the update id, in one transaction)."""

    def __init__(self, engine: Conversations) -> None:
        self.engine = engine

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]
                       ) -> Any:
        user: User | None = data.get("event_from_user")
        update: Update | None = data.get("event_update")
        if user is None or user.is_bot or update is None:
            return None
        name = " ".join(x for x in (user.first_name, user.last_name) if x) or None
        data["dialog"] = Dialog(self.engine, ChannelUser(Channel.TELEGRAM, str(user.id), name),
                                str(update.update_id))
        return await handler(event, data)
