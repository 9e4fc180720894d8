"""Webhook mode: Telegram posts updates to the FastAPI app; any number of processes behind a
load balancer share the work, and the dialog store keeps each update handled once."""

from __future__ import annotations

import hmac
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, Header, HTTPException, Request

WEBHOOK_PATH = "/telegram/webhook"


def webhook_router(dp: Dispatcher, bot: Bot, *, secret: str) -> APIRouter:
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(
        request: Request,
        x_telegram_bot_api_secret_token: str | None = Header(default=None),
    ) -> dict[str, Any]:
        given = (x_telegram_bot_api_secret_token or "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            raise HTTPException(status_code=401, detail="wrong secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except ValueError as error:
            raise HTTPException(status_code=400, detail="not a Telegram update") from error
        # Handled before answering: if this process dies meanwhile, Telegram delivers again.
        await dp.feed_update(bot, update)
        return {"ok": True}

    return router
