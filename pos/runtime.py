"""Long-running processes: the worker (outbox + scheduled jobs), the bots, and `pos up`."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.conversations.store import forget_handled_updates
from core.db.migrate import upgrade
from core.notifications.worker import run_worker
from core.services.actions import close_unrated
from core.services.platform import Platform
from core.services.staff_auth import purge_sessions
from core.settings import Settings
from pos.wiring import channel_registry, platform

log = logging.getLogger("pos")

CLOSE_UNRATED_JOB = "messages.close_unrated"
FORGET_UPDATES_JOB = "bots.forget_handled_updates"
HANDLED_UPDATES_KEPT = timedelta(days=2)


def freeze_startup_heap() -> None:
    """Hide what start-up built from the garbage collector: it lives as long as the process.

    Most of it is pydantic's validators for aiogram's hundreds of models, and every full
    collection traversed them all: 200-330 ms a pass, every few seconds under load, with
    every reply stalled meanwhile (bench.telegram, gc callbacks). Frozen, a full pass looks
    only at what was made since."""
    gc.collect()
    gc.freeze()


async def close_unrated_job(p: Platform) -> None:
    closed = await close_unrated(p)
    if closed:
        log.info("закрыто сообщений без оценки: %s", closed)


async def forget_updates_job(p: Platform) -> None:
    await forget_handled_updates(p.db, now=p.clock.now(), keep=HANDLED_UPDATES_KEPT)


async def purge_sessions_job(p: Platform) -> None:
    await purge_sessions(p)


def _scheduler(p: Platform) -> AsyncIOScheduler:
    # Maintenance jobs are re-added with fixed ids at every start, so the memory store loses
    # nothing on restart; content publishing (gospublics) keeps its jobs in the database.
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(close_unrated_job, "interval", minutes=15, id=CLOSE_UNRATED_JOB,
                      replace_existing=True, args=[p], coalesce=True, max_instances=1)
    scheduler.add_job(forget_updates_job, "interval", hours=1, id=FORGET_UPDATES_JOB,
                      replace_existing=True, args=[p], coalesce=True, max_instances=1)
    scheduler.add_job(purge_sessions_job, "interval", hours=1, id="purge-staff-sessions",
                      replace_existing=True, args=[p], coalesce=True, max_instances=1)
    return scheduler


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _worker(p: Platform, stop: asyncio.Event, *, console_fallback: bool) -> None:
    async with channel_registry(p, console_fallback=console_fallback) as registry:
        scheduler = _scheduler(p)
        scheduler.start()
        log.info("worker: каналы %s", ", ".join(registry.channels) or "не настроены")
        try:
            await run_worker(p, registry, stop=stop)
        finally:
            scheduler.shutdown(wait=False)


async def run_worker_process(settings: Settings, *, console_fallback: bool) -> None:
    stop = _stop_event()
    async with platform(settings) as p:
        await _worker(p, stop, console_fallback=console_fallback)


async def _telegram_polling(p: Platform, stop: asyncio.Event) -> None:
    from bots.telegram.app import create_bot, create_dispatcher
    from bots.telegram.run import run_polling

    bot = create_bot(p.settings)
    try:
        dp = create_dispatcher(p, bot)
        freeze_startup_heap()
        await run_polling(p, bot, dp, stop)
    finally:
        await bot.session.close()


async def _telegram_webhook(p: Platform, stop: asyncio.Event) -> None:
    from bots.telegram.app import create_bot, create_dispatcher
    from bots.telegram.run import set_webhook
    from bots.telegram.webhook import WEBHOOK_PATH, webhook_router
    from pos.http import create_http_app

    settings = p.settings
    webhook_url = settings.telegram_webhook_url
    if not webhook_url:
        raise SystemExit("POS_TELEGRAM_WEBHOOK_URL is required for --webhook")
    bot = create_bot(settings)
    dp = create_dispatcher(p, bot)
    app = create_http_app([webhook_router(dp, bot, secret=settings.webhook_secret)])
    freeze_startup_heap()

    async def set_when_listening() -> None:  # Telegram posts as soon as the webhook is set
        url = webhook_url if urlsplit(webhook_url).path.endswith(WEBHOOK_PATH) else (
            webhook_url.rstrip("/") + WEBHOOK_PATH)
        await set_webhook(p, bot, dp, url=url)
        print(f"Telegram webhook: http://{settings.http_host}:{settings.http_port}"
              f"{WEBHOOK_PATH} ← {url}", flush=True)

    try:
        await _serve(app, p.settings, stop, when_listening=set_when_listening)
    finally:
        await bot.session.close()


async def _vk_polling(p: Platform, stop: asyncio.Event) -> None:
    from bots.vk.app import group_id_of, vk_bot
    from bots.vk.polling import LongPoll

    async with vk_bot(p) as bot:
        group_id = await group_id_of(bot.api, p.settings)
        poll = LongPoll(bot, group_id=group_id, state_dir=p.settings.data_dir,
                        concurrency=p.settings.vk_polling_concurrency)
        freeze_startup_heap()
        await poll.run(stop)


async def _vk_callback(p: Platform, stop: asyncio.Event) -> None:
    from bots.vk.app import callback_secret, group_id_of, vk_bot
    from bots.vk.callback import CALLBACK_PATH, callback_router
    from pos.http import create_http_app

    settings = p.settings
    if not settings.vk_confirmation_code:
        raise SystemExit("POS_VK_CONFIRMATION_CODE is required for --callback")
    async with vk_bot(p) as bot:
        router = callback_router(bot, group_id=await group_id_of(bot.api, settings),
                                 secret=callback_secret(settings),
                                 confirmation=settings.vk_confirmation_code)
        app = create_http_app([router])
        freeze_startup_heap()
        print(f"VK Callback API: http://{settings.http_host}:{settings.http_port}"
              f"{CALLBACK_PATH}", flush=True)
        await _serve(app, settings, stop)


async def run_vk_process(settings: Settings, *, callback: bool) -> None:
    if settings.vk_token is None:
        raise SystemExit("POS_VK_TOKEN is not set")
    stop = _stop_event()
    async with platform(settings) as p:
        await (_vk_callback if callback else _vk_polling)(p, stop)


def ensure_port_free(host: str, port: int) -> None:
    """Say plainly that the address is taken, before anything starts (uvicorn would exit
    from inside a running task with a traceback)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise SystemExit(f"Адрес {host}:{port} занят ({error.strerror}): укажите другой "
                             "порт в POS_HTTP_PORT.") from None


async def _web_admin(p: Platform, stop: asyncio.Event) -> None:
    from pos.http import create_http_app
    from web_admin.app import install

    app = create_http_app([])
    install(app, p)
    await _serve(app, p.settings, stop)


async def _serve(app: Any, settings: Settings, stop: asyncio.Event, *,
                 when_listening: Callable[[], Awaitable[None]] | None = None) -> None:
    """Serve the HTTP app on POS_HTTP_HOST:PORT until ``stop``; ``when_listening`` runs once
    the port accepts connections (a webhook must not be announced before)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=settings.http_host,
                                           port=settings.http_port, log_level="warning",
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve())
    if when_listening is not None:
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.05)
        if serving.done():
            await serving  # it could not bind: raise why
            return
        await when_listening()
    await _until(stop, serving)
    server.should_exit = True
    await serving


async def _until(stop: asyncio.Event, task: asyncio.Task[object]) -> None:
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()


async def run_telegram_process(settings: Settings, *, webhook: bool) -> None:
    if settings.telegram_token is None:
        raise SystemExit("POS_TELEGRAM_TOKEN is not set")
    stop = _stop_event()
    async with platform(settings) as p:
        await (_telegram_webhook if webhook else _telegram_polling)(p, stop)


async def _together(*parts: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run the parts until stopped; if one fails, stop the others and raise."""
    tasks = [asyncio.create_task(part()) for part in parts]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_up(settings: Settings) -> None:
    from core.services.demo_history import create_demo_history
    from core.services.demo_messages import create_demo_messages
    from core.services.seed import demo_region, is_seeded, seed_demo

    ensure_port_free(settings.http_host, settings.http_port)
    await upgrade(settings.database_url)
    async with platform(settings) as p:
        if not await is_seeded(p):
            report = await seed_demo(p)
            created = await create_demo_history(
                p, messages=p.settings.demo_history_messages) + await create_demo_messages(p)
            log.info("демо-данные загружены: организаций %s, сообщений %s",
                     report.organisations, created)
        if settings.environment == "development":
            lines = [f"  {person['login']:<14} {person['password']:<22} "
                     f"{', '.join(person['roles']):<12} {person['organisation']}"
                     for person in demo_region()["staff"]]
            print("Демо-учётные записи (пароли — если их не меняли):\n" + "\n".join(lines),
                  flush=True)
        stop = _stop_event()
        parts: list[Callable[[], Awaitable[None]]] = [
            lambda: _worker(p, stop, console_fallback=True), lambda: _web_admin(p, stop)]
        print(f"Веб-кабинет сотрудников: http://{settings.http_host}:{settings.http_port}"
              "/admin/", flush=True)
        if settings.telegram_token is not None:
            parts.append(lambda: _telegram_polling(p, stop))
            print("Telegram-бот запущен (long polling).", flush=True)
        else:
            print("Telegram-бот не запущен: задайте POS_TELEGRAM_TOKEN.", flush=True)
        if settings.vk_token is not None:
            parts.append(lambda: _vk_polling(p, stop))
            print("VK-бот запущен (Bots Long Poll).", flush=True)
        else:
            print("VK-бот не запущен: задайте POS_VK_TOKEN и POS_VK_GROUP_ID.", flush=True)
        print(f"ПОС запущена: база {settings.database_url}. Сообщения: `pos messages list`. "
              "Остановить — Ctrl+C.", flush=True)
        await _together(*parts, stop=stop)
