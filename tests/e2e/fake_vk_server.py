"""The HTTP side of the fake VK API (see ``fake_vk``): the fake's state and what it serves.

``/method/<name>`` checks the token, the version, the rate limit and injected faults, then runs
the method (``fake_vk_methods``) and records the call; ``/lp/<group>`` is the Bots Long Poll
server; ``/upload/<kind>/<token>`` takes the files the ``*.get*UploadServer`` methods asked
for; ``/files/<name>`` serves stored files. :class:`FakeVk` adds what the tests call.
"""
from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.e2e.fake_server import FakeServer, Signal, clone, json_response
from tests.e2e.fake_vk_methods import Handler, VkApiMethods
from tests.e2e.fake_vk_records import (
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
    as_int,
    bad_gateway,
    decode_param,
    error_body,
)

if TYPE_CHECKING:
    from tests.e2e.fake_vk_citizen import Citizen

_CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                  "gif": "image/gif", "webp": "image/webp",
                  "pdf": "application/pdf", "ogg": "audio/ogg", "txt": "text/plain"}


class VkServer(FakeServer[Call], VkApiMethods):
    """The state and the HTTP endpoints of :class:`FakeVk` (constructed as that)."""

    server_name = "FakeVk"
    api_name = "VK API"

    def __init__(self, token: str | Iterable[str] = DEFAULT_TOKEN, *,
                 group_id: int = DEFAULT_GROUP_ID, group_name: str = "ПОС",
                 screen_name: str = "pos_test", host: str = "127.0.0.1",
                 rps_limit: int | None = 20, retention: int = 10_000, max_wait: float = 25.0,
                 require_permission: bool = False) -> None:
        super().__init__(host)
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.group_id = group_id
        self.group_name = group_name
        self.screen_name = screen_name
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

        self._clock_offset = 0.0
        self._events_signal = Signal()
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

    # ---- lifecycle and clock

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/method/{method}", self._serve_api)
        app.router.add_route("*", "/lp/{group}", self._serve_long_poll)
        app.router.add_route("POST", "/upload/{kind}/{token}", self._serve_upload)
        app.router.add_route("GET", "/files/{name}", self._serve_file)

    def _release_waiters(self) -> None:
        self._events_signal.fire()

    @property
    def api_url(self) -> str:
        """What the bot gets as ``POS_VK_API_URL`` (it appends ``/<method>``)."""
        return f"{self.base_url}/method"

    def now(self) -> float:
        return self.clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock on: ages callback presses and ``random_id`` windows."""
        self._clock_offset += seconds

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
