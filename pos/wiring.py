"""Build the platform and its channels from settings, once, at the entry point."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


def channel_registry(settings: Settings, *, console_fallback: bool) -> ChannelRegistry:
    """Real channels register here as the bots arrive; in development, channels without a
    sender print to the console so a demo shows every notification."""
    registry = ChannelRegistry()
    if console_fallback and settings.environment == "development":
        for channel in Channel:
            if channel.value not in registry.channels:
                registry.register(ConsoleSender(channel.value))
    return registry


@asynccontextmanager
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    p = build_platform(settings)
    try:
        yield p
    finally:
        await p.close()
