"""Engine replies as Telegram messages: inline keyboards, request keyboards, photos."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bots.telegram.callbacks import EngineButton
from core.conversations.replies import Reply, Request
from core.ports import FileStorage

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096
MEDIA_GROUP_LIMIT = 10

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def markup(reply: Reply) -> Markup | None:
    if reply.request is not None:
        first = KeyboardButton(text=reply.request_label,
                               request_location=reply.request is Request.LOCATION or None,
                               request_contact=reply.request is Request.CONTACT or None)
        rows = [[first]]
        if reply.keyboard_texts:
            rows.append([KeyboardButton(text=t) for t in reply.keyboard_texts])
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.buttons:
        return InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=EngineButton(p=b.payload).pack())
             for b in row] for row in reply.rows()])
    if reply.close_keyboard:
        return ReplyKeyboardRemove()
    return None


def chunks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long text at line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


class Renderer:
    def __init__(self, bot: Bot, files: FileStorage) -> None:
        self.bot = bot
        self.files = files

    async def send(self, chat_id: int, replies: list[Reply], *,
                   pressed_message_id: int | None = None) -> None:
        for reply in replies:
            await self.send_one(chat_id, reply, pressed_message_id=pressed_message_id)

    async def send_one(self, chat_id: int, reply: Reply, *,
                       pressed_message_id: int | None = None) -> None:
        if reply.media:
            await self._media(chat_id, reply.media)
        keyboard = markup(reply)
        parts = chunks(reply.text)
        if (reply.replace and pressed_message_id is not None and len(parts) == 1
                and (keyboard is None or isinstance(keyboard, InlineKeyboardMarkup))):
            try:
                await self.bot.edit_message_text(text=parts[0], chat_id=chat_id,
                                                 message_id=pressed_message_id,
                                                 reply_markup=keyboard)
                return
            except TelegramBadRequest as error:  # too old to edit, or nothing changed
                if "not modified" in str(error):
                    return
                log.debug("edit failed, sending anew: %s", error)
        for i, part in enumerate(parts):
            await self.bot.send_message(chat_id, part,
                                        reply_markup=keyboard if i == len(parts) - 1 else None)

    async def _media(self, chat_id: int, keys: tuple[str, ...]) -> None:
        files = []
        for i, key in enumerate(keys[:MEDIA_GROUP_LIMIT]):
            files.append(BufferedInputFile(await self.files.load(key), filename=f"photo{i}.jpg"))
        if len(files) == 1:
            await self.bot.send_photo(chat_id, files[0])
        elif files:
            await self.bot.send_media_group(chat_id, [InputMediaPhoto(media=f) for f in files])
