"""Bots Long Poll API: events in batches, handled concurrently, nothing lost on a restart.

vkbottle's ``BotPolling`` gets the server and the batches. The position (``ts``) is kept in
the data directory and moves past a batch only when it and every batch before it have been
handled, so a process stopped or killed mid-batch asks for those events again on start; the
ones it had finished are recognised by their event id and change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

import aiohttp
from vkbottle import VKAPIError
from vkbottle.polling import BotPolling

from bots.vk.api import VkUnavailable
from bots.vk.handlers import VkBot

log = logging.getLogger(__name__)
SAVE_EVERY = 0.5  # seconds between writes of the position under load


class Position:
    """The ``ts`` to resume from, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._saved_at = 0.0
        self._unsaved: str | None = None

    def load(self) -> str | None:
        try:
            value = json.loads(self.path.read_text())["ts"]
        except (FileNotFoundError, KeyError, ValueError):
            return None
        return str(value)

    def advance(self, ts: str, *, force: bool = False) -> None:
        self._unsaved = ts
        now = time.monotonic()
        if force or now - self._saved_at >= SAVE_EVERY:
            self.flush()
            self._saved_at = now

    def flush(self) -> None:
        if self._unsaved is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"ts": self._unsaved}))
        os.replace(temporary, self.path)
        self._unsaved = None


class _Batch:
    def __init__(self, ts_after: str, pending: int) -> None:
        self.ts_after = ts_after
        self.pending = pending


class LongPoll:
    def __init__(self, bot: VkBot, *, group_id: int, state_dir: Path, concurrency: int,
                 wait: int = 25) -> None:
        self.bot = bot
        self.polling = BotPolling(bot.api, group_id=group_id, wait=wait)
        self.position = Position(state_dir / f"vk-longpoll-{group_id}.json")
        self.slots = asyncio.Semaphore(concurrency)
        self._batches: deque[_Batch] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        stopper = asyncio.create_task(stop.wait())
        try:
            server: dict[str, Any] | None = None
            fresh = False
            failures = 0
            while not stop.is_set():
                try:
                    if server is None:
                        server, fresh = await self._server(fresh=fresh), False
                    poll = asyncio.create_task(self.polling.get_event(server))
                    done, _ = await asyncio.wait({poll, stopper},
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if poll not in done:
                        poll.cancel()
                        break
                    answer = poll.result()
                    if "failed" in answer:
                        # 1: history moved on (go on from VK's ts); 2: key expired (a new
                        # key, same position); 3: information lost (start from now).
                        server = await self.polling.handle_failed_event(server, answer) or None
                        fresh = server is None
                        continue
                except (aiohttp.ClientError, TimeoutError, ValueError, VKAPIError,
                        VkUnavailable) as error:
                    failures = min(failures + 1, 50)
                    log.warning("VK long poll failed (%s); retrying", error)
                    await _sleep(stop, 0.2 * failures)
                    continue
                except Exception:  # whatever VK answers, the bot must keep listening
                    failures = min(failures + 1, 50)
                    log.exception("VK long poll: unexpected failure; retrying")
                    server = None
                    await _sleep(stop, 0.2 * failures)
                    continue
                failures = 0
                if "ts" not in answer:  # not a long-poll answer: ask for the server again
                    server = None
                    continue
                updates = answer.get("updates") or []
                server["ts"] = answer["ts"]
                await self._dispatch(updates, str(answer["ts"]))
        finally:
            stopper.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self.position.flush()

    async def _server(self, *, fresh: bool = False) -> dict[str, Any]:
        server = await self.polling.get_server()
        saved = None if fresh else self.position.load()
        if saved is not None:
            server["ts"] = saved  # VK answers "failed": 1 if it no longer keeps that far back
        log.info("VK long poll: group %s from ts %s", self.polling.group_id, server["ts"])
        return server

    async def _dispatch(self, updates: list[dict[str, Any]], ts_after: str) -> None:
        batch = _Batch(ts_after, len(updates))
        self._batches.append(batch)
        if not updates:
            self._settle()
            return
        for update in updates:
            await self.slots.acquire()  # under overload, stop reading until a slot is free
            task = asyncio.create_task(self._handle(update, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: dict[str, Any], batch: _Batch) -> None:
        try:
            await self.bot.handle(update)
        except Exception:
            log.exception("VK event %s failed", update.get("event_id"))
            await self.bot.tell_busy(update)
        finally:
            self.slots.release()
            batch.pending -= 1
            self._settle()

    @property
    def busy(self) -> bool:
        """Events read and not yet handled."""
        return bool(self._tasks or self._batches)

    def _settle(self) -> None:
        """Move the saved position past every finished batch at the front."""
        last: str | None = None
        while self._batches and self._batches[0].pending == 0:
            last = self._batches.popleft().ts_after
        if last is not None:
            with contextlib.suppress(OSError):  # a full disk must not stop the bot
                self.position.advance(last)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
