"""What a citizen did, in terms every channel can express."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from core.domain.enums import Channel


class EventKind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"
    LOCATION = "location"
    CONTACT = "contact"
    COMMAND = "command"
    OTHER = "other"  # a sticker, a voice note, a file the flows cannot use


class FileTooLarge(Exception):
    """Raised by a ``fetch`` that stopped reading at the size limit (the channel did not
    declare the size beforehand)."""


@dataclass(frozen=True, slots=True)
class PhotoInput:
    """A photo the channel holds. ``fetch`` downloads it only when a step wants it, after the
    declared size has been checked."""

    fetch: Callable[[], Awaitable[bytes]]
    size: int | None = None
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    text: str = ""
    payload: str = ""
    command: str = ""
    photo: PhotoInput | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    contact_is_own: bool = True

    @classmethod
    def message(cls, text: str) -> Event:
        """A text, or a command when it starts with a slash (``/start@bot arg``)."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            name = stripped[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
            return cls(EventKind.COMMAND, text=stripped, command=name)
        return cls(EventKind.TEXT, text=text)

    @classmethod
    def button(cls, payload: str) -> Event:
        return cls(EventKind.BUTTON, payload=payload)

    @classmethod
    def photo_event(cls, photo: PhotoInput) -> Event:
        return cls(EventKind.PHOTO, photo=photo, text=photo.caption)

    @classmethod
    def location(cls, latitude: float, longitude: float) -> Event:
        return cls(EventKind.LOCATION, latitude=latitude, longitude=longitude)

    @classmethod
    def contact(cls, phone: str, *, own: bool) -> Event:
        return cls(EventKind.CONTACT, phone=phone, contact_is_own=own)

    @classmethod
    def other(cls, what: str = "") -> Event:
        return cls(EventKind.OTHER, text=what)


@dataclass(frozen=True, slots=True)
class ChannelUser:
    """Who wrote: the channel and the id it gives the person, and the name it shows."""

    channel: Channel
    external_id: str
    display_name: str | None = None
