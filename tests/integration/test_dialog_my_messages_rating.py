"""«Мои сообщения» and rating an answer, on the conversation engine alone."""

from __future__ import annotations

import re

import pytest

from core.conversations import texts as tx
from core.conversations.engine import Conversations
from core.conversations.events import Event
from core.conversations.flows import rating
from core.conversations.notices import notice_reply
from core.db import tables as t
from core.domain.enums import Channel
from core.ports import FixedClock
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
    conversation,
    labels,
    message_photos,
    rows,
    said,
    to_summary,
    to_text_step,
    walk_to_answered,
)

ANSWER = "Яма заделана 3 июня, фото работ во вложении."


async def ready(p: Platform) -> Talker:
    talker = Talker(p)
    await talker.onboard()
    return talker


async def file_for(p: Platform, talker: Talker, **overrides: object) -> f.SubmittedMessage:
    """A message of the talker's citizen filed straight through the intake service."""
    ref = CitizenRef(talker.user.channel, talker.user.external_id)
    return await f.file_message(p, citizen=ref, **overrides)


async def answered_for(p: Platform, talker: Talker) -> f.SubmittedMessage:
    msg = await file_for(p, talker)
    await walk_to_answered(p, msg.id, ANSWER)
    return msg


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"№ (\d+) от", text)]


async def rate(talker: Talker, number: int, score: int) -> list:
    return await talker.press_payload(f"g|rate|{number}|{score}")


async def flow_step(p: Platform, talker: Talker) -> tuple[str, str]:
    conv = await conversation(p, talker)
    assert conv is not None
    return conv.flow, conv.step


# -- the list -------------------------------------------------------------------------------------
async def test_no_messages_yet(platform: Platform) -> None:
    talker = await ready(platform)
    replies = await talker.press("Мои сообщения")
    assert [r.text for r in replies] == [tx.MY_EMPTY]
    assert labels(replies) == [tx.MENU_FILE, tx.TO_MENU]


async def test_list_pages_newest_first(platform: Platform, clock: FixedClock) -> None:
    talker = await ready(platform)
    filed = []
    for _ in range(7):
        filed.append((await file_for(platform, talker)).number)
        clock.advance(hours=1)
    await file_for(platform, Talker(platform))  # someone else's: not listed
    replies = await talker.press("Мои сообщения")
    assert replies[0].text.startswith("Ваши сообщения (стр. 1 из 2):")
    assert numbers(replies[0].text) == filed[::-1][:5]
    assert labels(replies) == [f"№ {n}" for n in filed[::-1][:5]] + ["1/2", "▶️", tx.TO_MENU]
    assert not replies[0].replace

    replies = await talker.press("▶️")
    assert replies[0].replace
    assert replies[0].text.startswith("Ваши сообщения (стр. 2 из 2):")
    assert numbers(replies[0].text) == filed[::-1][5:]
    assert labels(replies) == [f"№ {n}" for n in filed[::-1][5:]] + ["◀️", "2/2", tx.TO_MENU]


async def test_page_past_the_end_shows_the_last_page(platform: Platform) -> None:
    talker = await ready(platform)
    for _ in range(6):
        await file_for(platform, talker)
    replies = await talker.press_payload("g|my|9")
    assert replies[0].text.startswith("Ваши сообщения (стр. 2 из 2):")
    assert len(numbers(replies[0].text)) == 1


async def test_back_to_the_first_page_turns_the_page(platform: Platform) -> None:
    talker = await ready(platform)
    for _ in range(6):
        await file_for(platform, talker)
    await talker.press("Мои сообщения")
    await talker.press("▶️")
    replies = await talker.press("◀️")
    assert len(replies) == 1 and replies[0].replace
    assert replies[0].text.startswith("Ваши сообщения (стр. 1 из 2):")
    assert labels(replies)[-3:] == ["1/2", "▶️", tx.TO_MENU]
    assert [b.payload.split("|")[1] for b in replies[0].buttons if b.label == "▶️"] == ["myp"]


async def test_deadline_is_shown_only_for_open_messages(platform: Platform) -> None:
    talker = await ready(platform)
    answered = await answered_for(platform, talker)
    waiting = await file_for(platform, talker)
    replies = await talker.press("Мои сообщения")
    entries = dict(zip(numbers(replies[0].text), replies[0].text.split("\n\n")[1:],
                       strict=True))
    assert "На проверке у модератора · ответ до 06.06.2026 (осталось 5 дн. 11 ч.)" in (
        entries[waiting.number])
    assert entries[answered.number].endswith("Дан ответ")
    assert "ответ до" not in entries[answered.number]


async def test_opening_the_list_keeps_a_draft(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    before = await conversation(platform, talker)
    await talker.press("Мои сообщения")
    after = await conversation(platform, talker)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data) == (before.flow, before.step, before.data)
    await talker.say(PROBLEM)
    assert await flow_step(platform, talker) == ("file", "photos")


# -- a card ---------------------------------------------------------------------------------------
async def test_card_of_a_new_message(platform: Platform) -> None:
    talker = await ready(platform)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    await talker.photo(JPEG)
    await talker.photo(PNG)
    await talker.press("Готово")
    await talker.say(NSK_ADDRESS)
    await talker.press("Отправить")
    [message] = await rows(platform, t.Message)
    await talker.press("Мои сообщения")
    replies = await talker.press(f"№ {message.number}")
    card = replies[0]
    d = await platform.directory.get()
    organisation = d.organisations[message.organisation_id].name  # the full name
    assert card.text == (
        f"Сообщение № {message.number} от 01.06.2026\n"
        "Тема: Автомобильные дороги → Ямы и выбоины на дороге\n"
        f"Адрес: {NSK_ADDRESS}\n"
        "Статус: на проверке у модератора\n"
        f"Рассматривает: {organisation}\n"
        "Срок ответа: до 06.06.2026 (осталось 5 дн. 11 ч.)\n\n"
        f"Текст: {PROBLEM}\n\n"
        "История:\n"
        "01.06.2026 12:00 — зарегистрировано")
    photos = await message_photos(platform, message.id)
    assert card.media == tuple(ph.file_key for ph in photos) and len(card.media) == 2
    assert labels(replies) == [tx.BACK_TO_LIST, tx.TO_MENU]


async def test_card_shows_a_point_when_there_is_no_address(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await file_for(platform, talker, address=None, latitude=54.7582, longitude=83.1071)
    replies = await talker.press_payload(f"g|msg|{msg.number}")
    assert "Точка на карте: 54.75820, 83.10710" in replies[0].text
    assert "Адрес:" not in replies[0].text


async def test_card_of_an_answered_message_has_the_answer_and_rating(
        platform: Platform, clock: FixedClock) -> None:
    talker = await ready(platform)
    msg = await file_for(platform, talker)
    clock.advance(days=1, hours=2)
    await walk_to_answered(platform, msg.id, ANSWER)
    replies = await talker.press_payload(f"g|msg|{msg.number}")
    text = replies[0].text
    assert "Статус: дан ответ" in text
    assert "Срок ответа" not in text
    assert f"02.06.2026 14:00 — получен ответ\n\nОтвет от 02.06.2026:\n{ANSWER}" in text
    assert "01.06.2026 12:00 — зарегистрировано" in text
    assert text.endswith(tx.RATE_ASK)
    assert labels(replies) == ["1", "2", "3", "4", "5", tx.BACK_TO_LIST, tx.TO_MENU]
    assert [b.payload for b in replies[0].buttons[:5]] == [
        f"g|rate|{msg.number}|{s}" for s in range(1, 6)]


async def test_card_after_rating_shows_the_score_without_buttons(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await talker.press_payload(f"g|msg|{msg.number}")
    await talker.press("5")
    replies = await talker.press_payload(f"g|msg|{msg.number}")
    assert "Ваша оценка: 5" in replies[0].text and "вы оценили ответ: 5" in replies[0].text
    assert labels(replies) == [tx.BACK_TO_LIST, tx.TO_MENU]


async def test_someone_elses_message_is_not_found(platform: Platform) -> None:
    talker = await ready(platform)
    other = await f.file_message(platform)
    replies = await talker.press_payload(f"g|msg|{other.number}")
    assert [r.text for r in replies] == [tx.CARD_NOT_FOUND]
    assert (await talker.press_payload("g|msg|oops"))[0].text == tx.CARD_NOT_FOUND


# -- rating ---------------------------------------------------------------------------------------
async def test_answered_notice_carries_the_rating_buttons(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    [row] = await rows(platform, t.OutboxRow, t.OutboxRow.message_id == msg.id,
                       t.OutboxRow.kind == "answered")
    reply = notice_reply(row.kind, row.payload)
    assert ANSWER in reply.text
    assert labels([reply]) == ["1", "2", "3", "4", "5", tx.OPEN_MESSAGE]
    assert [b.payload for b in reply.buttons] == [
        *(f"g|rate|{msg.number}|{s}" for s in range(1, 6)), f"g|msg|{msg.number}"]
    assert [len(row) for row in reply.rows()] == [5, 1]


async def test_low_rating_sends_to_re_review_and_takes_a_comment(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    [row] = await rows(platform, t.OutboxRow, t.OutboxRow.message_id == msg.id,
                       t.OutboxRow.kind == "answered")
    replies = await talker.press_payload(notice_reply(row.kind, row.payload).buttons[1].payload)
    assert said(replies) == chat(tx.RATE_LOW.format(score=2, number=msg.number), tx.ASK_COMMENT)
    assert labels(replies) == [tx.NO_COMMENT]
    message = await f.message_row(platform, msg.id)
    assert (message.status, message.rating, message.rating_comment) == ("re_review", 2, None)
    kinds = [o.kind for o in await f.outbox(platform, msg.id)]
    assert kinds[-1] == "re_review"
    assert await flow_step(platform, talker) == ("rating", "comment")

    replies = await talker.say("  Яму засыпали песком, через день она снова появилась  ")
    assert said(replies) == chat(tx.COMMENT_SAVED, tx.MENU)
    message = await f.message_row(platform, msg.id)
    assert message.rating_comment == "Яму засыпали песком, через день она снова появилась"
    [event] = [e for e in await f.events(platform, msg.id) if e.action == "rating_comment"]
    assert event.details == {"comment": message.rating_comment}
    assert (event.actor_kind, event.actor_citizen_id) == ("citizen", message.citizen_id)
    assert await flow_step(platform, talker) == ("menu", "main")


async def test_high_rating_closes_the_message(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    replies = await rate(talker, msg.number, 5)
    assert said(replies) == chat(tx.RATE_THANKS.format(score=5), tx.ASK_COMMENT)
    message = await f.message_row(platform, msg.id)
    assert (message.status, message.rating) == ("closed", 5)
    replies = await talker.press(tx.NO_COMMENT)
    assert replies[-1].text == tx.MENU
    assert (await f.message_row(platform, msg.id)).rating_comment is None
    assert "rating_comment" not in [e.action for e in await f.events(platform, msg.id)]


async def test_only_one_rating_counts(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await rate(talker, msg.number, 5)
    replies = await rate(talker, msg.number, 1)
    assert [r.text for r in replies] == [tx.RATE_CLOSED]
    assert "уже учтена" in replies[0].text
    message = await f.message_row(platform, msg.id)
    assert (message.status, message.rating) == ("closed", 5)


async def test_rating_a_message_without_an_answer_is_refused(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await file_for(platform, talker)
    replies = await rate(talker, msg.number, 5)
    assert [r.text for r in replies] == [tx.RATE_CLOSED]
    assert (await f.message_row(platform, msg.id)).status == "moderation"


async def test_rating_someone_elses_message_is_not_found(platform: Platform) -> None:
    talker = await ready(platform)
    other = await f.file_message(platform)
    await walk_to_answered(platform, other.id, ANSWER)
    replies = await rate(talker, other.number, 1)
    assert [r.text for r in replies] == [tx.CARD_NOT_FOUND]
    message = await f.message_row(platform, other.id)
    assert (message.status, message.rating) == ("answered", None)


@pytest.mark.parametrize(("score", "answer"), [
    ("0", "Оценка — целое число от 1 до 5"), ("6", "Оценка — целое число от 1 до 5"),
    ("x", chat(tx.UNKNOWN_BUTTON, tx.MENU))])  # no score: the current step is shown again
async def test_forged_score_is_refused(platform: Platform, score: str, answer: str) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    replies = await talker.press_payload(f"g|rate|{msg.number}|{score}")
    assert said(replies) == answer
    assert (await f.message_row(platform, msg.id)).rating is None


async def test_too_long_comment_is_refused(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await rate(talker, msg.number, 3)
    replies = await talker.say("я" * 1001)
    assert [r.text for r in replies] == [tx.COMMENT_BAD.format(max=1000)]
    assert await flow_step(platform, talker) == ("rating", "comment")
    assert (await f.message_row(platform, msg.id)).rating_comment is None


async def test_rating_mid_draft_resumes_the_draft(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await to_text_step(talker)
    await talker.say(PROBLEM)
    await talker.photo(JPEG)
    before = await conversation(platform, talker)
    replies = await rate(talker, msg.number, 4)
    assert said(replies) == chat(tx.RATE_THANKS.format(score=4), tx.ASK_COMMENT)
    replies = await talker.say("Спасибо, быстро сделали")
    assert said(replies) == chat(tx.COMMENT_SAVED, tx.ASK_PHOTOS.format(max=5),
                                 "Уже добавлено: 1.")
    after = await conversation(platform, talker)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data) == (before.flow, before.step, before.data)
    # The resumed draft goes on as if nothing happened.
    await talker.press("Готово")
    await talker.say(NSK_ADDRESS)
    await talker.press("Отправить")
    assert len(await rows(platform, t.Message)) == 2


async def test_rating_at_the_address_step_closes_and_reopens_the_keyboard(
        platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await to_summary(talker)
    await talker.press("Изменить")
    await talker.press("Адрес")
    replies = await rate(talker, msg.number, 5)
    assert replies[0].close_keyboard  # the location keyboard belongs to the address step
    replies = await talker.press(tx.NO_COMMENT)
    assert replies[-1].request is not None
    assert await flow_step(platform, talker) == ("file", "address")
    await talker.say(NSK_ADDRESS)
    assert talker.last[-1].text.startswith("Проверьте сообщение")  # still editing


async def test_cancel_at_the_comment_step_resumes_the_draft(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await to_text_step(talker)
    before = await conversation(platform, talker)
    await rate(talker, msg.number, 5)
    replies = await talker.say("/cancel")
    assert tx.CANCELLED not in said(replies)
    assert said(replies) == tx.ASK_TEXT.format(min=20, max=4000)  # back to the draft's prompt
    after = await conversation(platform, talker)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data) == (before.flow, before.step, before.data)
    message = await f.message_row(platform, msg.id)
    assert (message.status, message.rating, message.rating_comment) == ("closed", 5, None)


async def test_the_same_score_pressed_again_is_not_counted_again(platform: Platform) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    await rate(talker, msg.number, 2)
    await talker.say("Яму засыпали песком")
    replies = await rate(talker, msg.number, 2)  # the notice's button, pressed again later
    assert said(replies) == tx.RATE_CLOSED
    assert await flow_step(platform, talker) == ("menu", "main")
    message = await f.message_row(platform, msg.id)
    assert message.rating_comment == "Яму засыпали песком"
    assert [o.kind for o in await f.outbox(platform, msg.id)].count("re_review") == 1


@pytest.mark.parametrize(("score", "status", "thanks"), [
    (5, "closed", tx.RATE_THANKS), (2, "re_review", tx.RATE_LOW)])
async def test_rating_survives_a_version_conflict(
        platform: Platform, monkeypatch: pytest.MonkeyPatch, score: int, status: str,
        thanks: str) -> None:
    talker = await ready(platform)
    msg = await answered_for(platform, talker)
    other_process = Conversations(platform, channel=Channel.TELEGRAM)
    real = rating.rate_answer
    calls: list[int] = []

    async def racing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        result = await real(*args, **kwargs)  # type: ignore[arg-type]
        if len(calls) == 1:  # meanwhile another process handles another update of this dialog
            await other_process.handle(talker.user, Event.message("/help"), update_id="x-1")
        return result

    monkeypatch.setattr(rating, "rate_answer", racing)
    replies = await rate(talker, msg.number, score)
    assert len(calls) == 2  # handled again after the conflict
    assert said(replies) == chat(thanks.format(score=score, number=msg.number), tx.ASK_COMMENT)
    assert await flow_step(platform, talker) == ("rating", "comment")
    message = await f.message_row(platform, msg.id)
    assert (message.status, message.rating) == (status, score)
