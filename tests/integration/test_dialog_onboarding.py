"""Onboarding on the conversation engine alone: greeting, consent, name, phone, withdrawal."""

from __future__ import annotations

import pytest

from core.conversations import texts as tx
from core.conversations.replies import Request
from core.db import tables as t
from core.ports import FixedClock
from core.services.platform import Platform
from tests.support.dialog import (
    Talker,
    chat,
    citizen,
    conversation,
    labels,
    rows,
    said,
    to_text_step,
)

GREETING = tx.GREETING.format(region="Новосибирская область")


async def at_name_step(p: Platform, *, name: str | None = "Иван") -> Talker:
    talker = Talker(p, name=name)
    await talker.say("/start")
    await talker.press("Согласен")
    return talker


async def at_phone_step(p: Platform) -> Talker:
    talker = await at_name_step(p)
    await talker.press("Пропустить")
    return talker


async def where(p: Platform, talker: Talker) -> tuple[str, str]:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.flow, conv.step


# -- greeting and consent ---------------------------------------------------------------------
async def test_first_message_greets_and_asks_for_consent(platform: Platform) -> None:
    talker = Talker(platform)
    replies = await talker.say("привет")
    assert replies[0].text.startswith("Здравствуйте!")
    assert said(replies) == chat(GREETING, tx.CONSENT_ASK)
    assert labels(replies) == [tx.AGREE, tx.DECLINE, tx.DETAILS]


async def test_nothing_about_the_person_is_stored_before_consent(platform: Platform) -> None:
    talker = Talker(platform, name="Иван Петров")
    await talker.say("У меня во дворе яма, телефон +79131234567")
    await talker.press("Подробнее")
    await talker.press("Не согласен")
    assert await rows(platform, t.Citizen) == []
    assert await rows(platform, t.CitizenIdentity) == []
    conv = await conversation(platform, talker)
    assert conv is not None
    assert (conv.flow, conv.step, conv.citizen_id, conv.data) == (
        "onboarding", "consent", None, {})


async def test_details_explain_the_consent_and_ask_again(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.say("/start")
    replies = await talker.press("Подробнее")
    assert "152-ФЗ" in replies[0].text
    assert said(replies) == chat(tx.CONSENT_DETAILS, tx.CONSENT_ASK)
    assert labels(replies) == [tx.AGREE, tx.DECLINE, tx.DETAILS]
    assert await where(platform, talker) == ("onboarding", "consent")


async def test_decline_then_agree(platform: Platform, clock: FixedClock) -> None:
    talker = Talker(platform)
    await talker.say("/start")
    replies = await talker.press("Не согласен")
    assert replies[0].text == tx.CONSENT_DECLINED
    assert labels(replies) == [tx.AGREE]
    assert await citizen(platform, talker) is None

    clock.advance(minutes=3)
    replies = await talker.press("Согласен")
    assert said(replies) == chat(tx.CONSENT_THANKS, tx.ASK_NAME)
    person = await citizen(platform, talker)
    assert person is not None
    assert person.consent_at == clock.now()
    assert person.consent_version == platform.settings.consent_version
    assert person.name is None and person.phone is None
    conv = await conversation(platform, talker)
    assert conv is not None
    assert (conv.flow, conv.step, conv.citizen_id) == ("onboarding", "name", person.id)


async def test_typing_at_the_consent_step_asks_for_a_button(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.say("/start")
    replies = await talker.say("Хочу пожаловаться на яму")
    assert said(replies) == chat(tx.CONSENT_EXPECTED, tx.CONSENT_ASK)
    assert labels(replies) == [tx.AGREE, tx.DECLINE, tx.DETAILS]
    assert await citizen(platform, talker) is None


# -- name ---------------------------------------------------------------------------------------
async def test_typed_name_is_stored_tidied(platform: Platform) -> None:
    talker = await at_name_step(platform)
    replies = await talker.say("  Мария   Петрова-Водкина ")
    assert replies[-1].text == tx.ASK_PHONE
    person = await citizen(platform, talker)
    assert person is not None and person.name == "Мария Петрова-Водкина"
    assert await where(platform, talker) == ("onboarding", "phone")


async def test_name_from_the_profile_button(platform: Platform) -> None:
    talker = await at_name_step(platform, name="Анна")
    assert labels(talker.last) == ["Анна", tx.SKIP]
    await talker.press("Анна")
    person = await citizen(platform, talker)
    assert person is not None and person.name == "Анна"
    assert await where(platform, talker) == ("onboarding", "phone")


async def test_no_profile_button_when_the_profile_name_is_not_a_name(
        platform: Platform) -> None:
    talker = await at_name_step(platform, name="🔥 xXx_99 🔥")
    assert labels(talker.last) == [tx.SKIP]


async def test_skipping_the_name_stores_none(platform: Platform) -> None:
    talker = await at_name_step(platform)
    replies = await talker.press("Пропустить")
    assert replies[-1].text == tx.ASK_PHONE
    person = await citizen(platform, talker)
    assert person is not None and person.name is None


@pytest.mark.parametrize("name", [
    "Әлфия", "Гөлнара Хәйруллина", "Ҙөһрә", "Һардаана", "Jean-Luc", "О’Нил"])
async def test_names_in_any_alphabet_are_accepted(platform: Platform, name: str) -> None:
    talker = await at_name_step(platform)
    replies = await talker.say(name)
    assert tx.NAME_BAD not in said(replies)
    person = await citizen(platform, talker)
    assert person is not None and person.name == name
    assert await where(platform, talker) == ("onboarding", "phone")


async def test_a_tatar_profile_name_is_offered_as_a_button(platform: Platform) -> None:
    talker = await at_name_step(platform, name="Әлфия")
    assert labels(talker.last) == ["Әлфия", tx.SKIP]


@pytest.mark.parametrize("bad", ["Иван123", "-Иван", "Я" * 101, "<script>"])
async def test_bad_name_is_refused_and_the_step_kept(platform: Platform, bad: str) -> None:
    talker = await at_name_step(platform)
    replies = await talker.say(bad)
    assert [r.text for r in replies] == [tx.NAME_BAD]
    person = await citizen(platform, talker)
    assert person is not None and person.name is None
    assert await where(platform, talker) == ("onboarding", "name")
    await talker.say("Иван")
    person = await citizen(platform, talker)
    assert person is not None and person.name == "Иван"


# -- phone --------------------------------------------------------------------------------------
async def test_phone_prompt_shows_the_contact_keyboard(platform: Platform) -> None:
    talker = await at_phone_step(platform)
    prompt = talker.last[-1]
    assert prompt.request is Request.CONTACT
    assert prompt.request_label == tx.SEND_PHONE
    assert prompt.keyboard_texts == (tx.SKIP,)
    assert not prompt.close_keyboard


async def test_own_contact_is_saved_and_the_keyboard_closed(platform: Platform) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.contact("+79131234567")
    assert replies[0].text == tx.PHONE_SAVED and replies[0].close_keyboard
    assert replies[-1].text == tx.MENU
    assert sum(r.close_keyboard for r in replies) == 1
    person = await citizen(platform, talker)
    assert person is not None and person.phone == "+79131234567"
    assert await where(platform, talker) == ("menu", "main")


async def test_someone_elses_contact_is_refused_with_the_keyboard_kept(
        platform: Platform) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.contact("+79990000000", own=False)
    assert [r.text for r in replies] == [tx.PHONE_NOT_OWN]
    assert not any(r.close_keyboard for r in replies)
    person = await citizen(platform, talker)
    assert person is not None and person.phone is None
    assert await where(platform, talker) == ("onboarding", "phone")
    replies = await talker.contact("79131234567")
    assert replies[0].close_keyboard
    person = await citizen(platform, talker)
    assert person is not None and person.phone == "+79131234567"


async def test_typed_phone_is_stored_in_one_form(platform: Platform) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.say("8 (913) 123-45-67")
    assert replies[0].text == tx.PHONE_SAVED and replies[0].close_keyboard
    person = await citizen(platform, talker)
    assert person is not None and person.phone == "+79131234567"


@pytest.mark.parametrize("typed", [
    "8 (913) 123-45-67", "89131234567", "79131234567", "+7 913 123 45 67", "9131234567",
    "913 123-45-67"])
async def test_typed_phone_forms_are_normalised(platform: Platform, typed: str) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.say(typed)
    assert replies[0].text == tx.PHONE_SAVED
    person = await citizen(platform, talker)
    assert person is not None and person.phone == "+79131234567"


@pytest.mark.parametrize(("typed", "stored"), [
    ("(383) 222-33-44", "+73832223344"), ("495 123 45 67", "+74951234567")])
async def test_a_ten_digit_landline_gets_the_country_code(platform: Platform, typed: str,
                                                          stored: str) -> None:
    talker = await at_phone_step(platform)
    await talker.say(typed)
    person = await citizen(platform, talker)
    assert person is not None and person.phone == stored


@pytest.mark.parametrize("shared", ["89131234567", "79131234567", "+79131234567"])
async def test_shared_contact_forms_are_normalised(platform: Platform, shared: str) -> None:
    talker = await at_phone_step(platform)
    await talker.contact(shared)
    person = await citizen(platform, talker)
    assert person is not None and person.phone == "+79131234567"


@pytest.mark.parametrize("bad", ["123", "позвоните мне", "+7913123456789012"])
async def test_bad_phone_is_refused_with_the_keyboard_kept(platform: Platform, bad: str
                                                           ) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.say(bad)
    assert [r.text for r in replies] == [tx.PHONE_BAD]
    assert not any(r.close_keyboard for r in replies)
    assert await where(platform, talker) == ("onboarding", "phone")
    person = await citizen(platform, talker)
    assert person is not None and person.phone is None


async def test_skipping_the_phone_closes_the_keyboard_on_its_own(platform: Platform) -> None:
    talker = await at_phone_step(platform)
    replies = await talker.say("Пропустить")
    # The menu carries inline buttons, so the keyboard is closed by a message of its own.
    assert replies[0].text == tx.KEYBOARD_CLOSED and replies[0].close_keyboard
    assert replies[1].text == tx.MENU and not replies[1].close_keyboard
    person = await citizen(platform, talker)
    assert person is not None and person.phone is None
    assert await where(platform, talker) == ("menu", "main")


async def test_keyboard_is_closed_only_once(platform: Platform) -> None:
    talker = await at_phone_step(platform)
    await talker.say("Пропустить")
    replies = await talker.say("/menu")
    assert not any(r.close_keyboard for r in replies)


# -- withdrawing consent --------------------------------------------------------------------------
async def test_withdrawing_consent_asks_first(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.onboard(phone="+79131234567")
    replies = await talker.say("Отозвать согласие")
    assert replies[0].text == tx.REVOKE_ASK
    assert labels(replies) == [tx.REVOKE_YES, tx.REVOKE_NO]
    person = await citizen(platform, talker)
    assert person is not None and person.consent_at is not None


@pytest.mark.parametrize("phrase", [
    "Хочу отозвать согласие", "Отозвать согласие!", "отзываю согласие.",
    "Прошу: ОТОЗВАТЬ  СОГЛАСИЕ на обработку данных", "Отзыв согласия, пожалуйста"])
async def test_withdrawal_is_recognised_inside_a_sentence(platform: Platform, phrase: str
                                                          ) -> None:
    talker = Talker(platform)
    await talker.onboard()
    replies = await talker.say(phrase)
    assert said(replies) == tx.REVOKE_ASK
    assert labels(replies) == [tx.REVOKE_YES, tx.REVOKE_NO]
    assert await where(platform, talker) == ("menu", "main")


async def test_a_long_problem_text_mentioning_the_phrase_is_not_a_withdrawal(
        platform: Platform) -> None:
    talker = Talker(platform)
    await talker.onboard()
    await to_text_step(talker)
    text = ("Управляющая компания требует отозвать согласие на обработку данных, "
            "иначе не принимает заявку о протечке крыши")
    replies = await talker.say(text)
    assert tx.REVOKE_ASK not in said(replies)
    assert await where(platform, talker) == ("file", "photos")


async def test_withdrawn_consent_clears_contacts_and_returns_to_consent(
        platform: Platform) -> None:
    talker = await at_name_step(platform)
    await talker.say("Мария")
    await talker.contact("+79131234567")
    await talker.say("отозвать согласие")
    replies = await talker.press(tx.REVOKE_YES)
    assert said(replies) == chat(tx.CONSENT_REVOKED, tx.CONSENT_ASK)
    person = await citizen(platform, talker)
    assert person is not None
    assert (person.consent_at, person.consent_version, person.name, person.phone) == (
        None, None, None, None)
    assert await where(platform, talker) == ("onboarding", "consent")
    # The old menu no longer works; a new consent brings the same citizen back.
    replies = await talker.press("Сообщить о проблеме")
    assert said(replies) == chat(tx.NEED_CONSENT, tx.CONSENT_ASK)
    await talker.press("Согласен")
    again = await citizen(platform, talker)
    assert again is not None and again.id == person.id and again.consent_at is not None


async def test_no_to_withdrawal_keeps_consent(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.onboard()
    await talker.say("Отозвать согласие")
    replies = await talker.press(tx.REVOKE_NO)
    assert replies[-1].text == tx.MENU
    person = await citizen(platform, talker)
    assert person is not None and person.consent_at is not None


async def test_no_to_withdrawal_mid_draft_keeps_the_draft(platform: Platform) -> None:
    talker = Talker(platform)
    await talker.onboard()
    await to_text_step(talker)
    before = await conversation(platform, talker)
    await talker.say("Отозвать согласие")
    replies = await talker.press(tx.REVOKE_NO)
    assert replies[-1].text.startswith("Опишите проблему")  # the text prompt, shown again
    conv = await conversation(platform, talker)
    assert conv is not None and before is not None
    assert (conv.flow, conv.step) == ("file", "text") and conv.data.get("sub")
    assert conv.data == before.data
    person = await citizen(platform, talker)
    assert person is not None and person.consent_at is not None
