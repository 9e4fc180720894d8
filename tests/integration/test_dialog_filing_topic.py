"""Filing a message on the engine alone: the topic and the text."""

from __future__ import annotations

import pytest

from core.conversations import texts as tx
from core.conversations.catalogue import SHORTCUTS
from core.services.platform import Platform
from tests.support.dialog import (
    JPEG,
    PROBLEM,
    chat,
    labels,
    said,
    to_text_step,
)
from tests.support.filing import (
    ASK_PHOTOS,
    ASK_TEXT,
    NOT_AN_IMAGE,
    draft,
    ready,
    slug_id,
    where,
)


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
