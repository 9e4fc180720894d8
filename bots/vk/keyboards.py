"""Engine replies as VK keyboards (dev.vk.com, «Клавиатура для ботов»).

Buttons carry the engine's payload as ``{"p": "<payload>"}``. A client that shows inline
keyboards with callback buttons gets those (the press arrives as ``message_event`` and leaves
no message in the chat); any other gets the same layout as a standard keyboard of text
buttons (the press arrives as a message whose ``payload`` is the same). Layouts fit VK's
limits because the engine lays them out for them (core.conversations.limits.VK).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.conversations.replies import Reply, Request

PAYLOAD_KEY = "p"
# Hides a standard keyboard (VK: an empty keyboard).
REMOVE = json.dumps({"one_time": True, "buttons": []})


@dataclass(frozen=True, slots=True)
class Client:
    """What the citizen's VK app can show, from ``client_info`` of their last message."""

    inline: bool = True  # inline keyboards with callback buttons
    location: bool = True  # a button that sends the location

    @classmethod
    def from_info(cls, info: dict[str, Any] | None) -> Client:
        if not info:
            return cls()
        actions = info.get("button_actions") or []
        return cls(inline=bool(info.get("inline_keyboard")) and "callback" in actions,
                   location="location" in actions)


def button_payload(payload: str) -> str:
    return json.dumps({PAYLOAD_KEY: payload}, ensure_ascii=False, separators=(",", ":"))


def keyboard(reply: Reply, client: Client) -> str | None:
    """The reply's keyboard as the JSON string ``messages.send`` takes, or None."""
    if reply.request is not None:
        rows: list[list[dict[str, Any]]] = []
        if reply.request is Request.LOCATION and client.location:
            rows.append([{"action": {"type": "location", "payload": "{}"}}])
        if reply.keyboard_texts:
            rows.append([{"action": {"type": "text", "label": label}}
                         for label in reply.keyboard_texts])
        return json.dumps({"one_time": True, "buttons": rows}, ensure_ascii=False) if rows \
            else REMOVE
    if reply.buttons:
        kind = "callback" if client.inline else "text"
        buttons = [[{"action": {"type": kind, "label": b.label,
                                "payload": button_payload(b.payload)}} for b in row]
                   for row in reply.rows()]
        return json.dumps({"inline": client.inline, "buttons": buttons}, ensure_ascii=False)
    if reply.close_keyboard:
        return REMOVE
    return None


def engine_payload(raw: Any) -> str | None:
    """The engine's payload from a button press: a ``message_event`` gives the payload as an
    object, a text button's message as a JSON string."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict):
        value = raw.get(PAYLOAD_KEY)
        return value if isinstance(value, str) else None
    return None


def is_start(raw: Any) -> bool:
    """VK's own «Начать» button: ``{"command": "start"}``."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return False
    return isinstance(raw, dict) and raw.get("command") == "start"
