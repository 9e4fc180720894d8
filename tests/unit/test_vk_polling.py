"""The long poll's saved position moves past a batch only when it and every batch before it
are handled, so a process killed mid-batch reads the unfinished events again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bots.vk.polling import LongPoll, Position


class Gate:
    """A bot whose events finish when the test says so."""

    def __init__(self) -> None:
        self.api = None
        self.open: dict[str, asyncio.Event] = {}

    async def handle(self, update: dict[str, Any]) -> None:
        await self.open.setdefault(update["event_id"], asyncio.Event()).wait()

    async def tell_busy(self, update: dict[str, Any]) -> None:
        raise AssertionError("nothing fails here")

    def finish(self, event_id: str) -> None:
        self.open.setdefault(event_id, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_position_waits_for_earlier_batches(tmp_path: Path) -> None:
    bot = Gate()
    poll = LongPoll(bot, group_id=1, state_dir=tmp_path, concurrency=10)  # type: ignore[arg-type]
    saved = Position(tmp_path / "vk-longpoll-1.json")
    await poll._dispatch([{"event_id": "a"}, {"event_id": "b"}], "12")
    await poll._dispatch([{"event_id": "c"}], "13")
    bot.finish("c")
    await settle()
    assert saved.load() is None  # the later batch is done, the earlier is not
    bot.finish("a")
    await settle()
    assert saved.load() is None
    bot.finish("b")
    await settle()
    poll.position.flush()
    assert saved.load() == "13"  # both batches done: past both
    assert not poll.busy


async def test_empty_batches_move_the_position(tmp_path: Path) -> None:
    poll = LongPoll(Gate(), group_id=2, state_dir=tmp_path, concurrency=1)  # type: ignore[arg-type]
    await poll._dispatch([], "40")
    poll.position.flush()
    assert Position(tmp_path / "vk-longpoll-2.json").load() == "40"
