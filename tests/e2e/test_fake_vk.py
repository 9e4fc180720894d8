"""The fake VK API server, exercised with vkbottle itself as the client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from aiohttp import ClientSession, web
from vkbottle import (
    API,
    Bot,
    BotPolling,
    Callback,
    DocMessagesUploader,
    GroupEventType,
    Keyboard,
    KeyboardButtonColor,
    Location,
    OpenLink,
    PhotoMessageUploader,
    Text,
    VKAPIError,
)
from vkbottle.api.request_rescheduler import BlockingRequestRescheduler
from vkbottle.bot import Message, MessageEvent
from vkbottle.http import AiohttpClient
from vkbottle_types.events.bot_events import MessageAllow, MessageDeny, MessageNew
from vkbottle_types.events.bot_events import MessageEvent as RawMessageEvent

from tests.e2e.fake_vk import FakeVk, parse_vkscript

TOKEN = "vk1.a.test-token"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
YES_NO = (Keyboard(inline=True)
          .add(Callback("Да", payload={"answer": "yes"}), color=KeyboardButtonColor.POSITIVE)
          .add(Callback("Нет", payload={"answer": "no"}), color=KeyboardButtonColor.NEGATIVE)
          .get_json())


def make_api(vk: FakeVk, token: str = TOKEN, **kwargs: Any) -> API:
    api = API(token, http_client=AiohttpClient(), **kwargs)
    api.API_URL = vk.api_url + "/"
    return api


@pytest.fixture
async def vk() -> AsyncIterator[FakeVk]:
    async with FakeVk(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def api(vk: FakeVk) -> AsyncIterator[API]:
    api = make_api(vk)
    yield api
    await api.http_client.close()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BotPolling saves its ts under ./.vkbottle: keep that out of the repository."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def send(api: API, peer_id: int, text: str, **params: Any) -> int:
    message_id: int = await api.messages.send(
        peer_id=peer_id, random_id=params.pop("random_id", 0), message=text, **params)
    return message_id


def vkscript(*calls: tuple[str, dict[str, Any]]) -> str:
    """The code the bot sends to ``execute``."""
    return "return [" + ",".join(f"API.{method}({json.dumps(params, ensure_ascii=False)})"
                                 for method, params in calls) + "];"


async def poll(http: ClientSession, server: dict[str, Any], ts: str | int, wait: int = 0,
               key: str | None = None) -> dict[str, Any]:
    params = {"act": "a_check", "key": key or server["key"], "ts": str(ts), "wait": str(wait)}
    async with http.post(server["server"], params=params) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


# --------------------------------------------------------------------------- community, polling


async def test_group_and_long_poll_server(api: API, vk: FakeVk) -> None:
    vk.user(1001).send_text("до запуска")
    [group] = (await api.groups.get_by_id()).groups
    server = await api.groups.get_long_poll_server(group_id=group.id)

    assert (group.id, group.name, group.screen_name) == (vk.group_id, "ПОС", "pos_test")
    assert vk.api_url == f"http://127.0.0.1:{vk.port}/method"
    assert server.server == f"{vk.base_url}/lp/{vk.group_id}"
    assert server.ts == "2"  # a fresh server skips the history, like VK
    assert [call.method for call in vk.calls] == ["groups.getById", "groups.getLongPollServer"]
    with pytest.raises(VKAPIError[15]):
        await api.groups.get_long_poll_server(group_id=1)


async def test_bot_polling_receives_a_citizen_text(api: API, vk: FakeVk, in_tmp: Path) -> None:
    ivan = vk.user(1001)
    listener = BotPolling(api, wait=5).listen()
    first = asyncio.create_task(anext(listener))
    await asyncio.sleep(0.2)
    assert not first.done()  # the long poll is waiting

    sent = ivan.send_text("Здравствуйте", payload='{"command":"start"}')
    batch = await asyncio.wait_for(first, 3)
    await listener.aclose()

    [event] = batch["updates"]
    assert event == sent
    assert len(event["event_id"]) == 40 and event["v"] == "5.199"
    parsed = MessageNew.model_validate(event)
    assert parsed.object.message is not None and parsed.object.client_info is not None
    assert parsed.object.message.text == "Здравствуйте"
    assert parsed.object.message.peer_id == parsed.object.message.from_id == 1001
    assert parsed.object.message.payload == '{"command":"start"}'
    assert "callback" in parsed.object.client_info.button_actions  # type: ignore[operator]
    assert batch["ts"] == str(vk.number_of(sent) + 1)
    assert vk.pending_events() == []


async def test_dispatcher_round_trip(api: API, vk: FakeVk, in_tmp: Path) -> None:
    """The scripted-citizen loop a real end-to-end test runs against the bot process."""
    bot = Bot(api=api, polling=BotPolling(api, wait=1))

    @bot.on.message(text="Начать")
    async def start(message: Message) -> None:
        await message.answer("Здравствуйте! Подтвердите?", keyboard=YES_NO)

    @bot.on.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def answer(event: MessageEvent) -> None:
        await event.show_snackbar("Принято")
        assert event.payload is not None
        await event.edit_message(f"Вы ответили: {event.payload['answer']}")

    @bot.on.message(attachment="photo")
    async def photo(message: Message) -> None:
        assert message.attachments and message.attachments[0].photo
        sizes = message.attachments[0].photo.sizes or []
        biggest = max(sizes, key=lambda size: size.width * size.height)
        async with ClientSession() as http, http.get(str(biggest.url)) as response:
            data = await response.read()
        await message.answer(f"Фото получено, {len(data)} байт")

    polling = asyncio.create_task(bot.run_polling())
    try:
        # Events queued before the bot gets its long poll server are history it skips.
        await vk.wait_for(lambda call: call.method == "groups.getLongPollServer")
        ivan = vk.user(1001)
        ivan.send_text("Начать")
        await vk.wait_for_text(1001, "Здравствуйте")
        ivan.press("Нет")
        await vk.wait_for(lambda call: call.method == "messages.sendMessageEventAnswer")
        edited = await vk.wait_for_text(1001, "Вы ответили: no")
        assert edited.method == "messages.edit"
        ivan.send_photo(JPEG)
        await vk.wait_for_text(1001, f"Фото получено, {len(JPEG)} байт")
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
    assert list(vk.event_answers.values()) == [{"type": "show_snackbar", "text": "Принято"}]
    [download] = vk.downloads
    assert download.startswith("photo_")


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


# --------------------------------------------------------------------------- uploads and files


async def test_upload_flow_through_vkbottle_uploaders(api: API, vk: FakeVk) -> None:
    photo = await PhotoMessageUploader(api).upload(JPEG, peer_id=1001)
    doc = await DocMessagesUploader(api).upload(b"%PDF-1.4 report", peer_id=1001,
                                                title="отчёт.pdf")
    await send(api, 1001, "Вложения", attachment=f"{photo},{doc}")

    assert photo.startswith(f"photo-{vk.group_id}_") and photo.count("_") == 2
    assert doc.startswith(f"doc-{vk.group_id}_")
    assert vk.photos_to(1001) == [JPEG]
    [stored] = vk.docs_to(1001)
    assert (stored.title, stored.ext, stored.data) == ("отчёт.pdf", "pdf", b"%PDF-1.4 report")
    assert vk.uploads == 2
    methods = [call.method for call in vk.calls]
    assert methods[:2] == ["photos.getMessagesUploadServer", "photos.saveMessagesPhoto"]
    saved = vk.calls[1].result[0]
    largest = max(saved["sizes"], key=lambda size: size["width"])
    async with ClientSession() as http, http.get(largest["url"]) as response:
        assert await response.read() == JPEG
    with pytest.raises(VKAPIError[100]):
        await send(api, 1001, "чужой ключ", attachment=photo.rsplit("_", 1)[0] + "_bad")
    with pytest.raises(VKAPIError[121]):
        await api.request("photos.saveMessagesPhoto", {**json.loads(json.dumps(
            vk.calls[1].params)), "hash": "0" * 32})


async def test_citizen_attachments_validate_and_download(vk: FakeVk) -> None:
    ivan = vk.user(1001)
    events = [ivan.send_photo(JPEG, caption="Яма"), ivan.send_photos([JPEG, b"second"]),
              ivan.send_doc(b"%PDF-1.4", "жалоба.pdf", "pdf"), ivan.send_location(55.03, 82.92),
              ivan.send_sticker(), ivan.send_voice()]
    photo, album, doc, geo, sticker, voice = [
        MessageNew.model_validate(event).object.message for event in events]

    assert photo is not None and photo.text == "Яма" and photo.attachments
    sizes = photo.attachments[0].photo.sizes  # type: ignore[union-attr]
    assert [size.type.value for size in sizes or []] == ["s", "m", "x", "w"]
    assert album is not None and len(album.attachments or []) == 2
    assert doc is not None and doc.attachments and doc.attachments[0].doc is not None
    assert (doc.attachments[0].doc.title, doc.attachments[0].doc.type) == ("жалоба.pdf", 1)
    assert geo is not None and geo.geo is not None and geo.geo.coordinates is not None
    assert geo.geo.coordinates.latitude == 55.03 and geo.text == ""
    assert sticker is not None and sticker.attachments and sticker.attachments[0].sticker
    assert voice is not None and voice.attachments and voice.attachments[0].audio_message
    cmids = [m.conversation_message_id for m in (photo, album, doc, geo, sticker, voice) if m]
    assert cmids == [1, 2, 3, 4, 5, 6]
    async with ClientSession() as http:
        async with http.get(str(sizes[-1].url)) as response:  # type: ignore[index]
            assert await response.read() == JPEG
        async with http.get(str(doc.attachments[0].doc.url)) as response:
            assert await response.read() == b"%PDF-1.4"
        async with http.get(f"{vk.base_url}/files/nothing.jpg") as response:
            assert response.status == 404
    assert len(vk.downloads) == 2


# --------------------------------------------------------------------------- long poll


async def test_long_poll_failures_retention_and_redelivery(api: API) -> None:
    async with FakeVk(token=TOKEN, retention=3) as vk, ClientSession() as http:
        api.API_URL = vk.api_url + "/"
        ivan = vk.user(1001)
        server = (await api.request("groups.getLongPollServer",
                                    {"group_id": vk.group_id}))["response"]
        first = ivan.send_text("раз")
        second = ivan.send_text("два")

        batch = await poll(http, server, server["ts"])
        assert [e["event_id"] for e in batch["updates"]] == [first["event_id"],
                                                             second["event_id"]]
        # Never dropped: a restarted bot resuming from the old ts gets them again.
        assert (await poll(http, server, server["ts"]))["updates"] == batch["updates"]
        vk.redeliver(first)
        [duplicate] = (await poll(http, server, batch["ts"]))["updates"]
        assert duplicate == first
        assert await poll(http, server, 1, key="wrong") == {"failed": 2}
        for n in range(3):
            ivan.send_text(f"ещё {n}")
        assert await poll(http, server, 1) == {"failed": 1, "ts": "7"}
        vk.max_wait = 0.2
        started = asyncio.get_running_loop().time()
        assert await poll(http, server, 7, wait=25) == {"ts": "7", "updates": []}
        assert asyncio.get_running_loop().time() - started < 2
        vk.expire_key()
        assert await poll(http, server, 7) == {"failed": 3}
        vk.fail_with_status("/lp")
        async with http.post(server["server"], params={"act": "a_check"}) as response:
            assert response.status == 502 and "nginx" in await response.text()
        assert vk.long_polls == 7


async def test_stop_releases_a_waiting_long_poll(api: API) -> None:
    vk = FakeVk(token=TOKEN)
    await vk.start()
    api.API_URL = vk.api_url + "/"
    server = (await api.request("groups.getLongPollServer",
                                {"group_id": vk.group_id}))["response"]
    async with ClientSession() as http:
        waiting = asyncio.create_task(poll(http, server, server["ts"], wait=20))
        await asyncio.sleep(0.1)
        await vk.stop()
        assert (await asyncio.wait_for(waiting, 5))["updates"] == []


# --------------------------------------------------------------------------- faults


async def test_fail_next(api: API, vk: FakeVk) -> None:
    vk.fail_next("messages.send", 9)
    vk.fail_next("messages.send", 10, error_msg="Internal server error: try later")
    with pytest.raises(VKAPIError[9], match="Flood control"):
        await send(api, 1, "первая попытка")
    with pytest.raises(VKAPIError[10], match="try later"):
        await send(api, 1, "вторая попытка")
    await send(api, 1, "третья попытка")
    assert vk.texts_to(1) == ["третья попытка"]
    failed = await vk.wait_for(lambda call: call.error_code == 9, include_failed=True)
    assert failed.text == "первая попытка"


async def test_rate_limit(api: API, vk: FakeVk) -> None:
    vk.rps_limit = 3
    answers = await asyncio.gather(*(send(api, 1, f"№{n}") for n in range(5)),
                                   return_exceptions=True)
    refused = [a for a in answers if isinstance(a, VKAPIError)]
    assert len(refused) == 2 and all(a.code == 6 for a in refused)
    assert vk.too_many == 2
    vk.rps_limit = None
    await asyncio.gather(*(send(api, 1, f"без лимита {n}") for n in range(30)))


async def test_fail_with_status_is_a_proxy_error(vk: FakeVk) -> None:
    api = make_api(vk, request_rescheduler=BlockingRequestRescheduler(delay=0))
    try:
        vk.fail_with_status("messages.send")
        # vkbottle reschedules a non-JSON answer and gets through on the retry.
        assert await send(api, 1, "через nginx") > 0
    finally:
        await api.http_client.close()
    assert [call.status for call in vk.calls] == [502, 200]
    assert vk.texts_to(1) == ["через nginx"]


async def test_wrong_token_unknown_method_and_missing_version(vk: FakeVk, api: API) -> None:
    stranger = make_api(vk, token="vk1.a.wrong")
    try:
        with pytest.raises(VKAPIError[5]):
            await stranger.groups.get_by_id()
    finally:
        await stranger.http_client.close()
    assert vk.calls == [] and vk.unauthorized_requests == 1
    with pytest.raises(VKAPIError[3]):
        await api.request("messages.pin", {"peer_id": 1})
    assert [call.method for call in vk.unknown_calls] == ["messages.pin"]
    async with ClientSession() as http, http.post(
            f"{vk.api_url}/users.get", params={"access_token": TOKEN},
            data={"user_ids": "1"}) as response:
        body = await response.json()
    assert response.status == 200 and body["error"]["error_code"] == 8
    assert {"key": "user_ids", "value": "1"} in body["error"]["request_params"]


# --------------------------------------------------------------------------- Callback API


async def test_callback_api_helpers(vk: FakeVk) -> None:
    received: list[dict[str, Any]] = []

    async def endpoint(request: web.Request) -> web.Response:
        event = await request.json()
        received.append(event)
        if event["type"] == "confirmation":
            return web.Response(text="c0nf1rm")
        if event.get("secret") != "s3cret":
            return web.Response(status=403, text="forbidden")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/vk", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/vk"
    try:
        assert await vk.post_callback(url, vk.confirmation_event()) == (200, "c0nf1rm")
        assert received[0] == {"type": "confirmation", "group_id": vk.group_id}
        event = vk.user(1001).send_text("через callback")
        assert vk.pending_events() == [event]
        assert await vk.post_callback(url, event, "wrong") == (403, "forbidden")
        assert await vk.push_events(url, "s3cret") == [(200, "ok")]
        assert received[-1] == {**event, "secret": "s3cret"}
        assert vk.pending_events() == []
    finally:
        await runner.cleanup()
