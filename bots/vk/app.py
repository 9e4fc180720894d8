"""Factories for the VK bot: no global API or bot."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from vkbottle import VKAPIError

from bots.vk.api import VkApi, VkUnavailable, create_api
from bots.vk.handlers import VkBot
from core.services.platform import Platform
from core.settings import Settings

log = logging.getLogger(__name__)


async def group_id_of(api: VkApi, settings: Settings) -> int:
    """The community the token belongs to, unless settings name it. VK being down at start
    is waited out (with the rest of the platform running meanwhile)."""
    if settings.vk_group_id is not None:
        return settings.vk_group_id
    for pause in (1, 2, 5, 10, 30, 60):
        try:
            return _first_group((await api.request("groups.getById", {}))["response"])
        except (aiohttp.ClientError, TimeoutError, VkUnavailable, VKAPIError) as error:
            if isinstance(error, VKAPIError) and error.code == 5:
                raise SystemExit("POS_VK_TOKEN is refused by VK (error 5)") from error
            log.warning("VK: groups.getById failed (%s); again in %s s", error, pause)
            await asyncio.sleep(pause)
    return _first_group((await api.request("groups.getById", {}))["response"])


def _first_group(groups: Any) -> int:
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
