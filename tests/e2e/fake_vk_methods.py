"""The VK API methods the fake answers, as a mixin of :class:`FakeVk`: what each call does to
the fake's conversations, keyboards, uploads and callback-button events (the HTTP server,
long poll, rate limit and fault injection are in ``fake_vk_server``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tests.e2e.fake_vk_records import (
    BUTTON_COLORS,
    BUTTON_TYPES,
    CHAT_PEER_BASE,
    EVENT_ANSWER_SECONDS,
    INLINE_LIMITS,
    MAX_EXECUTE_CALLS,
    MAX_LABEL_LENGTH,
    MAX_PAYLOAD_LENGTH,
    MAX_SNACKBAR_LENGTH,
    MAX_TEXT_LENGTH,
    MESSAGES_ALBUM_ID,
    RANDOM_ID_WINDOW_SECONDS,
    STANDARD_LIMITS,
    Attachment,
    Call,
    JsonDict,
    PressedEvent,
    SentMessage,
    StoredDoc,
    StoredPhoto,
    VkError,
    as_int,
    csv_items,
    decode_param,
    parse_json_object,
    payload_text,
)

if TYPE_CHECKING:
    from tests.e2e.fake_vk_citizen import Citizen

Handler = Callable[[Call], Awaitable[Any]]
_ATTACHMENT = re.compile(r"(photo|doc)(-?\d+)_(\d+)(?:_(\w+))?")


class VkApiMethods:
    """Handlers ``_<method>(call)`` returning the call's ``response`` or raising
    :class:`VkError`, working on the state :class:`FakeVk` sets up in its ``__init__``."""

    group_id: int
    group_name: str
    screen_name: str
    require_permission: bool
    deduplicated: int
    event_answers: dict[str, JsonDict | None]
    photos: dict[tuple[int, int], StoredPhoto]
    docs: dict[tuple[int, int], StoredDoc]
    _citizens: dict[int, Citizen]
    _messages: dict[int, list[SentMessage]]
    _citizen_cmids: dict[int, set[int]]
    _cmids: dict[int, itertools.count[int]]
    _message_ids: itertools.count[int]
    _seq: itertools.count[int]
    _ids: itertools.count[int]
    _random_ids: dict[tuple[int, int], tuple[SentMessage, float]]
    _standard_keyboards: dict[int, tuple[JsonDict | None, SentMessage]]
    _denied: set[int]
    _forbidden: set[int]
    _private: set[int]
    _written: set[int]
    _pressed: dict[str, PressedEvent]
    _upload_tokens: dict[str, str]
    _uploads: dict[str, tuple[bytes, str]]
    _lp_key: str
    _upload_server: int

    # Provided by FakeVk.
    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def now(self) -> float:
        raise NotImplementedError

    def next_event_number(self) -> int:
        raise NotImplementedError

    def store_file(self, data: bytes, name: str) -> str:
        raise NotImplementedError

    async def run_call(self, call: Call) -> None:
        raise NotImplementedError

    def handlers(self) -> dict[str, Handler]:
        """Canonical method name -> handler."""
        return {
            "groups.getById": self._groups_get_by_id,
            "groups.getLongPollServer": self._groups_get_long_poll_server,
            "users.get": self._users_get,
            "execute": self._execute,
            "messages.send": self._messages_send,
            "messages.edit": self._messages_edit,
            "messages.sendMessageEventAnswer": self._messages_send_message_event_answer,
            "messages.setActivity": self._return_one,
            "messages.markAsRead": self._return_one,
            "photos.getMessagesUploadServer": self._photos_get_messages_upload_server,
            "photos.saveMessagesPhoto": self._photos_save_messages_photo,
            "docs.getMessagesUploadServer": self._docs_get_messages_upload_server,
            "docs.save": self._docs_save,
        }

    # ---- community and users

    async def _return_one(self, call: Call) -> int:
        return 1

    def group_object(self) -> JsonDict:
        return {"id": self.group_id, "name": self.group_name, "screen_name": self.screen_name,
                "is_closed": 0, "type": "group",
                "photo_50": f"{self.base_url}/files/group_50.png",
                "photo_100": f"{self.base_url}/files/group_100.png",
                "photo_200": f"{self.base_url}/files/group_200.png"}

    async def _groups_get_by_id(self, call: Call) -> JsonDict:
        wanted = csv_items(call.params.get("group_id", call.params.get("group_ids", "")))
        if any(item not in (str(self.group_id), self.screen_name) for item in wanted):
            raise VkError(100, "group_ids is invalid")
        return {"groups": [self.group_object()], "profiles": []}

    async def _groups_get_long_poll_server(self, call: Call) -> JsonDict:
        if call.params.get("group_id") != self.group_id:
            raise VkError(15, "no access to this group")
        return {"key": self._lp_key, "server": f"{self.base_url}/lp/{self.group_id}",
                "ts": str(self.next_event_number())}

    async def _users_get(self, call: Call) -> list[JsonDict]:
        items = csv_items(call.params.get("user_ids", call.params.get("user_id", "")))
        fields = set(csv_items(call.params.get("fields", "")))
        users = []
        for item in items:
            user_id = as_int(item)
            if user_id is None:
                match = re.fullmatch(r"id(\d+)", item)
                user_id = int(match.group(1)) if match else None
            citizen = self._citizens.get(user_id) if user_id is not None else None
            if citizen is None:
                continue  # like VK: ids that do not exist are left out
            user = citizen.profile
            if "screen_name" in fields:
                user["screen_name"] = f"id{citizen.id}"
            users.append(user)
        return users

    # ---- execute

    async def _execute(self, call: Call) -> Any:
        code = call.params.get("code")
        if not isinstance(code, str):
            raise VkError(100, "code is undefined")
        calls, as_list = parse_vkscript(code)
        if len(calls) > MAX_EXECUTE_CALLS:
            raise VkError(13)
        results: list[Any] = []
        errors: list[JsonDict] = []
        for method, params in calls:
            inner = Call(method, {key: decode_param(key, value) for key, value in params.items()},
                         via_execute=True)
            await self.run_call(inner)
            if inner.ok:
                results.append(inner.result)
            else:
                results.append(False)
                errors.append({"method": inner.method, "error_code": inner.error_code,
                               "error_msg": inner.error_msg})
        call.execute_errors = errors  # the server adds them next to "response"
        return results if as_list else results[0]

    # ---- messages

    async def _messages_send(self, call: Call) -> int | list[JsonDict]:
        params = call.params
        peers, many = _targets(params)
        text = params.get("message")
        text = "" if text is None else str(text)
        attachments = self._attachments(params.get("attachment"))
        if not text.strip() and not attachments and params.get("sticker_id") is None:
            raise VkError(100, "message is empty or invalid")
        if len(text) > MAX_TEXT_LENGTH:
            raise VkError(914)
        keyboard = validate_keyboard(params.get("keyboard"))
        if "random_id" not in params:
            raise VkError(100, "random_id is a required parameter")
        random_id = as_int(params.get("random_id"))
        if random_id is None:
            raise VkError(100, "random_id not integer")
        results: list[JsonDict] = []
        for peer_id in peers:
            try:
                message, fresh = self._send_one(peer_id, random_id, text, keyboard, attachments)
            except VkError as error:
                if not many:
                    raise
                results.append({"peer_id": peer_id,
                                "error": {"code": error.code, "description": error.msg}})
                continue
            if fresh:
                call.messages.append(message)
            else:
                call.deduplicated = True
                self.deduplicated += 1
            results.append({"peer_id": peer_id, "message_id": message.message_id,
                            "conversation_message_id": message.conversation_message_id})
        return results if many else results[0]["message_id"]

    def _send_one(self, peer_id: int, random_id: int, text: str, keyboard: JsonDict | None,
                  attachments: list[Attachment]) -> tuple[SentMessage, bool]:
        if random_id:
            previous = self._random_ids.get((peer_id, random_id))
            if previous is not None and self.now() - previous[1] < RANDOM_ID_WINDOW_SECONDS:
                return previous[0], False
        self.check_permission(peer_id)
        message = SentMessage(
            peer_id=peer_id, message_id=next(self._message_ids),
            conversation_message_id=self.next_cmid(peer_id), text=text, keyboard=keyboard,
            attachments=list(attachments), random_id=random_id, date=self.unix_time(),
            seq=next(self._seq))
        self._messages.setdefault(peer_id, []).append(message)
        if random_id:
            self._random_ids[(peer_id, random_id)] = (message, self.now())
        if keyboard is not None and not keyboard.get("inline"):
            # A standard keyboard stays until replaced; an empty one removes it.
            self._standard_keyboards[peer_id] = (keyboard if keyboard["buttons"] else None,
                                                 message)
        return message, True

    def check_permission(self, peer_id: int) -> None:
        """Raise 901/902 for a user the community may not write to."""
        if peer_id <= 0 or peer_id >= CHAT_PEER_BASE:
            return
        if peer_id in self._private:
            raise VkError(902)
        if peer_id in self._forbidden or peer_id in self._denied:
            raise VkError(901)
        if self.require_permission and peer_id not in self._written:
            raise VkError(901)

    async def _messages_edit(self, call: Call) -> int:
        params = call.params
        peer_id = params.get("peer_id")
        if not isinstance(peer_id, int):
            raise VkError(100, "peer_id is undefined")
        message = self._message_to_edit(peer_id, params)
        text = params.get("message")
        text = message.text if text is None else str(text)
        attachments = (self._attachments(params["attachment"]) if "attachment" in params
                       else message.attachments)
        if not text.strip() and not attachments:
            raise VkError(100, "message is empty or invalid")
        if len(text) > MAX_TEXT_LENGTH:
            raise VkError(914)
        keyboard = validate_keyboard(params.get("keyboard"))
        if keyboard is not None and keyboard["buttons"] and not keyboard.get("inline"):
            raise VkError(911, "only an inline keyboard can be set by messages.edit")
        message.text, message.attachments = text, list(attachments)
        # Simplification: an edit without ``keyboard`` removes the inline keyboard.
        message.keyboard = keyboard if keyboard is not None and keyboard["buttons"] else None
        message.edits += 1
        message.seq = next(self._seq)
        call.messages.append(message)
        return 1

    def _message_to_edit(self, peer_id: int, params: JsonDict) -> SentMessage:
        cmid = as_int(params.get("conversation_message_id", params.get("cmid")))
        message_id = as_int(params.get("message_id"))
        if cmid is None and message_id is None:
            raise VkError(100, "message_id or conversation_message_id is undefined")
        for message in self._messages.get(peer_id, []):
            if cmid is not None and message.conversation_message_id == cmid:
                return message
            if cmid is None and message.message_id == message_id:
                return message
        if cmid is not None and cmid in self._citizen_cmids.get(peer_id, set()):
            raise VkError(15, "can't edit this message")
        raise VkError(100, "message not found")

    async def _messages_send_message_event_answer(self, call: Call) -> int:
        params = call.params
        pressed = self._pressed.get(str(params.get("event_id")))
        if (pressed is None or pressed.answered or params.get("user_id") != pressed.user_id
                or params.get("peer_id") != pressed.peer_id
                or self.now() - pressed.at > EVENT_ANSWER_SECONDS):
            raise VkError(100, "event_id is incorrect")
        event_data = params.get("event_data")
        if event_data is not None:
            event_data = parse_json_object(event_data)
            _validate_event_data(event_data)
        pressed.answered, pressed.event_data = True, event_data
        self.event_answers[pressed.event_id] = event_data
        return 1

    # ---- uploads

    def _new_upload_url(self, kind: str) -> str:
        token = secrets.token_hex(8)
        self._upload_tokens[token] = kind
        return f"{self.base_url}/upload/{kind}/{token}"

    async def _photos_get_messages_upload_server(self, call: Call) -> JsonDict:
        return {"album_id": MESSAGES_ALBUM_ID, "upload_url": self._new_upload_url("photo"),
                "user_id": 0, "group_id": self.group_id}

    async def _docs_get_messages_upload_server(self, call: Call) -> JsonDict:
        kind = call.params.get("type", "doc")
        if kind not in ("doc", "audio_message", "graffiti"):
            raise VkError(100, "type is invalid")
        return {"upload_url": self._new_upload_url("doc")}

    def accept_upload(self, kind: str, data: bytes, filename: str) -> JsonDict:
        """What the upload URL answers for a received file (see ``FakeVk``)."""
        key = secrets.token_hex(10)
        self._uploads[key] = (data, filename)
        if kind == "photo":
            photo = json.dumps([{"markers_restarted": True, "photo": f"{key}:w", "sizes": [],
                                 "latitude": 0, "longitude": 0, "kid": _upload_hash(key)}])
            return {"server": self._upload_server, "photo": photo, "hash": _upload_hash(key)}
        return {"file": f"{self._upload_server}|0|0|{key}|{_upload_hash(key)}"}

    async def _photos_save_messages_photo(self, call: Call) -> list[JsonDict]:
        try:
            items = json.loads(str(call.params.get("photo", "")))
            key = str(items[0]["photo"]).removesuffix(":w")
        except (ValueError, LookupError, TypeError):
            raise VkError(100, "photos_list is invalid") from None
        if key not in self._uploads:
            raise VkError(100, "photos_list is invalid")
        if (call.params.get("hash") != _upload_hash(key)
                or call.params.get("server") != self._upload_server):
            raise VkError(121)
        data, _ = self._uploads[key]
        photo = self.store_photo(data, owner_id=-self.group_id)
        return [photo.as_photo()]

    async def _docs_save(self, call: Call) -> JsonDict:
        parts = str(call.params.get("file", "")).split("|")
        key = parts[3] if len(parts) == 5 else ""
        if key not in self._uploads or parts[4] != _upload_hash(key):
            raise VkError(100, "file is invalid")
        data, filename = self._uploads[key]
        title = str(call.params.get("title") or filename or "doc")
        _, dot, ext = filename.rpartition(".")
        doc = self.store_doc(data, title, ext if dot else "bin", owner_id=-self.group_id)
        return {"type": "doc", "doc": doc.as_doc()}

    # ---- building blocks

    def unix_time(self) -> int:
        return int(time.time())

    def next_cmid(self, peer_id: int) -> int:
        """``conversation_message_id`` grows per peer, shared by both sides."""
        return next(self._cmids.setdefault(peer_id, itertools.count(1)))

    def store_photo(self, data: bytes, *, owner_id: int) -> StoredPhoto:
        photo_id = next(self._ids)
        name = f"photo_{photo_id}.{_image_extension(data)}"
        self.store_file(data, name)
        self.store_file(b"THUMB" + hashlib.sha256(data).digest(), f"thumb_{name}")
        photo = StoredPhoto(owner_id=owner_id, id=photo_id, access_key=secrets.token_hex(9),
                            data=data, date=self.unix_time(), file_name=name,
                            base_url=self.base_url)
        self.photos[(owner_id, photo_id)] = photo
        return photo

    def store_doc(self, data: bytes, title: str, ext: str, *, owner_id: int,
                  access_key: str | None = None) -> StoredDoc:
        doc_id = next(self._ids)
        name = f"doc_{doc_id}.{ext}"
        self.store_file(data, name)
        doc = StoredDoc(owner_id=owner_id, id=doc_id, title=title, ext=ext, data=data,
                        date=self.unix_time(), file_name=name, base_url=self.base_url,
                        access_key=access_key)
        self.docs[(owner_id, doc_id)] = doc
        return doc

    def _attachments(self, value: Any) -> list[Attachment]:
        """Resolve ``photo<owner>_<id>[_key],doc<owner>_<id>[_key]`` to stored items."""
        if value is None or value == "":
            return []
        found: list[Attachment] = []
        items = value if isinstance(value, list) else str(value).split(",")
        for item in items:
            match = _ATTACHMENT.fullmatch(str(item).strip())
            if match is None:
                raise VkError(100, f"attachment {item!r} is invalid")
            kind, owner, item_id, key = match.groups()
            stored: Attachment | None = (self.photos if kind == "photo" else self.docs).get(
                (int(owner), int(item_id)))
            if stored is None or (key and stored.access_key and key != stored.access_key):
                raise VkError(100, f"attachment {item!r} not found")
            found.append(stored)
        return found


# --------------------------------------------------------------------------- validation


def validate_keyboard(value: Any) -> JsonDict | None:
    """Check a ``keyboard`` parameter against VK's rules; ``None`` if there is none."""
    if value is None or value == "":
        return None
    keyboard = parse_json_object(value)
    if keyboard is None:
        raise VkError(911, "keyboard is not a JSON object")
    rows = keyboard.get("buttons")
    inline, one_time = keyboard.get("inline", False), keyboard.get("one_time", False)
    if not isinstance(inline, bool) or not isinstance(one_time, bool):
        raise VkError(911, "inline and one_time must be booleans")
    if inline and one_time:
        raise VkError(911, "one_time is not allowed for an inline keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) and row for row in rows):
        raise VkError(911, "buttons must be an array of non-empty arrays")
    max_rows, per_row, total = INLINE_LIMITS if inline else STANDARD_LIMITS
    if len(rows) > max_rows:
        raise VkError(911, f"too many rows: {len(rows)} > {max_rows}")
    if any(len(row) > per_row for row in rows):
        raise VkError(911, f"too many buttons in a row (at most {per_row})")
    if sum(len(row) for row in rows) > total:
        raise VkError(911, f"too many buttons (at most {total})")
    for row in rows:
        for button in row:
            _validate_button(button, alone=len(row) == 1)
    return keyboard


def _validate_button(button: Any, *, alone: bool) -> None:
    action = button.get("action") if isinstance(button, dict) else None
    if not isinstance(action, dict):
        raise VkError(911, "a button has no action")
    kind = action.get("type")
    if kind not in BUTTON_TYPES:
        raise VkError(911, f"button type {kind!r} is not supported")
    label = action.get("label")
    if kind == "location":
        if label is not None:
            raise VkError(911, "a location button has no label")
        if not alone:
            raise VkError(911, "a location button must be alone in its row")
    elif not isinstance(label, str) or not label or len(label) > MAX_LABEL_LENGTH:
        raise VkError(911, f"label should be a string of 1-{MAX_LABEL_LENGTH} characters")
    if kind == "open_link" and not str(action.get("link", "")).startswith(("http://",
                                                                          "https://")):
        raise VkError(911, "open_link needs a link")
    payload = action.get("payload")
    if payload is not None:
        text = payload_text(payload)
        if isinstance(payload, str):
            try:
                json.loads(payload)
            except ValueError:
                raise VkError(911, "payload is not valid JSON") from None
        if text is not None and len(text) > MAX_PAYLOAD_LENGTH:
            raise VkError(911, f"payload should be at most {MAX_PAYLOAD_LENGTH} characters")
    color = button.get("color")
    if color is not None and color not in BUTTON_COLORS:
        raise VkError(911, f"color {color!r} is invalid")


def _validate_event_data(event_data: Any) -> None:
    if not isinstance(event_data, dict):
        raise VkError(100, "event_data is invalid")
    kind = event_data.get("type")
    if kind == "show_snackbar":
        text = event_data.get("text")
        if not isinstance(text, str) or not text or len(text) > MAX_SNACKBAR_LENGTH:
            raise VkError(100, f"event_data.text must be 1-{MAX_SNACKBAR_LENGTH} characters")
    elif kind == "open_link":
        if not str(event_data.get("link", "")).startswith(("http://", "https://")):
            raise VkError(100, "event_data.link is invalid")
    elif kind != "open_app":
        raise VkError(100, "event_data.type is invalid")


def _targets(params: JsonDict) -> tuple[list[int], bool]:
    """The recipients of messages.send, and whether the answer is a per-peer list."""
    if "peer_ids" in params or "user_ids" in params:
        raw = params.get("peer_ids", params.get("user_ids"))
        peers = [as_int(item) for item in (raw if isinstance(raw, list) else [raw])]
        if not peers or any(peer is None for peer in peers) or len(peers) > 100:
            raise VkError(100, "peer_ids is invalid")
        return [peer for peer in peers if peer is not None], True
    for key in ("peer_id", "user_id"):
        peer = as_int(params.get(key))
        if peer is not None:
            return [peer], False
    raise VkError(100, "peer_id is undefined")


def _image_extension(data: bytes) -> str:
    """By the magic bytes, so that ``/files/`` serves a PNG as ``image/png``."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"GIF8"):
        return "gif"
    return "jpg"


def _upload_hash(key: str) -> str:
    return hashlib.md5(f"fake-vk:{key}".encode(), usedforsecurity=False).hexdigest()


def parse_vkscript(code: str) -> tuple[list[tuple[str, JsonDict]], bool]:
    """Parse ``return [API.a.b({...}),API.c.d({...})];`` (or a single ``return API.x({});``):
    the only VKScript the bot produces. Anything else is error 12."""
    decoder = json.JSONDecoder()
    text = code.strip()
    if not text.startswith("return"):
        raise VkError(12)
    text = text.removeprefix("return").strip().removesuffix(";").strip()
    as_list = text.startswith("[")
    if as_list:
        if not text.endswith("]"):
            raise VkError(12)
        text = text[1:-1].strip()
    calls: list[tuple[str, JsonDict]] = []
    position = 0
    while position < len(text):
        match = re.compile(r"\s*API\.([A-Za-z]+\.[A-Za-z]+)\(\s*").match(text, position)
        if match is None:
            raise VkError(12)
        method, position = match.group(1), match.end()
        params: JsonDict = {}
        if not text.startswith(")", position):
            try:
                params, position = decoder.raw_decode(text, position)
            except ValueError:
                raise VkError(12) from None
            if not isinstance(params, dict):
                raise VkError(12)
        close = re.compile(r"\s*\)\s*(,\s*)?").match(text, position)
        if close is None:
            raise VkError(12)
        position = close.end()
        calls.append((method, params))
        if close.group(1) is None and position < len(text):
            raise VkError(12)
    if not as_list and len(calls) != 1:
        raise VkError(12)
    return calls, as_list
