"""A local fake of the Telegram Bot API for end-to-end tests of the aiogram bot.

The bot under test runs as a separate process with
``POS_TELEGRAM_API_URL=http://127.0.0.1:<port>``; aiogram's ``TelegramAPIServer.from_base``
then calls ``POST {base}/bot{token}/{method}`` and downloads files from
``GET {base}/file/bot{token}/{file_path}``. :class:`FakeTelegram` serves both inside the
test's own event loop (``aiohttp.web`` on 127.0.0.1, port 0)::

    async with FakeTelegram(token=TOKEN) as tg:
        start_bot_process(env={"POS_TELEGRAM_API_URL": tg.base_url, ...})
        ivan = tg.user(1001)
        ivan.send_text("/start")
        await tg.wait_for_text(ivan.id, "Здравствуйте")
        ivan.press("Сообщить о проблеме")
        reply = await tg.wait_for_text(ivan.id, "Опишите")

What the fake does:

* answers the Bot API methods the bot uses with real-shaped JSON (``{"ok": true, "result":
  ...}`` or ``{"ok": false, "error_code": N, "description": ...}``) that aiogram 3's pydantic
  models accept, and 404 ``Not Found`` for anything else (listed in ``unknown_calls``);
* records every call with its decoded parameters (:class:`Call`) so a test can wait for and
  inspect what the bot sent;
* queues updates produced by scripted citizens (:meth:`FakeTelegram.user`) for ``getUpdates``
  long polling, or pushes them to a webhook set with ``setWebhook``;
* keeps uploaded and citizen-sent files so ``getFile`` and downloads work;
* injects faults: 429 flood control, 403 blocked chats, non-JSON 502 from a proxy.

Deliberate simplifications are noted where they live; the most visible ones: the ``offset``
of ``getUpdates`` confirms only updates that were already handed out (so that
:meth:`FakeTelegram.redeliver` can produce a duplicate in polling mode), and a chat needs no
``/start`` before the bot may write to it.

Everything runs on one event loop; nothing here is thread-safe and nothing needs to be.
"""
from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import orjson
from aiohttp import web

from tests.e2e.fake_server import FakeServer, Signal, clone, json_response
from tests.e2e.fake_telegram_citizen import Citizen
from tests.e2e.fake_telegram_methods import BotApiMethods
from tests.e2e.fake_telegram_records import (
    _BAD_GATEWAY_HTML,
    _BLOCKABLE_METHODS,
    _DELIVERY_METHODS,
    DEFAULT_TOKEN,
    PHOTO_SIZE,
    THUMBNAIL_SIZE,
    Call,
    JsonDict,
    StoredFile,
    _api_error,
    _ApiError,
    _decode_param,
    _Fault,
    _iter_inline_buttons,
    _Queued,
)

__all__ = ["Call", "Citizen", "FakeTelegram", "StoredFile"]


# --------------------------------------------------------------------------- the fake server

Handler = Callable[[Call], Awaitable[Any]]


class FakeTelegram(FakeServer[Call], BotApiMethods):
    """A fake Bot API server for one bot token (see the module docstring)."""

    server_name = "FakeTelegram"
    api_name = "Bot API"

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_first_name: str = "ПОС",
                 bot_username: str = "pos_test_bot", host: str = "127.0.0.1") -> None:
        super().__init__(host)
        bot_id, _, _ = token.partition(":")
        self.token = token
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username

        self.unknown_calls: list[Call] = []
        self.downloads: list[str] = []
        """File paths the bot downloaded, in order."""
        self.unauthorized_requests = 0
        self.my_commands: list[Any] | None = None
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.files: dict[str, StoredFile] = {}
        """Every stored file by file_id (photo sizes, documents, stickers)."""

        self._updates_signal = Signal()
        self._queue: list[_Queued] = []
        self._history: dict[int, JsonDict] = {}
        self._next_update_id = 100_000
        self._message_ids: dict[int, Iterator[int]] = {}
        self._bot_messages: dict[int, dict[int, JsonDict]] = {}
        self._citizen_messages: set[tuple[int, int]] = set()
        self._reply_keyboards: dict[int, JsonDict | None] = {}
        self._citizens: dict[int, Citizen] = {}
        self._callback_ids: set[str] = set()
        self._photo_sets: dict[str, list[JsonDict]] = {}  # any size's file_id -> all sizes
        self._blocked: set[int] = set()
        self._faults: list[_Fault] = []
        self._counter = itertools.count(1)
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in {
                "getMe": self._get_me,
                "logOut": self._return_true,
                "close": self._return_true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendMediaGroup": self._send_media_group,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
            }.items()
        }

    # ---- lifecycle

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._dispatch)

    def _release_waiters(self) -> None:
        self._updates_signal.fire()

    @property
    def bot_user(self) -> JsonDict:
        """The bot's ``User`` object (``from`` of its messages)."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    # ---- inspecting what the bot did

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Successful sendMessage/sendPhoto/sendMediaGroup/editMessageText calls to the chat,
        in order."""
        return [call for call in self.calls
                if call.ok and call.method in _DELIVERY_METHODS and call.chat_id == chat_id]

    def texts_to(self, chat_id: int | str) -> list[str]:
        """Texts and captions of :meth:`sent_to`, in order."""
        texts = []
        for call in self.sent_to(chat_id):
            if call.method == "sendMediaGroup":
                texts += [item["caption"] for item in call.params.get("media") or []
                          if isinstance(item, dict) and item.get("caption")]
            elif (text := call.text or call.caption) is not None:
                texts.append(text)
        return texts

    def _shown_calls(self, start: int) -> list[Call]:
        return [call for call in self.calls[start:] if call.method != "getUpdates"]

    async def wait_for_text(self, chat_id: int | str, contains: str,
                            timeout: float = 10.0, *,  # noqa: ASYNC109
                            since: int | None = None) -> Call:
        """Wait for a sendMessage or editMessageText to ``chat_id`` whose text contains
        ``contains`` (same cursor rules as :meth:`wait_for`)."""
        def matches(call: Call) -> bool:
            return (call.method in ("sendMessage", "editMessageText")
                    and call.chat_id == chat_id and contains in (call.text or ""))

        try:
            return await self.wait_for(matches, timeout, since=since)
        except AssertionError as error:
            raise AssertionError(f"no text containing {contains!r} to chat {chat_id}; "
                                 f"texts: {self.texts_to(chat_id)!r}\n{error}") from None

    # ---- updates

    def user(self, user_id: int, first_name: str = "Иван", username: str | None = None, *,
             language_code: str | None = "ru") -> Citizen:
        """A scripted citizen with a private chat to the bot."""
        citizen = Citizen(self, user_id, first_name, username, language_code)
        self._citizens[user_id] = citizen
        return citizen

    def enqueue(self, update: JsonDict) -> int:
        """Queue a raw update (copied); an ``update_id`` is assigned if it has none."""
        update = clone(update)
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        else:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        self._history[update["update_id"]] = clone(update)
        self._queue.append(_Queued(update))
        self._updates_signal.fire()
        return int(update["update_id"])

    def redeliver(self, update_id: int) -> int:
        """Queue an earlier update again with the same ``update_id`` (a duplicate delivery)."""
        if update_id not in self._history:
            raise AssertionError(f"update {update_id} was never enqueued")
        self._queue.append(_Queued(clone(self._history[update_id])))
        self._updates_signal.fire()
        return update_id

    def get_update(self, update_id: int) -> JsonDict:
        """A copy of an enqueued update's JSON."""
        return clone(self._history[update_id])

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Queued updates not yet confirmed by ``getUpdates`` (or pushed to the webhook)."""
        return [clone(entry.update) for entry in self._queue]

    # ---- webhook delivery

    async def push_to_webhook(self) -> list[int]:
        """POST every queued update to the webhook set with ``setWebhook``, with its secret.

        Returns the HTTP statuses in order; updates answered with 2xx leave the queue, the
        others stay for the next push (Telegram retries them too).
        """
        if not self.webhook_url:
            raise AssertionError("no webhook is set (the bot has not called setWebhook)")
        statuses = []
        for entry in list(self._queue):
            status = await self.post_update(self.webhook_url, entry.update, self.webhook_secret)
            statuses.append(status)
            if 200 <= status < 300:
                self._queue = [queued for queued in self._queue if queued is not entry]
        return statuses

    async def post_update(self, url: str, update: JsonDict, secret: str | None = None) -> int:
        """POST one update as Telegram does; returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with self._http().post(url, json=update, headers=headers) as response:
            await response.read()
            return response.status

    # ---- fault injection

    def fail_next(self, method: str, *, error_code: int = 429,
                  description: str = "Too Many Requests: retry after 1",
                  retry_after: int | None = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with an API error.

        ``parameters.retry_after`` is included only for ``error_code`` 429.
        """
        self._faults.append(_Fault(method.lower(), times, error_code, description,
                                   retry_after if error_code == 429 else None))

    def fail_with_status(self, method: str, status: int = 502, times: int = 1, *,
                         body: str | None = _BAD_GATEWAY_HTML) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with a bare HTTP
        ``status`` and an nginx-style HTML body, like a proxy in front of the API. With
        ``body=None`` the answer is a JSON API error with that status instead."""
        self._faults.append(_Fault(method.lower(), times, status, "Bad Gateway", body=body))

    def block(self, chat_id: int) -> None:
        """From now on the user has blocked the bot: sends to the chat get 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # ---- state used by citizens and tests

    def next_message_id(self, chat_id: int) -> int:
        """Message ids grow per chat, shared by the citizen's and the bot's messages."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def next_callback_id(self) -> str:
        return str(4_611_686_018_427_387_904 + next(self._counter))

    def note_citizen_message(self, chat_id: int, message_id: int) -> None:
        self._citizen_messages.add((chat_id, message_id))

    def note_callback_query(self, query_id: str) -> None:
        self._callback_ids.add(query_id)

    def bot_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The bot's message as it is now (after edits); ``None`` if unknown or deleted."""
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        return clone(message) if message is not None else None

    def last_keyboard_message(self, chat_id: int) -> JsonDict | None:
        """The bot's most recent live message in the chat with an inline keyboard."""
        for message in reversed(self._bot_messages.get(chat_id, {}).values()):
            if any(True for _ in _iter_inline_buttons(message.get("reply_markup"))):
                return clone(message)
        return None

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        keyboard = self._reply_keyboards.get(chat_id)
        return clone(keyboard) if keyboard is not None else None

    def register_file(self, data: bytes, *, kind: str, extension: str,
                      file_size: int | None = None, source_url: str | None = None
                      ) -> StoredFile:
        """Keep ``data`` as a downloadable file with a fresh id and path."""
        number = next(self._counter)
        prefix = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI"}.get(
            kind, "CAACAgIAAxkBAAI")
        folder = {"photo": "photos", "document": "documents"}.get(kind, "stickers")
        stored = StoredFile(
            file_id=f"{prefix}{number:06d}{hashlib.sha1(data).hexdigest()[:16]}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}.{extension}",
            data=data, kind=kind,
            file_size=len(data) if file_size is None else file_size,
            source_url=source_url)
        self.files[stored.file_id] = stored
        return stored

    def register_photo(self, data: bytes, *, file_size: int | None = None,
                       source_url: str | None = None) -> list[JsonDict]:
        """Store a photo and its thumbnail; returns the ``PhotoSize`` array, largest last."""
        thumbnail_data = b"THUMB" + hashlib.sha256(data).digest()
        sizes = []
        for blob, (width, height), size in ((thumbnail_data, THUMBNAIL_SIZE, None),
                                            (data, PHOTO_SIZE, file_size)):
            stored = self.register_file(blob, kind="photo", extension="jpg", file_size=size,
                                        source_url=source_url)
            sizes.append({"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                          "file_size": stored.file_size, "width": width, "height": height})
        for photo_size in sizes:
            self._photo_sets[photo_size["file_id"]] = sizes
        return clone(sizes)

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file (uploaded by the bot or sent by a citizen)."""
        return self.files[file_id].data

    # ---- HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if path.startswith("file/bot"):
            return self._serve_file(path.removeprefix("file/bot"))
        match = re.fullmatch(r"bot([^/]+)/([A-Za-z]+)", path)
        if match is None:
            return _api_error(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            self.unauthorized_requests += 1
            return _api_error(401, "Unauthorized")
        try:
            call = await self._read_call(request, method)
        except _ApiError as error:
            return _api_error(error.code, error.description)
        response = await self._answer(call)
        self._record(call)
        return response

    async def _read_call(self, request: web.Request, method: str) -> Call:
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, bytes] = {}
        filenames: dict[str, str] = {}
        if request.content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = orjson.loads(body)
                except ValueError:
                    raise _ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(data, dict):
                    raise _ApiError(400, "Bad Request: JSON body must be an object")
                raw.update(data)
        else:
            try:
                form = await request.post()  # urlencoded or multipart; empty for other types
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse request body") from None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = value.file.read()
                    filenames[key] = value.filename
                else:
                    raw[key] = value
        used: set[str] = set()
        params = {key: _decode_param(key, value, uploads, used) for key, value in raw.items()}
        for key, value in raw.items():  # filename of a top-level attach://<field>
            name = value.removeprefix("attach://") if isinstance(value, str) else None
            if name in filenames:
                filenames[key] = filenames[name]
        params.update({key: data for key, data in uploads.items() if key not in used})
        canonical = self._handlers.get(method.lower(), (method, None))[0]
        return Call(canonical, params, time.monotonic(), uploads, filenames,
                    content_type=request.content_type)

    async def _answer(self, call: Call) -> web.Response:
        """Run fault injection and the method handler; fill in the call's outcome."""
        _, handler = self._handlers.get(call.method.lower(), (call.method, None))
        if handler is None:
            self.unknown_calls.append(call)
            return self._failed(call, _ApiError(404, "Not Found"))
        fault = next((fault for fault in self._faults if fault.matches(call.method)), None)
        if fault is not None:
            fault.times -= 1
            if fault.body is not None:
                call.status, call.description = fault.status, fault.description
                return web.Response(status=fault.status, text=fault.body,
                                    content_type="text/html")
            return self._failed(call, _ApiError(fault.status, fault.description,
                                                retry_after=fault.retry_after))
        if call.method in _BLOCKABLE_METHODS and call.chat_id in self._blocked:
            return self._failed(call, _ApiError(403, "Forbidden: bot was blocked by the user"))
        try:
            result = await handler(call)
        except _ApiError as error:
            return self._failed(call, error)
        call.status, call.result = 200, result
        return json_response({"ok": True, "result": result})

    @staticmethod
    def _failed(call: Call, error: _ApiError) -> web.Response:
        call.status, call.description = error.code, error.description
        return _api_error(error.code, error.description, error.retry_after)

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            self.unauthorized_requests += 1
            return _api_error(401, "Unauthorized")
        stored = next((f for f in self.files.values() if f.file_path == file_path), None)
        if stored is None:
            return _api_error(404, "Not Found")
        self.downloads.append(file_path)
        content_type = "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)
