"""The fake Bot API server, exercised with aiogram 3 itself as the client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiohttp import ClientSession, web

from tests.e2e.fake_server import bot_endpoint
from tests.e2e.fake_telegram import Call, FakeTelegram

TOKEN = "123456:TEST-TOKEN"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
YES_NO = InlineKeyboardMarkup(inline_keyboard=[[
    InlineKeyboardButton(text="Да", callback_data="answer:yes"),
    InlineKeyboardButton(text="Нет", callback_data="answer:no"),
]])


def make_bot(tg: FakeTelegram, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(tg)
    yield bot
    await bot.session.close()


async def test_get_me(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()

    assert me.id == 123456
    assert me.is_bot
    assert me.username == tg.bot_username
    assert tg.base_url == f"http://127.0.0.1:{tg.port}"
    assert [call.method for call in tg.calls] == ["getMe"]


async def test_send_message_with_inline_keyboard_is_recorded(bot: Bot, tg: FakeTelegram
                                                              ) -> None:
    message = await bot.send_message(42, "Подтвердите, пожалуйста", reply_markup=YES_NO)

    assert message.chat.id == 42
    assert message.from_user is not None and message.from_user.is_bot
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump() == YES_NO.model_dump()
    [call] = tg.sent_to(42)
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == 42
    assert call.text == "Подтвердите, пожалуйста"
    assert call.params["reply_markup"] == {"inline_keyboard": [[
        {"text": "Да", "callback_data": "answer:yes"},
        {"text": "Нет", "callback_data": "answer:no"},
    ]]}
    assert [b["callback_data"] for b in call.inline_buttons] == ["answer:yes", "answer:no"]
    assert call.result["message_id"] == message.message_id


async def test_message_ids_grow_per_chat_across_both_sides(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    ivan.send_text("привет")
    first = await bot.send_message(1001, "раз")
    second = await bot.send_message(1001, "два")
    other = await bot.send_message(2002, "другой чат")

    assert (first.message_id, second.message_id, other.message_id) == (2, 3, 1)
    assert first.chat.first_name == "Иван"


async def test_long_poll_returns_a_queued_update_and_honours_offset(bot: Bot, tg: FakeTelegram
                                                                    ) -> None:
    ivan = tg.user(1001, username="ivan")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()  # waiting for an update

    update_id = ivan.send_text("/start pos")
    [update] = await asyncio.wait_for(poll, 2)

    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "/start pos"
    assert update.message.chat.id == update.message.from_user.id == 1001  # type: ignore[union-attr]
    [entity] = update.message.entities or []
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    # Not confirmed yet: delivered again.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]
    # Confirmed by the offset: gone; an empty long poll returns after its timeout.
    started = asyncio.get_running_loop().time()
    assert await bot.get_updates(offset=update_id + 1, timeout=1) == []
    assert asyncio.get_running_loop().time() - started >= 0.9
    later = ivan.send_text("второе")
    assert later > update_id
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [later]


async def test_get_updates_limit_and_redelivery(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    ids = [ivan.send_text(f"сообщение {n}") for n in range(3)]

    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1] + 1)] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1)] == []
    tg.redeliver(ids[1])
    [duplicate] = await bot.get_updates(offset=ids[2] + 1)
    assert duplicate.update_id == ids[1]
    assert duplicate.message is not None and duplicate.message.text == "сообщение 1"


async def test_citizen_photo_can_be_downloaded(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    ivan.send_photo(JPEG, caption="Яма на дороге")
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None and message.photo is not None

    thumbnail, full = message.photo
    assert full.file_size == len(JPEG)
    assert (full.width, full.height) > (thumbnail.width, thumbnail.height)
    assert message.caption == "Яма на дороге"
    downloaded = await bot.download(full.file_id)
    assert downloaded is not None and downloaded.read() == JPEG
    small = await bot.download(thumbnail.file_id)
    assert small is not None and small.read() != JPEG
    file = await bot.get_file(full.file_id)
    assert file.file_path is not None and file.file_path.startswith("photos/file_")
    assert tg.downloads[0] == file.file_path


async def test_album_and_oversized_photo(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    ivan.send_photo(JPEG, media_group_id="album1")
    ivan.send_photo(JPEG[::-1], media_group_id="album1", file_size=25 * 1024 * 1024)
    first, second = await bot.get_updates()
    assert first.message is not None and second.message is not None
    assert first.message.media_group_id == second.message.media_group_id == "album1"
    assert second.message.photo is not None
    assert second.message.photo[-1].file_size == 25 * 1024 * 1024

    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(second.message.photo[-1].file_id)


async def test_other_citizen_inputs_validate(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    ivan.send_document(b"%PDF-1.4", "жалоба.pdf", "application/pdf")
    ivan.send_location(55.03, 82.92)
    ivan.send_contact("+79130000000")
    ivan.send_contact("+79130000001", first_name="Пётр", user_id=None)
    ivan.send_sticker()

    document, location, own, foreign, sticker = [u.message for u in await bot.get_updates()]
    assert document is not None and document.document is not None
    assert document.document.file_name == "жалоба.pdf"
    downloaded = await bot.download(document.document.file_id)
    assert downloaded is not None and downloaded.read() == b"%PDF-1.4"
    assert location is not None and location.location is not None
    assert location.location.latitude == 55.03
    assert own is not None and own.contact is not None and own.contact.user_id == 1001
    assert foreign is not None and foreign.contact is not None
    assert foreign.contact.user_id is None
    assert sticker is not None and sticker.sticker is not None and sticker.text is None


async def test_send_photo_upload_stores_the_bytes(bot: Bot, tg: FakeTelegram) -> None:
    message = await bot.send_photo(7, BufferedInputFile(JPEG, "photo.jpg"), caption="Фото",
                                   reply_markup=YES_NO)

    [call] = tg.sent_to(7)
    assert call.params["photo"] == JPEG
    assert call.filenames["photo"] == "photo.jpg"
    assert call.caption == "Фото"
    assert message.photo is not None
    assert tg.file_bytes(message.photo[-1].file_id) == JPEG
    downloaded = await bot.download(message.photo[-1].file_id)
    assert downloaded is not None and downloaded.read() == JPEG
    # Re-sending by file_id gives the same photo; an unknown id is refused.
    again = await bot.send_photo(8, message.photo[-1].file_id)
    assert again.photo == message.photo
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(8, "no-such-file-id")


async def test_send_media_group_uploads(bot: Bot, tg: FakeTelegram) -> None:
    messages = await bot.send_media_group(7, [
        InputMediaPhoto(media=BufferedInputFile(JPEG, "a.jpg"), caption="первое"),
        InputMediaPhoto(media=BufferedInputFile(b"second", "b.jpg")),
    ])

    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    [call] = tg.sent_to(7)
    assert [item["media"] for item in call.params["media"]] == [JPEG, b"second"]
    assert tg.texts_to(7) == ["первое"]


async def test_press_produces_a_valid_callback_query(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    sent = await bot.send_message(1001, "Подтвердите", reply_markup=YES_NO)
    await bot.send_message(1001, "Сообщение без кнопок")

    update_id = ivan.press("Да")
    update = Update.model_validate(tg.get_update(update_id), context={"bot": bot})

    query = update.callback_query
    assert query is not None
    assert query.data == "answer:yes"
    assert query.from_user.id == 1001
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Принято")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("424242")
    with pytest.raises(AssertionError, match=r"'Нет', 'answer:no'"):
        ivan.press("Может быть")


async def test_press_follows_edits_and_stale_buttons(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    sent = await bot.send_message(1001, "Вопрос", reply_markup=YES_NO)
    original = tg.sent_to(1001)[0]
    edited = await bot.edit_message_text("Ответ принят", chat_id=1001,
                                         message_id=sent.message_id)

    assert edited.text == "Ответ принят"  # type: ignore[union-attr]
    assert edited.reply_markup is None  # type: ignore[union-attr]
    with pytest.raises(AssertionError, match="no message with an inline keyboard"):
        ivan.press("Да")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Ответ принят", chat_id=1001, message_id=sent.message_id)

    update_id = ivan.press_stale("answer:no", original)
    query = Update.model_validate(tg.get_update(update_id), context={"bot": bot}).callback_query
    assert query is not None and query.data == "answer:no"
    assert ivan.press("answer:yes", message=original) > update_id


async def test_edit_reply_markup_and_delete(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(5, "Текст")
    await bot.edit_message_reply_markup(chat_id=5, message_id=sent.message_id,
                                        reply_markup=YES_NO)
    assert tg.last_keyboard_message(5) is not None

    assert await bot.delete_message(5, sent.message_id)
    assert tg.last_keyboard_message(5) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(5, sent.message_id)


async def test_reply_keyboard_is_tracked(bot: Bot, tg: FakeTelegram) -> None:
    ivan = tg.user(1001)
    keyboard = ReplyKeyboardMarkup(keyboard=[[
        KeyboardButton(text="Отправить место", request_location=True),
        KeyboardButton(text="Поделиться номером", request_contact=True),
    ]], resize_keyboard=True)

    message = await bot.send_message(1001, "Где это?", reply_markup=keyboard)

    assert message.reply_markup is None  # reply keyboards are not echoed
    shown = ivan.reply_keyboard()
    assert shown is not None
    assert [b.get("request_location") for b in shown["keyboard"][0]] == [True, None]
    assert shown["keyboard"][0][1]["request_contact"] is True
    await bot.send_message(1001, "Спасибо", reply_markup=ReplyKeyboardRemove())
    assert ivan.reply_keyboard() is None


async def test_wait_for_keeps_a_cursor(bot: Bot, tg: FakeTelegram) -> None:
    async def reply_later(text: str) -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(1001, text)

    await bot.send_message(1001, "Ответ: первый")
    first = await tg.wait_for_text(1001, "Ответ")
    assert first.text == "Ответ: первый"

    task = asyncio.create_task(reply_later("Ответ: второй"))
    second = await tg.wait_for_text(1001, "Ответ", timeout=2)
    await task
    assert second.text == "Ответ: второй"

    mark = tg.mark()
    await bot.send_chat_action(1001, "typing")
    action = await tg.wait_for(lambda call: call.method == "sendChatAction", since=mark)
    assert action.params == {"chat_id": 1001, "action": "typing"}
    with pytest.raises(AssertionError, match="Ответ: первый"):
        await tg.wait_for_text(1001, "Ответ", timeout=0.2)


async def test_fail_next_429_is_retry_after(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", retry_after=3)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(1, "первая попытка")
    assert caught.value.retry_after == 3

    await bot.send_message(1, "вторая попытка")
    assert tg.texts_to(1) == ["вторая попытка"]
    failed = await tg.wait_for(lambda call: call.status == 429, include_failed=True)
    assert failed.text == "первая попытка"


async def test_blocked_chat_is_forbidden(bot: Bot, tg: FakeTelegram) -> None:
    tg.block(1001)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(1001, "Ваше обращение рассмотрено")
    await bot.send_message(1002, "другому можно")
    tg.unblock(1001)
    await bot.send_message(1001, "снова можно")


async def test_fail_with_status_502(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_with_status("sendMessage")
    tg.fail_with_status("sendMessage", body=None)

    # aiogram decodes the body before looking at the status: an HTML 502 from a proxy is a
    # ClientDecodeError, not TelegramServerError/TelegramNetworkError.
    with pytest.raises(ClientDecodeError):
        await bot.send_message(1, "через nginx")
    with pytest.raises(TelegramServerError):
        await bot.send_message(1, "JSON 502")
    await bot.send_message(1, "дошло")
    assert [call.status for call in tg.calls] == [502, 502, 200]
    assert not issubclass(ClientDecodeError, TelegramNetworkError)


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    stranger = make_bot(tg, token="654321:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()
    assert tg.calls == []
    assert tg.unauthorized_requests == 1


async def test_unknown_method_is_not_found(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(TelegramNotFound):
        await bot.send_dice(1)

    assert [call.method for call in tg.unknown_calls] == ["sendDice"]


async def test_misc_methods(bot: Bot, tg: FakeTelegram) -> None:
    tg.user(1001, first_name="Мария")

    assert await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert tg.my_commands == [{"command": "start", "description": "Начать"}]
    chat = await bot.get_chat(1001)
    assert (chat.type, chat.first_name) == ("private", "Мария")
    member = await bot.get_chat_member(1001, 1001)
    assert member.status == "member"
    assert member.user.first_name == "Мария"


async def test_webhook_delivery(bot: Bot, tg: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def endpoint(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        return web.Response()

    async with bot_endpoint("/webhook", endpoint) as url:
        assert await bot.set_webhook(url, secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == url
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()

        update_id = tg.user(1001).send_text("через вебхук")
        assert await tg.push_to_webhook() == [200]
        assert received == [("s3cret", tg.get_update(update_id))]
        assert tg.pending_updates == []

        assert await bot.delete_webhook()
        assert await bot.get_updates() == []


async def test_json_and_query_string_params(tg: FakeTelegram) -> None:
    url = f"{tg.base_url}/bot{TOKEN}"
    async with ClientSession() as http:
        async with http.post(f"{url}/sendMessage", json={
                "chat_id": 9, "text": "JSON", "reply_markup": {"inline_keyboard": [[
                    {"text": "ok", "callback_data": "ok"}]]}}) as response:
            assert response.status == 200
            body = await response.json()
        async with http.get(f"{url}/sendMessage", params={"chat_id": "9", "text": "123"}):
            pass
        async with http.post(f"{url}/sendMessage", json={"chat_id": 9, "text": "x" * 5000}
                             ) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: message is too long"

    assert body["ok"] is True
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "ok"
    json_call, query_call = tg.sent_to(9)
    assert isinstance(json_call, Call) and json_call.reply_markup is not None
    assert query_call.params == {"chat_id": 9, "text": "123"}


async def test_stop_releases_a_waiting_long_poll() -> None:
    tg = FakeTelegram(token=TOKEN)
    await tg.start()
    bot = make_bot(tg)
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        await tg.stop()
        assert await asyncio.wait_for(poll, 5) == []
    finally:
        await bot.session.close()


async def test_dispatcher_round_trip(bot: Bot, tg: FakeTelegram) -> None:
    """The scripted-citizen loop a real end-to-end test runs against the bot process."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Здравствуйте! Подтвердите?", reply_markup=YES_NO)

    @dp.callback_query(F.data.startswith("answer:"))
    async def answer(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Вы ответили: {query.data}")

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        assert message.photo is not None and message.bot is not None
        data = await message.bot.download(message.photo[-1])
        assert data is not None
        await message.answer(f"Фото получено, {len(data.read())} байт")

    polling = asyncio.create_task(dp.start_polling(
        bot, polling_timeout=1, handle_signals=False, close_bot_session=False))
    try:
        ivan = tg.user(1001)
        ivan.send_text("/start")
        await tg.wait_for_text(1001, "Здравствуйте")
        ivan.press("Нет")
        await tg.wait_for(lambda call: call.method == "answerCallbackQuery")
        edited = await tg.wait_for_text(1001, "Вы ответили: answer:no")
        assert edited.method == "editMessageText"
        ivan.send_photo(JPEG)
        await tg.wait_for_text(1001, f"Фото получено, {len(JPEG)} байт")
    finally:
        await dp.stop_polling()
        await polling
