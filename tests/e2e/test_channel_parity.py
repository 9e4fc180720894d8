"""One flow script, two channels: the real Telegram and VK bot processes, each against its
fake API over HTTP, must leave the same message in core and send the same notifications."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.db import tables as t
from core.ports import SystemClock
from core.services.platform import Platform
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_vk import FakeVk
from tests.e2e.processes import pos_env, pos_process
from tests.support import factories as f
from tests.support.dialog import JPEG, walk_to_answered

pytestmark = pytest.mark.slow
TG_TOKEN, VK_TOKEN, GROUP = "123456:PARITY", "vk1.a.PARITY", 220_000_002
TEXT = "Глубокая яма на проезжей части, машины выезжают на встречную полосу."
NSK = (55.0302, 82.9204)

# (what the citizen does, what the bot's reply contains)
SCRIPT: list[tuple[tuple[Any, ...], str]] = [
    (("text", "/start"), "Здравствуйте"),
    (("press", "✅ Согласен"), "Как к вам обращаться"),
    (("press", "Пропустить"), "Оставьте номер"),
    (("text", "+7 913 123-45-67"), "Главное меню"),
    (("press", "📝 Сообщить о проблеме"), "Выберите тему"),
    (("text", "яма"), "Нашлось по запросу"),
    (("press", "Ямы и выбоины на дороге"), "Опишите проблему"),
    (("text", "коротко"), "не меньше 20 символов"),
    (("text", TEXT), "Пришлите фото"),
    (("photo", JPEG), "Фото 1 из 5"),
    (("press", "Готово ➡️"), "Где находится"),
    (("location", *NSK), "Проверьте сообщение"),
    (("press", "✅ Отправить"), "зарегистрировано"),
]


class Driver:
    """A scripted citizen of either fake API (both speak the same script) and how to wait for
    the bot's reply to them."""

    def __init__(self, who: Any, wait: Callable[[int, str, float], Awaitable[Any]]) -> None:
        self.who, self.wait = who, wait

    async def act(self, action: tuple[Any, ...], needle: str) -> str:
        kind, *args = action
        match kind:
            case "text":
                self.who.send_text(args[0])
            case "press":
                self.who.press(args[0])
            case "photo":
                self.who.send_photo(args[0])
            case "location":
                self.who.send_location(*args)
        return (await self.wait(self.who.id, needle, 20)).text or ""


async def run(driver: Driver) -> list[str]:
    return [await driver.act(action, needle) for action, needle in SCRIPT]


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeVk]]:
    async with FakeTelegram(token=TG_TOKEN) as tg, FakeVk(token=VK_TOKEN, group_id=GROUP) as vk:
        yield tg, vk


def comparable(message: t.Message) -> dict[str, Any]:
    due = message.answer_due - message.registered_at
    return {"subcategory_id": message.subcategory_id, "text": message.text,
            "address": message.address, "latitude": message.latitude,
            "longitude": message.longitude, "territory_id": message.territory_id,
            "organisation_id": message.organisation_id, "status": message.status,
            "stage": message.stage, "answer_days": round(due.total_seconds() / 86400),
            "region_id": message.region_id}


async def test_same_script_same_outcome(platform: Platform,
                                        fakes: tuple[FakeTelegram, FakeVk],
                                        tmp_path: Path) -> None:
    tg, vk = fakes
    env = pos_env(database_url=platform.settings.database_url,
                  data_dir=platform.settings.data_dir, POS_TELEGRAM_TOKEN=TG_TOKEN,
                  POS_TELEGRAM_API_URL=tg.base_url, POS_VK_TOKEN=VK_TOKEN,
                  POS_VK_GROUP_ID=str(GROUP), POS_VK_API_URL=vk.api_url,
                  POS_VK_FILE_HOSTS='["127.0.0.1"]',
                  POS_OUTBOX_POLL_SECONDS="0.2")
    async with (pos_process(["bot", "telegram"], env, tmp_path / "tg.log"),
                pos_process(["bot", "vk"], env, tmp_path / "vk.log")):
        # VK's long poll starts from the next event: write once the bot listens.
        await tg.wait_for(lambda call: call.method == "getUpdates", timeout=30)
        await vk.wait_for(lambda call: call.method == "groups.getLongPollServer", timeout=30)
        tg_said, vk_said = await asyncio.gather(
            run(Driver(tg.user(7001, first_name="Иван"), tg.wait_for_text)),
            run(Driver(vk.user(7001, first_name="Иван"), vk.wait_for_text)))
    async with platform.db.sessions() as session:
        messages = {m.source: m for m in (await session.scalars(select(t.Message))).all()}
        citizens = {i.channel: await session.get(t.Citizen, i.citizen_id)
                    for i in (await session.scalars(select(t.CitizenIdentity))).all()}
    assert set(messages) == {"telegram", "vk"}
    numbers = {source: f"№ {m.number}" for source, m in messages.items()}
    # Channels word some prompts their own way (VK has no contact button); the receipt is
    # the same but for the number.
    assert tg_said[-1].replace(numbers["telegram"], "N") == vk_said[-1].replace(
        numbers["vk"], "N")
    assert comparable(messages["telegram"]) == comparable(messages["vk"])
    assert citizens["telegram"].phone == citizens["vk"].phone == "+79131234567"
    assert citizens["telegram"].consent_at and citizens["vk"].consent_at

    photos = {}
    for source, m in messages.items():
        rows = await f.events(platform, m.id)
        photos[source] = [await platform.files.load(p.file_key)
                          for p in await _photos(platform, m.id)]
        assert [(e.action, e.to_status) for e in rows] == [
            (e.action, e.to_status) for e in await f.events(platform,
                                                            messages["telegram"].id)]
    assert photos["telegram"] == photos["vk"] == [JPEG]

    # Staff answer both; the worker tells each citizen in their own channel, the same way.
    for m in messages.values():
        await walk_to_answered(platform, m.id, "Яму заделаем до конца недели.")
    async with pos_process(["worker"], env, tmp_path / "worker.log"):
        tg_answer = await tg.wait_for_text(7001, "Яму заделаем", 30)
        vk_answer = await vk.wait_for_text(7001, "Яму заделаем", 30)
    assert (tg_answer.text or "").replace(numbers["telegram"], "N") == (
        vk_answer.text or "").replace(numbers["vk"], "N")
    assert [b["text"] for b in tg_answer.inline_buttons] == [
        b["action"]["label"] for b in vk_answer.buttons]
    outboxes = {source: [(o.kind, o.status, o.channel)
                         for o in await f.outbox(platform, m.id)]
                for source, m in messages.items()}
    assert [(k, s) for k, s, _ in outboxes["telegram"]] == [
        (k, s) for k, s, _ in outboxes["vk"]]
    assert {ch for _, _, ch in outboxes["vk"]} == {"vk"}


async def _photos(p: Platform, message_id: int) -> list[t.MessagePhoto]:
    async with p.db.sessions() as session:
        return list((await session.scalars(
            select(t.MessagePhoto).where(t.MessagePhoto.message_id == message_id)
            .order_by(t.MessagePhoto.position))).all())
