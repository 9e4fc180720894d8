"""Community events in: translate, let the engine answer, render the replies. No flow logic.

Long polling and the Callback API both hand events to :class:`VkBot`. Handling has two
halves: ``decide`` runs the engine (the dialog is saved with the event id, so an event seen
again changes nothing), ``deliver`` sends what it said.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from vkbottle import VKAPIError

from bots.vk.api import VkApi, VkUnavailable
from bots.vk.calls import CallBatcher
from bots.vk.events import message_events
from bots.vk.keyboards import Client, engine_payload
from bots.vk.render import Renderer
from core.conversations import texts as tx
from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event, FileTooLarge
from core.conversations.guards import KeyedLocks, RecentUpdates, Throttle
from core.conversations.replies import Reply
from core.domain.enums import Channel
from core.services.citizens import set_reachable
from core.services.platform import Platform

log = logging.getLogger(__name__)
CHAT_PEER_START = 2_000_000_000  # peer ids of group chats start here; the bot answers people
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=20)
# A reply that could not be sent is tried again this many times, after these pauses; VK
# drops a repeat with the same random_id, so a send that did arrive is not doubled.
DELIVERY_PAUSES = (0.5, 2.0, 5.0)
TRANSIENT_CODES = frozenset({1, 6, 9, 10})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling an event decided: the replies, to whom, and how to draw them."""

    peer_id: int
    replies: list[Reply]
    client: Client
    seed: str
    pressed: int | None = None


Deliver = Callable[[Outcome], Awaitable[None]]


def file_host_allowed(url: str, hosts: Sequence[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


class Names:
    """People's names (``users.get``), remembered: VK's events carry only the id."""

    def __init__(self, calls: CallBatcher, size: int = 100_000) -> None:
        self.calls = calls
        self._names: OrderedDict[int, str | None] = OrderedDict()
        self._size = size

    async def get(self, user_id: int) -> str | None:
        if user_id in self._names:
            self._names.move_to_end(user_id)
            return self._names[user_id]
        try:
            users = await self.calls.call("users.get", {"user_ids": user_id})
        except Exception:  # the name is a nicety: the dialog goes on without it
            log.info("users.get %s failed", user_id, exc_info=True)
            return None
        first = users[0] if users else {}
        name = " ".join(x for x in (first.get("first_name"), first.get("last_name")) if x)
        self._names[user_id] = name or None
        if len(self._names) > self._size:
            self._names.popitem(last=False)
        return name or None


class VkBot:
    def __init__(self, p: Platform, api: VkApi, *, session: aiohttp.ClientSession) -> None:
        self.p = p
        self.api = api
        self.calls = CallBatcher(api)
        self.renderer = Renderer(self.calls, p.files)
        self.engine = Conversations(p, channel=Channel.VK)
        self.names = Names(self.calls)
        self.recent = RecentUpdates()
        self.throttle = Throttle(burst=p.settings.bot_flood_burst,
                                 rate=p.settings.bot_flood_rate)
        self.session = session
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks = KeyedLocks()

    async def handle(self, update: dict[str, Any]) -> None:
        """Decide and deliver (long polling)."""
        outcome = await self.decide(update)
        if outcome is not None:
            await self.deliver(outcome)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run in the background; ``close`` waits for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def decide(self, update: dict[str, Any]) -> Outcome | None:
        """One person's events are decided one at a time, in the order they came: a first
        message waits for the person's name, and the next must not overtake it."""
        obj = update.get("object") or {}
        person = obj.get("user_id") or (obj.get("message") or {}).get("from_id")
        async with self._locks(str(person)):
            return await self._decide(update)

    async def _decide(self, update: dict[str, Any]) -> Outcome | None:
        kind = update.get("type")
        obj = update.get("object") or {}
        event_id = str(update.get("event_id") or "")
        if event_id and not self.recent.claim(event_id):
            return None
        try:
            match kind:
                case "message_new":
                    return await self._message(obj, event_id)
                case "message_event":
                    return await self._button(obj, event_id)
                case "message_allow" | "message_deny":
                    await set_reachable(self.p, channel=Channel.VK,
                                        external_id=str(obj.get("user_id")),
                                        reachable=kind == "message_allow")
            return None
        except BaseException:
            if event_id:
                self.recent.release(event_id)
            raise

    async def deliver(self, outcome: Outcome) -> None:
        """Send the replies; a transient failure (VK busy, a proxy error, the network) is
        tried again, and the same random_ids make a repeat of what did arrive a no-op."""
        for pause in (*DELIVERY_PAUSES, None):
            try:
                await self.renderer.send(outcome.peer_id, outcome.replies,
                                         client=outcome.client, seed=outcome.seed,
                                         pressed=outcome.pressed)
                return
            except (VKAPIError, VkUnavailable, aiohttp.ClientError, TimeoutError) as error:
                code = getattr(error, "code", None)
                if pause is None or (isinstance(error, VKAPIError)
                                     and code not in TRANSIENT_CODES):
                    raise
                log.info("replies to %s not sent (%s); again in %s s", outcome.peer_id,
                         error, pause)
                await asyncio.sleep(pause)

    async def _user(self, user_id: int) -> ChannelUser:
        return ChannelUser(Channel.VK, str(user_id), await self.names.get(user_id))

    async def _message(self, obj: dict[str, Any], event_id: str) -> Outcome | None:
        message = obj.get("message") or {}
        peer_id, from_id = int(message.get("peer_id", 0)), int(message.get("from_id", 0))
        if from_id <= 0 or peer_id != from_id or peer_id >= CHAT_PEER_START:
            return None  # group chats and other communities: not a citizen's dialog
        client = Client.from_info(obj.get("client_info"))
        if not self.throttle.allow(from_id):
            return None
        user = await self._user(from_id)
        replies: list[Reply] = []
        for i, event in enumerate(message_events(message, self._download)):
            said = await self.engine.handle(user, event,
                                            update_id=event_id if i == 0 else f"{event_id}:{i}")
            replies += said or []
        if not replies:
            return None
        return Outcome(peer_id, replies, client, seed=event_id or f"m{message.get('id')}")

    async def _button(self, obj: dict[str, Any], event_id: str) -> Outcome | None:
        user_id, peer_id = int(obj.get("user_id", 0)), int(obj.get("peer_id", 0))
        press_id = str(obj.get("event_id", ""))
        if user_id <= 0 or peer_id != user_id:
            return None
        if not self.throttle.allow(user_id):
            await self._answer_press(press_id, user_id, peer_id, snackbar=tx.FLOOD)
            return None
        # Stop the client's spinner while the engine works; the answer need not arrive before
        # the reply (both usually leave in one execute).
        self.spawn(self._answer_press(press_id, user_id, peer_id))
        payload = engine_payload(obj.get("payload"))
        replies = await self.engine.handle(await self._user(user_id),
                                           Event.button(payload or ""), update_id=event_id)
        if not replies:
            return None
        cmid = obj.get("conversation_message_id")
        return Outcome(peer_id, replies, Client(inline=True), seed=event_id or press_id,
                       pressed=int(cmid) if cmid else None)

    async def _answer_press(self, press_id: str, user_id: int, peer_id: int, *,
                            snackbar: str | None = None) -> None:
        params: dict[str, Any] = {"event_id": press_id, "user_id": user_id, "peer_id": peer_id}
        if snackbar:
            params["event_data"] = json.dumps({"type": "show_snackbar", "text": snackbar},
                                              ensure_ascii=False)
        try:
            await self.calls.call("messages.sendMessageEventAnswer", params)
        except Exception as error:  # too old to answer: the reply still goes out
            log.info("button press %s not answered: %s", press_id, error)

    async def _download(self, url: str, declared: int | None) -> bytes:
        """A file VK hosts, read no further than the size a photo may have. Only VK's own
        file hosts: the URL comes from an event, and the bot must not fetch anything else."""
        if not file_host_allowed(url, self.p.settings.vk_file_hosts):
            raise ValueError(f"not a VK file host: {url[:100]}")
        limit = self.p.settings.max_photo_bytes
        async with self.session.get(url, timeout=DOWNLOAD_TIMEOUT) as response:
            response.raise_for_status()
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise FileTooLarge(url)
            return bytes(data)

    async def tell_busy(self, update: dict[str, Any]) -> None:
        """After a failure: say so, so the citizen is not left waiting."""
        obj = update.get("object") or {}
        peer = (obj.get("message") or {}).get("peer_id") or obj.get("peer_id")
        if not peer or int(peer) >= CHAT_PEER_START:
            return
        try:
            await self.calls.call("messages.send", {
                "peer_id": int(peer), "random_id": 0, "message": tx.BUSY})
        except Exception:  # the API is down too: nothing more to say
            log.debug("could not tell %s", peer, exc_info=True)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.calls.close()
