"""Scripted citizens of the fake Bot API: they produce real-shaped updates."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from tests.e2e.fake_server import clone
from tests.e2e.fake_telegram_records import (
    OWN_ID,
    Call,
    JsonDict,
    _iter_inline_buttons,
    _Own,
    _utf16_length,
)

if TYPE_CHECKING:
    from tests.e2e.fake_telegram import FakeTelegram



class Citizen:
    """A Telegram user writing to the bot in a private chat (chat id == user id).

    Every ``send_*``/``press*`` method enqueues one real-shaped update and returns its
    ``update_id``. Get one from :meth:`FakeTelegram.user`.
    """

    def __init__(self, tg: FakeTelegram, user_id: int, first_name: str,
                 username: str | None, language_code: str | None) -> None:
        self.tg = tg
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code

    def __repr__(self) -> str:
        return f"<Citizen {self.id} {self.first_name!r}>"

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def user(self) -> JsonDict:
        """The ``User`` object of this citizen."""
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> JsonDict:
        """The private ``Chat`` object between the bot and this citizen."""
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    # ---- messages

    def send_text(self, text: str) -> int:
        """A text message; a leading ``/command`` gets its ``bot_command`` entity."""
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": _utf16_length(command)}]
        return self._send(content)

    def send_photo(self, data: bytes, *, caption: str | None = None,
                   file_size: int | None = None, media_group_id: str | None = None) -> int:
        """A photo (thumbnail + full size); ``file_size`` overrides the declared size of the
        full one, e.g. to pretend it is larger than ``getFile`` allows."""
        content: JsonDict = {"photo": self.tg.register_photo(data, file_size=file_size)}
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._send(content)

    def send_document(self, data: bytes, file_name: str, mime_type: str, *,
                      caption: str | None = None) -> int:
        stored = self.tg.register_file(data, kind="document", extension=_extension(file_name))
        document = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                    "file_name": file_name, "mime_type": mime_type,
                    "file_size": stored.file_size}
        content: JsonDict = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._send(content)

    def send_location(self, lat: float, lon: float) -> int:
        return self._send({"location": {"latitude": lat, "longitude": lon}})

    def send_contact(self, phone: str, *, first_name: str = "Иван",
                     user_id: int | Literal[_Own.ID] | None = OWN_ID) -> int:
        """A shared contact; by default the citizen's own (``user_id`` = own id), pass another
        id for somebody else's contact or ``None`` for a contact without a Telegram account."""
        contact: JsonDict = {"phone_number": phone, "first_name": first_name}
        if user_id is OWN_ID:
            contact["user_id"] = self.id
        elif user_id is not None:
            contact["user_id"] = user_id
        return self._send({"contact": contact})

    def send_sticker(self) -> int:
        """A sticker: input the bot cannot use."""
        stored = self.tg.register_file(b"RIFF\x00\x00\x00\x00WEBPVP8 sticker", kind="sticker",
                                       extension="webp")
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": "👍", "set_name": "FakeStickers",
                   "file_size": stored.file_size}
        return self._send({"sticker": sticker})

    def _send(self, content: JsonDict) -> int:
        message = {"message_id": self.tg.next_message_id(self.id), "from": self.user,
                   "chat": self.chat, "date": int(time.time()), **content}
        self.tg.note_citizen_message(self.id, message["message_id"])
        return self.tg.enqueue({"message": message})

    # ---- buttons

    def press(self, button: str, *, message: Call | None = None) -> int:
        """Press the inline button whose text or ``callback_data`` equals ``button``.

        Looks in the most recent message the bot sent to this chat that still has an inline
        keyboard (edits and deletions are taken into account), or in ``message`` — a recorded
        send/edit call — if given. Raises ``AssertionError`` listing the buttons on no match.
        """
        if message is not None:
            bot_message = self._message_of(message)
        else:
            found = self.tg.last_keyboard_message(self.id)
            if found is None:
                raise AssertionError(
                    f"the bot has no message with an inline keyboard in chat {self.id}; "
                    f"it sent: {self.tg.sent_to(self.id)!r}")
            bot_message = found
        buttons = list(_iter_inline_buttons(bot_message.get("reply_markup")))
        for candidate in buttons:
            if button in (candidate.get("text"), candidate.get("callback_data")):
                if "callback_data" not in candidate:
                    raise AssertionError(f"button {candidate!r} is not a callback button")
                return self._callback(candidate["callback_data"], bot_message)
        available = [(b.get("text"), b.get("callback_data")) for b in buttons]
        raise AssertionError(
            f"no inline button {button!r} in message {bot_message['message_id']} of chat "
            f"{self.id}; available (text, callback_data): {available!r}")

    def press_stale(self, callback_data: str, message_call: Call) -> int:
        """Press a button on an older message exactly as that call left it — even if the bot
        has since edited or deleted it. ``callback_data`` is not checked against the keyboard."""
        return self._callback(callback_data, self._message_of(message_call))

    def reply_keyboard(self) -> JsonDict | None:
        """The reply keyboard (``ReplyKeyboardMarkup`` as JSON) currently shown in this chat,
        or ``None`` if none was sent or it was removed with ``ReplyKeyboardRemove``."""
        return self.tg.reply_keyboard(self.id)

    def _message_of(self, call: Call) -> JsonDict:
        if not call.ok or not isinstance(call.result, dict) or "message_id" not in call.result:
            raise AssertionError(f"{call!r} did not return a message")
        return call.result

    def _callback(self, data: str, message: JsonDict) -> int:
        query: JsonDict = {"id": self.tg.next_callback_id(), "from": self.user,
                 "message": clone(message), "chat_instance": f"{-abs(self.id) * 7919}",
                 "data": data}
        self.tg.note_callback_query(query["id"])
        return self.tg.enqueue({"callback_query": query})


def _extension(file_name: str) -> str:
    _, dot, extension = file_name.rpartition(".")
    return extension.lower() if dot and extension else "bin"

