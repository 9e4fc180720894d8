"""Callback API: VK posts each community event to the FastAPI app; any number of processes
behind a load balancer share them.

VK wants "ok" fast and sends an event again when it does not get it. The engine's part (the
dialog saved together with the event id) is done before answering, so an event VK sends
twice is handled once; the replies are sent after the answer.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse

from bots.vk.handlers import Outcome, VkBot

log = logging.getLogger(__name__)
CALLBACK_PATH = "/vk/callback"
OK = PlainTextResponse("ok")


def callback_router(bot: VkBot, *, group_id: int, secret: str, confirmation: str
                    ) -> APIRouter:
    router = APIRouter()
    sending: set[asyncio.Task[None]] = set()

    async def deliver(update: dict[str, Any], outcome: Outcome) -> None:
        try:
            await bot.deliver(outcome)
        except Exception:
            log.exception("VK event %s: replies not sent", update.get("event_id"))

    @router.post(CALLBACK_PATH, include_in_schema=False)
    async def vk_callback(request: Request) -> PlainTextResponse:
        try:
            update = await request.json()
        except ValueError as error:
            raise HTTPException(status_code=400, detail="not JSON") from error
        if not isinstance(update, dict) or update.get("group_id") != group_id:
            raise HTTPException(status_code=403, detail="not this community")
        if update.get("type") == "confirmation":
            return PlainTextResponse(confirmation)
        given = str(update.get("secret") or "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            raise HTTPException(status_code=403, detail="wrong secret")
        try:
            outcome = await bot.decide(update)
        except Exception:
            log.exception("VK event %s failed", update.get("event_id"))
            await bot.tell_busy(update)
            return OK  # sent again, it would fail again: the citizen has been told
        if outcome is not None:
            task = asyncio.create_task(deliver(update, outcome))
            sending.add(task)
            task.add_done_callback(sending.discard)
        return OK

    return router
