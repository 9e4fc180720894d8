"""Scripted citizens of the fake VK API: they produce real-shaped community events."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from tests.e2e.fake_vk_records import (
    ALL_BUTTON_ACTIONS,
    Call,
    JsonDict,
    SentMessage,
    iter_buttons,
    payload_text,
)

if TYPE_CHECKING:
    from tests.e2e.fake_vk import FakeVk

DEFAULT_LOCATION = (55.030204, 82.92043)  # Novosibirsk, Lenin square
_STICKER_ID = 163


class Citizen:
    """A VK user writing to the community in a private dialog (peer id == user id).

    Every ``send_*``/``press*``/``allow``/``deny`` method enqueues one real-shaped event and
    returns it (a copy; pass it to :meth:`FakeVk.redeliver` for a duplicate). Get one from
    :meth:`FakeVk.user`. ``inline``, ``callbacks`` and ``location`` describe the citizen's
    client as ``client_info`` reports it; pressing a button the client cannot show fails.
    """

    def __init__(self, vk: FakeVk, user_id: int, first_name: str, last_name: str, *,
                 inline: bool = True, callbacks: bool = True, location: bool = True) -> None:
        self.vk = vk
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.inline = inline
        self.callbacks = callbacks
        self.location = location

    def __repr__(self) -> str:
        return f"<Citizen {self.id} {self.first_name} {self.last_name}>"

    @property
    def peer_id(self) -> int:
        return self.id

    @property
    def profile(self) -> JsonDict:
        """What ``users.get`` returns for this citizen."""
        return {"id": self.id, "first_name": self.first_name, "last_name": self.last_name,
                "can_access_closed": True, "is_closed": False}

    @property
    def client_info(self) -> JsonDict:
        actions = [action for action in ALL_BUTTON_ACTIONS
                   if not (action == "callback" and not self.callbacks)
                   and not (action == "location" and not self.location)]
        return {"button_actions": actions, "keyboard": True, "inline_keyboard": self.inline,
                "carousel": True, "lang_id": 0}

    # ---- messages

    def send_text(self, text: str, payload: str | None = None) -> JsonDict:
        return self._send(text, payload=payload)

    def send_photo(self, data: bytes, *, caption: str = "") -> JsonDict:
        return self.send_photos([data], caption=caption)

    def send_photos(self, photos: list[bytes], *, caption: str = "") -> JsonDict:
        """Several photos in one message (VK allows up to 10)."""
        attachments = [{"type": "photo",
                        "photo": self.vk.store_photo(data, owner_id=self.id).as_photo()}
                       for data in photos]
        return self._send(caption, attachments=attachments)

    def send_doc(self, data: bytes, title: str, ext: str, *, caption: str = "") -> JsonDict:
        """A document; ``title`` is what VK shows (usually the file name)."""
        doc = self.vk.store_doc(data, title, ext, owner_id=self.id,
                                access_key=secrets.token_hex(9))
        return self._send(caption, attachments=[{"type": "doc", "doc": doc.as_doc()}])

    def send_location(self, lat: float, lon: float, *, payload: str | None = None
                      ) -> JsonDict:
        geo = {"type": "point", "coordinates": {"latitude": lat, "longitude": lon},
               "place": {"title": "Новосибирск, Россия", "country": "Россия",
                         "city": "Новосибирск"}}
        return self._send("", geo=geo, payload=payload)

    def send_sticker(self) -> JsonDict:
        """A sticker: input the bot cannot use."""
        images = [{"url": f"{self.vk.base_url}/files/sticker_{size}.png", "width": size,
                   "height": size} for size in (64, 128, 256, 352, 512)]
        sticker = {"product_id": 4, "sticker_id": _STICKER_ID, "images": images,
                   "images_with_background": images, "inner_type": "base_sticker_new",
                   "is_allowed": True}
        return self._send("", attachments=[{"type": "sticker", "sticker": sticker}])

    def send_voice(self, data: bytes = b"OggS\x00\x02fake-voice", *, duration: int = 3
                   ) -> JsonDict:
        """A voice message (``audio_message``): input the bot cannot use as text."""
        doc = self.vk.store_doc(data, "voice", "ogg", owner_id=self.id)
        voice = {"id": doc.id, "owner_id": self.id, "duration": duration,
                 "waveform": [0, 5, 12, 31, 12, 5, 0], "link_ogg": doc.url,
                 "link_mp3": doc.url.removesuffix(".ogg") + ".mp3",
                 "access_key": secrets.token_hex(9)}
        return self._send("", attachments=[{"type": "audio_message", "audio_message": voice}])

    def allow(self) -> JsonDict:
        """``message_allow``: the citizen lets the community write again."""
        self.vk.set_denied(self.id, denied=False)
        return self.vk.enqueue("message_allow", {"user_id": self.id, "key": ""})

    def deny(self) -> JsonDict:
        """``message_deny``: from now on sends to the citizen fail with 901."""
        self.vk.set_denied(self.id, denied=True)
        return self.vk.enqueue("message_deny", {"user_id": self.id})

    def _send(self, text: str, *, attachments: list[JsonDict] | None = None,
              geo: JsonDict | None = None, payload: str | None = None) -> JsonDict:
        cmid = self.vk.next_cmid(self.id)
        message: JsonDict = {
            "date": int(time.time()), "from_id": self.id, "id": self.vk.next_message_id(),
            "out": 0, "version": self.vk.next_version(), "attachments": attachments or [],
            "conversation_message_id": cmid, "fwd_messages": [], "important": False,
            "is_hidden": False, "peer_id": self.id, "random_id": 0, "text": text}
        if geo is not None:
            message["geo"] = geo
        if payload is not None:
            message["payload"] = payload
        self.vk.note_citizen_message(self.id, cmid)
        return self.vk.enqueue("message_new", {"message": message,
                                               "client_info": self.client_info})

    # ---- buttons

    def press(self, button: str | JsonDict, *, message: Call | SentMessage | None = None
              ) -> JsonDict:
        """Press the button whose label or payload equals ``button``.

        Looks in the latest bot message to this peer that has an inline keyboard (edits taken
        into account), then in the standard keyboard currently shown; or only in ``message``
        (a recorded send/edit call, as that call left it, or a :class:`SentMessage`). A
        callback button gives ``message_event``, a text button ``message_new`` with the label
        and payload, a location button a ``message_new`` with ``geo``. Raises
        ``AssertionError`` listing the available buttons on no match.
        """
        candidates: list[tuple[JsonDict, int, bool]] = []  # (button, cmid, inline)
        if message is not None:
            keyboard, cmid = self._keyboard_of(message)
            candidates += [(b, cmid, bool(keyboard.get("inline"))) for b in
                           iter_buttons(keyboard)]
        else:
            found = self.vk.inline_keyboard_message(self.id)
            if found is not None:
                candidates += [(b, found.conversation_message_id, True) for b in found.buttons]
            standard = self.vk.standard_keyboard_message(self.id)
            if standard is not None:
                keyboard, owner = standard
                candidates += [(b, owner.conversation_message_id, False)
                               for b in iter_buttons(keyboard)]
        for candidate, cmid, inline in candidates:
            if _button_matches(candidate, button):
                return self._press(candidate, cmid, inline=inline)
        available = [(b["action"].get("label"), payload_text(b["action"].get("payload")))
                     for b, _, _ in candidates]
        raise AssertionError(
            f"no button {button!r} for citizen {self.id}; available (label, payload): "
            f"{available!r}; the bot sent: {self.vk.messages_to(self.id)!r}")

    def press_stale(self, payload: str | JsonDict, message_call: Call | SentMessage
                    ) -> JsonDict:
        """Press a callback button with ``payload`` (a JSON string or object) on an older
        message as that call left it, even if the bot has edited it since. Not checked
        against the keyboard."""
        _, cmid = self._keyboard_of(message_call)
        return self._callback(json.loads(payload) if isinstance(payload, str) else payload,
                              cmid)

    def _press(self, button: JsonDict, cmid: int, *, inline: bool) -> JsonDict:
        action = button["action"]
        kind = action["type"]
        if inline and not self.inline:
            raise AssertionError(f"{self!r}'s client does not show inline keyboards")
        if kind == "callback":
            if not self.callbacks:
                raise AssertionError(f"{self!r}'s client does not support callback buttons")
            payload = action.get("payload")
            return self._callback(json.loads(payload) if isinstance(payload, str) else payload,
                                  cmid)
        if not inline:
            self.vk.button_pressed_on_standard_keyboard(self.id)
        if kind == "text":
            return self.send_text(action["label"], payload_text(action.get("payload")))
        if kind == "location":
            if not self.location:
                raise AssertionError(f"{self!r}'s client does not support location buttons")
            return self.send_location(*DEFAULT_LOCATION,
                                      payload=payload_text(action.get("payload")))
        raise AssertionError(f"a {kind} button produces no event: {button!r}")

    def _callback(self, payload: Any, cmid: int) -> JsonDict:
        event_id = secrets.token_hex(6)
        self.vk.note_press(event_id, self.id, self.id)
        event: JsonDict = {"user_id": self.id, "peer_id": self.id, "event_id": event_id,
                           "payload": payload, "conversation_message_id": cmid}
        return self.vk.enqueue("message_event", event)

    def _keyboard_of(self, message: Call | SentMessage) -> tuple[JsonDict, int]:
        if isinstance(message, SentMessage):
            if message.peer_id != self.id:
                raise AssertionError(f"{message!r} was not sent to {self.id}")
            return message.keyboard or {}, message.conversation_message_id
        mine = [m for m in message.messages if m.peer_id == self.id]
        if not message.ok or not mine:
            raise AssertionError(f"{message!r} delivered no message to {self.id}")
        return message.keyboard_data or {}, mine[0].conversation_message_id


def _button_matches(button: JsonDict, wanted: str | JsonDict) -> bool:
    action = button.get("action") or {}
    payload = action.get("payload")
    if isinstance(wanted, dict):
        parsed = payload
        if isinstance(payload, str):
            try:
                parsed = json.loads(payload)
            except ValueError:
                return False
        return bool(parsed == wanted)
    return wanted in (action.get("label"), payload, payload_text(payload))
