"""Telegram updates as engine events."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message

from core.conversations.events import Event, PhotoInput


async def download(bot: Bot, file_id: str) -> bytes:
    """Through the Bot API file endpoint of whichever server the bot talks to."""
    buffer = await bot.download(file_id)
    if buffer is None:  # pragma: no cover - only when a destination is given
        raise RuntimeError("download returned nothing")
    return buffer.read()


def _photo(bot: Bot, file_id: str, size: int | None, caption: str) -> Event:
    async def fetch() -> bytes:
        return await download(bot, file_id)

    return Event.photo_event(PhotoInput(fetch, size, caption))


def message_event(bot: Bot, message: Message) -> Event:
    if message.text is not None:
        return Event.message(message.text)
    caption = message.caption or ""
    if message.photo:
        largest = message.photo[-1]
        return _photo(bot, largest.file_id, largest.file_size, caption)
    if message.document is not None:
        # An uncompressed photo arrives as a document; anything else fails the image check
        # with a message that says what is expected.
        return _photo(bot, message.document.file_id, message.document.file_size, caption)
    if message.location is not None:
        return Event.location(message.location.latitude, message.location.longitude)
    if message.contact is not None:
        sender = message.from_user.id if message.from_user else None
        own = message.contact.user_id is not None and message.contact.user_id == sender
        return Event.contact(message.contact.phone_number, own=own)
    return Event.other(message.content_type)
