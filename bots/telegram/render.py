"""Engine replies as Telegram messages: inline keyboards, request keyboards, photos."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.methods.base import TelegramMethod
from aiogram.types import BufferedInputFile, InputMediaPhoto

from bots.telegram.callbacks import button_data
from bots.telegram.session import JsonSession
from core.conversations.replies import Reply, Request, chunks
from core.ports import FileStorage

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096
MEDIA_GROUP_LIMIT = 10

Json = dict[str, Any]


def markup(reply: Reply) -> Json | None:
    """The reply's keyboard as the Bot API's JSON (no aiogram models: see JsonSession)."""
    if reply.request is not None:
        first: Json = {"text": reply.request_label}
        if reply.request is Request.LOCATION:
            first["request_location"] = True
        if reply.request is Request.CONTACT:
            first["request_contact"] = True
        rows: list[list[Json]] = [[first]]
        if reply.keyboard_texts:
            rows.append([{"text": t} for t in reply.keyboard_texts])
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    if reply.buttons:
        return {"inline_keyboard": [
            [{"text": b.label, "callback_data": button_data(b.payload)} for b in row]
            for row in reply.rows()]}
    if reply.close_keyboard:
        return {"remove_keyboard": True}
    return None


class Renderer:
    def __init__(self, bot: Bot, files: FileStorage) -> None:
        self.bot = bot
        self.files = files

    async def call(self, method: type[TelegramMethod[Any]], params: Json) -> None:
        """A call whose answer nobody reads, from the Bot API's JSON (see JsonSession)."""
        session = self.bot.session
        # The JSON path skips aiogram's request middlewares and the bot's default properties
        # (parse mode and the like); with any of those, aiogram's own path applies them.
        if (isinstance(session, JsonSession) and not len(session.middleware)
                and self.bot.default.parse_mode is None):
            await session.send(self.bot, method, params)
        else:
            await self.bot(method.model_validate(params))

    async def answer_button(self, query_id: str) -> None:
        await self.call(AnswerCallbackQuery, {"callback_query_id": query_id})

    async def send(self, chat_id: int, replies: list[Reply], *,
                   pressed_message_id: int | None = None) -> None:
        for reply in replies:
            await self.send_one(chat_id, reply, pressed_message_id=pressed_message_id)

    async def send_one(self, chat_id: int, reply: Reply, *,
                       pressed_message_id: int | None = None) -> None:
        if reply.media:
            await self._media(chat_id, reply.media)
        for i, key in enumerate(reply.documents, 1):
            await self.bot.send_document(chat_id, BufferedInputFile(
                await self.files.load(key), filename=f"document{i}.pdf"))
        keyboard = markup(reply)
        parts = chunks(reply.text, TEXT_LIMIT)
        if (reply.replace and pressed_message_id is not None and len(parts) == 1
                and (keyboard is None or "inline_keyboard" in keyboard)):
            params: Json = {"chat_id": chat_id, "message_id": pressed_message_id,
                            "text": parts[0]}
            if keyboard is not None:
                params["reply_markup"] = keyboard
            try:
                await self.call(EditMessageText, params)
                return
            except TelegramBadRequest as error:  # too old to edit, or nothing changed
                if "not modified" in str(error):
                    return
                log.debug("edit failed, sending anew: %s", error)
        for i, part in enumerate(parts):
            params = {"chat_id": chat_id, "text": part}
            if keyboard is not None and i == len(parts) - 1:
                params["reply_markup"] = keyboard
            await self.call(SendMessage, params)

    async def _media(self, chat_id: int, keys: tuple[str, ...]) -> None:
        files = []
        for i, key in enumerate(keys[:MEDIA_GROUP_LIMIT]):
            files.append(BufferedInputFile(await self.files.load(key), filename=f"photo{i}.jpg"))
        if len(files) == 1:
            await self.bot.send_photo(chat_id, files[0])
        elif files:
            await self.bot.send_media_group(chat_id, [InputMediaPhoto(media=f) for f in files])
