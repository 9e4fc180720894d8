"""Button payloads: short strings that fit Telegram's 64 bytes and VK's 255.

``<scope>|<action>|<arg>|...`` where scope is ``g`` for buttons valid at any time (main menu,
a message card, rating an answer) or the dialog generation the button was drawn in: a button
from an earlier prompt carries an older generation and is answered as out of date.
"""

from __future__ import annotations

from dataclasses import dataclass

GLOBAL = "g"
SEPARATOR = "|"
MAX_BYTES = 60  # under Telegram's 64 with room for the adapter's prefix


@dataclass(frozen=True, slots=True)
class Payload:
    scope: str
    action: str
    args: tuple[str, ...]

    @property
    def is_global(self) -> bool:
        return self.scope == GLOBAL

    def int_arg(self, index: int) -> int | None:
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            return None


def encode(scope: str | int, action: str, *args: object) -> str:
    parts = [str(scope), action, *(str(a) for a in args)]
    if any(SEPARATOR in part for part in parts):
        raise ValueError(f"payload part contains {SEPARATOR!r}: {parts}")
    value = SEPARATOR.join(parts)
    if len(value.encode()) > MAX_BYTES:
        raise ValueError(f"payload too long: {value!r}")
    return value


def decode(value: str) -> Payload | None:
    """None for anything we did not produce (an old bot's buttons, a forged payload)."""
    parts = value.split(SEPARATOR)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    scope = parts[0]
    if scope != GLOBAL and not scope.isdigit():
        return None
    return Payload(scope, parts[1], tuple(parts[2:]))
