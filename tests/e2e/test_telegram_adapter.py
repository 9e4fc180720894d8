"""The Telegram adapter's own parts over real HTTP against the fake Bot API: the JSON session,
the renderer's Bot API JSON, and the update middleware (redeliveries, floods, and updates that
are not a citizen's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bots.telegram.callbacks import EngineButton, button_data
from bots.telegram.middlewares import CitizenUpdates, Dialog, RecentUpdates, Throttle
from bots.telegram.render import Renderer, markup
from bots.telegram.session import JsonSession
from core.conversations.replies import Button, Reply, Request
from tests.e2e.fake_telegram import FakeTelegram
from tests.support.dialog import JPEG

TOKEN = "123456:TEST-TOKEN"
CHAT = 5


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(tg.base_url)))
    try:
        yield bot
    finally:
        await bot.session.close()


def _session(bot: Bot) -> JsonSession:
    assert isinstance(bot.session, JsonSession)
    return bot.session


# --- the session ---------------------------------------------------------------------------

async def test_a_call_without_files_is_one_json_body_and_its_answer_is_parsed(
        bot: Bot, tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Да", callback_data="a:yes")]])
    sent = await bot.send_message(CHAT, "Привет", reply_markup=keyboard,
                                  disable_notification=False)
    call = tg.calls[-1]
    assert call.content_type == "application/json"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Да", "callback_data": "a:yes"}]]}
    assert call.params["disable_notification"] is False  # a false flag is still sent
    assert isinstance(sent, Message) and sent.text == "Привет"


async def test_an_upload_keeps_multipart(bot: Bot, tg: FakeTelegram) -> None:
    await bot.send_photo(CHAT, BufferedInputFile(JPEG, filename="p.jpg"), caption="Фото")
    call = tg.calls[-1]
    assert call.content_type == "multipart/form-data"
    assert call.params["photo"] == JPEG and call.params["caption"] == "Фото"


async def test_send_checks_success_and_raises_aiograms_errors(bot: Bot, tg: FakeTelegram
                                                               ) -> None:
    session = _session(bot)
    await session.send(bot, SendMessage, {"chat_id": CHAT, "text": "без разбора ответа"})
    assert tg.calls[-1].ok and tg.calls[-1].params["text"] == "без разбора ответа"

    tg.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as flood:
        await session.send(bot, SendMessage, {"chat_id": CHAT, "text": "x"})
    assert flood.value.retry_after == 7

    tg.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await session.send(bot, SendMessage, {"chat_id": CHAT, "text": "x"})

    tg.fail_with_status("sendMessage", 502)  # a proxy's HTML page, not the Bot API's JSON
    with pytest.raises(Exception, match=r"(?i)decode|502|bad gateway"):
        await session.send(bot, SendMessage, {"chat_id": CHAT, "text": "x"})


# --- the renderer --------------------------------------------------------------------------

@pytest.mark.parametrize("payload", ["g|menu", "17|cat|3", "5|sub|412|ямы", "x" * 60])
def test_button_data_is_what_aiogram_packs(payload: str) -> None:
    assert button_data(payload) == EngineButton(p=payload).pack()


@pytest.mark.parametrize("payload", ["a:b", "x" * 63, "я" * 40])
def test_button_data_refuses_what_aiogram_refuses(payload: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)separator|long|64"):
        EngineButton(p=payload).pack()
    with pytest.raises(ValueError, match=r"separator|longer than 64"):
        button_data(payload)


def test_markup_is_the_bot_apis_json() -> None:
    inline = Reply("т", buttons=(Button("Один", "g|a"), Button("Два", "g|b"),
                                  Button("Три", "g|c", row=1)))
    assert markup(inline) == {"inline_keyboard": [
        [{"text": "Один", "callback_data": "b:g|a"}, {"text": "Два", "callback_data": "b:g|b"}],
        [{"text": "Три", "callback_data": "b:g|c"}]]}
    location = Reply("т", request=Request.LOCATION, request_label="📍 Отправить",
                     keyboard_texts=("Отменить",))
    assert markup(location) == {
        "keyboard": [[{"text": "📍 Отправить", "request_location": True}],
                     [{"text": "Отменить"}]],
        "resize_keyboard": True, "one_time_keyboard": True}
    contact = markup(Reply("т", request=Request.CONTACT, request_label="📞"))
    assert contact is not None and contact["keyboard"] == [[
        {"text": "📞", "request_contact": True}]]
    assert markup(Reply("т", close_keyboard=True)) == {"remove_keyboard": True}
    assert markup(Reply("т")) is None


async def test_paging_edits_the_pressed_message_and_an_unchanged_page_is_not_an_error(
        bot: Bot, tg: FakeTelegram) -> None:
    renderer = Renderer(bot, files=None)  # type: ignore[arg-type] - no media here
    page = Reply("Страница 1", buttons=(Button("Дальше", "3|page|2"),))
    await renderer.send(CHAT, [page])
    first = tg.calls[-1]
    assert first.method == "sendMessage" and first.content_type == "application/json"
    pressed = first.result["message_id"]

    await renderer.send(CHAT, [Reply("Страница 2", buttons=page.buttons, replace=True)],
                        pressed_message_id=pressed)
    assert tg.calls[-1].method == "editMessageText" and tg.calls[-1].ok
    calls = len(tg.calls)
    # The same page again: Telegram says "message is not modified"; nothing else is sent.
    await renderer.send(CHAT, [Reply("Страница 2", buttons=page.buttons, replace=True)],
                        pressed_message_id=pressed)
    assert [c.method for c in tg.calls[calls:]] == ["editMessageText"]
    assert not tg.calls[-1].ok


async def test_a_long_text_is_split_and_the_keyboard_goes_with_the_last_part(
        bot: Bot, tg: FakeTelegram) -> None:
    renderer = Renderer(bot, files=None)  # type: ignore[arg-type]
    text = "\n".join(f"Строка {i}: " + "х" * 60 for i in range(150))
    await renderer.send(CHAT, [Reply(text, buttons=(Button("Ок", "g|ok"),))])
    sent = [c for c in tg.calls if c.method == "sendMessage"]
    assert len(sent) == 3 and "\n".join(c.params["text"] for c in sent) == text
    assert [("reply_markup" in c.params) for c in sent] == [False, False, True]


# --- the update middleware -----------------------------------------------------------------

class Seen:
    def __init__(self) -> None:
        self.dialogs: list[Dialog | None] = []
        self.channel_posts = 0
        self.fail = False


def _dispatcher(seen: Seen, *, burst: int = 100) -> Dispatcher:
    dp = Dispatcher(disable_fsm=True)
    dp.update.outer_middleware(CitizenUpdates(
        engine=None,  # type: ignore[arg-type] - the handlers below never ask it anything
        recent=RecentUpdates(), throttle=Throttle(burst=burst, rate=0.001)))
    router = Router()

    @router.message()
    async def on_message(message: Message, **data: Any) -> None:
        if seen.fail:
            raise RuntimeError("boom")
        seen.dialogs.append(data.get("dialog"))

    @router.callback_query()
    async def on_button(query: CallbackQuery, **data: Any) -> None:
        seen.dialogs.append(data.get("dialog"))

    @router.channel_post()
    async def on_post(message: Message, **data: Any) -> None:
        assert "dialog" not in data
        seen.channel_posts += 1

    dp.include_router(router)
    return dp


def _private(update_id: int, user_id: int = 42, text: str = "привет") -> Update:
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Анна", "last_name": "Ли"}}})


async def test_a_private_message_gets_its_citizens_dialog_once(bot: Bot) -> None:
    seen = Seen()
    dp = _dispatcher(seen)
    await dp.feed_update(bot, _private(10))
    await dp.feed_update(bot, _private(10))  # redelivered: skipped before any database work
    assert len(seen.dialogs) == 1
    dialog = seen.dialogs[0]
    assert dialog is not None and dialog.update_id == "10"
    assert (dialog.user.external_id, dialog.user.display_name) == ("42", "Анна Ли")


async def test_a_failed_update_is_handled_again_when_redelivered(bot: Bot) -> None:
    seen = Seen()
    dp = _dispatcher(seen)
    seen.fail = True
    with pytest.raises(RuntimeError):
        await dp.feed_update(bot, _private(11))
    seen.fail = False
    await dp.feed_update(bot, _private(11))
    assert len(seen.dialogs) == 1


async def test_a_flood_is_cut_and_a_pressed_button_told_why(bot: Bot, tg: FakeTelegram
                                                             ) -> None:
    seen = Seen()
    dp = _dispatcher(seen, burst=2)
    for update_id in (20, 21, 22):
        await dp.feed_update(bot, _private(update_id))
    assert len(seen.dialogs) == 2
    await bot.send_message(42, "Меню", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Меню", callback_data="b:g|menu")]]))
    tg.user(42, first_name="Анна").press("Меню")
    [press] = await bot.get_updates(timeout=1)
    assert press.callback_query is not None
    await dp.feed_update(bot, press)
    assert len(seen.dialogs) == 2
    answer = tg.calls[-1]
    assert answer.method == "answerCallbackQuery" and "Слишком часто" in answer.params["text"]
    await dp.feed_update(bot, _private(24, user_id=43))  # someone else is not held back
    assert len(seen.dialogs) == 3


async def test_updates_that_are_not_a_citizens_pass_untouched(bot: Bot) -> None:
    seen = Seen()
    dp = _dispatcher(seen, burst=1)
    post = {"message_id": 1, "date": 0, "text": "Яма на Ленина",
            "chat": {"id": -100500, "type": "channel", "title": "Город"}}
    group = {"message_id": 2, "date": 0, "text": "и у нас",
             "chat": {"id": -200, "type": "supergroup", "title": "Чат"},
             "from": {"id": 42, "is_bot": False, "first_name": "Анна"}}
    for update_id in (30, 31):
        await dp.feed_update(bot, Update.model_validate(
            {"update_id": update_id, "channel_post": {**post, "message_id": update_id}}))
    for update_id in (32, 33):  # group chatter is neither throttled nor a dialog
        await dp.feed_update(bot, Update.model_validate(
            {"update_id": update_id, "message": {**group, "message_id": update_id}}))
    assert seen.channel_posts == 2
    assert seen.dialogs == [None, None]


async def test_a_press_too_old_to_answer_still_gets_its_reply(bot: Bot, tg: FakeTelegram
                                                             ) -> None:
    from bots.telegram.handlers import _button

    class Engine:
        async def handle(self, event: Any) -> list[Reply]:
            return [Reply("Главное меню")]

    await bot.send_message(42, "Меню", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Меню", callback_data="b:g|menu")]]))
    tg.user(42, first_name="Анна").press("Меню")
    [press] = await bot.get_updates(timeout=1)
    assert press.callback_query is not None
    tg.fail_next("answerCallbackQuery", error_code=400,
                 description="Bad Request: query is too old and response timeout expired")
    await _button(press.callback_query, "g|menu", Engine(),  # type: ignore[arg-type]
                  Renderer(bot, files=None))  # type: ignore[arg-type]
    assert [c.method for c in tg.calls[-2:]] == ["answerCallbackQuery", "sendMessage"]
    assert not tg.calls[-2].ok and tg.calls[-1].params["text"] == "Главное меню"
