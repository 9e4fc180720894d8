"""The fake VK API's community and Bots Long Poll server, exercised with vkbottle's polling
and dispatcher: events citizens produce, failures, retention, redelivery and shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import ClientSession
from vkbottle import API, Bot, BotPolling, GroupEventType, VKAPIError
from vkbottle.bot import Message, MessageEvent
from vkbottle_types.events.bot_events import MessageNew

from tests.e2e import fake_vk_fixtures
from tests.e2e.fake_vk import FakeVk
from tests.e2e.fake_vk_fixtures import JPEG, TOKEN, YES_NO, poll

# The fixtures these tests request (pytest finds fixtures among a module's names).
vk, api, in_tmp = fake_vk_fixtures.vk, fake_vk_fixtures.api, fake_vk_fixtures.in_tmp


# --------------------------------------------------------------------------- community, polling


async def test_group_and_long_poll_server(api: API, vk: FakeVk) -> None:
    vk.user(1001).send_text("до запуска")
    [group] = (await api.groups.get_by_id()).groups
    server = await api.groups.get_long_poll_server(group_id=group.id)

    assert (group.id, group.name, group.screen_name) == (vk.group_id, "ПОС", "pos_test")
    assert vk.api_url == f"http://127.0.0.1:{vk.port}/method"
    assert server.server == f"{vk.base_url}/lp/{vk.group_id}"
    assert server.ts == "2"  # a fresh server skips the history, like VK
    assert [call.method for call in vk.calls] == ["groups.getById", "groups.getLongPollServer"]
    with pytest.raises(VKAPIError[15]):
        await api.groups.get_long_poll_server(group_id=1)


async def test_bot_polling_receives_a_citizen_text(api: API, vk: FakeVk, in_tmp: Path) -> None:
    ivan = vk.user(1001)
    listener = BotPolling(api, wait=5).listen()
    first = asyncio.create_task(anext(listener))
    await asyncio.sleep(0.2)
    assert not first.done()  # the long poll is waiting

    sent = ivan.send_text("Здравствуйте", payload='{"command":"start"}')
    batch = await asyncio.wait_for(first, 3)
    await listener.aclose()

    [event] = batch["updates"]
    assert event == sent
    assert len(event["event_id"]) == 40 and event["v"] == "5.199"
    parsed = MessageNew.model_validate(event)
    assert parsed.object.message is not None and parsed.object.client_info is not None
    assert parsed.object.message.text == "Здравствуйте"
    assert parsed.object.message.peer_id == parsed.object.message.from_id == 1001
    assert parsed.object.message.payload == '{"command":"start"}'
    assert "callback" in parsed.object.client_info.button_actions  # type: ignore[operator]
    assert batch["ts"] == str(vk.number_of(sent) + 1)
    assert vk.pending_events() == []


async def test_dispatcher_round_trip(api: API, vk: FakeVk, in_tmp: Path) -> None:
    """The scripted-citizen loop a real end-to-end test runs against the bot process."""
    bot = Bot(api=api, polling=BotPolling(api, wait=1))

    @bot.on.message(text="Начать")
    async def start(message: Message) -> None:
        await message.answer("Здравствуйте! Подтвердите?", keyboard=YES_NO)

    @bot.on.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def answer(event: MessageEvent) -> None:
        await event.show_snackbar("Принято")
        assert event.payload is not None
        await event.edit_message(f"Вы ответили: {event.payload['answer']}")

    @bot.on.message(attachment="photo")
    async def photo(message: Message) -> None:
        assert message.attachments and message.attachments[0].photo
        sizes = message.attachments[0].photo.sizes or []
        biggest = max(sizes, key=lambda size: size.width * size.height)
        async with ClientSession() as http, http.get(str(biggest.url)) as response:
            data = await response.read()
        await message.answer(f"Фото получено, {len(data)} байт")

    polling = asyncio.create_task(bot.run_polling())
    try:
        # Events queued before the bot gets its long poll server are history it skips.
        await vk.wait_for(lambda call: call.method == "groups.getLongPollServer")
        ivan = vk.user(1001)
        ivan.send_text("Начать")
        await vk.wait_for_text(1001, "Здравствуйте")
        ivan.press("Нет")
        await vk.wait_for(lambda call: call.method == "messages.sendMessageEventAnswer")
        edited = await vk.wait_for_text(1001, "Вы ответили: no")
        assert edited.method == "messages.edit"
        ivan.send_photo(JPEG)
        await vk.wait_for_text(1001, f"Фото получено, {len(JPEG)} байт")
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
    assert list(vk.event_answers.values()) == [{"type": "show_snackbar", "text": "Принято"}]
    [download] = vk.downloads
    assert download.startswith("photo_")

# --------------------------------------------------------------------------- long poll


async def test_long_poll_failures_retention_and_redelivery(api: API) -> None:
    async with FakeVk(token=TOKEN, retention=3) as vk, ClientSession() as http:
        api.API_URL = vk.api_url + "/"
        ivan = vk.user(1001)
        server = (await api.request("groups.getLongPollServer",
                                    {"group_id": vk.group_id}))["response"]
        first = ivan.send_text("раз")
        second = ivan.send_text("два")

        batch = await poll(http, server, server["ts"])
        assert [e["event_id"] for e in batch["updates"]] == [first["event_id"],
                                                             second["event_id"]]
        # Never dropped: a restarted bot resuming from the old ts gets them again.
        assert (await poll(http, server, server["ts"]))["updates"] == batch["updates"]
        vk.redeliver(first)
        [duplicate] = (await poll(http, server, batch["ts"]))["updates"]
        assert duplicate == first
        assert await poll(http, server, 1, key="wrong") == {"failed": 2}
        for n in range(3):
            ivan.send_text(f"ещё {n}")
        assert await poll(http, server, 1) == {"failed": 1, "ts": "7"}
        vk.max_wait = 0.2
        started = asyncio.get_running_loop().time()
        assert await poll(http, server, 7, wait=25) == {"ts": "7", "updates": []}
        assert asyncio.get_running_loop().time() - started < 2
        vk.expire_key()
        assert await poll(http, server, 7) == {"failed": 3}
        vk.fail_with_status("/lp")
        async with http.post(server["server"], params={"act": "a_check"}) as response:
            assert response.status == 502 and "nginx" in await response.text()
        assert vk.long_polls == 7


async def test_stop_releases_a_waiting_long_poll(api: API) -> None:
    vk = FakeVk(token=TOKEN)
    await vk.start()
    api.API_URL = vk.api_url + "/"
    server = (await api.request("groups.getLongPollServer",
                                {"group_id": vk.group_id}))["response"]
    async with ClientSession() as http:
        waiting = asyncio.create_task(poll(http, server, server["ts"], wait=20))
        await asyncio.sleep(0.1)
        await vk.stop()
        assert (await asyncio.wait_for(waiting, 5))["updates"] == []
