"""The VK adapter's translation, with no network: real-shaped VK objects in, engine events out;
engine replies in, keyboards VK accepts out."""

from __future__ import annotations

import json

import pytest

from bots.vk.calls import _Call, execute_code
from bots.vk.events import message_events
from bots.vk.keyboards import REMOVE, Client, engine_payload, is_start, keyboard
from bots.vk.render import random_id
from core.conversations import payloads
from core.conversations.events import EventKind
from core.conversations.replies import Button, Reply, Request

CLIENT_INFO = {"button_actions": ["text", "vkpay", "open_app", "location", "open_link",
                                  "callback", "intent_subscribe", "intent_unsubscribe"],
               "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0}


async def no_download(url: str, size: int | None) -> bytes:
    raise AssertionError("nothing should be downloaded while translating")


def message(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"date": 1700000000, "from_id": 501, "id": 7, "out": 0,
                               "version": 1, "attachments": [], "conversation_message_id": 3,
                               "fwd_messages": [], "important": False, "is_hidden": False,
                               "peer_id": 501, "random_id": 0, "text": ""}
    return base | fields


def test_client_capabilities() -> None:
    assert Client.from_info(CLIENT_INFO) == Client(inline=True, location=True)
    old = {**CLIENT_INFO, "inline_keyboard": False}
    assert Client.from_info(old).inline is False
    no_callback = {**CLIENT_INFO, "button_actions": ["text", "location"]}
    assert Client.from_info(no_callback).inline is False
    assert Client.from_info(None) == Client()


def test_text_command_and_buttons() -> None:
    [text] = message_events(message(text="Яма на дороге"), no_download)
    assert (text.kind, text.text) == (EventKind.TEXT, "Яма на дороге")
    [command] = message_events(message(text="/link 123456"), no_download)
    assert (command.kind, command.command) == (EventKind.COMMAND, "link")
    pressed = payloads.encode(3, "sub", 42)
    [button] = message_events(message(text="Ямы", payload=json.dumps({"p": pressed})),
                              no_download)
    assert (button.kind, button.payload) == (EventKind.BUTTON, pressed)
    [start] = message_events(message(text="Начать", payload='{"command":"start"}'),
                             no_download)
    assert (start.kind, start.command) == (EventKind.COMMAND, "start")


def test_photos_caption_location_and_other() -> None:
    sizes = [{"type": "s", "width": 75, "height": 56, "url": "https://x/s.jpg"},
             {"type": "w", "width": 2560, "height": 1920, "url": "https://x/w.jpg"},
             {"type": "x", "width": 604, "height": 453, "url": "https://x/x.jpg"}]
    photo = {"type": "photo", "photo": {"id": 1, "owner_id": 501, "sizes": sizes}}
    events = message_events(message(text="Подпись", attachments=[photo, photo]), no_download)
    assert [e.kind for e in events] == [EventKind.PHOTO, EventKind.PHOTO]
    assert [e.text for e in events] == ["Подпись", ""]  # the text goes with the first
    doc = {"type": "doc", "doc": {"id": 2, "owner_id": 501, "title": "scan.pdf", "size": 900,
                                  "ext": "pdf", "url": "https://x/scan.pdf", "type": 1}}
    [as_photo] = message_events(message(attachments=[doc]), no_download)
    assert as_photo.photo is not None and as_photo.photo.size == 900
    geo = {"type": "point", "coordinates": {"latitude": 55.03, "longitude": 82.92}}
    [where] = message_events(message(geo=geo), no_download)
    assert (where.kind, where.latitude, where.longitude) == (EventKind.LOCATION, 55.03, 82.92)
    sticker = {"type": "sticker", "sticker": {"sticker_id": 9}}
    [other] = message_events(message(attachments=[sticker]), no_download)
    assert (other.kind, other.text) == (EventKind.OTHER, "sticker")


async def test_largest_photo_is_downloaded() -> None:
    asked: list[str] = []

    async def download(url: str, size: int | None) -> bytes:
        asked.append(url)
        return b"jpeg"

    sizes = [{"type": "m", "width": 130, "height": 97, "url": "https://x/m.jpg"},
             {"type": "z", "width": 1280, "height": 960, "url": "https://x/z.jpg"}]
    [event] = message_events(message(attachments=[{"type": "photo",
                                                   "photo": {"sizes": sizes}}]), download)
    assert event.photo is not None
    assert await event.photo.fetch() == b"jpeg"
    assert asked == ["https://x/z.jpg"]


def test_inline_and_text_keyboards() -> None:
    pay = payloads.encode(12, "cat", 5)
    reply = Reply("Выберите", (Button("Дороги", pay, 0), Button("▶️", payloads.encode(
        12, "pg", 1), 1)))
    inline = json.loads(keyboard(reply, Client(inline=True)) or "")
    assert inline["inline"] is True
    first = inline["buttons"][0][0]["action"]
    assert first["type"] == "callback" and first["label"] == "Дороги"
    assert engine_payload(json.loads(first["payload"])) == pay
    assert len(first["payload"]) <= 255
    plain = json.loads(keyboard(reply, Client(inline=False)) or "")
    assert plain["inline"] is False
    assert plain["buttons"][0][0]["action"]["type"] == "text"
    assert engine_payload(plain["buttons"][0][0]["action"]["payload"]) == pay


def test_request_keyboards() -> None:
    location = Reply("Где?", request=Request.LOCATION, request_label="📍",
                     keyboard_texts=("✖ Отмена",))
    shown = json.loads(keyboard(location, Client()) or "")
    assert shown["one_time"] is True
    assert shown["buttons"][0] == [{"action": {"type": "location", "payload": "{}"}}]
    assert shown["buttons"][1][0]["action"] == {"type": "text", "label": "✖ Отмена"}
    without = json.loads(keyboard(location, Client(location=False)) or "")
    assert [row[0]["action"]["type"] for row in without["buttons"]] == ["text"]
    assert keyboard(Reply("ok", close_keyboard=True), Client()) == REMOVE
    assert keyboard(Reply("ok"), Client()) is None


def test_foreign_payloads() -> None:
    assert engine_payload("not json") is None
    assert engine_payload({"button": "1"}) is None
    assert engine_payload('{"p": 5}') is None
    assert not is_start("{")


@pytest.mark.parametrize("text", ["простой", "кавычки \" и \\ и\nперенос", "эмодзи 📍"])
def test_execute_code_is_json_per_call(text: str) -> None:
    loop_free = [_Call.__new__(_Call) for _ in range(2)]
    for call, method in zip(loop_free, ["messages.send", "messages.edit"], strict=True):
        call.method, call.params = method, {"peer_id": 1, "message": text}
    code = execute_code(loop_free)
    assert code.startswith("return [API.messages.send({") and code.endswith("})];")
    body = code[len("return [API.messages.send("):code.index(")", code.index("})")) ]
    assert json.loads(body)["message"] == text


def test_random_id_is_stable_and_31_bit() -> None:
    assert random_id("event-1", 0) == random_id("event-1", 0)
    assert random_id("event-1", 0) != random_id("event-1", 1)
    assert 0 <= random_id("outbox:9", 3) < 2**31
