"""Records, constants and decoding helpers of the fake Bot API (see fake_telegram)."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.e2e.fake_server import json_response, short

DEFAULT_TOKEN: Final = "123456:TEST-TOKEN"
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024  # getFile refuses bigger files
PHOTO_SIZE: Final = (1280, 960)
THUMBNAIL_SIZE: Final = (320, 240)

# Methods whose result is a message delivered to ``chat_id``; ``sent_to`` lists these.
_DELIVERY_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendMediaGroup",
                                      "editMessageText"})
# Methods refused with 403 once the chat has blocked the bot.
_BLOCKABLE_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument",
                                       "sendMediaGroup", "sendChatAction", "editMessageText",
                                       "editMessageReplyMarkup"})
# Parameters that are plain strings on the wire and must never be JSON-decoded
# (a message text "123" stays "123"). Everything else is tried as JSON.
_STRING_PARAMS: Final = frozenset({
    "text", "caption", "parse_mode", "url", "secret_token", "callback_query_id",
    "inline_message_id", "file_id", "action", "language_code", "emoji", "description",
    "short_description", "name", "title", "query", "photo", "document", "video", "audio",
    "voice", "animation", "sticker", "thumbnail", "message_effect_id",
    "business_connection_id", "ip_address", "certificate", "custom_emoji_id", "filename",
})
_NOT_MODIFIED: Final = ("Bad Request: message is not modified: specified new message content "
                        "and reply markup are exactly the same as a current content and reply "
                        "markup of the message")
_BAD_GATEWAY_HTML: Final = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx"
                            "</center>\r\n</body>\r\n</html>\r\n")

JsonDict = dict[str, Any]


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class Call:
    """One Bot API request made by the bot.

    ``params`` merges the query string and the body (form, multipart or JSON) with JSON-ish
    values decoded: ``reply_markup``/``media``/``commands`` become dicts and lists, numeric
    ``chat_id`` becomes ``int``, ``"true"`` becomes ``True``. Uploaded files appear as
    ``bytes``: under the parameter that referenced them with ``attach://<field>`` (aiogram
    always uploads that way, even inside ``media`` lists) or, for a direct upload, under their
    own multipart field name. ``files`` keeps every uploaded part by its field name.
    """

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    status: int = 0
    """HTTP status the fake answered with (200 on success)."""
    result: Any = None
    """The ``result`` returned to the bot (the message object for send/edit methods)."""
    description: str | None = None
    """The error description when the call failed."""
    content_type: str = ""
    """How the body came: ``application/json``, ``multipart/form-data``, ..."""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        text = self.params.get("text")
        return text if isinstance(text, str) else None

    @property
    def caption(self) -> str | None:
        caption = self.params.get("caption")
        return caption if isinstance(caption, str) else None

    @property
    def reply_markup(self) -> JsonDict | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def inline_buttons(self) -> list[JsonDict]:
        """The inline keyboard's buttons, row by row, flattened."""
        return list(_iter_inline_buttons(self.reply_markup))

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={short(value)}" for key, value in self.params.items())
        outcome = "ok" if self.ok else f"{self.status} {self.description or ''}".rstrip()
        return f"<Call {self.method}({shown}) -> {outcome}>"


@dataclass
class StoredFile:
    """A file the fake can serve through ``getFile`` and the download URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str
    """``photo``, ``document`` or ``sticker``."""
    file_size: int
    source_url: str | None = None
    """Set for files the bot "sent" by URL; the fake never fetches them (``data`` is empty)."""

    def as_file(self) -> JsonDict:
        """The ``File`` object ``getFile`` returns."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.file_size, "file_path": self.file_path}


@dataclass(eq=False)
class _Queued:
    update: JsonDict
    delivered: bool = False


@dataclass
class _Fault:
    method: str  # lower-case method name or "*"
    times: int
    status: int
    description: str = ""
    retry_after: int | None = None
    body: str | None = None  # non-JSON body: answered as text/html

    def matches(self, method: str) -> bool:
        return self.times > 0 and self.method in ("*", method.lower())


class _ApiError(Exception):
    """Raised by method handlers; becomes an ``{"ok": false, ...}`` response."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class _Own(enum.Enum):
    """Sentinel: "the citizen's own user id" for :meth:`Citizen.send_contact`."""

    ID = "own"


OWN_ID: Final = _Own.ID


# --------------------------------------------------------------------------- decoding helpers


def _iter_inline_buttons(markup: Any) -> Iterator[JsonDict]:
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        yield from (button for button in row if isinstance(button, dict))


def _resolve_attachments(value: Any, uploads: dict[str, bytes], used: set[str]) -> Any:
    """Replace ``attach://<field>`` strings anywhere in ``value`` by the uploaded bytes."""
    if isinstance(value, str) and value.startswith("attach://"):
        name = value.removeprefix("attach://")
        if name in uploads:
            used.add(name)
            return uploads[name]
        return value
    if isinstance(value, dict):
        return {key: _resolve_attachments(item, uploads, used) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_attachments(item, uploads, used) for item in value]
    return value


def _decode_param(key: str, value: Any, uploads: dict[str, bytes], used: set[str]) -> Any:
    """Turn one wire value into its JSON-ish Python value (see :class:`Call`)."""
    if isinstance(value, str) and not value.startswith("attach://"):
        if key in _STRING_PARAMS:
            return value
        try:
            value = json.loads(value)
        except ValueError:
            return value  # e.g. chat_id="@channel"
    if not uploads:  # nothing to put in place (every JSON call): the value as parsed
        return value
    return _resolve_attachments(value, uploads, used)


def _utf16_length(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _api_error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: JsonDict = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return json_response(body, status=code)

