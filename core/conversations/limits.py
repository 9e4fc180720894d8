"""What a channel's keyboards can hold. The flows lay their lists out to fit, so a reply never
needs an adapter to cut or page it: a keyboard that fits here fits the messenger."""

from __future__ import annotations

from dataclasses import dataclass

from core.conversations.replies import Reply, Request
from core.domain.enums import Channel


@dataclass(frozen=True, slots=True)
class Limits:
    max_buttons: int  # in one message
    max_rows: int
    max_per_row: int
    label_max: int  # characters
    page_size: int = 8  # list items per page when the keyboard has room for them
    # Can a button send the person's phone number (Telegram's contact request)?
    request_contact: bool = True

    def fit(self, *, rows_used: int, buttons_used: int) -> int:
        """How many one-button rows of a list fit beside rows and buttons already taken."""
        return max(1, min(self.page_size, self.max_rows - rows_used,
                          self.max_buttons - buttons_used))


# Bot API: inline keyboards of up to 100 buttons, 8 in a row; labels show about 64 characters.
TELEGRAM = Limits(max_buttons=100, max_rows=100, max_per_row=8, label_max=64)
# VK's inline keyboard (dev.vk.com, «Клавиатура для ботов»): 5 × 6, at most 10 buttons,
# labels of 40 characters. The standard keyboard (5 × 10, 40 buttons) holds any layout that
# fits these, so clients without inline keyboards get the same one. No contact button.
VK = Limits(max_buttons=10, max_rows=6, max_per_row=5, label_max=40, request_contact=False)

LIMITS: dict[Channel, Limits] = {Channel.TELEGRAM: TELEGRAM, Channel.VK: VK}


def violations(reply: Reply, limits: Limits) -> list[str]:
    """What in this reply the channel would refuse; empty when it fits."""
    found: list[str] = []
    rows = reply.rows()
    extra_rows = 0
    if reply.request is not None:
        extra_rows = 1 + bool(reply.keyboard_texts)
        if reply.request is Request.CONTACT and not limits.request_contact:
            found.append("contact request in a channel without one")
    if len(reply.buttons) > limits.max_buttons:
        found.append(f"{len(reply.buttons)} buttons > {limits.max_buttons}")
    if len(rows) + extra_rows > limits.max_rows:
        found.append(f"{len(rows) + extra_rows} rows > {limits.max_rows}")
    for row in rows:
        if len(row) > limits.max_per_row:
            found.append(f"{len(row)} buttons in a row > {limits.max_per_row}")
    labels = [b.label for b in reply.buttons] + list(reply.keyboard_texts)
    if reply.request is not None:
        labels.append(reply.request_label)
    found += [f"label {label!r} longer than {limits.label_max}" for label in labels
              if len(label) > limits.label_max]
    return found
