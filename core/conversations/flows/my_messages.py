"""My messages: the citizen's messages page by page, and one message's card."""

from __future__ import annotations

from core.conversations import texts as tx
from core.conversations.flows.common import (
    GlobalHandler,
    days_left,
    local_date,
    local_time,
    nav_row,
    pages,
)
from core.conversations.payloads import Payload
from core.conversations.replies import Button
from core.conversations.turn import Step, Turn
from core.domain.enums import Action, Status
from core.notifications.texts import citizen_status
from core.services.citizen_messages import (
    HistoryEntry,
    MessageCard,
    citizen_message_card,
    list_citizen_messages,
)

PER_PAGE = 5
OPEN_STATUSES = frozenset(Status) - {Status.ANSWERED, Status.CLOSED, Status.REJECTED}


async def on_my(turn: Turn, payload: Payload) -> None:
    page = max(0, payload.int_arg(0) or 0)
    assert turn.state.citizen_id is not None
    total, lines = await list_citizen_messages(turn.p, citizen_id=turn.state.citizen_id,
                                               offset=page * PER_PAGE, limit=PER_PAGE)
    if total == 0:
        turn.say(tx.MY_EMPTY, buttons=[turn.global_button(tx.MENU_FILE, "file", row=0),
                                       turn.global_button(tx.TO_MENU, "menu", row=1)])
        return
    count = pages(total, PER_PAGE)
    page = min(page, count - 1)
    if not lines:  # asked for a page past the end (the list shrank): show the last one
        total, lines = await list_citizen_messages(turn.p, citizen_id=turn.state.citizen_id,
                                                   offset=page * PER_PAGE, limit=PER_PAGE)
    now = turn.p.clock.now()
    text = [tx.MY_TITLE.format(page=page + 1, pages=count)]
    buttons: list[Button] = []
    for i, line in enumerate(lines):
        due = ""
        if line.status in OPEN_STATUSES:
            left = days_left(now, line.answer_due)
            due = f" · ответ до {local_date(line.answer_due, line.tz)} ({left})"
        text.append(tx.MY_LINE.format(number=line.number,
                                      date=local_date(line.registered_at, line.tz),
                                      subcategory=line.subcategory,
                                      status=citizen_status(line.status).capitalize(), due=due))
        buttons.append(turn.global_button(f"№ {line.number}", "msg", line.number, row=i // 3))
    row = (len(lines) + 2) // 3
    buttons += nav_row(turn, page=page, total_pages=count, action="myp", row=row,
                       global_scope=True)
    buttons.append(turn.global_button(tx.TO_MENU, "menu", row=row + 1))
    turn.say("\n\n".join(text), buttons=buttons, replace=payload.action == "myp")


def _history_line(entry: HistoryEntry, card: MessageCard) -> str:
    when = local_time(entry.at, card.tz)
    match entry.action:
        case Action.REGISTER.value:
            what = "зарегистрировано"
        case Action.RATE_LOW.value | Action.RATE_HIGH.value:
            what = f"вы оценили ответ: {entry.details.get('score')}"
        case "rating_comment":
            what = "вы добавили комментарий к оценке"
        case Action.ANSWER.value | Action.APPROVE_ANSWER.value if entry.status is Status.ANSWERED:
            what = "получен ответ"
        case _:
            what = citizen_status(entry.status)
    return f"{when} — {what}"


def card_text(card: MessageCard, now_text: str) -> str:
    lines = [f"Сообщение № {card.number} от {local_date(card.registered_at, card.tz)}",
             f"Тема: {card.category} → {card.subcategory}"]
    if card.address:
        lines.append(f"Адрес: {card.address}")
    elif card.latitude is not None:
        lines.append(f"Точка на карте: {card.latitude:.5f}, {card.longitude:.5f}")
    lines.append(f"Статус: {citizen_status(card.status)}")
    if card.organisation:
        lines.append(f"Рассматривает: {card.organisation}")
    if card.status in OPEN_STATUSES:
        lines.append(f"Срок ответа: до {local_date(card.answer_due, card.tz)} ({now_text})")
    lines += ["", f"Текст: {card.text}", "", "История:"]
    previous = None
    for entry in card.history:
        line = _history_line(entry, card)
        if line.split(" — ", 1)[1] != previous:  # the same status twice in a row says nothing
            lines.append(line)
            previous = line.split(" — ", 1)[1]
    if card.answer_text and card.answered_at:
        lines += ["", f"Ответ от {local_date(card.answered_at, card.tz)}:", card.answer_text]
    if card.rating is not None:
        lines.append(f"\nВаша оценка: {card.rating}")
    return "\n".join(lines)


async def on_msg(turn: Turn, payload: Payload) -> None:
    number = payload.int_arg(0)
    assert turn.state.citizen_id is not None
    card = None
    if number is not None:
        card = await citizen_message_card(turn.p, citizen_id=turn.state.citizen_id,
                                          number=number)
    if card is None:
        turn.say(tx.CARD_NOT_FOUND)
        return
    buttons: list[Button] = []
    if card.status is Status.ANSWERED and card.rating is None:
        buttons = [turn.global_button(str(score), "rate", card.number, score, row=0)
                   for score in range(1, 6)]
    buttons += [turn.global_button(tx.BACK_TO_LIST, "my", 0, row=1),
                turn.global_button(tx.TO_MENU, "menu", row=1)]
    text = card_text(card, days_left(turn.p.clock.now(), card.answer_due))
    if buttons and buttons[0].payload.split("|")[1] == "rate":
        text += "\n\n" + tx.RATE_ASK
    turn.say(text, buttons=buttons, media=card.photos)


STEPS: tuple[Step, ...] = ()
GLOBAL: dict[str, GlobalHandler] = {"my": on_my, "myp": on_my, "msg": on_msg}
