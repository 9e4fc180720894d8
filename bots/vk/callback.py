"""Callback API: VK posts each community event to the FastAPI app; any number of processes
behind a load balancer share them.

VK wants "ok" fast and sends an event again when it does not get it. The engine's part (the
dialog saved together with the event id) is done before answering, so an event VK sends
twice is handled once; the replies are sent after the answer. An event the engine takes long
over (photos to download) is answered "ok" after a few seconds and finished meanwhile; if VK
sends it again, the first handling or the event id stops the second.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse

from bots.vk.handlers import Outcome, VkBot

log = logging.getLogger(__name__)
CALLBACK_PATH = "/vk/callback"
MAX_BODY = 256 * 1024  # VK's events are a few kilobytes
ANSWER_WITHIN = 5.0  # seconds before "ok" goes out whatever the engine is doing


def callback_router(bot: VkBot, *, group_id: int, secret: str, confirmation: str
                    ) -> APIRouter:
    if not secret:
        raise ValueError("the Callback API needs a secret key")
    router = APIRouter()

    async def finish(update: dict[str, Any], deciding: asyncio.Task[Outcome | None]) -> None:
        try:
            outcome = await deciding
            if outcome is not None:
                await bot.deliver(outcome)
        except Exception:
            log.exception("VK event %s failed", update.get("event_id"))
            await bot.tell_busy(update)

    @router.post(CALLBACK_PATH, include_in_schema=False)
    async def vk_callback(request: Request) -> PlainTextResponse:
        update = await _read(request)
        if update.get("group_id") != group_id:
            raise HTTPException(status_code=403, detail="not this community")
        if update.get("type") == "confirmation":
            return PlainTextResponse(confirmation)
        given = str(update.get("secret") or "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            raise HTTPException(status_code=403, detail="wrong secret")
        deciding = asyncio.create_task(bot.decide(update))
        # On timeout the handling goes on (asyncio.wait cancels nothing); VK gets its ok.
        await asyncio.wait({deciding}, timeout=ANSWER_WITHIN)
        bot.spawn(finish(update, deciding))
        return PlainTextResponse("ok")

    return router


async def _read(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise HTTPException(status_code=413, detail="too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="too large")
    try:
        update = json.loads(body)
    except ValueError as error:
        raise HTTPException(status_code=400, detail="not JSON") from error
    if not isinstance(update, dict):
        raise HTTPException(status_code=400, detail="not an event")
    return update
