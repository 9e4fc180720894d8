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

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from aiohttp import ClientSession, ClientTimeout, web

from tests.e2e.fake_vk_citizen import Citizen
from tests.e2e.fake_vk_methods import Handler, VkApiMethods, parse_vkscript, validate_keyboard
from tests.e2e.fake_vk_records import (
    API_VERSION,
    DEFAULT_GROUP_ID,
    DEFAULT_TOKEN,
    Call,
    JsonDict,
    PressedEvent,
    SentMessage,
    StoredDoc,
    StoredPhoto,
    VkError,
    _Fault,
    _Signal,
    as_int,
    bad_gateway,
    clone,
    decode_param,
    error_body,
    json_response,
)

__all__ = ["Call", "Citizen", "FakeVk", "SentMessage", "StoredDoc", "StoredPhoto",
           "parse_vkscript", "validate_keyboard"]

_SEND_METHODS = ("messages.send", "messages.edit")
_CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                  "gif": "image/gif", "webp": "image/webp",
                  "pdf": "application/pdf", "ogg": "audio/ogg", "txt": "text/plain"}


class FakeVk(VkApiMethods):
    """A fake VK API server for one community (see the module docstring)."""

    def __init__(self, token: str | Iterable[str] = DEFAULT_TOKEN, *,
                 group_id: int = DEFAULT_GROUP_ID, group_name: str = "ПОС",
                 screen_name: str = "pos_test", host: str = "127.0.0.1",
                 rps_limit: int | None = 20, retention: int = 10_000, max_wait: float = 25.0,
                 require_permission: bool = False) -> None:
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.group_id = group_id
        self.group_name = group_name
        self.screen_name = screen_name
        self.host = host
        self.rps_limit = rps_limit
        """Requests per rolling window and access token; ``None`` disables the limit."""
        self.rps_window = 1.0
        """The rolling window in seconds, counted by arrival at the fake (a client limiter
        that spaces its request *starts* by exactly one second trips it)."""
        self.retention = retention
        """How many of the newest events the long poll keeps."""
        self.max_wait = max_wait
        """Cap on a long poll's ``wait`` in seconds."""
        self.lp_batch = 100
        """At most this many events per long poll answer."""
        self.require_permission = require_permission
        """If true, users who never wrote (or allowed messages) get error 901."""

        self.calls: list[Call] = []
        self.unknown_calls: list[Call] = []
        self.downloads: list[str] = []
        """``/files/`` names downloaded, in order."""
        self.uploads = 0
        self.long_polls = 0
        self.too_many = 0
        """Requests refused with error 6."""
        self.deduplicated = 0
        """Sends made no-ops by a repeated ``random_id``."""
        self.unauthorized_requests = 0
        self.event_answers: dict[str, JsonDict | None] = {}
        """``event_id`` -> ``event_data`` of every answered callback-button press."""
        self.photos: dict[tuple[int, int], StoredPhoto] = {}
        self.docs: dict[tuple[int, int], StoredDoc] = {}
        self.files: dict[str, bytes] = {}
        self.clock: Callable[[], float] = time.monotonic
        """Time for the 60 s answer window and the 1 h ``random_id`` window."""
        self.on_call: Callable[[Call], None] | None = None
        """A benchmark's cheap way to follow many peers at once (``wait_for`` scans)."""

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._client: ClientSession | None = None
        self._closing = False
        self._clock_offset = 0.0
        self._cursor = 0
        self._consumed: set[int] = set()
        self._calls_signal = _Signal()
        self._events_signal = _Signal()
        self._events: dict[int, JsonDict] = {}
        self._next_number = 1
        self._delivered: set[int] = set()
        self._event_numbers: dict[str, int] = {}
        self._lp_key = secrets.token_hex(20)
        self._retired_keys: dict[str, int] = {}
        self._faults: list[_Fault] = []
        self._status_faults: list[_Fault] = []
        self._request_times: dict[str, deque[float]] = {}
        self._citizens: dict[int, Citizen] = {}
        self._messages: dict[int, list[SentMessage]] = {}
        self._citizen_cmids: dict[int, set[int]] = {}
        self._cmids: dict[int, itertools.count[int]] = {}
        self._message_ids = itertools.count(1)
        self._versions = itertools.count(10_000_001)
        self._seq = itertools.count(1)
        self._ids = itertools.count(457_239_017)
        self._random_ids: dict[tuple[int, int], tuple[SentMessage, float]] = {}
        self._standard_keyboards: dict[int, tuple[JsonDict | None, SentMessage]] = {}
        self._denied: set[int] = set()
        self._forbidden: set[int] = set()
        self._private: set[int] = set()
        self._written: set[int] = set()
        self._pressed: dict[str, PressedEvent] = {}
        self._upload_tokens: dict[str, str] = {}
        self._uploads: dict[str, tuple[bytes, str]] = {}
        self._upload_server = 850_128
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self.handlers().items()}

    # ---- lifecycle

    async def start(self) -> None:
        """Listen on ``host``, a free port; see :attr:`base_url` and :attr:`api_url`."""
        if self._runner is not None:
            raise RuntimeError("FakeVk is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/method/{method}", self._serve_api)
        app.router.add_route("*", "/lp/{group}", self._serve_long_poll)
        app.router.add_route("POST", "/upload/{kind}/{token}", self._serve_upload)
        app.router.add_route("GET", "/files/{name}", self._serve_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        """Release waiting long polls, close the callback client and stop listening."""
        self._closing = True
        self._events_signal.fire()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeVk is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What the bot gets as ``POS_VK_API_URL`` (it appends ``/<method>``)."""
        return f"{self.base_url}/method"

    def now(self) -> float:
        return self.clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock on: ages callback presses and ``random_id`` windows."""
        self._clock_offset += seconds

    # ---- inspecting what the bot did

    def mark(self) -> int:
        """A cursor position: pass it as ``since=`` to look only at calls made after now."""
        return len(self.calls)

    async def wait_for(self, predicate: Callable[[Call], bool],
                       timeout: float = 10.0, *, since: int | None = None,  # noqa: ASYNC109
                       include_failed: bool = False) -> Call:
        """Wait for the first not-yet-consumed successful call matching ``predicate``.

        Searches from the cursor (just past the last call any ``wait_for`` returned) or from
        ``since`` (a :meth:`mark`), skips calls earlier ``wait_for``s consumed, and consumes
        the one it returns. Failed calls are skipped unless ``include_failed``. Raises
        ``AssertionError`` after ``timeout`` seconds.
        """
        start = self._cursor if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index in range(start, len(self.calls)):
                call = self.calls[index]
                if index in self._consumed or not (call.ok or include_failed):
                    continue
                if predicate(call):
                    self._consumed.add(index)
                    self._cursor = max(self._cursor, index + 1)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._calls_signal.wait(remaining)
        raise AssertionError(f"no matching VK API call within {timeout} s; calls since "
                             f"position {start}: {self.calls[start:]!r}")

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
        if self._client is None or self._client.closed:
            self._client = ClientSession(timeout=ClientTimeout(total=30))
        async with self._client.post(url, json=body) as response:
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

    def store_file(self, data: bytes, name: str) -> str:
        self.files[name] = data
        return f"{self.base_url}/files/{name}"

    # ---- HTTP plumbing

    def _status_fault(self, target: str, *, path: bool) -> web.Response | None:
        for fault in self._status_faults:
            if fault.times > 0 and fault.target.startswith("/") == path and fault.matches(
                    target):
                fault.times -= 1
                return bad_gateway(fault.status)
        return None

    async def _serve_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        method = self._handlers.get(name.lower(), (name, None))[0]
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            try:
                form = await request.post()
            except ValueError:
                form = None
            raw.update({key: value for key, value in (form or {}).items()
                        if isinstance(value, str)})
        token, version = raw.pop("access_token", None), raw.pop("v", None)
        params = {key: decode_param(key, value) for key, value in raw.items()}
        failure = self._status_fault(method, path=False)
        if failure is not None:
            self._record(Call(method, params, at=self.now(), status=failure.status))
            return failure
        if token not in self.tokens:
            self.unauthorized_requests += 1
            return json_response(error_body(5, VkError(5).msg, raw, method))
        call = Call(method, params, at=self.now())
        if not version:
            self._fail(call, VkError(8))
        elif self._over_rate_limit(str(token)):
            self.too_many += 1
            self._fail(call, VkError(6))
        else:
            await self.run_call(call)
        self._record(call)
        if not call.ok:
            return json_response(error_body(call.error_code or 1, call.error_msg or "", raw,
                                            method))
        body: JsonDict = {"response": call.result}
        if call.execute_errors:
            body["execute_errors"] = call.execute_errors
        return json_response(body)

    def _over_rate_limit(self, token: str) -> bool:
        if self.rps_limit is None:
            return False
        now = time.monotonic()
        times = self._request_times.setdefault(token, deque())
        while times and now - times[0] >= self.rps_window:
            times.popleft()
        if len(times) >= self.rps_limit:
            return True
        times.append(now)
        return False

    async def run_call(self, call: Call) -> None:
        """Run fault injection and the method; fill in the call's outcome. Calls inside
        ``execute`` are recorded here, top-level ones by the HTTP handler."""
        name, handler = self._handlers.get(call.method.lower(), (call.method, None))
        call.method = name
        fault = next((fault for fault in self._faults if fault.matches(name)), None)
        if handler is None:
            self.unknown_calls.append(call)
            self._fail(call, VkError(3, f"method '{name}' is not in the fake"))
        elif fault is not None:
            fault.times -= 1
            call.error_code, call.error_msg = fault.error_code, fault.error_msg
        else:
            try:
                call.result = await handler(call)
            except VkError as error:
                self._fail(call, error)
        if call.via_execute:
            self._record(call)

    @staticmethod
    def _fail(call: Call, error: VkError) -> None:
        call.error_code, call.error_msg, call.result = error.code, error.msg, None
        call.messages.clear()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._calls_signal.fire()
        if self.on_call is not None:
            self.on_call(call)

    async def _serve_long_poll(self, request: web.Request) -> web.Response:
        failure = self._status_fault(request.path, path=True)
        if failure is not None:
            return failure
        self.long_polls += 1
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        if request.match_info["group"] != str(self.group_id) or params.get("act") != "a_check":
            return json_response({"failed": 2})
        key = params.get("key")
        if key != self._lp_key:
            return json_response({"failed": self._retired_keys.get(str(key), 2)})
        ts = as_int(params.get("ts"))
        if ts is None or ts < max(1, self._next_number - self.retention):
            return json_response({"failed": 1, "ts": str(self._next_number)})
        wait = min(float(as_int(params.get("wait")) or 0), self.max_wait)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while self._next_number <= ts and not self._closing and loop.time() < deadline:
            await self._events_signal.wait(deadline - loop.time())
        numbers = [n for n in range(ts, self._next_number) if n in self._events]
        numbers = numbers[: self.lp_batch]
        self._delivered.update(numbers)
        next_ts = numbers[-1] + 1 if numbers else ts
        return json_response({"ts": str(next_ts),
                              "updates": [clone(self._events[n]) for n in numbers]})

    async def _serve_upload(self, request: web.Request) -> web.Response:
        failure = self._status_fault(request.path, path=True)
        if failure is not None:
            return failure
        kind = request.match_info["kind"]
        if self._upload_tokens.get(request.match_info["token"]) != kind:
            return json_response({"error": "invalid upload url"})
        self.uploads += 1
        form = await request.post()
        fields = ("photo", "file", "file1") if kind == "photo" else ("file",)
        part = next((form[name] for name in fields if isinstance(form.get(name), web.FileField)),
                    None)
        data = part.file.read() if isinstance(part, web.FileField) else b""
        if not data:
            if kind == "photo":
                return json_response({"server": self._upload_server, "photo": "[]",
                                      "hash": "d41d8cd98f00b204e9800998ecf8427e"})
            return json_response({"error": "no_file", "error_descr": "file is empty"})
        filename = part.filename if isinstance(part, web.FileField) else ""
        return json_response(self.accept_upload(kind, data, filename or ""))

    async def _serve_file(self, request: web.Request) -> web.Response:
        failure = self._status_fault(request.path, path=True)
        if failure is not None:
            return failure
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(name)
        content_type = _CONTENT_TYPES.get(name.rpartition(".")[2], "application/octet-stream")
        return web.Response(body=self.files[name], content_type=content_type)
