"""Filing a message on the engine alone: photos and the address."""

from __future__ import annotations

import pytest

from core.conversations import texts as tx
from core.conversations.replies import Request
from core.services.platform import Platform
from tests.support.dialog import (
    JPEG,
    NSK_ADDRESS,
    PNG,
    PROBLEM,
    Talker,
    chat,
    labels,
    said,
    to_text_step,
)
from tests.support.filing import (
    ASK_PHOTOS,
    BERDSK,
    MOSCOW,
    draft,
    reach,
    ready,
    where,
)


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
