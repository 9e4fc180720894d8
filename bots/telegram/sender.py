"""The Telegram channel port for the outbox: a notification as a message with buttons."""

from __future__ import annotations

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from bots.telegram.render import Renderer
from core.conversations.notices import notice_reply
from core.domain.enums import Channel
from core.ports import DeliveryError, FileStorage, Notification

# Telegram's answers that mean the chat will never take our messages.
GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class TelegramSender:
    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot, files: FileStorage) -> None:
        self.renderer = Renderer(bot, files)

    async def send(self, notification: Notification) -> None:
        reply = notice_reply(notification.kind, notification.payload)
        try:
            await self.renderer.send_one(int(notification.recipient), reply)
        except TelegramRetryAfter as error:
            raise DeliveryError(str(error), retry_after=float(error.retry_after)) from error
        except TelegramForbiddenError as error:
            raise DeliveryError(str(error), permanent=True) from error
        except TelegramBadRequest as error:
            gone = any(marker in str(error).lower() for marker in GONE)
            raise DeliveryError(str(error), permanent=gone) from error
        except (TimeoutError, AiogramError, aiohttp.ClientError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
