"""The fake VK API server, exercised with vkbottle itself as the client: the API methods
(messages, keyboards, callback buttons, permissions, users) and ``execute``."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
from vkbottle import API, Callback, Keyboard, Location, OpenLink, Text, VKAPIError
from vkbottle_types.events.bot_events import MessageAllow, MessageDeny, MessageNew
from vkbottle_types.events.bot_events import MessageEvent as RawMessageEvent

from tests.e2e import fake_vk_fixtures
from tests.e2e.fake_vk import FakeVk, parse_vkscript
from tests.e2e.fake_vk_fixtures import TOKEN, YES_NO, make_api, send, vkscript

# The fixtures these tests request (pytest finds fixtures among a module's names).
vk, api = fake_vk_fixtures.vk, fake_vk_fixtures.api


# --------------------------------------------------------------------------- messages


async def test_send_with_inline_keyboard_is_recorded(api: API, vk: FakeVk) -> None:
    vk.user(1001).send_text("привет")
    message_id = await send(api, 1001, "Подтвердите", keyboard=YES_NO)

    [call] = vk.sent_to(1001)
    assert call.result == message_id
    assert call.params["peer_id"] == 1001 and call.text == "Подтвердите"
    assert call.keyboard == YES_NO  # the JSON string as sent
    assert call.keyboard_data == json.loads(YES_NO)
    assert [b["action"]["label"] for b in call.buttons] == ["Да", "Нет"]
    [message] = vk.messages_to(1001)
    assert message.conversation_message_id == 2  # shared with the citizen's message
    assert message.inline and vk.last_keyboard(1001) == json.loads(YES_NO)
    too_many = Keyboard(inline=True)
    for row in range(7):
        too_many.add(Callback(f"{row}", payload={"row": row}))
        too_many.row()
    with pytest.raises(VKAPIError[911], match="Keyboard format is invalid"):
        await send(api, 1001, "Слишком много", keyboard=too_many.get_json())
    assert vk.texts_to(1001) == ["Подтвердите"]


def _button(label: str | None = "Кнопка", kind: str = "text", **extra: Any) -> dict[str, Any]:
    action: dict[str, Any] = {"type": kind, **extra}
    if label is not None:
        action["label"] = label
    return {"action": action}


@pytest.mark.parametrize("keyboard", [
    {"buttons": [[]]},
    {"buttons": [[_button()]], "inline": True, "one_time": True},
    {"buttons": [[_button()]] * 11},
    {"buttons": [[_button()]] * 7, "inline": True},
    {"buttons": [[_button()] * 6]},
    {"buttons": [[_button()] * 5] * 3, "inline": True},
    {"buttons": [[_button("x" * 41)]]},
    {"buttons": [[_button(None)]]},
    {"buttons": [[_button(None, "location"), _button()]]},
    {"buttons": [[_button("Место", "location")]]},
    {"buttons": [[_button(payload="{not json")]]},
    {"buttons": [[_button(payload=json.dumps({"x": "y" * 260}))]]},
    {"buttons": [[_button("Ссылка", "open_link")]]},
    {"buttons": [[_button(kind="vkpay")]]},
    {"buttons": [[{**_button(), "color": "red"}]]},
    "{not json",
], ids=lambda value: json.dumps(value, ensure_ascii=False)[:40])
async def test_invalid_keyboards_get_911(api: API, keyboard: Any) -> None:
    raw = keyboard if isinstance(keyboard, str) else json.dumps(keyboard)
    with pytest.raises(VKAPIError[911]):
        await send(api, 7, "текст", keyboard=raw)


async def test_valid_keyboards_and_text_buttons(api: API, vk: FakeVk) -> None:
    ivan = vk.user(1001)
    full = {"buttons": [[_button(f"{r}{c}", payload=json.dumps({"b": f"{r}{c}"}))
                         for c in range(4)] for r in range(10)]}
    await send(api, 1001, "40 кнопок", keyboard=json.dumps(full))
    menu = (Keyboard(one_time=True).add(Text("Сообщить", payload={"cmd": "report"}))
            .row().add(Location()).row().add(OpenLink("https://example.org", "Сайт")))
    await send(api, 1001, "Меню", keyboard=menu.get_json())
    assert vk.last_keyboard(1001) == json.loads(menu.get_json())

    pressed = ivan.press({"cmd": "report"})
    message = MessageNew.model_validate(pressed).object.message
    assert message is not None
    assert (message.text, message.payload) == ("Сообщить", '{"cmd":"report"}')
    assert vk.standard_keyboard(1001) is None  # one_time: hidden after a press
    with pytest.raises(AssertionError, match="no button 'Сообщить'"):
        ivan.press("Сообщить")

    await send(api, 1001, "Где?", keyboard=Keyboard().add(Location(payload={"a": 1})).get_json())
    geo = MessageNew.model_validate(ivan.press('{"a":1}')).object.message
    assert geo is not None and geo.geo is not None and geo.text == ""
    assert geo.geo.coordinates is not None and geo.payload == '{"a":1}'
    await send(api, 1001, "Спасибо", keyboard=json.dumps({"buttons": [], "one_time": True}))
    assert vk.last_keyboard(1001) is None
    petr = vk.user(1002, location=False)
    await send(api, 1002, "Где?", keyboard=Keyboard().add(Location(payload={"a": 1})).get_json())
    with pytest.raises(AssertionError, match="client does not support location"):
        petr.press('{"a":1}')
    with pytest.raises(AssertionError, match="delivered no message to 1002"):
        petr.press("Сообщить", message=vk.sent_to(1001)[1])


async def test_text_limits_and_empty_messages(api: API, vk: FakeVk) -> None:
    await send(api, 5, "x" * 4096)
    with pytest.raises(VKAPIError[914], match="Message is too long"):
        await send(api, 5, "x" * 4097)
    with pytest.raises(VKAPIError[100]):
        await send(api, 5, "   ")
    with pytest.raises(VKAPIError[100], match="random_id"):
        await api.request("messages.send", {"peer_id": 5, "message": "без random_id"})
    with pytest.raises(VKAPIError[100], match="not found"):
        await send(api, 5, "фото", attachment=f"photo-{vk.group_id}_1_abc")


async def test_random_id_deduplicates_within_an_hour(api: API, vk: FakeVk) -> None:
    first = await send(api, 5, "Ваше обращение принято", random_id=777)
    again = await send(api, 5, "Ваше обращение принято", random_id=777)
    other_peer = await send(api, 6, "Ваше обращение принято", random_id=777)
    unset = [await send(api, 5, "без random_id") for _ in range(2)]
    answer = await api.request("messages.send", {"peer_ids": [5], "random_id": 777,
                                                 "message": "снова"})

    assert first == again == answer["response"][0]["message_id"]
    assert other_peer != first and unset[0] != unset[1]
    assert vk.deduplicated == 2
    assert vk.texts_to(5) == ["Ваше обращение принято", "без random_id", "без random_id"]
    vk.advance_clock(3601)
    assert await send(api, 5, "через час", random_id=777) != first


async def test_edit_message(api: API, vk: FakeVk) -> None:
    ivan = vk.user(1001)
    citizen_event = ivan.send_text("вопрос")
    await send(api, 1001, "Вопрос", keyboard=YES_NO)
    original = vk.sent_to(1001)[0]
    cmid = vk.messages_to(1001)[0].conversation_message_id

    assert await api.messages.edit(peer_id=1001, conversation_message_id=cmid,
                                   message="Ответ принят") == 1
    edited = await vk.wait_for_text(1001, "Ответ принят")
    assert edited.method == "messages.edit"
    [message] = vk.messages_to(1001)
    assert (message.text, message.keyboard, message.edits) == ("Ответ принят", None, 1)
    assert vk.texts_to(1001) == ["Вопрос", "Ответ принят"]
    with pytest.raises(AssertionError, match="available"):
        ivan.press("Да")
    stale = RawMessageEvent.model_validate(ivan.press_stale('{"answer":"yes"}', original))
    assert stale.object.payload == {"answer": "yes"}
    assert stale.object.conversation_message_id == cmid
    with pytest.raises(VKAPIError[100]):
        await api.messages.edit(peer_id=1001, conversation_message_id=99, message="нет такого")
    own = citizen_event["object"]["message"]["conversation_message_id"]
    with pytest.raises(VKAPIError[15]):
        await api.messages.edit(peer_id=1001, conversation_message_id=own, message="чужое")
    with pytest.raises(VKAPIError[911]):
        await api.messages.edit(peer_id=1001, conversation_message_id=cmid, message="меню",
                                keyboard=Keyboard().add(Text("Меню")).get_json())


async def test_press_callback_and_answer(api: API, vk: FakeVk) -> None:
    ivan = vk.user(1001)
    await send(api, 1001, "Подтвердите", keyboard=YES_NO)
    await send(api, 1001, "Сообщение без кнопок")

    event = RawMessageEvent.model_validate(ivan.press("Да")).object
    assert event.payload == {"answer": "yes"} and event.user_id == event.peer_id == 1001
    assert len(event.event_id) == 12
    assert event.conversation_message_id == vk.messages_to(1001)[0].conversation_message_id
    snackbar = json.dumps({"type": "show_snackbar", "text": "Принято"})
    assert await api.messages.send_message_event_answer(
        event_id=event.event_id, user_id=1001, peer_id=1001, event_data=snackbar) == 1
    assert vk.event_answers == {event.event_id: {"type": "show_snackbar", "text": "Принято"}}
    with pytest.raises(VKAPIError[100], match="event_id is incorrect"):
        await api.messages.send_message_event_answer(event_id=event.event_id, user_id=1001,
                                                     peer_id=1001)
    late = RawMessageEvent.model_validate(ivan.press('{"answer":"no"}')).object
    vk.advance_clock(61)
    with pytest.raises(VKAPIError[100]):
        await api.messages.send_message_event_answer(event_id=late.event_id, user_id=1001,
                                                     peer_id=1001)
    with pytest.raises(AssertionError, match=r"\('Нет', '\{\"answer\":\"no\"\}'\)"):
        ivan.press("Может быть")
    await send(api, 1002, "Подтвердите", keyboard=YES_NO)
    with pytest.raises(AssertionError, match="callback buttons"):
        vk.user(1002, callbacks=False).press("Да", message=vk.messages_to(1002)[0])
    with pytest.raises(AssertionError, match="inline keyboards"):
        vk.user(1002, inline=False).press("Да")


async def test_permissions(api: API, vk: FakeVk) -> None:
    ivan = vk.user(1001)
    deny = MessageDeny.model_validate(ivan.deny())
    assert deny.object.user_id == 1001
    with pytest.raises(VKAPIError[901]):
        await send(api, 1001, "после запрета")
    # With peer_ids (what vkbottle's message.answer() uses) the error comes per peer and,
    # as on VK, without message_id, which vkbottle_types' model requires: the typed call
    # fails validation instead of raising VKAPIError.
    answer = await api.request("messages.send", {"peer_ids": "1001", "random_id": 0,
                                                 "message": "через peer_ids"})
    assert answer["response"] == [{"peer_id": 1001, "error": {
        "code": 901, "description": "Can't send messages for users without permission"}}]
    with pytest.raises(pydantic.ValidationError, match="message_id"):
        await api.messages.send(peer_ids=[1001], random_id=0, message="через peer_ids")
    assert MessageAllow.model_validate(ivan.allow()).object.user_id == 1001
    await send(api, 1001, "снова можно")
    vk.privacy(1002)
    vk.forbid(1003)
    with pytest.raises(VKAPIError[902]):
        await send(api, 1002, "приватность")
    with pytest.raises(VKAPIError[901]):
        await send(api, 1003, "запрещено")
    vk.permit(1003)
    await send(api, 1003, "разрешено")
    assert vk.texts_to(1001) == ["снова можно"] and vk.texts_to(1003) == ["разрешено"]

    async with FakeVk(token=TOKEN, require_permission=True) as strict:
        strict_api = make_api(strict)
        try:
            with pytest.raises(VKAPIError[901]):
                await send(strict_api, 1001, "никогда не писал")
            strict.user(1001).send_text("привет")
            await send(strict_api, 1001, "теперь можно")
        finally:
            await strict_api.http_client.close()


async def test_users_get(api: API, vk: FakeVk) -> None:
    vk.user(1001, "Мария", "Иванова")
    users = await api.users.get(user_ids=[1001, 5], fields=["screen_name"])  # type: ignore[list-item]

    assert [(u.id, u.first_name, u.last_name) for u in users] == [(1001, "Мария", "Иванова")]
    assert users[0].screen_name == "id1001"


# --------------------------------------------------------------------------- execute


async def test_execute_runs_a_batch_with_one_failing_call(api: API, vk: FakeVk) -> None:
    vk.forbid(2002)
    code = vkscript(
        ("messages.send", {"peer_id": 1001, "random_id": 11, "message": "первому",
                           "keyboard": YES_NO}),
        ("messages.send", {"peer_id": 2002, "random_id": 12, "message": "запрещено"}),
        ("messages.send", {"peer_id": 3003, "random_id": 13, "message": "«третьему»"}),
    )
    answer = await api.request("execute", {"code": code})

    first, failed, third = answer["response"]
    assert isinstance(first, int) and isinstance(third, int) and failed is False
    assert answer["execute_errors"] == [{
        "method": "messages.send", "error_code": 901,
        "error_msg": "Can't send messages for users without permission"}]
    assert vk.texts_to(1001) == ["первому"] and vk.texts_to(3003) == ["«третьему»"]
    assert vk.messages_to(1001)[0].inline
    inner = [call for call in vk.calls if call.via_execute]
    assert [call.ok for call in inner] == [True, False, True]
    assert vk.calls[-1].method == "execute"
    # fail_next also applies inside execute; an all-ok batch has no execute_errors.
    vk.fail_next("messages.send", 9)
    again = await api.request("execute", {"code": code.replace("2002", "4004")})
    # The first send failed, the second went to a new peer, the third repeated random_id 13.
    assert again["response"][0] is False and again["response"][2] == third
    assert vk.deduplicated == 1
    assert [e["error_code"] for e in again["execute_errors"]] == [9]
    clean = await api.request("execute", {"code": vkscript(
        ("messages.send", {"peer_id": 1001, "random_id": 99, "message": "ok"}))})
    assert "execute_errors" not in clean and len(clean["response"]) == 1


async def test_execute_compile_errors_and_limit(api: API) -> None:
    with pytest.raises(VKAPIError[12], match="Unable to compile code"):
        await api.request("execute", {"code": "var a = API.messages.send({});"})
    with pytest.raises(VKAPIError[12]):
        await api.request("execute", {"code": 'return [API.messages.send({"a": 1}'})
    too_many = vkscript(*[("messages.send", {"peer_id": n, "random_id": n, "message": "x"})
                          for n in range(1, 27)])
    with pytest.raises(VKAPIError[13]):
        await api.request("execute", {"code": too_many})
    assert parse_vkscript("return [];") == ([], True)
    assert parse_vkscript('return API.users.get({"user_ids": "1"});') == (
        [("users.get", {"user_ids": "1"})], False)
