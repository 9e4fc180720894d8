"""The Bot API methods the fake answers, as a mixin of :class:`FakeTelegram`: what each call
does to the fake's chats, messages, files and webhook (the server, queue and fault injection
stay in ``fake_telegram``)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from tests.e2e.fake_server import clone
from tests.e2e.fake_telegram_citizen import _extension
from tests.e2e.fake_telegram_records import (
    _NOT_MODIFIED,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_TEXT_LENGTH,
    Call,
    JsonDict,
    _ApiError,
    _iter_inline_buttons,
)


class BotApiMethods:
    """Handlers ``_<method>(call)`` returning the call's ``result`` or raising ``_ApiError``,
    working on the state :class:`FakeTelegram` sets up in its ``__init__``."""


    async def _return_true(self, call: Call) -> bool:
        return True

    async def _get_me(self, call: Call) -> JsonDict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _get_updates(self, call: Call) -> list[JsonDict]:
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                 "active; use deleteWebhook to delete the webhook first")
        offset = call.params.get("offset")
        if isinstance(offset, int) and offset > 0:
            # Simplification: only updates already handed out are confirmed, so a redelivered
            # duplicate with a smaller id is still delivered once.
            self._queue = [entry for entry in self._queue
                           if not (entry.delivered and entry.update["update_id"] < offset)]
        limit = call.params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = call.params.get("timeout")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout if isinstance(timeout, int | float) else 0)
        while not self._queue and not self._closing and loop.time() < deadline:
            await self._updates_signal.wait(deadline - loop.time())
        batch = self._queue[:limit]
        for entry in batch:
            entry.delivered = True
        return [clone(entry.update) for entry in batch]

    async def _set_webhook(self, call: Call) -> bool:
        url = call.params.get("url") or ""
        secret = call.params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        if call.params.get("drop_pending_updates") is True:
            self._queue.clear()
        self.webhook_url = str(url) or None
        self.webhook_secret = str(secret) if secret is not None and url else None
        return True

    async def _delete_webhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates") is True:
            self._queue.clear()
        self.webhook_url = self.webhook_secret = None
        return True

    async def _get_webhook_info(self, call: Call) -> JsonDict:
        return {"url": self.webhook_url or "", "has_custom_certificate": False,
                "pending_update_count": len(self._queue)}

    async def _send_message(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        text = call.params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return self._deliver(chat_id, call, {"text": text})

    async def _send_photo(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        content: JsonDict = {"photo": self._photo_sizes(call.params.get("photo"))}
        return self._deliver(chat_id, call, self._with_caption(content, call.params))

    async def _send_document(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        name = call.filenames.get("document", "document.bin")
        content = {"document": self._document(call.params.get("document"), name)}
        return self._deliver(chat_id, call, self._with_caption(content, call.params))

    async def _send_media_group(self, call: Call) -> list[JsonDict]:
        chat_id = self._chat_id(call)
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: wrong number of media in the group, "
                                 "must be 2-10")
        group_id = str(10**17 + next(self._counter))
        contents = []
        for item in media:
            if not isinstance(item, dict):
                raise _ApiError(400, "Bad Request: can't parse InputMedia")
            kind = item.get("type")
            if kind == "photo":
                content: JsonDict = {"photo": self._photo_sizes(item.get("media"))}
            elif kind == "document":
                content = {"document": self._document(item.get("media"), "document.bin")}
            else:
                raise _ApiError(400, f"Bad Request: unsupported media type {kind!r} in fake")
            contents.append({**self._with_caption(content, item), "media_group_id": group_id})
        return [self._deliver(chat_id, call, content) for content in contents]

    async def _send_chat_action(self, call: Call) -> bool:
        self._chat_id(call)
        if not isinstance(call.params.get("action"), str):
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _edit_message_text(self, call: Call) -> JsonDict | bool:
        text = call.params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        if call.params.get("inline_message_id"):
            return True
        message = self._message_to_edit(call)
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._inline_markup(call.params.get("reply_markup"))
        if message["text"] == text and message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        return self._edited(message, markup)

    async def _edit_message_reply_markup(self, call: Call) -> JsonDict | bool:
        if call.params.get("inline_message_id"):
            return True
        message = self._message_to_edit(call)
        markup = self._inline_markup(call.params.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        return self._edited(message, markup)

    async def _delete_message(self, call: Call) -> bool:
        chat_id = self._chat_id(call)
        message_id = call.params.get("message_id")
        if self._bot_messages.get(chat_id, {}).pop(message_id, None) is not None:
            return True
        if (chat_id, message_id) in self._citizen_messages:
            self._citizen_messages.discard((chat_id, message_id))
            return True
        raise _ApiError(400, "Bad Request: message to delete not found")

    async def _answer_callback_query(self, call: Call) -> bool:
        if call.params.get("callback_query_id") not in self._callback_ids:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
        return True

    async def _get_file(self, call: Call) -> JsonDict:
        stored = self.files.get(str(call.params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _ApiError(400, "Bad Request: file is too big")
        return stored.as_file()

    async def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        self.my_commands = commands
        return True

    async def _get_my_commands(self, call: Call) -> list[Any]:
        return self.my_commands or []

    async def _delete_my_commands(self, call: Call) -> bool:
        self.my_commands = None
        return True

    async def _get_chat(self, call: Call) -> JsonDict:
        chat = self._chat(self._chat_id(call))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    async def _get_chat_member(self, call: Call) -> JsonDict:
        self._chat_id(call)
        user_id = call.params.get("user_id")
        if not isinstance(user_id, int):
            raise _ApiError(400, "Bad Request: invalid user_id specified")
        if user_id == self.bot_id:
            return {"status": "member", "user": self.bot_user}
        citizen = self._citizens.get(user_id)
        user = citizen.user if citizen else {"id": user_id, "is_bot": False,
                                             "first_name": "Иван"}
        return {"status": "member", "user": user}

    # ---- building blocks of the methods

    @staticmethod
    def _chat_id(call: Call) -> int | str:
        chat_id = call.params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int) and not (isinstance(chat_id, str)
                                                  and chat_id.startswith("@")):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _chat(self, chat_id: int | str) -> JsonDict:
        if isinstance(chat_id, str):
            return {"id": -1_001_000_000_000, "type": "channel", "title": chat_id,
                    "username": chat_id.removeprefix("@")}
        if chat_id < 0:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            return {"id": chat_id, "type": kind, "title": "Группа"}
        citizen = self._citizens.get(chat_id)
        if citizen is not None:
            return citizen.chat
        return {"id": chat_id, "type": "private", "first_name": "Иван"}

    def _deliver(self, chat_id: int | str, call: Call, content: JsonDict) -> JsonDict:
        """Create a bot message in the chat and return it as the API result."""
        markup = call.params.get("reply_markup")
        inline = self._inline_markup(markup)
        key = chat_id if isinstance(chat_id, int) else self._chat(chat_id)["id"]
        message: JsonDict = {"message_id": self.next_message_id(key), "from": self.bot_user,
                             "chat": self._chat(chat_id), "date": int(time.time()), **content}
        # Only inline keyboards come back in Message.reply_markup (aiogram types it as
        # InlineKeyboardMarkup; echoing a reply keyboard would fail validation).
        if inline is not None:
            message["reply_markup"] = inline
        elif isinstance(markup, dict) and "keyboard" in markup:
            self._reply_keyboards[key] = markup
        elif isinstance(markup, dict) and markup.get("remove_keyboard"):
            self._reply_keyboards[key] = None
        self._bot_messages.setdefault(key, {})[message["message_id"]] = message
        return clone(message)

    @staticmethod
    def _inline_markup(markup: Any) -> JsonDict | None:
        """Validate a reply_markup; return it if it is an inline keyboard."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        for button in _iter_inline_buttons(markup):
            data = button.get("callback_data")
            if data is not None and (not data or len(str(data).encode()) >
                                     MAX_CALLBACK_DATA_BYTES):
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if set(button) <= {"text", "style", "icon_custom_emoji_id"}:
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button: Text "
                                     "buttons are unallowed in the inline keyboard")
        return markup

    def _message_to_edit(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        key = chat_id if isinstance(chat_id, int) else self._chat(chat_id)["id"]
        message = self._bot_messages.get(key, {}).get(call.params.get("message_id"))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    @staticmethod
    def _edited(message: JsonDict, markup: JsonDict | None) -> JsonDict:
        """Finish an edit: without a new reply_markup the inline keyboard goes away."""
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return clone(message)

    @staticmethod
    def _with_caption(content: JsonDict, params: JsonDict) -> JsonDict:
        caption = params.get("caption")
        if isinstance(caption, str) and caption:
            if len(caption) > MAX_CAPTION_LENGTH:
                raise _ApiError(400, "Bad Request: message caption is too long")
            content["caption"] = caption
        return content

    def _photo_sizes(self, photo: Any) -> list[JsonDict]:
        """The PhotoSize array for an uploaded photo, a known file_id or a URL."""
        if isinstance(photo, bytes):
            if not photo:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            return self.register_photo(photo)
        if not isinstance(photo, str) or not photo:
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        if photo.startswith(("http://", "https://")):
            return self.register_photo(b"", source_url=photo)
        if photo in self._photo_sets:
            return clone(self._photo_sets[photo])
        known = self.files.get(photo)
        if known is not None:
            raise _ApiError(400, f"Bad Request: can't use file of type "
                                 f"{known.kind.capitalize()} as Photo")
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _document(self, document: Any, file_name: str) -> JsonDict:
        if isinstance(document, bytes):
            stored = self.register_file(document, kind="document",
                                        extension=_extension(file_name))
        elif isinstance(document, str) and document in self.files:
            stored = self.files[document]
        else:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_name": file_name, "file_size": stored.file_size}
