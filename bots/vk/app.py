"""Factories for the VK bot: no global API or bot."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bots.vk.api import VkApi, create_api
from bots.vk.handlers import VkBot
from core.services.platform import Platform
from core.settings import Settings


async def group_id_of(api: VkApi, settings: Settings) -> int:
    """The community the token belongs to, unless settings name it."""
    if settings.vk_group_id is not None:
        return settings.vk_group_id
    groups = (await api.request("groups.getById", {}))["response"]
    groups = groups.get("groups", groups) if isinstance(groups, dict) else groups
    if not groups:
        raise SystemExit("POS_VK_TOKEN is not a community token: set POS_VK_GROUP_ID")
    return int(groups[0]["id"])


def callback_secret(settings: Settings) -> str:
    """The secret key VK sends with Callback API events (derived from secret_key when
    unset; VK allows up to 50 letters and digits)."""
    if settings.vk_callback_secret is not None:
        return settings.vk_callback_secret.get_secret_value()
    return hashlib.sha256(f"vk-callback|{settings.secret_key}".encode()).hexdigest()[:48]


@asynccontextmanager
async def vk_bot(p: Platform) -> AsyncIterator[VkBot]:
    api = create_api(p.settings)
    # Citizens' photos are fetched from VK's file servers with a client of its own, so a
    # slow download does not hold a connection the API calls need.
    session = aiohttp.ClientSession()
    bot = VkBot(p, api, session=session)
    try:
        yield bot
    finally:
        await bot.close()
        await session.close()
        await api.close()
