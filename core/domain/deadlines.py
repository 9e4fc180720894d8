"""Deadlines: computed in the region's time zone, stored as aware UTC date-times.

An answer deadline of N calendar days ends at 23:59:59 local time of the N-th day after the
day of registration, which is what a citizen reading «до 26.06.2026» expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.errors import ValidationError

END_OF_DAY = time(23, 59, 59)
MAX_POSTPONEMENT_DAYS = 30


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """How long an organisation has to answer a message of one subcategory in one region."""

    answer_days: int
    fast_track: bool
    fast_track_days: int

    def days(self, *, fast_track: bool) -> int:
        return self.fast_track_days if fast_track else self.answer_days


def require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the platform works with timezone-aware moments only")


def end_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(UTC)


def answer_due(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The answer deadline for a message registered (or re-opened) at ``start``."""
    require_aware(start)
    if days < 1:
        raise ValueError("deadline must be at least one day")
    local_day = start.astimezone(tz).date()
    return end_of_local_day(local_day + timedelta(days=days), tz)


def coordination_due(start: datetime, hours: int) -> datetime:
    require_aware(start)
    return (start + timedelta(hours=hours)).astimezone(UTC)


def postponed_due(
    current_due: datetime, new_day: date, tz: ZoneInfo, *, now: datetime | None = None
) -> datetime:
    """Move an answer deadline to the end of ``new_day``: later than both the current deadline
    and today, and by at most 30 days."""
    require_aware(current_due)
    current_day = current_due.astimezone(tz).date()
    if now is not None and new_day < now.astimezone(tz).date():
        raise ValidationError("Новый срок не может быть в прошлом", field="new_due_date")
    if new_day <= current_day:
        raise ValidationError(
            f"Новый срок должен быть позже текущего ({current_day:%d.%m.%Y})",
            field="new_due_date",
        )
    if new_day > current_day + timedelta(days=MAX_POSTPONEMENT_DAYS):
        raise ValidationError(
            f"Срок можно продлить не более чем на {MAX_POSTPONEMENT_DAYS} дней",
            field="new_due_date",
        )
    return end_of_local_day(new_day, tz)


def is_overdue(due: datetime | None, now: datetime) -> bool:
    return due is not None and now > due


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def format_duration(delta: timedelta) -> str:
    """«29 дней 3 часа 57 минут»; less than a minute reads «меньше минуты»."""
    total_minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} {_plural(days, 'день', 'дня', 'дней')}")
    if hours:
        parts.append(f"{hours} {_plural(hours, 'час', 'часа', 'часов')}")
    if minutes:
        parts.append(f"{minutes} {_plural(minutes, 'минута', 'минуты', 'минут')}")
    return " ".join(parts) if parts else "меньше минуты"


def format_deadline(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """«29 дней 3 часа 57 минут / до 26.06.2026» or «просрочено на 2 дня 1 час / до 26.06.2026»."""
    require_aware(due)
    require_aware(now)
    local_day = due.astimezone(tz).date()
    if now > due:
        return f"просрочено на {format_duration(now - due)} / до {local_day:%d.%m.%Y}"
    return f"{format_duration(due - now)} / до {local_day:%d.%m.%Y}"


@dataclass(frozen=True, slots=True)
class DeadlineLabel:
    """A deadline as staff read it, and whether to show it red."""

    label: str
    overdue: bool


def deadline_label(due: datetime | None, now: datetime, tz: ZoneInfo) -> DeadlineLabel | None:
    if due is None:
        return None
    return DeadlineLabel(format_deadline(due, now, tz), now > due)
