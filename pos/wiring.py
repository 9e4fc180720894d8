"""Build the platform and its channels from settings, once, at the entry point."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from core.domain.enums import Channel
from core.notifications.texts import render
from core.notifications.worker import ChannelRegistry
from core.ports import Notification
from core.services.platform import Platform, build_platform
from core.settings import Settings

log = logging.getLogger("pos.notifications")


class ConsoleSender:
    """Development stand-in for a channel with no token: prints what the citizen would read."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def send(self, notification: Notification) -> None:
        text = render(notification.kind, notification.payload)
        log.info("→ %s:%s  %s", notification.channel, notification.recipient, text)


@asynccontextmanager
async def channel_registry(p: Platform, *, console_fallback: bool
                           ) -> AsyncIterator[ChannelRegistry]:
    """The channels configured in settings; in development, channels without a sender print
    to the console so a demo shows every notification."""
    settings = p.settings
    registry = ChannelRegistry()
    async with AsyncExitStack() as stack:
        if settings.telegram_token is not None:
            from bots.telegram.app import create_bot
            from bots.telegram.sender import TelegramSender

            bot = create_bot(settings)
            stack.push_async_callback(bot.session.close)
            registry.register(TelegramSender(bot, p.files))
        if settings.vk_token is not None:
            from bots.vk.api import create_api
            from bots.vk.sender import VkSender

            api = create_api(settings)
            stack.push_async_callback(api.close)
            sender = VkSender(api, p.files)
            stack.push_async_callback(sender.close)
            registry.register(sender)
        _console(settings, registry, console_fallback=console_fallback)
        yield registry


def _console(settings: Settings, registry: ChannelRegistry, *, console_fallback: bool) -> None:
    if console_fallback and settings.environment == "development":
        for channel in Channel:
            if channel.value not in registry.channels:
                registry.register(ConsoleSender(channel.value))


@asynccontextmanager
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    p = build_platform(settings)
    try:
        yield p
    finally:
        await p.close()
