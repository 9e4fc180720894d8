"""Factories for the Telegram bot: no global Bot or Dispatcher."""

from __future__ import annotations

import aiogram.methods
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import Response
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import TelegramMethod

from bots.telegram.handlers import citizen_router
from bots.telegram.middlewares import CitizenUpdates, RecentUpdates, Throttle
from bots.telegram.render import Renderer
from bots.telegram.session import JsonSession
from core.conversations.engine import Conversations
from core.domain.enums import Channel
from core.services.platform import Platform
from core.settings import Settings

_PINNED: list[type] = []


def _pin_response_models() -> None:
    """aiogram builds ``Response[ReturnType]`` for every API call; pydantic caches generic
    models weakly, so without a strong reference the class is rebuilt after each garbage
    collection — a tenth of the bot's CPU under load (measured with py-spy, bench.telegram)."""
    if _PINNED:
        return
    for name in dir(aiogram.methods):
        method = getattr(aiogram.methods, name)
        if (isinstance(method, type) and issubclass(method, TelegramMethod)
                and method is not TelegramMethod
                and hasattr(method, "__returning__")):
            _PINNED.append(Response[method.__returning__])


def create_bot(settings: Settings) -> Bot:
    if settings.telegram_token is None:
        raise ValueError("POS_TELEGRAM_TOKEN is not set")
    _pin_response_models()
    session = JsonSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.telegram_token.get_secret_value(), session=session)


def create_dispatcher(p: Platform, bot: Bot) -> Dispatcher:
    engine = Conversations(p, channel=Channel.TELEGRAM)
    dp = Dispatcher(renderer=Renderer(bot, p.files), disable_fsm=True)  # dialogs live in core
    throttle = Throttle(burst=p.settings.bot_flood_burst, rate=p.settings.bot_flood_rate)
    dp.update.outer_middleware(CitizenUpdates(engine, recent=RecentUpdates(), throttle=throttle))
    router = citizen_router()
    dp.include_router(router)
    return dp
