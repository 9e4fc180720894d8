"""Small helpers the flows share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.conversations.payloads import Payload
from core.conversations.replies import Button
from core.conversations.turn import Turn

LABEL_MAX = 40  # VK's limit for a button label; Telegram shows about as much
PAGE_SIZE = 8

GlobalHandler = Callable[[Turn, Payload], Awaitable[None]]


def short(label: str, limit: int = LABEL_MAX) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def pages(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


@dataclass(frozen=True, slots=True)
class Paging:
    """A list cut into pages whose first page may hold fewer items (shortcuts above it)."""

    items: int
    first: int  # items on page 0
    rest: int  # items on every other page

    @property
    def count(self) -> int:
        if self.items <= self.first:
            return 1
        return 1 + pages(self.items - self.first, self.rest)

    def clamp(self, page: int) -> int:
        return min(max(0, page), self.count - 1)

    def bounds(self, page: int) -> tuple[int, int]:
        if page == 0:
            return 0, self.first
        start = self.first + (page - 1) * self.rest
        return start, start + self.rest


def nav_row(turn: Turn, *, page: int, total_pages: int, action: str, row: int,
            global_scope: bool = False, extra: tuple[object, ...] = ()) -> list[Button]:
    """◀ 2/5 ▶ — only the arrows that lead somewhere."""
    if total_pages <= 1:
        return []
    make = turn.global_button if global_scope else turn.button
    buttons: list[Button] = []
    if page > 0:
        buttons.append(make("◀️", action, *extra, page - 1, row=row))
    buttons.append(make(f"{page + 1}/{total_pages}", "noop", row=row))
    if page < total_pages - 1:
        buttons.append(make("▶️", action, *extra, page + 1, row=row))
    return buttons


def local_date(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%d.%m.%Y}"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%d.%m.%Y %H:%M}"


def days_left(now: datetime, due: datetime) -> str:
    """«осталось 29 дн. 3 ч.» / «просрочено»."""
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return "срок истёк"
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    return f"осталось {days} дн. {hours} ч." if days else f"осталось {hours} ч."
