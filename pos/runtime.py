"""Long-running processes: the worker (outbox + scheduled jobs) and `pos up`."""

from __future__ import annotations

import asyncio
import logging
import signal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.db.migrate import upgrade
from core.notifications.worker import run_worker
from core.services.actions import close_unrated
from core.services.platform import Platform
from core.settings import Settings
from pos.wiring import channel_registry, platform

log = logging.getLogger("pos")

CLOSE_UNRATED_JOB = "messages.close_unrated"


async def close_unrated_job(p: Platform) -> None:
    closed = await close_unrated(p)
    if closed:
        log.info("закрыто сообщений без оценки: %s", closed)


def _scheduler(p: Platform) -> AsyncIOScheduler:
    # Maintenance jobs are re-added with fixed ids at every start, so the memory store loses
    # nothing on restart; content publishing (gospublics) keeps its jobs in the database.
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(close_unrated_job, "interval", minutes=15, id=CLOSE_UNRATED_JOB,
                      replace_existing=True, args=[p], coalesce=True, max_instances=1)
    return scheduler


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_worker_process(settings: Settings, *, console_fallback: bool) -> None:
    stop = _stop_event()
    async with platform(settings) as p:
        registry = channel_registry(settings, console_fallback=console_fallback)
        scheduler = _scheduler(p)
        scheduler.start()
        log.info("worker: каналы %s", ", ".join(registry.channels) or "не настроены")
        try:
            await run_worker(p, registry, stop=stop)
        finally:
            scheduler.shutdown(wait=False)


async def run_up(settings: Settings) -> None:
    from core.services.demo_messages import create_demo_messages
    from core.services.seed import demo_region, is_seeded, seed_demo

    await upgrade(settings.database_url)
    async with platform(settings) as p:
        if not await is_seeded(p):
            report = await seed_demo(p)
            created = await create_demo_messages(p)
            log.info("демо-данные загружены: организаций %s, сообщений %s",
                     report.organisations, created)
        if settings.environment == "development":
            lines = [f"  {person['login']:<14} {person['password']:<22} "
                     f"{', '.join(person['roles']):<12} {person['organisation']}"
                     for person in demo_region()["staff"]]
            print("Демо-учётные записи (пароли — если их не меняли):\n" + "\n".join(lines),
                  flush=True)
    print(f"ПОС запущена: база {settings.database_url}. Сообщения: `pos messages list`. "
          "Остановить — Ctrl+C.", flush=True)
    await run_worker_process(settings, console_fallback=True)
