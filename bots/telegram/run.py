"""Running the bot: long polling, or the webhook on the HTTP app."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher

from core.services.platform import Platform

log = logging.getLogger(__name__)


async def run_polling(p: Platform, bot: Bot, dp: Dispatcher, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set. Updates are handled concurrently, up to the configured
    limit; one citizen's updates are serialised by the engine."""
    await bot.delete_webhook(drop_pending_updates=False)
    me = await bot.get_me()
    log.info("telegram bot @%s polling %s", me.username, p.settings.telegram_api_url)
    polling = asyncio.create_task(dp.start_polling(
        bot, handle_signals=False, close_bot_session=False,
        allowed_updates=dp.resolve_used_update_types(),
        tasks_concurrency_limit=p.settings.telegram_polling_concurrency))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        with contextlib.suppress(RuntimeError):  # polling may not have started yet
            await dp.stop_polling()
    else:
        stopper.cancel()
    await polling


async def set_webhook(p: Platform, bot: Bot, dp: Dispatcher, *, url: str) -> None:
    await bot.set_webhook(url, secret_token=p.settings.webhook_secret,
                          allowed_updates=dp.resolve_used_update_types(),
                          drop_pending_updates=False)
    log.info("telegram webhook set to %s", url)
