"""The VK adapter in this process over real HTTP against the fake VK API: clients without
inline keyboards, permission events, long-poll failures and the saved position, flood."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from vkbottle import VKAPIError

from bots.vk.api import create_api
from bots.vk.app import vk_bot
from bots.vk.calls import CallBatcher
from bots.vk.handlers import VkBot
from bots.vk.polling import LongPoll
from core.db import tables as t
from core.ports import SystemClock
from core.services.platform import Platform
from tests.e2e.fake_vk import FakeVk

TOKEN = "vk1.a.ADAPTER"
GROUP = 220_000_003


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
async def vk() -> AsyncIterator[FakeVk]:
    async with FakeVk(token=TOKEN, group_id=GROUP) as fake:
        yield fake


@asynccontextmanager
async def running(platform: Platform, vk: FakeVk, **settings: object
                  ) -> AsyncIterator[tuple[VkBot, LongPoll]]:
    p = dataclasses.replace(platform, settings=platform.settings.model_copy(update={
        "vk_api_url": vk.api_url, "vk_token": SecretStr(TOKEN), "vk_group_id": GROUP,
        "vk_file_hosts": ("127.0.0.1",),
        **settings}))
    stop = asyncio.Event()
    async with vk_bot(p) as bot:
        poll = LongPoll(bot, group_id=GROUP, state_dir=p.settings.data_dir, concurrency=50,
                        wait=1)
        task = asyncio.create_task(poll.run(stop))
        await vk.wait_for(lambda c: c.method == "groups.getLongPollServer", since=vk.mark())
        try:
            yield bot, poll
        finally:
            stop.set()
            await task


async def test_a_client_without_inline_keyboards_gets_text_buttons(
        platform: Platform, vk: FakeVk) -> None:
    old = vk.user(601, inline=False, callbacks=False)
    async with running(platform, vk):
        old.send_text("/start")
        consent = await vk.wait_for_text(old.id, "согласие на обработку")
        shown = json.loads(consent.keyboard or "{}")
        assert shown["inline"] is False
        assert {b["action"]["type"] for row in shown["buttons"] for b in row} == {"text"}
        old.press("✅ Согласен")  # a message with the button's payload, not a message_event
        await vk.wait_for_text(old.id, "Как к вам обращаться")
        old.press("Пропустить")
        await vk.wait_for_text(old.id, "Напишите его")
        old.send_text("пропустить")
        await vk.wait_for_text(old.id, "Главное меню")
    assert not vk.event_answers  # no message_event to answer


async def test_permission_events_mark_the_identity(platform: Platform, vk: FakeVk) -> None:
    anna = vk.user(602, first_name="Анна")
    async with running(platform, vk):
        anna.send_text("/start")
        await vk.wait_for_text(anna.id, "Здравствуйте")
        anna.press("✅ Согласен")
        await vk.wait_for_text(anna.id, "Как к вам обращаться")
        anna.deny()
        for _ in range(100):
            if await _unreachable(platform, anna.id):
                break
            await asyncio.sleep(0.05)
        assert await _unreachable(platform, anna.id)
        anna.allow()
        for _ in range(100):
            if not await _unreachable(platform, anna.id):
                break
            await asyncio.sleep(0.05)
        assert not await _unreachable(platform, anna.id)


async def _unreachable(platform: Platform, user_id: int) -> bool:
    async with platform.db.sessions() as session:
        identity = (await session.scalars(select(t.CitizenIdentity).where(
            t.CitizenIdentity.external_id == str(user_id)))).one()
    return identity.unreachable_since is not None


async def test_long_poll_survives_an_expired_key_and_resumes_where_it_stopped(
        platform: Platform, vk: FakeVk) -> None:
    ivan = vk.user(603)
    async with running(platform, vk):
        ivan.send_text("/start")
        await vk.wait_for_text(ivan.id, "Здравствуйте")
        vk.expire_key(failed=2)  # VK: the key expired, ask for a new one, keep the position
        ivan.press("✅ Согласен")
        await vk.wait_for_text(ivan.id, "Как к вам обращаться")
    # Written while the bot was down: read on the next start from the saved position.
    ivan.press("Пропустить")
    async with running(platform, vk):
        await vk.wait_for_text(ivan.id, "Оставьте номер")
        vk.fail_with_status("/lp", status=502)  # a proxy error on the long poll: retried
        ivan.send_text("пропустить")
        await vk.wait_for_text(ivan.id, "Главное меню")
    assert sum("Здравствуйте" in x for x in vk.texts_to(ivan.id)) == 1


async def test_group_chats_and_floods_are_ignored(platform: Platform, vk: FakeVk) -> None:
    ivan = vk.user(604)
    async with running(platform, vk, bot_flood_burst=3, bot_flood_rate=0.01) as (_, poll):
        vk.enqueue("message_new", {"message": {
            "date": 1, "from_id": 604, "id": 0, "out": 0, "peer_id": 2_000_000_001,
            "conversation_message_id": 1, "text": "/start", "attachments": []},
            "client_info": ivan.client_info})
        for _ in range(6):
            ivan.send_text("/start")
        await vk.wait_for_text(ivan.id, "Здравствуйте")
        for _ in range(200):  # every event read has been handled
            if not poll.busy and vk.next_event_number() - 1 <= _position(poll):
                break
            await asyncio.sleep(0.02)
    assert len([x for x in vk.texts_to(ivan.id) if "Здравствуйте" in x]) == 3
    assert vk.texts_to(2_000_000_001) == []


async def test_an_event_is_decided_once_across_processes(platform: Platform,
                                                         vk: FakeVk) -> None:
    """Two bot processes behind the Callback API get the same event (VK's retry reached the
    other one): the second finds it handled and says nothing."""
    olga = vk.user(605)
    olga.send_text("/start")
    [event] = vk.pending_events()[-1:]
    settings = platform.settings.model_copy(update={
        "vk_api_url": vk.api_url, "vk_token": SecretStr(TOKEN), "vk_group_id": GROUP})
    p = dataclasses.replace(platform, settings=settings)
    async with vk_bot(p) as first, vk_bot(p) as second:
        assert await first.decide(event) is not None
        assert await second.decide(event) is None


async def test_a_failed_call_in_a_batch_fails_alone(platform: Platform, vk: FakeVk) -> None:
    for user in (701, 702, 703):
        vk.user(user)
    settings = platform.settings.model_copy(update={
        "vk_api_url": vk.api_url, "vk_token": SecretStr(TOKEN)})
    api = create_api(settings)
    calls = CallBatcher(api)
    vk.fail_next("messages.send", error_code=901)
    try:
        results = await asyncio.gather(
            *(calls.call("messages.send", {"peer_id": user, "random_id": user,
                                           "message": f"привет {user}"})
              for user in (701, 702, 703)), return_exceptions=True)
    finally:
        await calls.close()
        await api.close()
    assert isinstance(results[0], VKAPIError) and results[0].code == 901
    assert all(isinstance(r, int) for r in results[1:])
    [execute] = [c for c in vk.calls if c.method == "execute"]
    assert execute.ok and len([c for c in vk.calls if c.via_execute]) == 3
    assert vk.texts_to(702) == ["привет 702"] and vk.texts_to(701) == []
    with pytest.raises(RuntimeError):  # closed: nothing more is taken
        await calls.call("messages.send", {"peer_id": 702, "random_id": 1, "message": "x"})


def _position(poll: LongPoll) -> int:
    poll.position.flush()
    return int(poll.position.load() or 0)
