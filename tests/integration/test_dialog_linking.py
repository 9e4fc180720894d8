"""Linking Telegram and VK through the dialogs: one citizen, two messengers, one list."""

from __future__ import annotations

import re

from sqlalchemy import insert

from core.conversations import texts as tx
from core.conversations.notices import notice_reply
from core.conversations.replies import Reply
from core.db import tables as t
from core.domain.enums import Channel, NotificationKind
from core.ports import FixedClock
from core.services import linking
from core.services.linking import LINK_GLOBAL_FAILURES, MAX_FAILURES
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

CODE = re.compile(r"/link (\d{8})")


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
    """Press «Связать Telegram и VK» in the menu; the eight digits shown."""
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

    replies = await vk.say(f"/link {digits[:4]} {digits[4:]}")  # as shown: «1234 5678»

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
    found = CODE.search(said(replies))
    assert found and "Код действует 10 минут" in said(replies)
    assert f"Ваш код: {found.group(1)[:4]} {found.group(1)[4:]}\n" in said(replies)
    assert labels(replies) == [tx.LINK_ENTER, tx.LINK_TO_MENU]
    assert await where(platform, vk) == ("linking", "code")
    digits = await show_code(tg)
    replies = await vk.press(tx.LINK_ENTER)
    assert said(replies) == tx.LINK_ASK_CODE and labels(replies) == [tx.LINK_TO_MENU]

    replies = await vk.say(f"{digits[:4]} {digits[4:]}")

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
    wrong = f"{(int(digits) + 1) % 10 ** 8:08d}"

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
    replies = await vk.say("/link 12345678")
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    assert await citizen(platform, vk) is None
    assert await rows(platform, t.LinkFailure) == []


async def test_too_many_wrong_codes_lock_and_go_back_to_the_menu(
        platform: Platform, clock: FixedClock) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    digits = await show_code(tg)
    wrong = f"{(int(digits) + 1) % 10 ** 8:08d}"
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


async def test_linking_is_suspended_while_the_platform_sees_many_wrong_codes(
        platform: Platform, clock: FixedClock) -> None:
    tg, vk = await ready(platform, Channel.TELEGRAM), await ready(platform, Channel.VK)
    async with platform.db.core_transaction() as conn:  # throwaway accounts guessing
        await conn.execute(insert(t.LINK_FAILURES), [
            {"channel": "vk", "external_id": f"throwaway-{i}", "failed_at": clock.now()}
            for i in range(LINK_GLOBAL_FAILURES + 1)])

    replies = await vk.say(f"/link {await show_code(tg)}")

    assert said(replies) == chat(linking.SUSPENDED_TEXT, tx.MENU)
    assert await where(platform, vk) == ("menu", "main")
    assert len(await rows(platform, t.LinkFailure)) == LINK_GLOBAL_FAILURES + 1
    clock.advance(minutes=10)
    replies = await vk.say(f"/link {await show_code(tg)}")
    assert said(replies).startswith("Готово")


async def linked(p: Platform) -> tuple[Talker, Talker, list[int]]:
    """Telegram and VK, a message filed in each, linked by VK entering Telegram's code."""
    tg, vk = await ready(p, Channel.TELEGRAM), await ready(p, Channel.VK)
    numbers = [await file_one(tg), await file_one(vk)]
    replies = await vk.say(f"/link {await show_code(tg)}")
    assert said(replies).startswith("Готово")
    return tg, vk, numbers


async def test_telegram_is_told_when_vk_joins(platform: Platform) -> None:
    tg, _vk, _numbers = await linked(platform)
    [row] = await rows(platform, t.OutboxRow,
                       t.OutboxRow.kind == NotificationKind.ACCOUNTS_LINKED.value)
    assert (row.channel, row.recipient) == ("telegram", tg.user.external_id)
    tg_citizen = await citizen(platform, tg)
    assert tg_citizen is not None and row.citizen_id == tg_citizen.id
    reply = notice_reply(row.kind, row.payload)
    assert reply.text == ("Ваш аккаунт ВКонтакте привязан к этому аккаунту: теперь ваши "
                          "сообщения видны в обоих мессенджерах. Если это были не вы — "
                          "напишите /unlink.")
    assert reply.buttons == ()


async def test_unlink_from_the_account_that_joined(platform: Platform) -> None:
    tg, vk, numbers = await linked(platform)

    replies = await vk.say("/unlink")

    assert said(replies) == chat(tx.UNLINK_SELF.format(other="Telegram"), tx.CONSENT_ASK)
    assert "снова дайте согласие" in said(replies)
    assert await where(platform, vk) == ("onboarding", "consent")
    # Nothing else until it consents again.
    replies = await vk.press(tx.MENU_MY)
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    await vk.press("Согласен")
    await vk.press("Пропустить")
    await vk.say("Пропустить")
    assert tx.MY_EMPTY in said(await vk.press(tx.MENU_MY))  # VK's own message stayed too
    assert sorted(listed(await tg.press(tx.MENU_MY))) == sorted(numbers)
    tg_citizen, vk_citizen = await citizen(platform, tg), await citizen(platform, vk)
    assert tg_citizen is not None and vk_citizen is not None
    assert tg_citizen.id != vk_citizen.id and tg_citizen.consent_at is not None


async def test_unlink_from_the_warned_account_removes_the_one_that_joined(
        platform: Platform) -> None:
    """Telegram was told «если это были не вы — напишите /unlink»: doing so there puts the VK
    account out, and Telegram keeps every message."""
    tg, vk, numbers = await linked(platform)

    replies = await tg.say("/unlink")

    assert said(replies) == chat(tx.UNLINK_OTHERS.format(other="VK"), tx.MENU)
    assert await where(platform, tg) == ("menu", "main")
    assert sorted(listed(await tg.press(tx.MENU_MY))) == sorted(numbers)
    # VK is a citizen of its own without consent: its next word asks for it.
    replies = await vk.press(tx.MENU_MY)
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    vk_conv = await conversation(platform, vk)
    vk_citizen, tg_citizen = await citizen(platform, vk), await citizen(platform, tg)
    assert vk_citizen is not None and tg_citizen is not None
    assert vk_citizen.id != tg_citizen.id and vk_citizen.consent_at is None
    assert vk_conv is not None and vk_conv.citizen_id == vk_citizen.id
    await vk.press("Согласен")
    await vk.press("Пропустить")
    await vk.say("Пропустить")
    assert tx.MY_EMPTY in said(await vk.press(tx.MENU_MY))
    # And they can be linked again, by choice.
    replies = await vk.say(f"/link {await show_code(tg)}")
    assert said(replies).startswith("Готово")


async def test_unlink_when_nothing_is_linked(platform: Platform) -> None:
    tg = await ready(platform, Channel.TELEGRAM)
    replies = await tg.say("/unlink")
    assert said(replies) == chat(tx.UNLINK_NOTHING, tx.MENU)
    # On another step the citizen stays where they were.
    await tg.press(tx.MENU_FILE)
    step = await where(platform, tg)
    replies = await tg.say("/unlink")
    assert said(replies).startswith(tx.UNLINK_NOTHING)
    assert await where(platform, tg) == step
    # From the code step, the menu (showing the step again would replace the code).
    await show_code(tg)
    replies = await tg.say("/unlink")
    assert said(replies) == chat(tx.UNLINK_NOTHING, tx.MENU)


async def test_help_mentions_link_and_unlink(platform: Platform) -> None:
    assert "/link" in tx.HELP and "/unlink" in tx.HELP
