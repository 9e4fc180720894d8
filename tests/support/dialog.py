"""A scripted citizen talking to the conversation engine directly, with no messenger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

from sqlalchemy import select

from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event, PhotoInput
from core.conversations.limits import LIMITS, violations
from core.conversations.replies import Button, Reply
from core.db import tables as t
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
        limits = LIMITS[self.user.channel]
        for reply in self.last:  # every reply must fit the channel's keyboards
            problems = violations(reply, limits)
            assert not problems, f"{reply.text[:60]!r}: {problems}"
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

    async def photo_from(self, fetch: Callable[[], Awaitable[bytes]], *, size: int | None,
                         caption: str = "") -> list[Reply]:
        """A photo whose download the test controls (a fetch that fails, waits or must not
        be called)."""
        return await self.event(Event.photo_event(PhotoInput(fetch, size, caption)))

    async def other(self, what: str = "sticker") -> list[Reply]:
        return await self.event(Event.other(what))


# -- what the dialogs left in the database --------------------------------------------------
NSK_ADDRESS = "Новосибирск, ул. Ленина, 15"
PROBLEM = "Огромная яма на проезжей части у дома, машины объезжают её по встречной полосе"


def labels(replies: list[Reply]) -> list[str]:
    return [b.label for r in replies for b in r.buttons]


PARAGRAPH = "\n\n"  # how the engine joins a plain text with the reply after it


def said(replies: list[Reply]) -> str:
    """Everything a turn said, in order, as the citizen reads it — whether the engine sent it
    as one message or several (a plain text is merged into the reply after it)."""
    return PARAGRAPH.join(r.text for r in replies)


def chat(*texts: str) -> str:
    """The texts a turn should say, in this order, to compare with ``said``."""
    return PARAGRAPH.join(texts)


async def conversation(p: Platform, talker: Talker) -> t.Conversation | None:
    async with p.db.sessions() as session:
        return (await session.scalars(select(t.Conversation).where(
            t.Conversation.channel == talker.user.channel.value,
            t.Conversation.external_id == talker.user.external_id))).one_or_none()


async def citizen(p: Platform, talker: Talker) -> t.Citizen | None:
    """The citizen behind a talker's identity, or None while nobody is stored."""
    async with p.db.sessions() as session:
        return (await session.scalars(
            select(t.Citizen).join(t.CitizenIdentity,
                                   t.CitizenIdentity.citizen_id == t.Citizen.id)
            .where(t.CitizenIdentity.channel == talker.user.channel.value,
                   t.CitizenIdentity.external_id == talker.user.external_id))).one_or_none()


async def rows(p: Platform, model: type[Any], *where: Any) -> list[Any]:
    """All rows of a table (optionally filtered), oldest first."""
    async with p.db.sessions() as session:
        return list((await session.scalars(
            select(model).where(*where).order_by(model.id))).all())


async def message_photos(p: Platform, message_id: int) -> list[t.MessagePhoto]:
    async with p.db.sessions() as session:
        return list((await session.scalars(
            select(t.MessagePhoto).where(t.MessagePhoto.message_id == message_id)
            .order_by(t.MessagePhoto.position))).all())


async def to_text_step(talker: Talker) -> None:
    """From the main menu to the text prompt of «Ямы и выбоины на дороге» (found by search)."""
    await talker.press("Сообщить о проблеме")
    await talker.say("яма")
    await talker.press("Ямы и выбоины на дороге")


async def to_summary(talker: Talker, *, text: str = PROBLEM, photos: int = 0,
                     address: str = NSK_ADDRESS) -> None:
    """From the main menu to the summary: potholes, the text, some photos, a typed address."""
    await to_text_step(talker)
    await talker.say(text)
    for n in range(photos):
        await talker.photo(JPEG + bytes([n]))  # different photos: the same one twice is refused
    await talker.press("Готово" if photos else "Без фото")
    await talker.say(address)


async def walk_to_answered(p: Platform, message_id: int,
                           answer: str = "Яма заделана 3 июня, фото работ во вложении.",
                           attachments: tuple[str, ...] = ()) -> None:
    """Staff of Novosibirsk city hall take a Novosibirsk message to ANSWERED: the moderator
    approves, the coordinator sends it to execution, the executor answers, the manager
    approves the answer."""
    from core.domain import commands as c
    from core.services.actions import perform
    from tests.support.factories import org_id, staff

    nsk = await org_id(p, "NSK-ADM")
    steps: list[tuple[str, Any]] = [
        ("moderator", c.ApproveModeration()),
        ("coordinator", c.SendToExecution(executor_organisation_id=nsk)),
        ("executor", c.Answer(text=answer, attachments=attachments)),
        ("manager", c.ApproveAnswer()),
    ]
    for login, command in steps:
        await perform(p, message_id=message_id, actor=await staff(p, login), command=command)
