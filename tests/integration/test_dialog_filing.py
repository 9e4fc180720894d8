"""Filing a message on the conversation engine alone: topic, text, photos, address, summary,
editing, sending and cancelling."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from core.conversations import texts as tx
from core.conversations.catalogue import SHORTCUTS
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

NSK_TZ = ZoneInfo("Asia/Novosibirsk")
NSK_CENTRE, BERDSK, MOSCOW = (55.0302, 82.9204), (54.7582, 83.1071), (55.75, 37.62)
ASK_TEXT = tx.ASK_TEXT.format(min=20, max=4000)
ASK_PHOTOS = tx.ASK_PHOTOS.format(max=5)
NOT_AN_IMAGE = "Это не изображение: пришлите фото в формате JPEG, PNG или WebP"


async def ready(p: Platform) -> Talker:
    """A citizen who consented and sees the main menu."""
    talker = Talker(p)
    await talker.onboard()
    return talker


async def draft(p: Platform, talker: Talker) -> dict:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.data


async def where(p: Platform, talker: Talker) -> tuple[str, str]:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.flow, conv.step


async def slug_id(p: Platform, slug: str) -> int:
    return (await p.directory.get()).subcategory_by_slug[slug]


async def reach(talker: Talker, step: str) -> None:
    """From the main menu to a step of the filing flow."""
    await talker.press("Сообщить о проблеме")
    if step == "category":
        return
    await talker.say("яма")
    await talker.press("Ямы и выбоины на дороге")
    if step == "text":
        return
    await talker.say(PROBLEM)
    if step == "photos":
        return
    await talker.press("Без фото")
    if step == "address":
        return
    await talker.say(NSK_ADDRESS)


# -- topic ----------------------------------------------------------------------------------------
async def test_first_category_page_has_the_fast_track_shortcuts(platform: Platform) -> None:
    talker = await ready(platform)
    replies = await talker.press("Сообщить о проблеме")
    d = await platform.directory.get()
    shortcuts = [b.label for b in replies[0].buttons if b.label.startswith("⚡")]
    assert len(shortcuts) == len(SHORTCUTS)
    for label, slug in zip(shortcuts, SHORTCUTS, strict=True):
        name = d.subcategories[d.subcategory_by_slug[slug]].name
        assert name.startswith(label.removeprefix("⚡ ").rstrip("…"))
    assert tx.FAST_SHORTCUTS in replies[0].text
    assert labels(replies)[len(SHORTCUTS):] == [
        "Автомобильные дороги", "Благоустройство", "Дворы и территории общего пользования",
        "Медицина и здравоохранение", "Многоквартирные дома", "Мусор и ТКО", "Образование",
        "Общественный транспорт", "1/4", "▶️", tx.CANCEL]


async def test_category_pages_forward_and_back_replace_the_list(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.press("▶️")
    assert len(replies) == 1 and replies[0].replace
    assert tx.FAST_SHORTCUTS not in replies[0].text
    assert labels(replies) == [
        "Плата за ЖКУ", "Связь и телевидение", "Социальное обслуживание и защита",
        "Экономика и бизнес", "Водоснабжение и водоотведение", "Газоснабжение",
        "Информационные технологии", "Культура", "◀️", "2/4", "▶️", tx.CANCEL]
    await talker.press("▶️")
    replies = await talker.press("▶️")
    assert replies[0].replace and labels(replies)[-3:] == ["◀️", "4/4", tx.CANCEL]
    replies = await talker.press("◀️")
    assert replies[0].replace and "3/4" in labels(replies)
    assert (await draft(platform, talker))["page"] == 2


async def test_category_then_subcategory_then_text(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.press("Автомобильные дороги")
    assert replies[0].text == tx.CHOOSE_SUBCATEGORY.format(category="Автомобильные дороги")
    assert labels(replies)[0] == "⚡ Ямы и выбоины на дороге"
    assert labels(replies)[8:] == ["1/3", "▶️", tx.ALL_TOPICS, tx.CANCEL]
    replies = await talker.press("▶️")
    assert replies[0].replace
    assert labels(replies)[0].startswith("Отсутствие асфальтового покрытия")
    replies = await talker.press("Отсутствие асфальтового покрытия")
    assert [r.text for r in replies] == [tx.ASK_TEXT.format(min=20, max=4000)]  # no ⚡ warning
    assert await where(platform, talker) == ("file", "text")
    assert (await draft(platform, talker))["sub"] == await slug_id(platform, "roads_unpaved_road")


async def test_all_topics_goes_back_to_the_categories(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    await talker.press("Благоустройство")
    replies = await talker.press(tx.ALL_TOPICS)
    assert replies[0].text.startswith(tx.CHOOSE_CATEGORY)
    assert await where(platform, talker) == ("file", "category")


async def test_back_from_the_text_goes_to_the_topics(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.press(tx.BACK)
    assert replies[0].text.startswith(tx.CHOOSE_CATEGORY)
    assert await where(platform, talker) == ("file", "category")


async def test_search_by_word_finds_potholes_first(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.say("яма")
    assert replies[0].text == tx.SEARCH_FOUND.format(query="яма")
    assert labels(replies)[0] == "Ямы и выбоины на дороге"
    assert labels(replies)[-1] == tx.ALL_TOPICS
    await talker.press("Ямы и выбоины на дороге")
    assert (await draft(platform, talker))["sub"] == await slug_id(platform, "roads_potholes")


async def test_search_works_from_the_subcategory_list(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    await talker.press("Образование")
    await talker.say("фонарь")
    await talker.press("Неработающее уличное освещение")
    assert (await draft(platform, talker))["sub"] == await slug_id(
        platform, "landscaping_street_lighting")


@pytest.mark.parametrize("query", ["ям", "я м а", "12"])
async def test_search_needs_three_letters(platform: Platform, query: str) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.say(query)
    assert [r.text for r in replies] == [tx.SEARCH_SHORT]
    assert "хотя бы из 3 букв" in replies[0].text
    assert await where(platform, talker) == ("file", "category")


async def test_search_for_nonsense_finds_nothing(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.say("абракадабра")
    assert "ничего не нашлось" in replies[0].text and "«абракадабра»" in replies[0].text
    assert said(replies).startswith(
        chat(tx.SEARCH_NONE.format(query="абракадабра"), tx.CHOOSE_CATEGORY))
    assert labels(replies)[-1] == tx.CANCEL  # the category list, drawn again
    assert await where(platform, talker) == ("file", "category")


@pytest.mark.parametrize(("label", "slug"), [
    ("⚡ Ямы и выбоины", "roads_potholes"),
    ("⚡ Несвоевременная уборка снега", "roads_snow_removal"),
    ("⚡ Неработающий светофор", "roads_traffic_lights"),
])
async def test_fast_track_shortcut_warns_with_days_and_112(
        platform: Platform, label: str, slug: str) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    replies = await talker.press(label)
    d = await platform.directory.get()
    days = d.policy(next(iter(d.regions)), d.subcategory_by_slug[slug]).fast_track_days
    assert said(replies) == chat(tx.FAST_TRACK.format(days=days), ASK_TEXT)
    assert f"в течение {days} дн." in replies[0].text and "112" in replies[0].text
    assert (await draft(platform, talker))["sub"] == d.subcategory_by_slug[slug]


async def test_fast_track_days_differ_by_topic(platform: Platform) -> None:
    """Potholes: 5 days, snow on roads: 3 days (the seeded classifier)."""
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    potholes = await talker.press("⚡ Ямы и выбоины")
    await talker.press(tx.BACK)
    snow = await talker.press("⚡ Несвоевременная уборка")
    assert "в течение 5 дн." in potholes[0].text and "в течение 3 дн." in snow[0].text


# -- text -----------------------------------------------------------------------------------------
async def test_too_short_text_keeps_the_subcategory(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.say("   коротко   ")
    assert [r.text for r in replies] == [
        "Опишите проблему подробнее: не меньше 20 символов (сейчас 7)"]
    assert await where(platform, talker) == ("file", "text")
    data = await draft(platform, talker)
    assert data["sub"] == await slug_id(platform, "roads_potholes") and "text" not in data


async def test_too_long_text_keeps_the_subcategory(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.say("я" * 4001)
    assert "не больше 4000 символов (сейчас 4001)" in replies[0].text
    assert await where(platform, talker) == ("file", "text")
    assert (await draft(platform, talker))["sub"] == await slug_id(platform, "roads_potholes")


async def test_text_at_the_limits_is_accepted(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say("я" * 20)
    assert await where(platform, talker) == ("file", "photos")
    await talker.press("Отменить")
    await to_text_step(talker)
    await talker.say("я" * 4000)
    assert (await draft(platform, talker))["text"] == "я" * 4000


async def test_photo_with_caption_at_the_text_step_becomes_the_text(platform: Platform
                                                                     ) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.photo(JPEG, caption=f"  {PROBLEM}  ")
    assert replies[-1].text.startswith("Пришлите фото проблемы")
    assert "Уже добавлено: 1." in replies[-1].text
    data = await draft(platform, talker)
    assert data["text"] == PROBLEM and len(data["photos"]) == 1
    assert await where(platform, talker) == ("file", "photos")


async def test_photo_without_caption_at_the_text_step_asks_for_the_text(
        platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.photo(JPEG)
    assert [r.text for r in replies] == [tx.TEXT_PHOTO_FIRST]
    assert await where(platform, talker) == ("file", "text")
    assert len((await draft(platform, talker))["photos"]) == 1


async def test_photo_with_a_short_caption_keeps_the_photo_and_asks_again(
        platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.photo(JPEG, caption="яма")
    assert "не меньше 20 символов" in replies[0].text
    assert await where(platform, talker) == ("file", "text")
    assert len((await draft(platform, talker))["photos"]) == 1


@pytest.mark.parametrize("photo", ["not an image", "too big", "the same twice"])
async def test_caption_is_the_text_even_when_the_photo_is_refused(
        platform: Platform, photo: str) -> None:
    async def must_not_fetch() -> bytes:
        raise AssertionError("the photo was downloaded")

    talker = await ready(platform)
    await to_text_step(talker)
    kept = 0
    if photo == "not an image":
        replies = await talker.photo(b"%PDF-1.4 not an image at all", caption=PROBLEM)
        refusal = NOT_AN_IMAGE
    elif photo == "too big":
        replies = await talker.photo_from(
            must_not_fetch, size=platform.settings.max_photo_bytes + 1, caption=PROBLEM)
        refusal = tx.PHOTO_TOO_BIG.format(mb=10)
    else:
        await talker.photo(JPEG)
        replies = await talker.photo(JPEG, caption=PROBLEM)
        refusal, kept = tx.PHOTO_TWICE, 1
    prompt = ASK_PHOTOS + (f"\n\nУже добавлено: {kept}." if kept else "")
    assert said(replies) == chat(refusal, prompt)
    data = await draft(platform, talker)
    assert data["text"] == PROBLEM and len(data["photos"]) == kept
    assert await where(platform, talker) == ("file", "photos")


# -- photos ---------------------------------------------------------------------------------------
async def at_photos(p: Platform) -> Talker:
    talker = await ready(p)
    await reach(talker, "photos")
    return talker


async def test_photo_prompt_offers_to_go_on_without_photos(platform: Platform) -> None:
    talker = await at_photos(platform)
    assert labels(talker.last) == [tx.NO_PHOTOS, tx.CANCEL]
    replies = await talker.press("Без фото")
    assert replies[-1].text == tx.ASK_ADDRESS
    assert await where(platform, talker) == ("file", "address")
    assert (await draft(platform, talker))["photos"] == []


async def test_not_an_image_is_refused(platform: Platform) -> None:
    talker = await at_photos(platform)
    replies = await talker.photo(b"%PDF-1.4 not an image at all")
    assert [r.text for r in replies] == [
        "Это не изображение: пришлите фото в формате JPEG, PNG или WebP"]
    assert (await draft(platform, talker))["photos"] == []
    assert await where(platform, talker) == ("file", "photos")


async def test_declared_size_over_the_limit_is_refused_without_downloading(
        platform: Platform) -> None:
    async def must_not_fetch() -> bytes:
        raise AssertionError("the photo was downloaded")

    talker = await at_photos(platform)
    replies = await talker.photo_from(must_not_fetch,
                                      size=platform.settings.max_photo_bytes + 1)
    assert [r.text for r in replies] == [tx.PHOTO_TOO_BIG.format(mb=10)]
    assert (await draft(platform, talker))["photos"] == []


async def test_photo_at_the_size_limit_is_downloaded(platform: Platform) -> None:
    fetched: list[int] = []

    async def fetch() -> bytes:
        fetched.append(1)
        return JPEG

    talker = await at_photos(platform)
    replies = await talker.photo_from(fetch, size=platform.settings.max_photo_bytes)
    assert fetched == [1]
    assert replies[0].text == tx.PHOTO_ADDED.format(n=1, max=5)


async def test_failed_download_asks_again_and_keeps_the_draft(platform: Platform) -> None:
    async def broken() -> bytes:
        raise ConnectionError("telegram file API timed out")

    talker = await at_photos(platform)
    await talker.photo(JPEG)
    replies = await talker.photo_from(broken, size=1000)
    assert [r.text for r in replies] == [tx.PHOTO_DOWNLOAD_FAILED]
    data = await draft(platform, talker)
    assert len(data["photos"]) == 1 and data["text"] == PROBLEM
    assert await where(platform, talker) == ("file", "photos")


async def test_the_same_photo_twice_is_added_once(platform: Platform) -> None:
    talker = await at_photos(platform)
    await talker.photo(JPEG)
    replies = await talker.photo(JPEG)
    assert said(replies) == tx.PHOTO_TWICE
    assert len((await draft(platform, talker))["photos"]) == 1
    assert await where(platform, talker) == ("file", "photos")
    replies = await talker.photo(PNG)  # a different photo is still welcome
    assert said(replies) == tx.PHOTO_ADDED.format(n=2, max=5)


async def test_the_same_photo_twice_at_the_text_step_is_added_once(platform: Platform
                                                                    ) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.photo(JPEG)
    replies = await talker.photo(JPEG)
    assert said(replies) == tx.PHOTO_TWICE
    assert len((await draft(platform, talker))["photos"]) == 1
    assert await where(platform, talker) == ("file", "text")


async def test_five_photos_then_the_address_is_asked(platform: Platform) -> None:
    talker = await at_photos(platform)
    for n in range(1, 5):
        replies = await talker.photo((JPEG if n % 2 else PNG) + bytes([n]))
        assert [r.text for r in replies] == [tx.PHOTO_ADDED.format(n=n, max=5)]
        assert labels(replies) == [tx.DONE, tx.CLEAR_PHOTOS, tx.CANCEL]
    replies = await talker.photo(JPEG + b"\x05")
    assert said(replies) == chat(tx.PHOTOS_FULL.format(max=5), tx.ASK_ADDRESS)
    assert replies[-1].request is Request.LOCATION
    assert await where(platform, talker) == ("file", "address")
    photos = (await draft(platform, talker))["photos"]
    assert [ph["type"] for ph in photos] == ["image/jpeg", "image/png"] * 2 + ["image/jpeg"]
    assert len({ph["key"] for ph in photos}) == 5  # storage is by content: 5 different files


async def test_clear_all_photos(platform: Platform) -> None:
    talker = await at_photos(platform)
    await talker.photo(JPEG)
    await talker.photo(PNG)
    replies = await talker.press("Удалить все фото")
    assert said(replies) == chat(tx.PHOTOS_CLEARED, ASK_PHOTOS)
    assert labels(replies) == [tx.NO_PHOTOS, tx.CANCEL]
    assert (await draft(platform, talker))["photos"] == []
    assert await where(platform, talker) == ("file", "photos")


async def test_typed_done_goes_on_and_other_text_is_explained(platform: Platform) -> None:
    talker = await at_photos(platform)
    replies = await talker.say("а можно без фото?")
    assert [r.text for r in replies] == [tx.PHOTOS_EXPECTED]
    assert await where(platform, talker) == ("file", "photos")
    await talker.say("Готово")
    assert await where(platform, talker) == ("file", "address")


# -- address --------------------------------------------------------------------------------------
async def at_address(p: Platform) -> Talker:
    talker = await ready(p)
    await reach(talker, "address")
    return talker


@pytest.mark.parametrize("short", ["ул", "12345", " 15 - 3 "])
async def test_too_short_address(platform: Platform, short: str) -> None:
    talker = await at_address(platform)
    replies = await talker.say(short)
    assert [r.text for r in replies] == [tx.ADDRESS_SHORT]
    assert not replies[0].close_keyboard
    assert await where(platform, talker) == ("file", "address")


async def test_too_long_address(platform: Platform) -> None:
    talker = await at_address(platform)
    replies = await talker.say("Новосибирск, " + "очень длинная улица " * 30)
    assert [r.text for r in replies] == [tx.ADDRESS_LONG.format(max=500)]
    assert await where(platform, talker) == ("file", "address")


async def test_address_without_a_town_is_not_understood(platform: Platform) -> None:
    talker = await at_address(platform)
    replies = await talker.say("ул. Ленина 15")
    assert [r.text for r in replies] == [tx.ADDRESS_UNKNOWN]
    assert not replies[0].close_keyboard
    assert "territory" not in await draft(platform, talker)


async def test_typed_address_is_taken_and_the_keyboard_closed(platform: Platform) -> None:
    talker = await at_address(platform)
    replies = await talker.say("  Новосибирск,   ул. Ленина, 15 ")
    assert replies[0].text == tx.ADDRESS_OK.format(address=NSK_ADDRESS)
    assert replies[0].close_keyboard
    assert replies[1].text.startswith("Проверьте сообщение")
    d = await platform.directory.get()
    data = await draft(platform, talker)
    assert (data["address"], data["territory"], data["lat"], data["lon"]) == (
        NSK_ADDRESS, d.territory_by_code["54-nsk"], None, None)


async def test_location_in_berdsk_resolves_berdsk(platform: Platform) -> None:
    talker = await at_address(platform)
    replies = await talker.location(*BERDSK)
    assert replies[0].text == (
        "Адрес принят: точка на карте (54.75820, 83.10710), город Бердск.")
    assert replies[0].close_keyboard
    d = await platform.directory.get()
    data = await draft(platform, talker)
    assert data["territory"] == d.territory_by_code["54-berdsk"]
    assert (data["lat"], data["lon"], data["address"]) == (*BERDSK, None)


@pytest.mark.parametrize("point", [MOSCOW, (0.0, 0.0), (91.0, 200.0)])
async def test_location_outside_the_region_is_refused(platform: Platform,
                                                      point: tuple[float, float]) -> None:
    talker = await at_address(platform)
    replies = await talker.location(*point)
    assert [r.text for r in replies] == [
        tx.LOCATION_OUTSIDE.format(region="Новосибирская область")]
    assert not replies[0].close_keyboard
    assert await where(platform, talker) == ("file", "address")
    assert "territory" not in await draft(platform, talker)


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
