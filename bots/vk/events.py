"""VK messages as engine events.

One VK message may carry text, several photos and a place at once; the engine takes one thing
at a time, so such a message becomes several events, in the order a citizen of Telegram would
send them (photos, each a separate message there, with the text as the first one's caption).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bots.vk.keyboards import engine_payload, is_start
from core.conversations.events import Event, PhotoInput

Download = Callable[[str, int | None], Awaitable[bytes]]
# Photo sizes from the largest; VK's letters (dev.vk.com, «Формат описания размеров фото»).
SIZE_ORDER = "wzyrqpxmos"
IMAGE_DOC_TYPE = 4  # docs of type 4 are images


def _largest(sizes: list[dict[str, Any]]) -> dict[str, Any] | None:
    usable = [s for s in sizes if s.get("url")]
    if not usable:
        return None

    def rank(size: dict[str, Any]) -> tuple[int, int]:
        area = int(size.get("width") or 0) * int(size.get("height") or 0)
        letter = str(size.get("type", ""))
        order = SIZE_ORDER.index(letter) if letter in SIZE_ORDER else len(SIZE_ORDER)
        return area, -order

    return max(usable, key=rank)


def _photo(download: Download, url: str, size: int | None, caption: str) -> Event:
    async def fetch() -> bytes:
        return await download(url, size)

    return Event.photo_event(PhotoInput(fetch, size, caption))


def message_events(message: dict[str, Any], download: Download) -> list[Event]:
    """The events of one ``message_new`` message (its ``object.message``)."""
    text = str(message.get("text") or "")
    raw_payload = message.get("payload")
    if raw_payload is not None:
        payload = engine_payload(raw_payload)
        if payload is not None:  # a text button of a standard keyboard
            return [Event.button(payload)]
        if is_start(raw_payload):
            return [Event.message("/start")]
    events: list[Event] = []
    unusable: list[str] = []
    for attachment in message.get("attachments") or []:
        kind = attachment.get("type")
        item = attachment.get(kind) if isinstance(kind, str) else None
        if not isinstance(item, dict):
            continue
        caption = "" if events else text
        if kind == "photo":
            best = _largest(item.get("sizes") or [])
            if best is not None:
                events.append(_photo(download, best["url"], None, caption))
                continue
        elif kind == "doc" and item.get("url"):
            # A photo sent as a file; anything else fails the image check with a message that
            # says what is expected, as in Telegram.
            size = item.get("size")
            events.append(_photo(download, item["url"], int(size) if size else None, caption))
            continue
        unusable.append(str(kind))
    if events:
        return events
    geo = message.get("geo")
    if isinstance(geo, dict):
        point = geo.get("coordinates") or {}
        try:
            return [Event.location(float(point["latitude"]), float(point["longitude"]))]
        except (KeyError, TypeError, ValueError):
            unusable.append("geo")
    if text.strip():
        return [Event.message(text)]
    return [Event.other(unusable[0] if unusable else "empty")]
