"""The VK bot end to end: the real `pos bot vk` and `pos worker` processes over real HTTP
against a local fake VK API, a scripted citizen, staff acting through core."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import tables as t
from core.domain.enums import Status
from core.ports import SystemClock
from core.services.platform import Platform
from tests.e2e.fake_vk import FakeVk
from tests.e2e.processes import PosProcess, free_port, pos_env, pos_process
from tests.support import factories as f
from tests.support.dialog import JPEG, PNG, walk_to_answered

pytestmark = pytest.mark.slow
TOKEN = "vk1.a.TEST-COMMUNITY-TOKEN"
GROUP = 220_000_001
NSK = (55.0302, 82.9204)


@pytest.fixture
def clock() -> SystemClock:  # the bot processes run on the real clock; so does staff here
    return SystemClock()


@pytest.fixture
async def vk() -> AsyncIterator[FakeVk]:
    async with FakeVk(token=TOKEN, group_id=GROUP) as fake:
        yield fake


@pytest.fixture
def env(platform: Platform, vk: FakeVk) -> dict[str, str]:
    return pos_env(database_url=platform.settings.database_url,
                   data_dir=platform.settings.data_dir, POS_VK_TOKEN=TOKEN,
                   POS_VK_GROUP_ID=str(GROUP), POS_VK_API_URL=vk.api_url,
                  POS_VK_FILE_HOSTS='["127.0.0.1"]',
                   POS_OUTBOX_POLL_SECONDS="0.2")


def bot(env: dict[str, str], tmp_path: Path, *args: str) -> PosProcess:
    return PosProcess(["bot", "vk", *args], env, tmp_path / "bot.log")


async def started(vk: FakeVk, process: PosProcess) -> None:
    await process.start()
    try:
        await vk.wait_for(lambda call: call.method == "groups.getLongPollServer", timeout=30,
                          since=vk.mark())
    except AssertionError:
        raise AssertionError(process.output()) from None


async def count_messages(p: Platform) -> int:
    async with p.db.sessions() as session:
        return int((await session.scalars(select(func.count(t.Message.id)))).one())


async def test_citizen_journey(platform: Platform, vk: FakeVk, env: dict[str, str],
                               tmp_path: Path) -> None:
    ivan = vk.user(501, first_name="Иван", last_name="Петров")
    process = bot(env, tmp_path)
    await started(vk, process)
    try:
        # Onboarding, with bad input on the way.
        ivan.send_text("Начать", payload='{"command":"start"}')
        await vk.wait_for_text(ivan.id, "Здравствуйте")
        ivan.send_sticker()
        await vk.wait_for_text(ivan.id, "Такое сообщение бот не понимает")
        ivan.press("✅ Согласен")
        await vk.wait_for_text(ivan.id, "Как к вам обращаться")
        ivan.send_text("123")
        await vk.wait_for_text(ivan.id, "Имя — от 1 до 100 символов")
        ivan.press("Иван Петров")  # the name VK gives (users.get)
        await vk.wait_for_text(ivan.id, "Напишите его")  # no contact button in VK
        ivan.send_text("913")
        await vk.wait_for_text(ivan.id, "Не похоже на номер")
        ivan.send_text("+7 913 123-45-67")
        await vk.wait_for_text(ivan.id, "Номер сохранён")

        # Filing: search, a fast-track topic, text, two photos in one message, a location.
        ivan.press("📝 Сообщить о проблеме")
        categories = await vk.wait_for_text(ivan.id, "Выберите тему")
        ivan.send_text("яма")
        await vk.wait_for_text(ivan.id, "Нашлось по запросу")
        ivan.press("Ямы и выбоины на дороге")
        fast = await vk.wait_for_text(ivan.id, "срочная тема")
        assert "Опишите проблему" in fast.text
        stale = json.loads(categories.keyboard)["buttons"][0][0]["action"]["payload"]
        ivan.press_stale(stale, categories)
        again = await vk.wait_for_text(ivan.id, "Эта кнопка устарела")
        assert "Опишите проблему" in again.text
        ivan.send_text("Яма")
        await vk.wait_for_text(ivan.id, "не меньше 20 символов")
        ivan.send_text("Глубокая яма на проезжей части, машины выезжают на встречную полосу.")
        await vk.wait_for_text(ivan.id, "Пришлите фото")
        ivan.send_doc(b"%PDF-1.4 not a photo", "scan.pdf", "pdf")
        await vk.wait_for_text(ivan.id, "Это не изображение")
        ivan.send_photos([JPEG, PNG])
        await vk.wait_for_text(ivan.id, "Фото 2 из 5")

        # The bot is killed mid-flow: the events after its last saved position are read
        # again and change nothing; the dialog continues where it was.
        await process.stop(signal.SIGKILL)
        await started(vk, process)
        ivan.press("Готово ➡️")
        address = await vk.wait_for_text(ivan.id, "Где находится проблема")
        assert sum("Фото 2 из 5" in x for x in vk.texts_to(ivan.id)) == 1  # read again: mute
        kinds = [b["action"]["type"] for row in json.loads(address.keyboard)["buttons"]
                 for b in row]
        assert kinds[0] == "location"
        ivan.send_location(55.75, 37.62)
        await vk.wait_for_text(ivan.id, "за пределами региона")
        ivan.send_location(*NSK)
        await vk.wait_for_text(ivan.id, "Проверьте сообщение")
        send = ivan.press("✅ Отправить")
        registered = await vk.wait_for_text(ivan.id, "зарегистрировано")
        assert "Ответ — до " in registered.text
        vk.redeliver(send)  # a duplicate delivery changes nothing and says nothing
        ivan.send_text("/help")  # handled after the duplicate: one person's events keep order
        await vk.wait_for_text(ivan.id, "Как это работает")
        assert await count_messages(platform) == 1
        assert sum("зарегистрировано" in x for x in vk.texts_to(ivan.id)) == 1

        async with platform.db.sessions() as session:
            message = (await session.scalars(select(t.Message))).one()
            photos = (await session.scalars(select(t.MessagePhoto)
                                            .order_by(t.MessagePhoto.position))).all()
        assert message.source == "vk"
        assert (message.latitude, message.longitude) == NSK
        assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
        assert f"№ {message.number}" in registered.text

        # My messages and the card, with its photos sent back through the upload flow.
        ivan.press("📋 Мои сообщения")
        await vk.wait_for_text(ivan.id, f"№ {message.number} от")
        ivan.press(f"№ {message.number}")
        await vk.wait_for_text(ivan.id, "История")
        assert vk.photos_to(ivan.id)[-2:] == [JPEG, PNG]
    finally:
        await process.stop()
        print(process.output())

    # Staff answer through core; the worker delivers; the citizen rates 2 → re-review.
    assert message.organisation_id == await f.org_id(platform, "NSK-ADM")
    await walk_to_answered(platform, message.id, "Яму заделаем до конца недели.")
    # Two processes on one token: each gets its share of the community's 20 requests/s.
    async with (pos_process(["worker"], env | {"POS_VK_REQUESTS_PER_SECOND": "5"},
                            tmp_path / "worker.log"),
                pos_process(["bot", "vk"], env | {"POS_VK_REQUESTS_PER_SECOND": "15"},
                            tmp_path / "bot2.log")):
        answer = await vk.wait_for_text(ivan.id, "Яму заделаем", timeout=30)
        labels = [b["action"]["label"] for row in json.loads(answer.keyboard)["buttons"]
                  for b in row]
        assert labels[:5] == ["1", "2", "3", "4", "5"]
        mark = vk.mark()
        ivan.press("2", message=answer)
        rated = await vk.wait_for_text(ivan.id, "Спасибо за оценку 2", timeout=20)
        assert "комментарий" in rated.text
        ivan.send_text("Яму так и не заделали, фото прилагаю.")
        await vk.wait_for_text(ivan.id, "Комментарий передан")
        notice = await vk.wait_for_text(ivan.id, "Новый срок ответа", 30, since=mark)
        assert "направлено на повторное рассмотрение" in notice.text
    async with platform.db.sessions() as session:
        row = (await session.scalars(select(t.Message))).one()
    assert row.status == Status.RE_REVIEW
    assert row.rating == 2
    assert row.rating_comment == "Яму так и не заделали, фото прилагаю."
    assert vk.too_many == 0  # the bot kept within the community's rate


async def test_callback_api(platform: Platform, vk: FakeVk, env: dict[str, str],
                            tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/vk/callback"
    env |= {"POS_HTTP_PORT": str(port), "POS_VK_CONFIRMATION_CODE": "a1b2c3d4",
            "POS_VK_CALLBACK_SECRET": "s3cret"}
    async with pos_process(["bot", "vk", "--callback"], env, tmp_path / "hook.log") as p:
        for _ in range(100):  # the server may still be binding its port
            try:
                status, body = await vk.post_callback(url, vk.confirmation_event(), None)
                break
            except OSError:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError(p.output())
        assert (status, body) == (200, "a1b2c3d4")
        anna = vk.user(502, first_name="Анна")
        anna.send_text("/start")
        [event] = vk.pending_events()[-1:]
        assert await vk.post_callback(url, event, "wrong") == (403, '{"detail":"wrong secret"}')
        assert await vk.post_callback(url, event, "s3cret") == (200, "ok")
        await vk.wait_for_text(anna.id, "Здравствуйте")
        assert await vk.post_callback(url, event, "s3cret") == (200, "ok")  # VK retries
        anna.send_text("/help")
        [later] = vk.pending_events()[-1:]
        assert await vk.post_callback(url, later, "s3cret") == (200, "ok")
        await vk.wait_for_text(anna.id, "Как это работает")
        assert sum("Здравствуйте" in x for x in vk.texts_to(anna.id)) == 1
