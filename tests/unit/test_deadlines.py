"""Deadlines in the region's time zone, stored as aware UTC; durations in Russian."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.deadlines import (
    DeadlinePolicy,
    answer_due,
    coordination_due,
    end_of_local_day,
    format_deadline,
    format_duration,
    is_overdue,
    postponed_due,
    require_aware,
)
from core.domain.errors import ValidationError

KALININGRAD = ZoneInfo("Europe/Kaliningrad")  # UTC+2
MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3
NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")  # UTC+7
KAMCHATKA = ZoneInfo("Asia/Kamchatka")  # UTC+12
ZONES = {"Europe/Kaliningrad": 2, "Europe/Moscow": 3, "Asia/Novosibirsk": 7,
         "Asia/Kamchatka": 12}


def naive(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


@pytest.mark.parametrize(("zone", "offset"), ZONES.items())
def test_late_evening_and_after_midnight_get_different_days(zone: str, offset: int) -> None:
    tz = ZoneInfo(zone)
    late = datetime(2026, 6, 1, 23, 30, tzinfo=tz)
    after_midnight = datetime(2026, 6, 2, 0, 30, tzinfo=tz)
    due_late = answer_due(late.astimezone(UTC), 30, tz)
    due_after = answer_due(after_midnight.astimezone(UTC), 30, tz)
    assert due_late.astimezone(tz) == datetime(2026, 7, 1, 23, 59, 59, tzinfo=tz)
    assert due_after.astimezone(tz) == datetime(2026, 7, 2, 23, 59, 59, tzinfo=tz)
    assert due_after - due_late == timedelta(days=1)
    # In UTC the end of the local day sits `offset` hours before 24:00.
    assert due_late == datetime(2026, 7, 1, 23, 59, 59, tzinfo=UTC) - timedelta(hours=offset)
    assert due_late.tzinfo is UTC
    assert due_late.utcoffset() == timedelta(0)


def test_same_utc_moment_is_a_different_local_day_east_and_west() -> None:
    # 13:30 UTC on 1 June is 15:30 in Kaliningrad and 01:30 on 2 June in Kamchatka.
    moment = datetime(2026, 6, 1, 13, 30, tzinfo=UTC)
    assert answer_due(moment, 10, KALININGRAD) == datetime(2026, 6, 11, 21, 59, 59, tzinfo=UTC)
    assert answer_due(moment, 10, MOSCOW) == datetime(2026, 6, 11, 20, 59, 59, tzinfo=UTC)
    assert answer_due(moment, 10, NOVOSIBIRSK) == datetime(2026, 6, 11, 16, 59, 59, tzinfo=UTC)
    assert answer_due(moment, 10, KAMCHATKA) == datetime(2026, 6, 12, 11, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("days", [1, 2, 5, 10, 30])
def test_due_is_end_of_local_day_plus_n(zone: str, days: int) -> None:
    tz = ZoneInfo(zone)
    start = datetime(2026, 12, 30, 8, 15, tzinfo=tz)
    due = answer_due(start, days, tz)
    local = due.astimezone(tz)
    assert local.date() == date(2026, 12, 30) + timedelta(days=days)
    assert local.time() == time(23, 59, 59)
    assert due.tzinfo is UTC


def test_start_in_another_zone_is_read_in_the_region_zone() -> None:
    # 23:30 Moscow on 1 June is already 03:30 on 2 June in Novosibirsk.
    start = datetime(2026, 6, 1, 23, 30, tzinfo=MOSCOW)
    assert answer_due(start, 1, NOVOSIBIRSK).astimezone(NOVOSIBIRSK).date() == date(2026, 6, 3)
    assert answer_due(start, 1, MOSCOW).astimezone(MOSCOW).date() == date(2026, 6, 2)


def test_fast_track_days_come_from_the_policy() -> None:
    policy = DeadlinePolicy(answer_days=30, fast_track=True, fast_track_days=3)
    assert policy.days(fast_track=True) == 3
    assert policy.days(fast_track=False) == 30
    start = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    fast = answer_due(start, policy.days(fast_track=True), NOVOSIBIRSK)
    normal = answer_due(start, policy.days(fast_track=False), NOVOSIBIRSK)
    assert fast == datetime(2026, 6, 4, 16, 59, 59, tzinfo=UTC)
    assert normal == datetime(2026, 7, 1, 16, 59, 59, tzinfo=UTC)
    assert normal - fast == timedelta(days=27)


def test_days_below_one_are_refused() -> None:
    start = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least one day"):
        answer_due(start, 0, MOSCOW)


def test_naive_datetimes_raise() -> None:
    moment = naive(2026, 6, 1, 12, 0)
    assert moment.tzinfo is None
    with pytest.raises(ValueError, match="naive datetime"):
        answer_due(moment, 10, MOSCOW)
    with pytest.raises(ValueError, match="naive datetime"):
        coordination_due(moment, 24)
    with pytest.raises(ValueError, match="naive datetime"):
        postponed_due(moment, date(2026, 6, 5), MOSCOW)
    with pytest.raises(ValueError, match="naive datetime"):
        require_aware(moment)
    aware = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive datetime"):
        format_deadline(moment, aware, MOSCOW)
    with pytest.raises(ValueError, match="naive datetime"):
        format_deadline(aware, moment, MOSCOW)
    require_aware(aware)  # no error


def test_end_of_local_day() -> None:
    assert end_of_local_day(date(2026, 6, 26), KAMCHATKA) == datetime(
        2026, 6, 26, 11, 59, 59, tzinfo=UTC)
    assert end_of_local_day(date(2026, 1, 1), KALININGRAD) == datetime(
        2026, 1, 1, 21, 59, 59, tzinfo=UTC)


def test_coordination_due_is_utc_and_hours_later() -> None:
    start = datetime(2026, 6, 1, 23, 30, tzinfo=NOVOSIBIRSK)
    due = coordination_due(start, 24)
    assert due == datetime(2026, 6, 2, 16, 30, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_postponed_due_bounds() -> None:
    current = datetime(2026, 7, 1, 20, 59, 59, tzinfo=UTC)  # 01.07 23:59:59 Moscow
    assert postponed_due(current, date(2026, 7, 2), MOSCOW) == datetime(
        2026, 7, 2, 20, 59, 59, tzinfo=UTC)
    assert postponed_due(current, date(2026, 7, 31), MOSCOW) == datetime(
        2026, 7, 31, 20, 59, 59, tzinfo=UTC)
    with pytest.raises(ValidationError, match="не более чем на 30 дней"):
        postponed_due(current, date(2026, 8, 1), MOSCOW)
    with pytest.raises(ValidationError, match=r"позже текущего \(01\.07\.2026\)"):
        postponed_due(current, date(2026, 7, 1), MOSCOW)
    # The same UTC instant is already 2 July in Kamchatka: 2 July is no longer later.
    with pytest.raises(ValidationError, match=r"позже текущего \(02\.07\.2026\)"):
        postponed_due(current, date(2026, 7, 2), KAMCHATKA)


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(days=1), "1 день"),
    (timedelta(days=2), "2 дня"),
    (timedelta(days=4), "4 дня"),
    (timedelta(days=5), "5 дней"),
    (timedelta(days=11), "11 дней"),
    (timedelta(days=12), "12 дней"),
    (timedelta(days=14), "14 дней"),
    (timedelta(days=21), "21 день"),
    (timedelta(days=22), "22 дня"),
    (timedelta(days=25), "25 дней"),
    (timedelta(days=101), "101 день"),
    (timedelta(days=111), "111 дней"),
    (timedelta(hours=1), "1 час"),
    (timedelta(hours=3), "3 часа"),
    (timedelta(hours=5), "5 часов"),
    (timedelta(hours=11), "11 часов"),
    (timedelta(hours=21), "21 час"),
    (timedelta(hours=22), "22 часа"),
    (timedelta(minutes=1), "1 минута"),
    (timedelta(minutes=2), "2 минуты"),
    (timedelta(minutes=5), "5 минут"),
    (timedelta(minutes=11), "11 минут"),
    (timedelta(minutes=21), "21 минута"),
    (timedelta(minutes=44), "44 минуты"),
    (timedelta(0), "меньше минуты"),
    (timedelta(seconds=59), "меньше минуты"),
    (timedelta(minutes=1, seconds=59), "1 минута"),
    (timedelta(days=29, hours=3, minutes=57), "29 дней 3 часа 57 минут"),
    (timedelta(days=2, minutes=1), "2 дня 1 минута"),
    (timedelta(days=-2, hours=-1), "2 дня 1 час"),
])
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


DUE_26_06 = datetime(2026, 6, 26, 16, 59, 59, tzinfo=UTC)  # 26.06.2026 23:59:59 Novosibirsk


def test_format_deadline_ahead() -> None:
    now = DUE_26_06 - timedelta(days=29, hours=3, minutes=57)
    assert format_deadline(DUE_26_06, now, NOVOSIBIRSK) == "29 дней 3 часа 57 минут / до 26.06.2026"


def test_format_deadline_less_than_a_minute_left() -> None:
    now = DUE_26_06 - timedelta(seconds=30)
    assert format_deadline(DUE_26_06, now, NOVOSIBIRSK) == "меньше минуты / до 26.06.2026"
    assert format_deadline(DUE_26_06, DUE_26_06, NOVOSIBIRSK) == "меньше минуты / до 26.06.2026"


def test_format_deadline_overdue() -> None:
    now = DUE_26_06 + timedelta(days=2, hours=1)
    assert format_deadline(DUE_26_06, now, NOVOSIBIRSK) == (
        "просрочено на 2 дня 1 час / до 26.06.2026")
    assert format_deadline(DUE_26_06, DUE_26_06 + timedelta(seconds=1), NOVOSIBIRSK) == (
        "просрочено на меньше минуты / до 26.06.2026")


def test_format_deadline_date_is_the_local_date() -> None:
    # The same instant is 26.06 in Novosibirsk but 27.06 in Kamchatka (04:59:59 next day).
    now = DUE_26_06 - timedelta(days=1)
    assert format_deadline(DUE_26_06, now, NOVOSIBIRSK).endswith("/ до 26.06.2026")
    assert format_deadline(DUE_26_06, now, KAMCHATKA) == "1 день / до 27.06.2026"
    assert format_deadline(DUE_26_06, now, KALININGRAD) == "1 день / до 26.06.2026"


def test_is_overdue() -> None:
    assert is_overdue(None, DUE_26_06) is False
    assert is_overdue(DUE_26_06, DUE_26_06) is False
    assert is_overdue(DUE_26_06, DUE_26_06 - timedelta(seconds=1)) is False
    assert is_overdue(DUE_26_06, DUE_26_06 + timedelta(seconds=1)) is True
    # The comparison is by instant, not by wall clock.
    assert is_overdue(DUE_26_06, datetime(2026, 6, 26, 23, 59, 59, tzinfo=NOVOSIBIRSK)) is False
    assert is_overdue(DUE_26_06, datetime(2026, 6, 27, 0, 0, tzinfo=NOVOSIBIRSK)) is True
