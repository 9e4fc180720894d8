"""The conversation engine itself: stale and forged buttons, commands, unsupported input,
redelivered updates, restarts, concurrent processes and channels."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import update

from core.conversations import texts as tx
from core.conversations.engine import Conversations
from core.conversations.events import ChannelUser, Event, PhotoInput
from core.conversations.flows import STEPS
from core.conversations.replies import Request
from core.db import tables as t
from core.domain.enums import Channel
from core.services.citizens import withdraw_consent
from core.services.platform import Platform
from core.services.records import CitizenRef
from tests.support import factories as f
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
    rows,
    said,
    to_summary,
    to_text_step,
    walk_to_answered,
)

ASK_TEXT = tx.ASK_TEXT.format(min=20, max=4000)
GREETING = tx.GREETING.format(region="Новосибирская область")


async def ready(p: Platform, **kwargs: object) -> Talker:
    talker = Talker(p, **kwargs)  # type: ignore[arg-type]
    await talker.onboard()
    return talker


async def snapshot(p: Platform, talker: Talker) -> tuple[object, ...]:
    """Where the dialog is: flow, step, collected data and the buttons' generation."""
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.flow, conv.step, conv.data, conv.generation


# -- buttons --------------------------------------------------------------------------------------
async def test_stale_button_is_explained_and_changes_nothing(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    old = talker.find("Автомобильные дороги")  # from the category list, two prompts ago
    before = await snapshot(platform, talker)
    replies = await talker.press_payload(old.payload)
    assert said(replies) == chat(tx.STALE, ASK_TEXT)
    assert "устарела" in replies[0].text
    assert await snapshot(platform, talker) == before


@pytest.mark.parametrize("payload", [
    "nonsense", "", "g", "|sub|1", "-1|sub|1", "g|no_such_action"])
async def test_unknown_or_forged_button(platform: Platform, payload: str) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    before = await snapshot(platform, talker)
    replies = await talker.press_payload(payload)
    assert said(replies) == chat(tx.UNKNOWN_BUTTON, ASK_TEXT)
    assert await snapshot(platform, talker) == before


async def test_rating_button_without_a_score(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    before = await snapshot(platform, talker)
    replies = await talker.press_payload("g|rate|1")
    assert said(replies) == chat(tx.UNKNOWN_BUTTON, ASK_TEXT)  # and the step shown again
    assert await snapshot(platform, talker) == before


async def test_forged_topic_of_the_current_prompt(platform: Platform) -> None:
    talker = await ready(platform)
    await talker.press("Сообщить о проблеме")
    generation = (await snapshot(platform, talker))[3]
    replies = await talker.press_payload(f"{generation}|sub|999999")
    assert replies[0].text.startswith(tx.SUBCATEGORY_GONE)
    assert said(replies).startswith(chat(tx.SUBCATEGORY_GONE, tx.CHOOSE_CATEGORY))
    assert "sub" not in (await snapshot(platform, talker))[2]


@pytest.mark.parametrize("payload", [
    "g|file", "g|new", "g|my|0", "g|msg|1", "g|rate|1|5", "g|revoke", "g|menu"])
async def test_global_buttons_need_consent(platform: Platform, payload: str) -> None:
    talker = Talker(platform)
    replies = await talker.press_payload(payload)  # the very first thing this person sends
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    assert labels(replies) == [tx.AGREE, tx.DECLINE, tx.DETAILS]
    assert await rows(platform, t.Citizen) == []
    assert (await snapshot(platform, talker))[:2] == ("onboarding", "consent")


async def test_help_button_works_before_consent(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.say("/start")
    replies = await talker.press_payload("g|help")
    assert said(replies) == chat(tx.HELP, tx.CONSENT_ASK)


async def test_agree_button_from_nowhere_records_no_consent(platform: Platform) -> None:
    talker = Talker(platform)
    replies = await talker.press_payload("0|agree")  # no dialog yet: no button is current
    assert said(replies) == chat(tx.STALE, tx.CONSENT_ASK)
    assert await rows(platform, t.Citizen) == []


async def test_pressing_agree_twice_stores_one_citizen(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.say("/start")
    agree = talker.find("Согласен")
    await talker.press_payload(agree.payload)
    replies = await talker.press_payload(agree.payload)
    assert said(replies) == chat(tx.STALE, tx.ASK_NAME)
    assert len(await rows(platform, t.Citizen)) == 1


# -- commands -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("command", "expected"), [
    ("/start", [GREETING, tx.CONSENT_ASK]),
    ("/menu", [GREETING, tx.CONSENT_ASK]),
    ("/cancel", [tx.CONSENT_ASK]),
    ("/help", [tx.HELP, tx.CONSENT_ASK]),
    ("/whatever", [tx.UNKNOWN_COMMAND, tx.CONSENT_ASK]),
])
async def test_commands_before_consent(platform: Platform, command: str,
                                       expected: list[str]) -> None:
    talker = Talker(platform)
    await talker.say("привет")
    replies = await talker.say(command)
    assert said(replies) == chat(*expected)
    assert await rows(platform, t.Citizen) == []


async def test_start_mid_draft_greets_and_shows_the_menu(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.say("/start")
    assert said(replies) == chat(GREETING, tx.MENU)
    assert (await snapshot(platform, talker))[:3] == ("menu", "main", {})


async def test_menu_mid_draft_shows_the_menu(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    replies = await talker.say("/menu@pos_bot")
    assert said(replies) == tx.MENU
    assert (await snapshot(platform, talker))[:2] == ("menu", "main")
    assert await rows(platform, t.Message) == []


async def test_cancel_with_nothing_to_cancel(platform: Platform) -> None:
    talker = await ready(platform)
    replies = await talker.say("/cancel")
    assert said(replies) == chat(tx.NOTHING_TO_CANCEL, tx.MENU)


async def test_help_keeps_the_step_and_its_keyboard(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    await talker.press("Изменить")
    await talker.press("Адрес")
    before = await snapshot(platform, talker)
    replies = await talker.say("/help")
    assert said(replies) == chat(tx.HELP, tx.ASK_ADDRESS)
    assert replies[-1].request is Request.LOCATION  # the location keyboard stays
    assert not any(r.close_keyboard for r in replies)
    assert await snapshot(platform, talker) == before


async def test_unknown_command_keeps_the_step(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    before = await snapshot(platform, talker)
    replies = await talker.say("/report яма")
    assert said(replies) == chat(tx.UNKNOWN_COMMAND, ASK_TEXT)
    assert await snapshot(platform, talker) == before


# -- input the step cannot use --------------------------------------------------------------------
async def test_unsupported_event_gets_a_hint_and_keeps_the_state(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    before = await snapshot(platform, talker)
    replies = await talker.other("voice")
    assert said(replies) == chat(tx.UNSUPPORTED, tx.TEXT_EXPECTED, ASK_TEXT)
    assert await snapshot(platform, talker) == before


async def test_location_at_the_text_step_asks_for_text(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    replies = await talker.location(55.03, 82.92)
    assert said(replies) == chat(tx.TEXT_EXPECTED, ASK_TEXT)
    assert "lat" not in (await snapshot(platform, talker))[2]


async def test_typing_at_the_menu_points_to_the_buttons(platform: Platform) -> None:
    talker = await ready(platform)
    replies = await talker.say("яма во дворе")
    assert said(replies) == chat(tx.MENU_EXPECTED, tx.MENU)


async def _to_step(p: Platform, step: str) -> Talker:
    if step in ("name", "phone"):
        talker = Talker(p)
        await talker.say("/start")
        await talker.press("Согласен")
        if step == "phone":
            await talker.press("Пропустить")
        return talker
    talker = await ready(p)
    if step == "comment":
        msg = await f.file_message(p, citizen=CitizenRef(talker.user.channel,
                                                         talker.user.external_id))
        await walk_to_answered(p, msg.id)
        await talker.press_payload(f"g|rate|{msg.number}|4")
        return talker
    await talker.press("Сообщить о проблеме")
    if step == "subcategory":
        await talker.press("Благоустройство")
    if step == "edit":
        await talker.press("Отменить")
        await to_summary(talker)
        await talker.press("Изменить")
    return talker


PROMPTS = {"name": tx.ASK_NAME, "phone": tx.ASK_PHONE, "category": tx.CHOOSE_CATEGORY,
           "subcategory": tx.CHOOSE_SUBCATEGORY.format(category="Благоустройство"),
           "edit": tx.EDIT_WHAT, "comment": tx.ASK_COMMENT}


@pytest.mark.parametrize("step", list(PROMPTS))
async def test_unexpected_input_repeats_the_prompt_once(platform: Platform, step: str
                                                        ) -> None:
    talker = await _to_step(platform, step)
    prompt = PROMPTS[step]
    assert prompt in said(talker.last)
    before = await snapshot(platform, talker)
    replies = await talker.other("sticker")
    assert said(replies).startswith(chat(tx.UNSUPPORTED, prompt))
    assert said(replies).count(prompt) == 1
    assert (await snapshot(platform, talker))[:3] == before[:3]


# -- redelivered updates --------------------------------------------------------------------------
async def test_redelivered_first_message_says_nothing(platform: Platform) -> None:
    talker = Talker(platform)
    first = await talker.engine.handle(talker.user, Event.message("привет"), update_id="tg-1")
    again = await talker.engine.handle(talker.user, Event.message("привет"), update_id="tg-1")
    assert first and again is None
    assert len(await rows(platform, t.Conversation)) == 1


async def test_redelivered_send_creates_no_second_message(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    send = Event.button(talker.find("Отправить").payload)
    replies = await talker.engine.handle(talker.user, send, update_id="tg-500")
    assert replies and replies[0].text.startswith("Сообщение №")
    conv = await conversation(platform, talker)
    again = await talker.engine.handle(talker.user, send, update_id="tg-500")
    assert again is None
    assert len(await rows(platform, t.Message)) == 1
    after = await conversation(platform, talker)
    assert conv is not None and after is not None and after.version == conv.version


async def test_redelivered_photo_is_not_added_twice(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    photo = Event.photo_event(PhotoInput(_returning(JPEG), len(JPEG)))
    assert await talker.engine.handle(talker.user, photo, update_id="tg-77")
    assert await talker.engine.handle(talker.user, photo, update_id="tg-77") is None
    assert len((await snapshot(platform, talker))[2]["photos"]) == 1


def _returning(data: bytes) -> Callable[[], Awaitable[bytes]]:
    async def fetch() -> bytes:
        return data
    return fetch


# -- a step removed by a newer version -----------------------------------------------------------
@pytest.mark.parametrize("event", [
    "text", "/help",
    "g|help", "g|stay", "g|rate|1", "g|file"])
async def test_a_removed_step_falls_back_to_the_menu(platform: Platform, event: str) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    async with platform.db.transaction() as session:  # the dialog was saved by an old version
        await session.execute(update(t.Conversation).where(
            t.Conversation.external_id == talker.user.external_id).values(step="retired"))
    if event.startswith("g|"):
        replies = await talker.press_payload(event)
    else:
        replies = await talker.say(PROBLEM if event == "text" else event)
    flow, step = (await snapshot(platform, talker))[:2]
    assert (flow, step) in STEPS  # never left on a step this version cannot handle
    if event != "g|file":  # «report a problem» may as well start a new draft
        assert said(replies).endswith(tx.MENU) and (flow, step) == ("menu", "main")


# -- processes ------------------------------------------------------------------------------------
async def test_a_new_engine_continues_the_dialog(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    talker.engine = Conversations(platform, channel=Channel.TELEGRAM)  # a restart
    replies = await talker.press("Без фото")  # a button drawn before the restart
    assert replies[-1].text == tx.ASK_ADDRESS
    talker.engine = Conversations(platform, channel=Channel.TELEGRAM)  # another process
    await talker.say(NSK_ADDRESS)
    await talker.press("Отправить")
    [message] = await rows(platform, t.Message)
    assert message.text == PROBLEM


async def test_one_engine_handles_a_citizens_updates_in_turn(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    events = [Event.photo_event(PhotoInput(_returning(data), len(data))) for data in (JPEG, PNG)]
    results = await asyncio.gather(*(
        talker.engine.handle(talker.user, event, update_id=f"album-{i}")
        for i, event in enumerate(events)))
    assert [r[0].text for r in results if r] == [tx.PHOTO_ADDED.format(n=n, max=5)
                                                 for n in (1, 2)]
    photos = (await snapshot(platform, talker))[2]["photos"]
    assert [ph["type"] for ph in photos] == ["image/jpeg", "image/png"]


async def test_two_processes_saving_photos_at_once_keep_both(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    fetched: list[bytes] = []
    both_loaded = asyncio.Event()

    def fetch_of(data: bytes) -> Callable[[], Awaitable[bytes]]:
        async def fetch() -> bytes:
            fetched.append(data)
            if len(fetched) >= 2:
                both_loaded.set()
            async with asyncio.timeout(5):
                await both_loaded.wait()  # neither saves before both have read the dialog
            return data
        return fetch

    first, second = talker.engine, Conversations(platform, channel=Channel.TELEGRAM)
    results = await asyncio.gather(
        first.handle(talker.user, Event.photo_event(PhotoInput(fetch_of(JPEG), len(JPEG))),
                     update_id="p-1"),
        second.handle(talker.user, Event.photo_event(PhotoInput(fetch_of(PNG), len(PNG))),
                      update_id="p-2"))
    assert len(fetched) == 3  # the loser of the version race handled its photo again
    assert sorted(r[0].text for r in results if r) == [
        tx.PHOTO_ADDED.format(n=n, max=5) for n in (1, 2)]
    photos = (await snapshot(platform, talker))[2]["photos"]
    assert sorted(ph["type"] for ph in photos) == ["image/jpeg", "image/png"]


async def test_engine_refuses_a_user_of_another_channel(platform: Platform) -> None:
    engine = Conversations(platform, channel=Channel.TELEGRAM)
    with pytest.raises(ValueError, match="vk"):
        await engine.handle(ChannelUser(Channel.VK, "1"), Event.message("привет"))


async def test_telegram_and_vk_users_with_one_id_are_independent(platform: Platform) -> None:
    tg = await ready(platform, external_id="777")
    await to_text_step(tg)
    vk = Talker(platform, channel=Channel.VK, external_id="777")
    replies = await vk.say("привет")  # the same update ids as tg's, in another channel
    assert said(replies) == chat(GREETING, tx.CONSENT_ASK)
    assert await citizen(platform, vk) is None
    assert (await snapshot(platform, tg))[:2] == ("file", "text")

    await vk.press("Согласен")
    await vk.press("Пропустить")
    await vk.say("Пропустить")
    await to_summary(vk)
    await vk.press("Отправить")
    tg_citizen, vk_citizen = await citizen(platform, tg), await citizen(platform, vk)
    assert tg_citizen is not None and vk_citizen is not None
    assert tg_citizen.id != vk_citizen.id
    [message] = await rows(platform, t.Message)
    assert (message.source, message.citizen_id) == ("vk", vk_citizen.id)
    assert (await snapshot(platform, tg))[:2] == ("file", "text")
    assert said(await tg.press("Мои сообщения")) == tx.MY_EMPTY


# -- consent withdrawn elsewhere (by an operator) -------------------------------------------------
async def test_consent_withdrawn_elsewhere_stops_the_draft(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    person = await citizen(platform, talker)
    assert person is not None
    await withdraw_consent(platform, citizen_id=person.id)
    replies = await talker.say(PROBLEM)
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    assert (await snapshot(platform, talker))[:3] == ("onboarding", "consent", {})


async def test_consent_withdrawn_elsewhere_blocks_sending(platform: Platform) -> None:
    talker = await ready(platform)
    await to_summary(talker)
    person = await citizen(platform, talker)
    assert person is not None
    await withdraw_consent(platform, citizen_id=person.id)
    replies = await talker.press("Отправить")
    assert await rows(platform, t.Message) == []
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    assert (await snapshot(platform, talker))[:3] == ("onboarding", "consent", {})


@pytest.mark.parametrize("step", ["name", "phone"])
async def test_consent_withdrawn_elsewhere_stops_onboarding(platform: Platform, step: str
                                                            ) -> None:
    talker = await _to_step(platform, step)
    person = await citizen(platform, talker)
    assert person is not None and person.consent_at is not None
    await withdraw_consent(platform, citizen_id=person.id)
    if step == "name":
        replies = await talker.say("Мария")
    else:
        replies = await talker.contact("+79131234567")
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    person = await citizen(platform, talker)
    assert person is not None and (person.name, person.phone, person.consent_at) == (
        None, None, None)
    assert (await snapshot(platform, talker))[:3] == ("onboarding", "consent", {})


async def test_consent_withdrawn_elsewhere_blocks_step_buttons_of_onboarding(
        platform: Platform) -> None:
    talker = await _to_step(platform, "name")
    person = await citizen(platform, talker)
    assert person is not None
    await withdraw_consent(platform, citizen_id=person.id)
    replies = await talker.press("Иван")  # the profile-name button
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    person = await citizen(platform, talker)
    assert person is not None and person.name is None
