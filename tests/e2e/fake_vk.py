"""A local fake of the VK API (v5.199) for end-to-end tests of the vkbottle community bot.

The bot under test runs as a separate process with ``POS_VK_API_URL=<fake.api_url>``;
vkbottle's ``API.request`` then calls ``POST {api_url}/{method}?access_token=...&v=5.199``
with a form-urlencoded body, long-polls the server ``groups.getLongPollServer`` names and
uploads files to the URLs the ``*.get*UploadServer`` methods hand out. :class:`FakeVk`
serves all of it inside the test's own event loop (``aiohttp.web`` on 127.0.0.1, port 0)::

    async with FakeVk(token=TOKEN) as vk:
        start_bot_process(env={"POS_VK_API_URL": vk.api_url, ...})
        ivan = vk.user(1001)
        ivan.send_text("Начать")
        await vk.wait_for_text(ivan.id, "Здравствуйте")
        ivan.press("Сообщить о проблеме")
        await vk.wait_for_text(ivan.id, "Опишите")

What the fake does:

* answers the methods the bot uses (``groups.getById``, ``groups.getLongPollServer``,
  ``users.get``, ``execute``, ``messages.send``/``edit``/``sendMessageEventAnswer``, the
  message photo and document upload flow) with real-shaped JSON, always HTTP 200:
  ``{"response": ...}`` or ``{"error": {"error_code", "error_msg", "request_params"}}``;
  unknown methods get error 3 (and are listed in ``unknown_calls``), a wrong token error 5;
* validates like VK where the bot can get it wrong: keyboards (911), text length (914),
  empty messages and unknown attachments (100), ``random_id`` idempotency, users who denied
  messages (901/902), callback-button answers (once, within 60 s), the rate limit (6);
* runs ``execute`` for the one VKScript shape the bot produces,
  ``return [API.messages.send({...}),...];``, through the same method implementations;
* records every call (:class:`Call`), including the ones inside ``execute``, so a test can
  wait for and inspect what the bot sent; keeps each peer's conversation
  (:class:`SentMessage`) with keyboards, edits and the bytes of attached photos/documents;
* queues community events produced by scripted citizens (:meth:`FakeVk.user`) for the Bots
  Long Poll API, or POSTs them to a Callback API endpoint (:meth:`FakeVk.post_callback`);
* serves the files citizens "send" under ``/files/`` and counts downloads;
* injects faults: an API error for the next calls of a method (also inside ``execute``) and
  a bare non-JSON HTTP failure, as from a proxy.

Deliberate simplifications: events are never dropped on delivery (the long poll hands out
everything from the requested ``ts``; only the ``retention`` newest are kept), so a bot that
restarts from an older ``ts`` gets them again, as on VK; ``execute`` understands only the
shape above (anything else is error 12); ``messages.edit`` without ``keyboard`` removes the
inline keyboard and only an inline keyboard can be set by an edit; only ``text``,
``callback``, ``location`` and ``open_link`` buttons are accepted; a user may be written to
without having written first unless ``require_permission=True``; the rate limit counts
requests by their arrival here, and those refused with error 6 do not count; ``docs.save``
always answers a ``doc`` (no ``audio_message``/``graffiti`` shapes); no ``message_reply``
events for the bot's own messages. One VK behaviour kept on purpose: ``messages.send`` with
``peer_ids`` reports 901/902 per peer as ``{"peer_id", "error"}`` items without
``message_id``, which vkbottle_types' model rejects (so vkbottle's ``message.answer()`` gets
a pydantic ``ValidationError`` there, as against VK).

Everything runs on one event loop; nothing here is thread-safe and nothing needs to be.
"""
from __future__ import annotations

import secrets

from tests.e2e.fake_server import clone
from tests.e2e.fake_vk_citizen import Citizen
from tests.e2e.fake_vk_methods import parse_vkscript, validate_keyboard
from tests.e2e.fake_vk_records import (
    API_VERSION,
    Call,
    JsonDict,
    PressedEvent,
    SentMessage,
    StoredDoc,
    StoredPhoto,
    VkError,
    _Fault,
)
from tests.e2e.fake_vk_server import VkServer

__all__ = ["Call", "Citizen", "FakeVk", "SentMessage", "StoredDoc", "StoredPhoto",
           "parse_vkscript", "validate_keyboard"]

_SEND_METHODS = ("messages.send", "messages.edit")


class FakeVk(VkServer):
    """A fake VK API server for one community (see the module docstring); its state and
    HTTP endpoints are in :class:`VkServer`, what tests call is here."""

    # ---- inspecting what the bot did

    async def wait_for_text(self, user_id: int, contains: str,
                            timeout: float = 10.0, *,  # noqa: ASYNC109
                            since: int | None = None) -> Call:
        """Wait for a messages.send or messages.edit to ``user_id`` whose text contains
        ``contains`` (same cursor rules as :meth:`wait_for`)."""
        def matches(call: Call) -> bool:
            return (call.method in _SEND_METHODS and call.delivered_to(user_id)
                    and contains in (call.text or ""))

        try:
            return await self.wait_for(matches, timeout, since=since)
        except AssertionError as error:
            raise AssertionError(f"no text containing {contains!r} to {user_id}; texts: "
                                 f"{self.texts_to(user_id)!r}\n{error}") from None

    def sent_to(self, user_id: int) -> list[Call]:
        """Successful sends and edits that reached the peer, in order."""
        return [call for call in self.calls
                if call.method in _SEND_METHODS and call.delivered_to(user_id)]

    def texts_to(self, user_id: int) -> list[str]:
        """Texts of :meth:`sent_to` (sends and edits), in order."""
        return [call.text for call in self.sent_to(user_id) if call.text is not None]

    def messages_to(self, user_id: int) -> list[SentMessage]:
        """The bot's messages in the dialog as they are now (edits applied), in order."""
        return list(self._messages.get(user_id, []))

    def photos_to(self, user_id: int) -> list[bytes]:
        """Bytes of every photo attached to the bot's messages to the peer, in order."""
        return [data for message in self.messages_to(user_id) for data in message.photos]

    def docs_to(self, user_id: int) -> list[StoredDoc]:
        """Every document attached to the bot's messages to the peer (``.title``,
        ``.data``), in order."""
        return [doc for message in self.messages_to(user_id) for doc in message.docs]

    def inline_keyboard_message(self, user_id: int) -> SentMessage | None:
        """The bot's latest message to the peer that has an inline keyboard now."""
        return next((message for message in reversed(self._messages.get(user_id, []))
                     if message.inline), None)

    def standard_keyboard_message(self, user_id: int) -> tuple[JsonDict, SentMessage] | None:
        """The standard keyboard shown in the dialog and the message that set it."""
        keyboard, message = self._standard_keyboards.get(user_id, (None, None))
        return (keyboard, message) if keyboard is not None and message is not None else None

    def standard_keyboard(self, user_id: int) -> JsonDict | None:
        shown = self.standard_keyboard_message(user_id)
        return clone(shown[0]) if shown else None

    def last_keyboard(self, user_id: int) -> JsonDict | None:
        """The most recently set of: the standard keyboard shown now and the latest live
        inline keyboard."""
        inline = self.inline_keyboard_message(user_id)
        standard = self.standard_keyboard_message(user_id)
        if inline is not None and (standard is None or inline.seq > standard[1].seq):
            return clone(inline.keyboard)
        return clone(standard[0]) if standard is not None else None

    # ---- citizens and their events

    def user(self, user_id: int, first_name: str = "Иван", last_name: str = "Петров", *,
             inline: bool = True, callbacks: bool = True, location: bool = True) -> Citizen:
        """A scripted citizen in a private dialog with the community."""
        citizen = Citizen(self, user_id, first_name, last_name, inline=inline,
                          callbacks=callbacks, location=location)
        self._citizens[user_id] = citizen
        return citizen

    def enqueue(self, event_type: str, event_object: JsonDict) -> JsonDict:
        """Queue a community event with a fresh ``event_id``; returns a copy."""
        return self.enqueue_event({"group_id": self.group_id, "type": event_type,
                                   "event_id": secrets.token_hex(20), "v": API_VERSION,
                                   "object": event_object})

    def enqueue_event(self, event: JsonDict) -> JsonDict:
        """Queue a complete event as it is (copied); returns a copy."""
        number = self._next_number
        self._next_number += 1
        self._events[number] = clone(event)
        while next(iter(self._events)) <= number - self.retention:  # oldest first
            del self._events[next(iter(self._events))]
        self._event_numbers.setdefault(str(event.get("event_id")), number)
        self._events_signal.fire()
        return clone(event)

    def redeliver(self, event: JsonDict | int) -> JsonDict:
        """Queue an earlier event (or event number) again, with the same ``event_id``."""
        return self.enqueue_event(self.event(event) if isinstance(event, int) else event)

    def event(self, number: int) -> JsonDict:
        """A copy of the event queued as ``number``."""
        if number not in self._events:
            raise AssertionError(f"no event number {number} (kept: {len(self._events)})")
        return clone(self._events[number])

    def number_of(self, event: JsonDict) -> int:
        """The (first) long-poll number of an event returned by a citizen method."""
        return self._event_numbers[str(event["event_id"])]

    def next_event_number(self) -> int:
        """The number the next queued event gets: a fresh long poll ``ts``."""
        return self._next_number

    def pending_events(self) -> list[JsonDict]:
        """Queued events no long poll returned and no :meth:`push_events` delivered yet."""
        return [clone(event) for number, event in self._events.items()
                if number not in self._delivered]

    def expire_key(self, failed: int = 3) -> None:
        """Retire the long poll key: polls with it answer ``{"failed": failed}`` (3: key and
        history lost, get a new server; 2: key expired, keep the ts)."""
        self._retired_keys[self._lp_key] = failed
        self._lp_key = secrets.token_hex(20)

    # ---- Callback API

    def confirmation_event(self) -> JsonDict:
        return {"type": "confirmation", "group_id": self.group_id}

    async def post_callback(self, url: str, event: JsonDict, secret: str | None = None
                            ) -> tuple[int, str]:
        """POST one event to the bot's Callback API URL as VK does; ``(status, text)``."""
        body = {**event, "secret": secret} if secret is not None else event
        async with self._http().post(url, json=body) as response:
            return response.status, await response.text()

    async def push_events(self, url: str, secret: str | None = None) -> list[tuple[int, str]]:
        """POST every pending event in order; those answered 200 ``ok`` count as delivered
        (the others stay pending, VK retries them)."""
        answers = []
        for number, event in list(self._events.items()):
            if number in self._delivered:
                continue
            status, text = await self.post_callback(url, clone(event), secret)
            answers.append((status, text))
            if status == 200 and text == "ok":
                self._delivered.add(number)
        return answers

    # ---- fault injection and permissions

    def fail_next(self, method: str, error_code: int = 9, times: int = 1, *,
                  error_msg: str | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with an API error
        (e.g. 9 flood control, 6, 10 internal error, 901, 902), inside ``execute`` too."""
        message = VkError(error_code, message=error_msg).msg
        self._faults.append(_Fault(method.lower(), times, error_code, message))

    def fail_with_status(self, path_or_method: str, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` requests with a bare HTTP ``status`` and an nginx HTML
        page: for an API method name (``"*"``: any), or a path prefix such as ``"/lp"``,
        ``"/upload"`` or ``"/files"``."""
        self._status_faults.append(_Fault(path_or_method.lower(), times, status=status))

    def forbid(self, user_id: int) -> None:
        """Sends to the user fail with 901 (no permission), until :meth:`permit`."""
        self._forbidden.add(user_id)

    def privacy(self, user_id: int) -> None:
        """Sends to the user fail with 902 (privacy settings), until :meth:`permit`."""
        self._private.add(user_id)

    def permit(self, user_id: int) -> None:
        self._forbidden.discard(user_id)
        self._private.discard(user_id)

    # ---- state used by citizens

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def next_version(self) -> int:
        return next(self._versions)

    def note_citizen_message(self, peer_id: int, cmid: int) -> None:
        self._citizen_cmids.setdefault(peer_id, set()).add(cmid)
        self._written.add(peer_id)

    def set_denied(self, user_id: int, *, denied: bool) -> None:
        if denied:
            self._denied.add(user_id)
        else:
            self._denied.discard(user_id)
            self._written.add(user_id)

    def note_press(self, event_id: str, user_id: int, peer_id: int) -> None:
        self._pressed[event_id] = PressedEvent(event_id, user_id, peer_id, self.now())

    def button_pressed_on_standard_keyboard(self, peer_id: int) -> None:
        """A one-time standard keyboard hides after any of its buttons is pressed."""
        shown = self._standard_keyboards.get(peer_id)
        if shown is not None and shown[0] is not None and shown[0].get("one_time"):
            self._standard_keyboards[peer_id] = (None, shown[1])
