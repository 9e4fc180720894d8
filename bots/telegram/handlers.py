"""Handlers: translate the update, let the engine answer, render the replies. No flow logic."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.exceptions import AiogramError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bots.telegram.callbacks import EngineButton
from bots.telegram.events import message_event
from bots.telegram.middlewares import Dialog
from bots.telegram.render import Renderer
from core.conversations import texts as tx
from core.conversations.events import Event

log = logging.getLogger(__name__)


class PrivateChat(Filter):
    """Only private chats reach the citizen dialogs. A Filter, not ``F.chat.type == ...``:
    aiogram runs a magic filter, a plain function, in a worker thread for every update."""

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == ChatType.PRIVATE


def citizen_router() -> Router:
    router = Router(name="citizen")

    @router.message(PrivateChat())
    async def on_message(message: Message, bot: Bot, dialog: Dialog, renderer: Renderer
                         ) -> None:
        replies = await dialog.handle(message_event(bot, message))
        if replies:
            await renderer.send(message.chat.id, replies)

    @router.callback_query(EngineButton.filter())
    async def on_button(query: CallbackQuery, callback_data: EngineButton, dialog: Dialog,
                        renderer: Renderer) -> None:
        await _button(query, callback_data.p, dialog, renderer)

    @router.callback_query()
    async def on_foreign_button(query: CallbackQuery, dialog: Dialog, renderer: Renderer
                                ) -> None:
        # A button of an older bot version: the engine answers that it no longer works.
        await _button(query, query.data or "", dialog, renderer)

    @router.errors()
    async def on_error(event: ErrorEvent, bot: Bot) -> bool:
        log.error("update %s failed", event.update.update_id, exc_info=event.exception)
        chat_id = _chat_of(event)
        if chat_id is not None:
            try:
                await bot.send_message(chat_id, tx.BUSY)
            except Exception:  # the API is down too: nothing more to say
                log.debug("could not tell chat %s", chat_id, exc_info=True)
        return True

    return router


async def _button(query: CallbackQuery, payload: str, dialog: Dialog, renderer: Renderer
                  ) -> None:
    # Stop the client's spinner while the engine works, not before: one round trip less.
    answered = asyncio.ensure_future(renderer.answer_button(query.id))
    try:
        replies = await dialog.handle(Event.button(payload))
    finally:
        # Best effort: the dialog may already be saved, and a press too old to answer
        # ("query is too old") must not cost the citizen the reply.
        try:
            await answered
        except (AiogramError, aiohttp.ClientError, TimeoutError) as error:
            log.info("button press %s not answered: %s", query.id, error)
    if not replies:
        return
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    pressed = message.message_id if isinstance(message, Message) else None
    await renderer.send(chat_id, replies, pressed_message_id=pressed)


def _chat_of(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None and update.message.chat.type == ChatType.PRIVATE:
        return update.message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return None
