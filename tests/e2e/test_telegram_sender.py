"""The Telegram channel port over real HTTP: delivered, retried on 429 and 5xx with the
server's hint, and a citizen who blocked the bot marked instead of retried forever."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bots.telegram.app import create_bot
from bots.telegram.sender import TelegramSender
from core.db import tables as t
from core.domain.enums import Channel
from core.notifications.worker import ChannelRegistry, deliver_once
from core.ports import FixedClock
from core.services.platform import Platform
from core.services.records import CitizenRef
from tests.e2e.fake_telegram import FakeTelegram
from tests.support import factories as f
from tests.support.dialog import JPEG, walk_to_answered

TOKEN = "123456:TEST-TOKEN"
CHAT = 4242


@pytest.fixture
async def registry(platform: Platform) -> AsyncIterator[tuple[FakeTelegram, ChannelRegistry]]:
    async with FakeTelegram(token=TOKEN) as tg:
        settings = platform.settings.model_copy(update={
            "telegram_api_url": tg.base_url, "telegram_token": SecretStr(TOKEN)})
        bot = create_bot(settings)
        try:
            yield tg, ChannelRegistry([TelegramSender(bot, platform.files)])
        finally:
            await bot.session.close()


async def _file(platform: Platform) -> int:
    msg = await f.file_message(platform, citizen=CitizenRef(Channel.TELEGRAM, str(CHAT)))
    return msg.number


async def _row(platform: Platform) -> t.OutboxRow:
    async with platform.db.sessions() as session:
        return (await session.scalars(select(t.OutboxRow))).one()


async def test_delivers_with_open_button(platform: Platform,
                                         registry: tuple[FakeTelegram, ChannelRegistry]
                                         ) -> None:
    tg, channels = registry
    number = await _file(platform)
    assert (await deliver_once(platform, channels)).sent == 1
    call = await tg.wait_for_text(CHAT, f"№ {number} зарегистрировано")
    assert [b["text"] for b in call.inline_buttons] == ["Открыть сообщение"]
    assert (await _row(platform)).status == "sent"


async def test_flood_control_is_retried_after_the_servers_hint(
        platform: Platform, registry: tuple[FakeTelegram, ChannelRegistry],
        clock: FixedClock) -> None:
    tg, channels = registry
    await _file(platform)
    tg.fail_next("sendMessage", error_code=429, retry_after=7)
    assert (await deliver_once(platform, channels)).retried == 1
    row = await _row(platform)
    assert row.status == "pending"
    assert 7 <= (row.next_attempt_at - clock.now()).total_seconds() < 8
    clock.advance(seconds=8)
    assert (await deliver_once(platform, channels)).sent == 1


@pytest.mark.parametrize("body", [None, "html"])
async def test_server_errors_are_retried(platform: Platform,
                                         registry: tuple[FakeTelegram, ChannelRegistry],
                                         clock: FixedClock, body: str | None) -> None:
    tg, channels = registry
    await _file(platform)
    if body is None:
        tg.fail_with_status("sendMessage", status=502, body=None)  # JSON 502 from the API
    else:
        tg.fail_with_status("sendMessage", status=502)  # an HTML 502 from a proxy
    assert (await deliver_once(platform, channels)).retried == 1
    clock.advance(hours=1)
    assert (await deliver_once(platform, channels)).sent == 1


async def test_blocked_bot_marks_the_citizen_unreachable(
        platform: Platform, registry: tuple[FakeTelegram, ChannelRegistry],
        clock: FixedClock) -> None:
    tg, channels = registry
    await _file(platform)
    tg.block(CHAT)
    assert (await deliver_once(platform, channels)).dead == 1
    assert (await _row(platform)).status == "dead"
    async with platform.db.sessions() as session:
        identity = (await session.scalars(select(t.CitizenIdentity))).one()
    assert identity.unreachable_since == clock.now()
    clock.advance(days=1)
    assert (await deliver_once(platform, channels)).sent == 0


async def test_an_answer_brings_its_attachments(platform: Platform,
                                                registry: tuple[FakeTelegram, ChannelRegistry]
                                                ) -> None:
    tg, channels = registry
    msg = await f.file_message(platform, citizen=CitizenRef(Channel.TELEGRAM, str(CHAT)))
    photo = await platform.files.save(JPEG, content_type="image/jpeg")
    pdf = await platform.files.save(b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    await walk_to_answered(platform, msg.id, "Яму заделали, фото и акт во вложении.",
                           (photo.key, pdf.key))
    while (await deliver_once(platform, channels)).sent:
        pass
    answer = await tg.wait_for_text(CHAT, "Яму заделали")
    assert [b["text"] for b in answer.inline_buttons][:5] == ["1", "2", "3", "4", "5"]
    methods = [call.method for call in tg.calls if call.method in (
        "sendPhoto", "sendDocument", "sendMessage")]
    assert methods[-3:] == ["sendPhoto", "sendDocument", "sendMessage"]
