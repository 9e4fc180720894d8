"""Linking Telegram and VK through the dialogs: one citizen, two messengers, one list."""

from __future__ import annotations

import re

from core.conversations import texts as tx
from core.conversations.replies import Reply
from core.db import tables as t
from core.domain.enums import Channel
from core.ports import FixedClock
from core.services import linking
from core.services.linking import MAX_FAILURES
from core.services.platform import Platform
from tests.support.dialog import (
    Talker,
    chat,
    citizen,
    conversation,
    labels,
    rows,
    said,
    to_summary,
)
from tests.support.filing import where

CODE = re.compile(r"/link (\d{6})")


async def ready(p: Platform, channel: Channel) -> Talker:
    talker = Talker(p, channel=channel)
    await talker.onboard()
    return talker


async def file_one(talker: Talker) -> int:
    """File a message through the dialog; its number."""
    await to_summary(talker)
    replies = await talker.press("Отправить")
    found = re.search(r"Сообщение № (\d+) зарегистрировано", said(replies))
    assert found, said(replies)
    return int(found.group(1))


async def show_code(talker: Talker) -> str:
    """Press «Связать Telegram и VK» in the menu; the six digits shown."""
    replies = await talker.press(tx.MENU_LINK)
    found = CODE.search(said(replies))
    assert found, said(replies)
    return found.group(1)


def listed(replies: list[Reply]) -> list[int]:
    return [int(n) for n in re.findall(r"№ (\d+) от", said(replies))]


async def test_link_by_command_then_each_messenger_lists_every_message(
        platform: Platform) -> None:
    tg = await ready(platform, Channel.TELEGRAM)
    vk = await ready(platform, Channel.VK)
    in_tg = await file_one(tg)
    in_vk = await file_one(vk)
    digits = await show_code(tg)

    replies = await vk.say(f"/link {digits}")

    assert said(replies) == chat(tx.LINK_DONE.format(first="Telegram", second="VK", count=2),
                                 tx.MENU)
    tg_citizen, vk_citizen = await citizen(platform, tg), await citizen(platform, vk)
    assert tg_citizen is not None and vk_citizen is not None
    assert tg_citizen.id == vk_citizen.id
    for talker in (vk, tg):
        assert sorted(listed(await talker.press(tx.MENU_MY))) == sorted([in_tg, in_vk])
        conv = await conversation(platform, talker)
        assert conv is not None and conv.citizen_id == tg_citizen.id
    assert {m.citizen_id for m in await rows(platform, t.Message)} == {tg_citizen.id}


async def test_menu_button_path(platform: Platform) -> None:
    tg = await ready(platform, Channel.TELEGRAM)
    number = await file_one(tg)
    vk = await ready(platform, Channel.VK)
    # VK shows its own code, with the two buttons; the code from Telegram is entered there.
    replies = await vk.press(tx.MENU_LINK)
    assert CODE.search(said(replies)) and "Код действует 10 минут" in said(replies)
    assert labels(replies) == [tx.LINK_ENTER, tx.LINK_TO_MENU]
    assert await where(platform, vk) == ("linking", "code")
    digits = await show_code(tg)
    replies = await vk.press(tx.LINK_ENTER)
    assert said(replies) == tx.LINK_ASK_CODE and labels(replies) == [tx.LINK_TO_MENU]

    replies = await vk.say(f"{digits[:3]} {digits[3:]}")

    assert said(replies) == chat(tx.LINK_DONE.format(first="Telegram", second="VK", count=1),
                                 tx.MENU)
    assert listed(await vk.press(tx.MENU_MY)) == [number]
    assert await where(platform, vk) == ("menu", "main")


async def test_code_typed_on_the_code_step_links_too(platform: Platform) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    await show_code(vk)
    replies = await vk.say(await show_code(tg))
    assert said(replies).startswith("Готово: аккаунты Telegram и VK связаны.")


async def test_code_step_explains_without_replacing_the_code(platform: Platform) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    digits = await show_code(tg)
    replies = await tg.say("а что дальше?")
    assert said(replies) == tx.LINK_CODE_EXPECTED
    assert labels(replies) == [tx.LINK_ENTER, tx.LINK_TO_MENU]
    replies = await vk.say(f"/link {digits}")  # the code shown first still works
    assert said(replies).startswith("Готово")


async def test_link_with_a_wrong_code(platform: Platform) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    digits = await show_code(tg)
    wrong = f"{(int(digits) + 1) % 10 ** 6:06d}"

    replies = await vk.say(f"/link {wrong}")

    assert said(replies) == chat(linking.WRONG_TEXT, tx.LINK_ASK_CODE)
    assert await where(platform, vk) == ("linking", "enter")
    vk_citizen = await citizen(platform, vk)
    tg_citizen = await citizen(platform, tg)
    assert vk_citizen is not None and tg_citizen is not None and vk_citizen.id != tg_citizen.id
    # Not a code at all: said so, and the prompt stays.
    replies = await vk.say("не помню")
    assert said(replies) == chat(linking.FORMAT_TEXT, tx.LINK_ASK_CODE)
    # The right one, typed at the prompt.
    replies = await vk.say(digits)
    assert said(replies).startswith("Готово")


async def test_code_entered_in_the_same_messenger(platform: Platform) -> None:
    tg = await ready(platform, Channel.TELEGRAM)
    digits = await show_code(tg)
    replies = await tg.say(f"/link {digits}")
    assert said(replies) == chat(linking.SAME_CHANNEL_TEXT, tx.LINK_ASK_CODE)
    assert "Введите код в другом мессенджере" in said(replies)


async def test_bare_link_command_shows_a_code(platform: Platform) -> None:
    vk = await ready(platform, Channel.VK)
    replies = await vk.say("/link")
    assert CODE.search(said(replies))
    assert await where(platform, vk) == ("linking", "code")


async def test_already_linked(platform: Platform) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    await vk.say(f"/link {await show_code(tg)}")
    replies = await vk.say(f"/link {await show_code(tg)}")
    assert said(replies) == chat(tx.LINK_ALREADY.format(count=0), tx.MENU)


async def test_link_needs_consent(platform: Platform) -> None:
    vk = Talker(platform, channel=Channel.VK)
    await vk.say("/start")
    replies = await vk.say("/link 123456")
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    assert await citizen(platform, vk) is None
    assert await rows(platform, t.LinkFailure) == []


async def test_too_many_wrong_codes_lock_and_go_back_to_the_menu(
        platform: Platform, clock: FixedClock) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    digits = await show_code(tg)
    wrong = f"{(int(digits) + 1) % 10 ** 6:06d}"
    for _ in range(MAX_FAILURES - 1):
        await vk.say(f"/link {wrong}")
    replies = await vk.say(wrong)  # the last attempt, at the prompt
    assert "Попыток больше нет" in said(replies)
    replies = await vk.say(f"/link {digits}")
    assert "Слишком много неверных кодов" in said(replies)
    assert said(replies).endswith(tx.MENU)
    assert await where(platform, vk) == ("menu", "main")
    clock.advance(hours=1)
    replies = await vk.say(f"/link {await show_code(tg)}")
    assert said(replies).startswith("Готово")


async def test_menu_has_the_link_button_and_fits_vk(platform: Platform) -> None:
    vk = Talker(platform, channel=Channel.VK)
    await vk.onboard()  # Talker checks every reply against the channel's keyboard limits
    assert tx.MENU_LINK in labels(vk.last)
    assert len(tx.MENU_LINK) <= 40
