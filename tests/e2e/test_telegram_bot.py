"""The Telegram bot end to end: the real `pos bot telegram` and `pos worker` processes over
real HTTP against a local fake Bot API, a scripted citizen, staff acting through core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import tables as t
from core.domain.enums import Status
from core.ports import SystemClock
from core.services.platform import Platform
from tests.e2e.fake_telegram import Call, Citizen, FakeTelegram
from tests.e2e.processes import PosProcess, free_port, pos_env, pos_process
from tests.support import factories as f
from tests.support.dialog import JPEG, PNG, walk_to_answered

pytestmark = pytest.mark.slow
TOKEN = "123456:TEST-TOKEN"
NSK = (55.0302, 82.9204)


@pytest.fixture
def clock() -> SystemClock:  # the bot processes run on the real clock; so does staff here
    return SystemClock()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def env(platform: Platform, tg: FakeTelegram) -> dict[str, str]:
    return pos_env(database_url=platform.settings.database_url,
                   data_dir=platform.settings.data_dir, POS_TELEGRAM_TOKEN=TOKEN,
                   POS_TELEGRAM_API_URL=tg.base_url, POS_OUTBOX_POLL_SECONDS="0.2")


def bot(env: dict[str, str], tmp_path: Path, *args: str) -> PosProcess:
    return PosProcess(["bot", "telegram", *args], env, tmp_path / "bot.log")


async def started(tg: FakeTelegram, process: PosProcess) -> None:
    await process.start()
    try:
        await tg.wait_for(lambda call: call.method == "getUpdates", timeout=30)
    except AssertionError:
        raise AssertionError(process.output()) from None


async def says(tg: FakeTelegram, who: Citizen, text: str, timeout: float = 10) -> Call:  # noqa: ASYNC109
    return await tg.wait_for_text(who.id, text, timeout)


async def count_messages(p: Platform) -> int:
    async with p.db.sessions() as session:
        return int((await session.execute(select(func.count(t.Message.id)))).scalar_one())


async def test_citizen_journey(platform: Platform, tg: FakeTelegram, env: dict[str, str],
                               tmp_path: Path) -> None:
    ivan = tg.user(1001, first_name="Иван")
    process = bot(env, tmp_path)
    await started(tg, process)
    try:
        # Onboarding, with bad input on the way.
        ivan.send_text("/start")
        consent = await says(tg, ivan, "Здравствуйте")
        assert "согласие на обработку" in (consent.text or "")
        ivan.send_sticker()
        await says(tg, ivan, "Такое сообщение бот не понимает")
        ivan.press("✅ Согласен", message=consent)
        await says(tg, ivan, "Как к вам обращаться")
        ivan.send_text("123")
        await says(tg, ivan, "Имя — от 1 до 100 символов")
        ivan.press("Иван")
        phone_prompt = await says(tg, ivan, "Оставьте номер телефона")
        keyboard = phone_prompt.reply_markup or {}
        assert keyboard["keyboard"][0][0]["request_contact"] is True
        ivan.send_contact("+79130000000", user_id=999)
        await says(tg, ivan, "Это чужой контакт")
        ivan.send_contact("+79131234567")
        saved = await says(tg, ivan, "Номер сохранён")
        assert (saved.reply_markup or {}).get("remove_keyboard") is True
        await says(tg, ivan, "Главное меню")

        # Filing: search, a fast-track topic, text, two photos, a location.
        ivan.press("📝 Сообщить о проблеме")
        categories = await says(tg, ivan, "Выберите тему")
        ivan.send_text("ям")
        await says(tg, ivan, "хотя бы из 3 букв")
        ivan.send_text("яма")
        await says(tg, ivan, "Нашлось по запросу")
        ivan.press("Ямы и выбоины на дороге")
        fast = await says(tg, ivan, "срочная тема")
        assert "Опишите проблему" in (fast.text or "")
        stale_payload = categories.inline_buttons[0]["callback_data"]
        ivan.press_stale(stale_payload, categories)
        stale = await says(tg, ivan, "Эта кнопка устарела")
        assert "Опишите проблему" in (stale.text or "")
        ivan.send_text("Яма")
        await says(tg, ivan, "не меньше 20 символов")
        ivan.send_text("Глубокая яма на проезжей части, машины выезжают на встречную полосу.")
        await says(tg, ivan, "Пришлите фото")
        ivan.send_document(b"%PDF-1.4 not a photo", "scan.pdf", "application/pdf")
        await says(tg, ivan, "Это не изображение")
        ivan.send_photo(JPEG, file_size=50 * 1024 * 1024)
        await says(tg, ivan, "Фото слишком большое")
        ivan.send_photo(JPEG, media_group_id="album-1")
        ivan.send_photo(PNG, media_group_id="album-1")
        await says(tg, ivan, "Фото 1 из 5")
        await says(tg, ivan, "Фото 2 из 5")

        # The bot restarts mid-flow: the dialog continues where it was.
        assert await process.stop() == 0
        await started(tg, process)
        ivan.press("Готово ➡️")
        address = await says(tg, ivan, "Где находится проблема")
        assert (address.reply_markup or {})["keyboard"][0][0]["request_location"] is True
        ivan.send_location(55.75, 37.62)
        await says(tg, ivan, "за пределами региона")
        ivan.send_location(*NSK)
        accepted = await says(tg, ivan, "Адрес принят")
        assert (accepted.reply_markup or {}).get("remove_keyboard") is True
        await says(tg, ivan, "Проверьте сообщение")
        send_update = ivan.press("✅ Отправить")
        registered = await says(tg, ivan, "зарегистрировано")
        assert "Ответ — до " in (registered.text or "")
        tg.redeliver(send_update)  # a duplicate delivery changes nothing and says nothing
        await asyncio.sleep(1.5)
        assert await count_messages(platform) == 1
        assert not [x for x in tg.texts_to(ivan.id)[-1:] if "зарегистрировано" not in x]

        async with platform.db.sessions() as session:
            message = (await session.scalars(select(t.Message))).one()
            photos = (await session.scalars(select(t.MessagePhoto)
                                            .order_by(t.MessagePhoto.position))).all()
        assert message.source == "telegram"
        assert (message.latitude, message.longitude) == NSK
        assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
        assert await platform.files.load(photos[1].file_key) == PNG
        assert f"№ {message.number}" in (registered.text or "")

        # My messages and the card.
        ivan.press("📋 Мои сообщения")
        await says(tg, ivan, f"№ {message.number} от")
        before_card = tg.mark()
        ivan.press(f"№ {message.number}")
        await tg.wait_for(lambda call: call.method == "sendMediaGroup"
                          and call.chat_id == ivan.id, since=before_card)
        await says(tg, ivan, "История")
    finally:
        await process.stop()
        print(process.output())

    # Staff answer through core; the worker delivers; the citizen rates 2 → re-review.
    assert message.organisation_id == await f.org_id(platform, "NSK-ADM")
    await walk_to_answered(platform, message.id, "Яму заделаем до конца недели.")
    async with (pos_process(["worker"], env, tmp_path / "worker.log"),
                pos_process(["bot", "telegram"], env, tmp_path / "bot2.log")):
        answer = await says(tg, ivan, "Яму заделаем", timeout=30)
        assert [b["text"] for b in answer.inline_buttons][:5] == ["1", "2", "3", "4", "5"]
        before_rating = tg.mark()
        ivan.press("2", message=answer)
        rated = await says(tg, ivan, "Спасибо за оценку 2", timeout=20)
        assert "комментарий" in (rated.text or "")
        ivan.send_text("Яму так и не заделали, фото прилагаю.")
        await says(tg, ivan, "Комментарий передан")
        notice = await tg.wait_for_text(ivan.id, "Новый срок ответа", 30, since=before_rating)
        assert "направлено на повторное рассмотрение" in (notice.text or "")
    async with platform.db.sessions() as session:
        row = (await session.scalars(select(t.Message))).one()
    assert row.status == Status.RE_REVIEW
    assert row.rating == 2
    assert row.rating_comment == "Яму так и не заделали, фото прилагаю."


async def test_webhook_mode(platform: Platform, tg: FakeTelegram, env: dict[str, str],
                            tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    env |= {"POS_HTTP_PORT": str(port), "POS_TELEGRAM_WEBHOOK_URL": url}
    async with pos_process(["bot", "telegram", "--webhook"], env, tmp_path / "hook.log") as p:
        try:
            await tg.wait_for(lambda call: call.method == "setWebhook", timeout=30)
        except AssertionError:
            raise AssertionError(p.output()) from None
        assert tg.webhook_url == url
        anna = tg.user(2002, first_name="Анна")
        update_id = anna.send_text("/start")
        for _ in range(50):  # the server may still be binding its port
            statuses = await tg.push_to_webhook()
            if statuses and statuses[0] == 200:
                break
            await asyncio.sleep(0.2)
        await says(tg, anna, "Здравствуйте")
        assert await tg.post_update(url, tg.get_update(update_id), "wrong-secret") == 401
        assert await tg.post_update(url, tg.get_update(update_id), tg.webhook_secret) == 200
        await asyncio.sleep(0.5)
        assert sum("Здравствуйте" in x for x in tg.texts_to(anna.id)) == 1
