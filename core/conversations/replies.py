"""What the platform says back, as abstract widgets each channel renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Request(StrEnum):
    """A keyboard button that makes the messenger send something about the person."""

    LOCATION = "location"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str
    row: int = 0


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    # A request keyboard: one button that sends the location or the contact, and plain text
    # buttons beside it (their label comes back as a text message).
    request: Request | None = None
    request_label: str = ""
    keyboard_texts: tuple[str, ...] = ()
    # Close a request keyboard shown earlier.
    close_keyboard: bool = False
    # File keys of photos to show with the text.
    media: tuple[str, ...] = field(default=())
    # Replace the message whose button was pressed (paging) instead of sending a new one.
    replace: bool = False
    # File keys of documents (PDF) sent before the text.
    documents: tuple[str, ...] = field(default=())

    def rows(self) -> list[list[Button]]:
        grouped: dict[int, list[Button]] = {}
        for button in self.buttons:
            grouped.setdefault(button.row, []).append(button)
        return [grouped[row] for row in sorted(grouped)]


def chunks(text: str, limit: int) -> list[str]:
    """A text too long for one messenger message, split at line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts
