"""A scripted citizen talking to the conversation engine directly, with no messenger."""

from __future__ import annotations

from itertools import count

from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event, PhotoInput
from core.conversations.replies import Button, Reply
from core.domain.enums import Channel
from core.services.platform import Platform

_ids = count(1000)

# The smallest valid images: content sniffing is what the platform checks.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Talker:
    """Sends events as one citizen and keeps every reply, like a chat window."""

    def __init__(self, p: Platform, *, channel: Channel = Channel.TELEGRAM,
                 name: str | None = "Иван", external_id: str | None = None) -> None:
        self.engine = Conversations(p, channel=channel)
        self.user = ChannelUser(channel, external_id or str(next(_ids)), name)
        self.history: list[Reply] = []
        self.last: list[Reply] = []
        self._updates = count(1)

    async def event(self, event: Event, *, update_id: str | None = None) -> list[Reply]:
        replies = await self.engine.handle(self.user, event,
                                           update_id=update_id or self.next_update())
        self.last = list(replies or [])
        self.history += self.last
        return self.last

    def next_update(self) -> str:
        return f"{self.user.external_id}-{next(self._updates)}"

    async def say(self, text: str) -> list[Reply]:
        return await self.event(Event.message(text))

    async def photo(self, data: bytes = JPEG, *, size: int | None = None, caption: str = ""
                    ) -> list[Reply]:
        async def fetch() -> bytes:
            return data

        return await self.event(Event.photo_event(
            PhotoInput(fetch, len(data) if size is None else size, caption)))

    async def location(self, lat: float, lon: float) -> list[Reply]:
        return await self.event(Event.location(lat, lon))

    async def contact(self, phone: str, *, own: bool = True) -> list[Reply]:
        return await self.event(Event.contact(phone, own=own))

    def buttons(self, replies: list[Reply] | None = None) -> list[Button]:
        return [b for r in (self.last if replies is None else replies) for b in r.buttons]

    def find(self, label: str, replies: list[Reply] | None = None) -> Button:
        """The last button whose label contains ``label``, searching back through replies."""
        pool = self.last if replies is None else replies
        for reply in reversed(pool if pool else self.history):
            for button in reply.buttons:
                if label in button.label:
                    return button
        for reply in reversed(self.history):
            for button in reply.buttons:
                if label in button.label:
                    return button
        raise AssertionError(f"no button {label!r}; have {[b.label for b in self.buttons()]}")

    async def press(self, label: str) -> list[Reply]:
        return await self.event(Event.button(self.find(label).payload))

    async def press_payload(self, payload: str) -> list[Reply]:
        return await self.event(Event.button(payload))

    @property
    def text(self) -> str:
        """All texts of the last turn, joined."""
        return "\n".join(r.text for r in self.last)

    async def onboard(self, *, phone: str | None = None) -> None:
        await self.say("/start")
        await self.press("Согласен")
        await self.press("Пропустить")
        if phone:
            await self.contact(phone)
        else:
            await self.say("Пропустить")
