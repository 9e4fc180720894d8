"""Records, constants and decoding helpers of the fake VK API (see fake_vk)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.e2e.fake_server import short

DEFAULT_TOKEN: Final = "vk1.a.fake-community-token"
DEFAULT_GROUP_ID: Final = 229_000_001
API_VERSION: Final = "5.199"
MAX_TEXT_LENGTH: Final = 4096
MAX_EXECUTE_CALLS: Final = 25
MAX_LABEL_LENGTH: Final = 40
MAX_PAYLOAD_LENGTH: Final = 255
MAX_SNACKBAR_LENGTH: Final = 90
EVENT_ANSWER_SECONDS: Final = 60.0
RANDOM_ID_WINDOW_SECONDS: Final = 3600.0
MESSAGES_ALBUM_ID: Final = -64  # VK's service album "photos from messages"
CHAT_PEER_BASE: Final = 2_000_000_000  # peer ids of group chats start here

# Standard and inline keyboard limits (dev.vk.com/ru/api/bots/development/keyboard):
# (rows, buttons per row, buttons in all).
STANDARD_LIMITS: Final = (10, 5, 40)
INLINE_LIMITS: Final = (6, 5, 10)
BUTTON_TYPES: Final = frozenset({"text", "callback", "location", "open_link"})
BUTTON_COLORS: Final = frozenset({"primary", "secondary", "positive", "negative"})
# What a modern client reports in client_info.button_actions.
ALL_BUTTON_ACTIONS: Final = ("text", "vkpay", "open_app", "location", "open_link", "callback",
                             "intent_subscribe", "intent_unsubscribe")

ERROR_MESSAGES: Final = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    8: "Invalid request: v (version) is required",
    9: "Flood control",
    10: "Internal server error",
    12: "Unable to compile code",
    13: "Runtime error occurred during code invocation: Too many API calls",
    15: "Access denied",
    100: "One of the parameters specified was missing or invalid",
    121: "Invalid hash",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    911: "Keyboard format is invalid",
    914: "Message is too long",
}

# Parameters decoded to int / list of ints when they look numeric (everything else stays as
# it came: a message text "123" is the string "123").
_INT_PARAMS: Final = frozenset({
    "peer_id", "user_id", "random_id", "conversation_message_id", "message_id", "group_id",
    "server", "album_id", "owner_id", "chat_id", "cmid", "sticker_id", "reply_to",
})
_INT_LIST_PARAMS: Final = frozenset({"peer_ids", "conversation_message_ids", "message_ids"})
_BAD_GATEWAY_HTML: Final = ("<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n"
                            "<body>\r\n<center><h1>{status} Bad Gateway</h1></center>\r\n"
                            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")

JsonDict = dict[str, Any]


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class StoredPhoto:
    """A photo the fake knows: uploaded and saved by the bot or sent by a citizen."""

    owner_id: int
    id: int
    access_key: str
    data: bytes
    date: int
    file_name: str
    """Under ``/files/``: the largest size's (the original bytes') URL path."""
    base_url: str
    album_id: int = MESSAGES_ALBUM_ID
    width: int = 1280
    height: int = 960

    @property
    def attachment(self) -> str:
        """``photo<owner>_<id>_<access_key>``, as ``messages.send`` takes it."""
        return f"photo{self.owner_id}_{self.id}_{self.access_key}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/files/{self.file_name}"

    def as_photo(self) -> JsonDict:
        """The 5.199 ``photo`` object; only the largest size (``w``) and ``orig_photo`` serve
        the original bytes, the smaller ones serve a thumbnail stand-in."""
        thumbnail = f"{self.base_url}/files/thumb_{self.file_name}"
        sizes = [{"type": kind, "width": width, "height": width * self.height // self.width,
                  "url": thumbnail} for kind, width in (("s", 75), ("m", 130), ("x", 604))]
        sizes.append({"type": "w", "width": self.width, "height": self.height, "url": self.url})
        return {"album_id": self.album_id, "date": self.date, "id": self.id,
                "owner_id": self.owner_id, "access_key": self.access_key, "sizes": sizes,
                "orig_photo": {"type": "base", "width": self.width, "height": self.height,
                               "url": self.url},
                "text": "", "has_tags": False, "web_view_token": self.access_key[:12]}


@dataclass(eq=False)
class StoredDoc:
    """A document the fake knows: uploaded and saved by the bot or sent by a citizen."""

    owner_id: int
    id: int
    title: str
    ext: str
    data: bytes
    date: int
    file_name: str
    base_url: str
    access_key: str | None = None

    @property
    def attachment(self) -> str:
        key = f"_{self.access_key}" if self.access_key else ""
        return f"doc{self.owner_id}_{self.id}{key}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/files/{self.file_name}"

    @property
    def type_code(self) -> int:
        """VK's doc type: 1 text, 2 archive, 3 gif, 4 image, 5 audio, 6 video, 7 e-book,
        8 unknown."""
        kinds = {("txt", "pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "csv"): 1,
                 ("zip", "rar", "7z", "gz", "tar"): 2, ("gif",): 3,
                 ("jpg", "jpeg", "png", "webp", "heic", "bmp", "tif", "tiff"): 4,
                 ("mp3", "ogg", "wav", "m4a", "opus"): 5, ("mp4", "avi", "mov", "mkv"): 6,
                 ("epub", "fb2", "djvu", "mobi"): 7}
        return next((code for exts, code in kinds.items() if self.ext.lower() in exts), 8)

    def as_doc(self) -> JsonDict:
        doc: JsonDict = {"id": self.id, "owner_id": self.owner_id, "title": self.title,
                         "size": len(self.data), "ext": self.ext, "url": self.url,
                         "date": self.date, "type": self.type_code, "is_unsafe": 0}
        if self.access_key:
            doc["access_key"] = self.access_key
        return doc


Attachment = StoredPhoto | StoredDoc


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent to a peer, as it is now (edits applied)."""

    peer_id: int
    message_id: int
    conversation_message_id: int
    text: str
    keyboard: JsonDict | None
    """The parsed keyboard JSON as sent (``None`` without one)."""
    attachments: list[Attachment]
    random_id: int
    date: int
    seq: int
    """Order of this message among everything the bot did (sends and edits)."""
    edits: int = 0

    @property
    def inline(self) -> bool:
        return bool(self.keyboard and self.keyboard.get("inline") and self.keyboard["buttons"])

    @property
    def buttons(self) -> list[JsonDict]:
        """The keyboard's buttons, row by row, flattened."""
        return list(iter_buttons(self.keyboard))

    @property
    def photos(self) -> list[bytes]:
        return [item.data for item in self.attachments if isinstance(item, StoredPhoto)]

    @property
    def docs(self) -> list[StoredDoc]:
        return [item for item in self.attachments if isinstance(item, StoredDoc)]

    def __repr__(self) -> str:
        extra = f", keyboard={len(self.buttons)} buttons" if self.keyboard else ""
        extra += f", {len(self.attachments)} attachments" if self.attachments else ""
        return (f"<SentMessage peer={self.peer_id} cmid={self.conversation_message_id} "
                f"{short(self.text)}{extra}>")


@dataclass(eq=False)
class Call:
    """One VK API method call made by the bot (directly or inside ``execute``).

    ``params`` merges the query string and the form body, without ``access_token`` and
    ``v``; values are as the bot sent them (``keyboard`` is the JSON string), except that
    id-like parameters (``peer_id``, ``random_id``, ...) become ``int`` and ``peer_ids`` a
    list of ints. Inside ``execute`` the values are the JSON values of the VKScript call.
    """

    method: str
    params: dict[str, Any]
    result: Any = None
    """The ``response`` returned (``None`` when the call failed)."""
    error_code: int | None = None
    error_msg: str | None = None
    at: float = 0.0
    via_execute: bool = False
    status: int = 200
    """HTTP status: anything but 200 only for :meth:`FakeVk.fail_with_status`."""
    messages: list[SentMessage] = field(default_factory=list)
    """The messages this send created or this edit changed (not for deduplicated sends)."""
    deduplicated: bool = False
    """A send the ``random_id`` made a no-op (the first message's id was returned)."""
    execute_errors: list[JsonDict] = field(default_factory=list)
    """For ``execute``: the failed inner calls, as listed in the answer."""

    @property
    def ok(self) -> bool:
        return self.error_code is None and self.status == 200

    @property
    def peer_id(self) -> int | None:
        """``peer_id`` (or ``user_id``, or the single ``peer_ids`` entry) of the call."""
        for key in ("peer_id", "user_id"):
            value = self.params.get(key)
            if isinstance(value, int):
                return value
        peers = self.params.get("peer_ids")
        if isinstance(peers, list) and len(peers) == 1 and isinstance(peers[0], int):
            return peers[0]
        return None

    @property
    def text(self) -> str | None:
        text = self.params.get("message")
        return text if isinstance(text, str) else None

    @property
    def keyboard(self) -> str | None:
        """The ``keyboard`` parameter as the JSON string the bot sent."""
        keyboard = self.params.get("keyboard")
        if keyboard is None or isinstance(keyboard, str):
            return keyboard
        return json.dumps(keyboard, ensure_ascii=False)

    @property
    def keyboard_data(self) -> JsonDict | None:
        """The ``keyboard`` parameter parsed (``None`` without one or if it is not JSON)."""
        return parse_json_object(self.params.get("keyboard"))

    @property
    def buttons(self) -> list[JsonDict]:
        return list(iter_buttons(self.keyboard_data))

    def delivered_to(self, peer_id: int) -> bool:
        return self.ok and any(message.peer_id == peer_id for message in self.messages)

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={short(value)}" for key, value in self.params.items())
        outcome = ("ok" if self.ok else f"HTTP {self.status}" if self.status != 200
                   else f"error {self.error_code} {self.error_msg or ''}".rstrip())
        where = " in execute" if self.via_execute else ""
        return f"<Call {self.method}({shown}){where} -> {outcome}>"


@dataclass
class PressedEvent:
    """A ``message_event`` (callback button press) waiting for its answer."""

    event_id: str
    user_id: int
    peer_id: int
    at: float
    answered: bool = False
    event_data: JsonDict | None = None


@dataclass
class _Fault:
    target: str  # lower-case method name, "/path-prefix" or "*"
    times: int
    error_code: int = 0
    error_msg: str = ""
    status: int = 0  # for a bare HTTP failure

    def matches(self, target: str) -> bool:
        if self.times <= 0:
            return False
        if self.target == "*":
            return True
        if self.target.startswith("/"):
            return target.startswith(self.target)
        return self.target == target.lower()


class VkError(Exception):
    """Raised by method handlers; becomes ``{"error": {...}}`` (or an ``execute_errors``
    entry inside ``execute``)."""

    def __init__(self, code: int, detail: str | None = None, *, message: str | None = None
                 ) -> None:
        base = message or ERROR_MESSAGES.get(code, "Unknown error occurred")
        self.code = code
        self.msg = f"{base}: {detail}" if detail else base
        super().__init__(self.msg)


# --------------------------------------------------------------------------- helpers


def iter_buttons(keyboard: Any) -> Iterator[JsonDict]:
    if not isinstance(keyboard, dict):
        return
    for row in keyboard.get("buttons") or []:
        if isinstance(row, list):
            yield from (button for button in row if isinstance(button, dict))


def payload_text(payload: Any) -> str | None:
    """A button payload as VK hands it back in ``message_new``: a JSON string (an object the
    bot sent is serialised compactly)."""
    if payload is None or isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def bad_gateway(status: int) -> web.Response:
    return web.Response(status=status, text=_BAD_GATEWAY_HTML.format(status=status),
                        content_type="text/html")


def error_body(code: int, msg: str, params: dict[str, Any], method: str) -> JsonDict:
    """``{"error": ...}`` with ``request_params`` as VK lists them."""
    request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"},
                      *({"key": key, "value": str(value)} for key, value in params.items()
                        if key not in ("access_token", "code"))]
    return {"error": {"error_code": code, "error_msg": msg, "request_params": request_params}}


def decode_param(key: str, value: Any) -> Any:
    """Turn one wire (or VKScript) value into its Python value (see :class:`Call`)."""
    if key in _INT_PARAMS and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if key in _INT_LIST_PARAMS:
        items = value if isinstance(value, list) else str(value).split(",")
        return [number if (number := as_int(item)) is not None else item
                for item in items if str(item).strip()]
    return value


def parse_json_object(value: Any) -> JsonDict | None:
    """A JSON object given as a string (or already decoded, inside ``execute``)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def csv_items(value: Any) -> list[str]:
    """A list parameter: ``"1,2"``, ``[1, 2]`` or ``1`` -> ``["1", "2"]``."""
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def as_flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")
