"""Filing a message on the engine alone: summary, editing, sending and cancelling."""

from __future__ import annotations

import pytest

from core.conversations import texts as tx
from core.conversations.replies import Request
from core.db import tables as t
from core.services.platform import Platform
from tests.support.dialog import (
    JPEG,
    NSK_ADDRESS,
    PNG,
    PROBLEM,
    Talker,
    chat,
    citizen,
    conversation,
    labels,
    message_photos,
    rows,
    said,
    to_summary,
    to_text_step,
)
from tests.support.filing import (
    ASK_TEXT,
    BERDSK,
    NSK_CENTRE,
    NSK_TZ,
    draft,
    reach,
    ready,
    slug_id,
    where,
)


# -- summary and editing --------------------------------------------------------------------------
async def test_summary_of_a_fast_track_message(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker, photos=2)
    summary = talker.last[-1]
    assert summary.text == (
        "Проверьте сообщение:\n\n"
        "Тема: Автомобильные дороги → Ямы и выбоины на дороге\n"
        f"Текст: {PROBLEM}\n"
        "Фото: 2\n"
        f"Адрес: {NSK_ADDRESS}\n"
        "Ответ — в течение 5 дн. ⚡ срочная тема")
    assert labels([summary]) == [tx.SEND, tx.EDIT, tx.CANCEL]


async def test_summary_of_an_ordinary_message_with_a_point(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    await talker.press("Автомобильные дороги")
    await talker.press("Необходимость ремонта")
    await talker.say(PROBLEM)
    await talker.press("Без фото")
    replies = await talker.location(*NSK_CENTRE)
    assert "Тема: Автомобильные дороги → Необходимость ремонта дорожного покрытия" in (
        replies[-1].text)
    assert "Фото: нет" in replies[-1].text
    assert "Адрес: точка на карте (55.03020, 82.92040), город Новосибирск" in replies[-1].text
    assert replies[-1].text.endswith("\nОтвет — в течение 30 дн.")


async def edit(p: Platform, what: str) -> Talker:
    talker = await ready(p)
    await to_summary(talker, photos=1)
    await talker.press("Изменить")
    assert labels(talker.last) == [tx.EDIT_TOPIC, tx.EDIT_TEXT, tx.EDIT_PHOTOS,
                                   tx.EDIT_ADDRESS, tx.BACK]
    await talker.press(what)
    return talker


async def test_edit_topic_returns_to_the_summary(platform: Platform) -> None:
    talker = await edit(platform, tx.EDIT_TOPIC)
    replies = await talker.press("⚡ Неработающее уличное освещение")
    assert replies[0].text.startswith("⚡ Это срочная тема")
    assert "Благоустройство → Неработающее уличное освещение" in replies[-1].text
    assert replies[-1].text.endswith("\nОтвет — в течение 3 дн. ⚡ срочная тема")
    assert await where(platform, talker) == ("file", "summary")
    data = await draft(platform, talker)
    assert data["sub"] == await slug_id(platform, "landscaping_street_lighting")
    assert (data["text"], len(data["photos"]), data["address"]) == (PROBLEM, 1, NSK_ADDRESS)


async def test_edit_text_returns_to_the_summary(platform: Platform) -> None:
    talker = await edit(platform, tx.EDIT_TEXT)
    new = "Яма у дома 15 стала ещё больше, туда уже провалилась машина"
    replies = await talker.say(new)
    assert replies[-1].text.startswith("Проверьте сообщение")
    assert f"Текст: {new}" in replies[-1].text
    assert (await draft(platform, talker))["text"] == new


async def test_edit_photos_returns_to_the_summary(platform: Platform) -> None:
    talker = await edit(platform, tx.EDIT_PHOTOS)
    assert "Уже добавлено: 1." in talker.last[-1].text
    await talker.photo(PNG)
    replies = await talker.press("Готово")
    assert replies[-1].text.startswith("Проверьте сообщение") and "Фото: 2" in replies[-1].text
    assert await where(platform, talker) == ("file", "summary")


async def test_edit_photos_to_none(platform: Platform) -> None:
    talker = await edit(platform, tx.EDIT_PHOTOS)
    await talker.press("Удалить все фото")
    replies = await talker.press("Без фото")
    assert "Фото: нет" in replies[-1].text


async def test_edit_address_returns_to_the_summary(platform: Platform) -> None:
    talker = await edit(platform, tx.EDIT_ADDRESS)
    assert talker.last[-1].request is Request.LOCATION
    replies = await talker.location(*BERDSK)
    assert replies[0].close_keyboard
    assert "Адрес: точка на карте (54.75820, 83.10710), город Бердск" in replies[-1].text
    data = await draft(platform, talker)
    assert data["address"] is None and data["lat"] == BERDSK[0]


async def test_edit_back_returns_to_the_summary(platform: Platform) -> None:
    talker = await edit(platform, tx.BACK)
    assert talker.last[-1].text.startswith("Проверьте сообщение")
    assert await where(platform, talker) == ("file", "summary")


async def test_back_while_editing_the_text_returns_to_the_summary(platform: Platform
                                                                  ) -> None:
    talker = await edit(platform, tx.EDIT_TEXT)
    assert talker.last[-1].text == ASK_TEXT and tx.BACK in labels(talker.last)
    replies = await talker.press(tx.BACK)
    assert replies[-1].text.startswith("Проверьте сообщение")
    assert f"Текст: {PROBLEM}" in replies[-1].text
    assert labels(replies) == [tx.SEND, tx.EDIT, tx.CANCEL]
    assert await where(platform, talker) == ("file", "summary")
    assert (await draft(platform, talker))["text"] == PROBLEM


# -- sending --------------------------------------------------------------------------------------
async def test_send_creates_exactly_one_message(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    await talker.photo(JPEG)
    await talker.photo(PNG)
    await talker.press("Готово")
    await talker.location(*NSK_CENTRE)
    keys = [ph["key"] for ph in (await draft(platform, talker))["photos"]]
    replies = await talker.press("Отправить")

    [message] = await rows(platform, t.Message)
    d = await platform.directory.get()
    person = await citizen(platform, talker)
    assert person is not None and message.citizen_id == person.id
    assert message.subcategory_id == d.subcategory_by_slug["roads_potholes"]
    assert message.text == PROBLEM
    assert message.territory_id == d.territory_by_code["54-nsk"]
    assert (message.latitude, message.longitude, message.address) == (*NSK_CENTRE, None)
    assert (message.source, message.status, message.fast_track) == (
        "telegram", "moderation", True)
    photos = await message_photos(platform, message.id)
    assert [ph.file_key for ph in photos] == keys
    assert [ph.content_type for ph in photos] == ["image/jpeg", "image/png"]
    # The bot confirmed itself: no «registered» notification to deliver.
    assert [o.kind for o in await rows(platform, t.OutboxRow)] == []

    text = replies[0].text
    organisation = d.organisations[message.organisation_id].name
    assert text.startswith(f"Сообщение № {message.number} зарегистрировано.")
    assert f"Его рассмотрит: {organisation}." in text
    assert f"Ответ — до {message.answer_due.astimezone(NSK_TZ):%d.%m.%Y}." in text
    assert "до 06.06.2026" in text
    assert labels(replies) == [tx.MENU_MY, tx.TO_MENU]
    conv = await conversation(platform, talker)
    assert conv is not None and (conv.flow, conv.step, conv.data) == ("menu", "main", {})


async def test_send_with_a_typed_address(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    await talker.press("Отправить")
    [message] = await rows(platform, t.Message)
    assert (message.address, message.latitude, message.longitude) == (NSK_ADDRESS, None, None)
    assert await message_photos(platform, message.id) == []


async def test_send_from_a_stale_summary_creates_nothing(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    send = talker.find("Отправить")
    await talker.press("Отправить")
    replies = await talker.press_payload(send.payload)
    assert said(replies) == chat(tx.STALE, tx.MENU)
    assert len(await rows(platform, t.Message)) == 1


async def test_send_of_an_edited_summary_needs_the_new_button(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    old_send = talker.find("Отправить")
    await talker.press("Изменить")
    await talker.press(tx.BACK)
    replies = await talker.press_payload(old_send.payload)
    assert said(replies).startswith(chat(tx.STALE, "Проверьте сообщение:"))
    assert await rows(platform, t.Message) == []
    await talker.press("Отправить")
    assert len(await rows(platform, t.Message)) == 1


async def test_second_message_gets_the_next_number(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    await talker.press("Отправить")
    await to_summary(talker, text=PROBLEM + " (вторая яма)")
    await talker.press("Отправить")
    first, second = await rows(platform, t.Message)
    assert second.number == first.number + 1 and second.text.endswith("(вторая яма)")


# -- cancelling and resuming ----------------------------------------------------------------------
STEPS = ["category", "text", "photos", "address", "summary"]


async def assert_cancelled(p: Platform, talker: Talker, replies: list) -> None:
    assert said(replies) == chat(tx.CANCELLED, tx.MENU)
    assert await rows(p, t.Message) == []
    conv = await conversation(p, talker)
    assert conv is not None and (conv.flow, conv.step, conv.data) == ("menu", "main", {})


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_button_files_nothing(platform: Platform, step: str) -> None:
    talker = await ready(platform)
    await reach(talker, step)
    if step == "address":  # the location keyboard carries «Отменить» as a text button
        replies = await talker.say(tx.CANCEL)
        assert replies[0].close_keyboard
    else:
        replies = await talker.press("Отменить")
    await assert_cancelled(platform, talker, replies)


@pytest.mark.parametrize("step", STEPS)
async def test_slash_cancel_files_nothing(platform: Platform, step: str) -> None:
    talker = await ready(platform)
    await reach(talker, step)
    replies = await talker.say("/cancel")
    await assert_cancelled(platform, talker, replies)


async def test_report_button_mid_draft_offers_to_continue(platform: Platform) -> None:
    talker = await ready(platform)
    await reach(talker, "photos")
    await talker.photo(JPEG)
    before = await conversation(platform, talker)
    replies = await talker.press("Сообщить о проблеме")  # the menu's button, still on screen
    assert replies[0].text == tx.DRAFT_RESUMED and labels(replies[:1]) == [tx.START_OVER]
    assert replies[1].text.startswith("Пришлите фото проблемы")
    after = await conversation(platform, talker)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data, after.generation) == (
        before.flow, before.step, before.data, before.generation)


async def test_start_over_drops_the_draft(platform: Platform) -> None:
    talker = await ready(platform)
    await reach(talker, "photos")
    old = (await draft(platform, talker))["draft"]
    await talker.press("Сообщить о проблеме")
    replies = await talker.press(tx.START_OVER)
    assert replies[0].text.startswith(tx.CHOOSE_CATEGORY)
    data = await draft(platform, talker)
    assert "sub" not in data and "text" not in data and data["draft"] != old


async def test_report_button_with_nothing_chosen_just_starts(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.press("Сообщить о проблеме")
    assert tx.DRAFT_RESUMED not in [r.text for r in replies]
    assert replies[0].text.startswith(tx.CHOOSE_CATEGORY)
