"""One turn of a dialog: the event, the state being changed, and the replies being built."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.conversations import payloads, texts
from core.conversations.events import ChannelUser, Event, EventKind
from core.conversations.limits import TELEGRAM, Limits
from core.conversations.replies import Button, Reply, Request
from core.conversations.store import DialogState
from core.domain.enums import Source
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.records import CitizenRef

KEYBOARD = "_keyboard"  # the step that showed a request keyboard still on screen


def _merged(replies: list[Reply]) -> list[Reply]:
    """A plain text followed by another reply reads better as one message (and costs the
    messenger one call, not two): «Адрес принят» + the summary, a warning + the next prompt."""
    out: list[Reply] = []
    for reply in replies:
        last = out[-1] if out else None
        if (last is not None and not last.buttons and last.request is None and not last.media
                and not last.close_keyboard and not last.replace and not reply.media
                and not reply.replace
                and len(last.text) + len(reply.text) < MERGE_LIMIT):
            out[-1] = dataclasses.replace(reply, text=f"{last.text}\n\n{reply.text}")
        else:
            out.append(reply)
    return out


MERGE_LIMIT = 3500  # well under the smallest message limit of the channels (VK, Telegram 4096)


class Step(abc.ABC):
    """A step of a flow. ``enter`` shows the prompt; the ``on_*`` methods handle input.

    The defaults answer anything unexpected with ``expects`` and keep what was collected."""

    flow: ClassVar[str]
    name: ClassVar[str]
    expects: ClassVar[str] = ""

    @abc.abstractmethod
    async def enter(self, turn: Turn) -> None:
        """Show the step's prompt."""

    async def on_text(self, turn: Turn, text: str) -> None:
        await self.unexpected(turn)

    async def on_button(self, turn: Turn, action: str, args: tuple[str, ...]) -> None:
        await self.unexpected(turn)

    async def on_photo(self, turn: Turn, event: Event) -> None:
        await self.unexpected(turn)

    async def on_location(self, turn: Turn, latitude: float, longitude: float) -> None:
        await self.unexpected(turn)

    async def on_contact(self, turn: Turn, event: Event) -> None:
        await self.unexpected(turn)

    async def unexpected(self, turn: Turn) -> None:
        if self.expects:
            turn.say(self.expects)
        await self.enter(turn)


@dataclass
class Turn:
    p: Platform
    d: Directory
    user: ChannelUser
    source: Source
    state: DialogState
    event: Event
    steps: Mapping[tuple[str, str], Step]
    replies: list[Reply] = field(default_factory=list)
    # 0 the first time this update is handled; more when another update of the same dialog
    # saved first and the update is handled again on the fresh state.
    attempt: int = 0
    # What the channel's keyboards hold: lists are paged to fit.
    limits: Limits = TELEGRAM

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def citizen(self) -> CitizenRef:
        return CitizenRef(self.user.channel, self.user.external_id)

    @property
    def region_name(self) -> str:
        names = [self.d.territories[r].name for r in self.d.regions]
        return ", ".join(sorted(names)) or "—"

    # -- replies ---------------------------------------------------------------------------
    def say(self, text: str, *, buttons: Sequence[Button] = (), request: Request | None = None,
            request_label: str = "", keyboard_texts: Sequence[str] = (),
            media: Sequence[str] = (), replace: bool = False) -> None:
        # Only a reply to a button press can replace the message that held the button.
        replace = replace and self.event.kind is EventKind.BUTTON
        self.replies.append(Reply(text, tuple(buttons), request, request_label,
                                  tuple(keyboard_texts), False, tuple(media), replace))

    def button(self, label: str, action: str, *args: object, row: int = 0) -> Button:
        """A button valid only while the dialog stays on the step that drew it."""
        return Button(label, payloads.encode(self.state.generation, action, *args), row)

    @staticmethod
    def global_button(label: str, action: str, *args: object, row: int = 0) -> Button:
        """A button valid at any time (menu, a message card, rating)."""
        return Button(label, payloads.encode(payloads.GLOBAL, action, *args), row)

    # -- moving ----------------------------------------------------------------------------
    @property
    def current(self) -> Step:
        return self.steps[(self.state.flow, self.state.step)]

    async def goto(self, flow: str, step: str, *, data: dict[str, Any] | None = None) -> None:
        """Move to a step and show its prompt; ``data`` replaces what the flow collected."""
        if data is not None:
            self._replace_data(data)
        self.state.flow, self.state.step = flow, step
        self.state.generation += 1
        await self.current.enter(self)

    def settle(self, flow: str, step: str, *, data: dict[str, Any] | None = None) -> None:
        """Move to a step without showing its prompt (the reply already says what is next)."""
        self.state.flow, self.state.step = flow, step
        self._replace_data(data or {})
        self.state.generation += 1

    def _replace_data(self, data: dict[str, Any]) -> None:
        keyboard = self.data.get(KEYBOARD)
        self.state.data = dict(data)
        if keyboard:
            self.state.data[KEYBOARD] = keyboard

    def finish(self) -> list[Reply]:
        """The replies of this turn, closing a request keyboard (location, contact) once the
        dialog has left the step that showed it. Errors on that step keep it open."""
        here = f"{self.state.flow}/{self.state.step}"
        if any(r.request is not None for r in self.replies):
            self.data[KEYBOARD] = here
        elif self.data.get(KEYBOARD) not in (None, here):
            del self.data[KEYBOARD]
            for i, reply in enumerate(self.replies):
                if not reply.buttons:
                    self.replies[i] = dataclasses.replace(reply, close_keyboard=True)
                    break
            else:  # a messenger message carries one keyboard: close the old one on its own
                self.replies.insert(0, Reply(texts.KEYBOARD_CLOSED, close_keyboard=True))
        self.replies = _merged(self.replies)
        return self.replies

    async def reprompt(self) -> None:
        """Show the current step's prompt again; the menu if this version has no such step."""
        if (self.state.flow, self.state.step) not in self.steps:
            await self.goto("menu", "main", data={})
            return
        await self.current.enter(self)
