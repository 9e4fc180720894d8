"""vkbottle's API client, kept within the community token's rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from typing import Any

from aiohttp import ClientTimeout
from vkbottle import API, VKAPIError
from vkbottle.api.request_rescheduler import ABCRequestRescheduler
from vkbottle.http import AiohttpClient

from core.settings import Settings

log = logging.getLogger(__name__)
TOO_MANY_REQUESTS = 6
RETRIES_WHEN_TOO_MANY = 5
# A stuck request must not hold a reply (or the long poll's position) for aiohttp's 5 minutes;
# the long poll sets its own, longer, per request.
API_TIMEOUT = ClientTimeout(total=30, sock_connect=10)


# VK counts requests a second per token, by arrival; starts evenly spaced a little wider than
# that leave room for the jitter of the way there.
WINDOW = 1.1


class VkUnavailable(Exception):
    """VK, or a proxy before it, answered something that is not the API's JSON."""


class FailFast(ABCRequestRescheduler):
    """vkbottle's default repeats such a request, with growing pauses, until VK answers —
    forever, holding the reply or the outbox batch. Here it fails: the outbox retries with
    backoff and a dialog says it is busy."""

    async def reschedule(self, ctx_api: Any, method: str, data: dict[str, Any],
                         recent_response: Any) -> dict[str, Any]:
        raise VkUnavailable(f"{method}: {str(recent_response)[:200]!r}")


class Pacer:
    """Request slots for one or more tokens of the community, each token's evenly spaced
    (``rate`` in any ``WINDOW``). Even spacing, not bursts: a burst of 20 would leave the
    next call waiting for the rest of the second; spaced, no call waits longer than one
    interval. A slot is reserved at once and waited for outside the lock, so waiters are
    served in order."""

    def __init__(self, tokens: list[str], rate: float) -> None:
        if not tokens:
            raise ValueError("no VK token")
        self.interval = WINDOW / max(1.0, rate)
        self._next = dict.fromkeys(tokens, 0.0)
        self._lock = asyncio.Lock()

    async def acquire(self) -> str:
        """Wait for the soonest free slot; the token it belongs to."""
        async with self._lock:
            token = min(self._next, key=self._next.__getitem__)
            now = time.monotonic()
            at = max(now, self._next[token])
            self._next[token] = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
        return token


_PACERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Pacer]] = (
    weakref.WeakKeyDictionary())


def _pacer(tokens: list[str], rate: float) -> Pacer:
    """One pacer per set of tokens in a process: the bot and the notification sender of
    `pos up` share the community's rate. Processes do not see each other's: give each its
    share in POS_VK_REQUESTS_PER_SECOND (VK's "too many requests" is waited out all the
    same)."""
    per_loop = _PACERS.setdefault(asyncio.get_running_loop(), {})
    key = hashlib.sha256("\n".join(tokens).encode()).hexdigest()
    if key not in per_loop:
        per_loop[key] = Pacer(tokens, rate)
    return per_loop[key]


class VkApi(API):
    """vkbottle's API with the community's tokens used in turn, each within VK's rate; VK's
    own "too many requests" (another process shares a token) is waited out and retried."""

    def __init__(self, tokens: list[str], *, url: str, requests_per_second: float) -> None:
        super().__init__(tokens[0], http_client=AiohttpClient(timeout=API_TIMEOUT),
                         request_rescheduler=FailFast())
        self.API_URL = url.rstrip("/") + "/"
        self.pacer = _pacer(tokens, requests_per_second)

    async def request(self, method: str, data: dict[str, Any], version: str | None = None
                      ) -> dict[str, Any]:
        return await self.request_with(await self.pacer.acquire(), method, data, version)

    async def request_with(self, token: str, method: str, data: dict[str, Any],
                           version: str | None = None) -> dict[str, Any]:
        """The request in a slot of ``token`` the caller holds (vkbottle's ``API.request``
        with the token chosen here instead of by its generator)."""
        data = await self.validate_request(data)
        attempt = 0
        while True:
            response = await self.http_client.request_text(
                self.API_URL + method, method="POST", data=data,
                params={"access_token": token, "v": version or self.API_VERSION})
            try:
                return await self.validate_response(method, data, response)  # type: ignore[no-any-return]
            except VKAPIError[TOO_MANY_REQUESTS]:
                attempt += 1
                if attempt > RETRIES_WHEN_TOO_MANY:
                    raise
                log.info("VK: too many requests (%s), waiting", method)
                await asyncio.sleep(0.2 * attempt)
                token = await self.pacer.acquire()

    async def close(self) -> None:
        await self.http_client.close()


def create_api(settings: Settings) -> VkApi:
    if settings.vk_token is None:
        raise ValueError("POS_VK_TOKEN is not set")
    tokens = [t.strip() for t in settings.vk_token.get_secret_value().split(",") if t.strip()]
    return VkApi(tokens, url=settings.vk_api_url,
                 requests_per_second=settings.vk_requests_per_second)
