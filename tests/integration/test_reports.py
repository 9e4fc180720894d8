"""Reports over a small known data set, with exact figures, on SQLite and PostgreSQL.

The data set (region 54, Novosibirsk time, UTC+7), period 01.06–07.06.2026, report run on
11.06 at 12:00 local. «day N» is 01.06 12:00 local + N days.

  M1  potholes (fast, 5 d)   Новосибирск   NSK-ADM   answered day 1, rated 5
  M2  potholes (fast)        Новосибирск   NSK-ADM   answered day 7 (late), rated 2, answered
                                                     again day 9 against the new deadline, rated 4
  M3  playground (30 d)      Новосибирск   NSK-ADM   answered day 1, rated 1, answered day 3,
                                                     rated 2 again (open, re-review no. 2)
  M4  potholes (fast)        Новосибирск   NSK-ADM   answered day 6: late; not rated
  M5  traffic light (fast 2) Новосибирск   NSK-ADM   auto-rule executor; never answered: overdue
  M6  potholes (fast)        Бердск        BERDSK    never answered: overdue
  M7  doctor (30 d)          Обь           MINZDRAV  still at moderation
  M8  potholes (fast)        Краснообск    MINTRANS  organisation changed at moderation, then
                                                     redirected twice (ping-pong): overdue
  M9  potholes (fast)        Новосиб. р-н  MINTRANS  organisation changed at moderation: overdue
  M10 potholes               Новосибирск             rejected: never counted
  M11 playground             Новосибирск   NSK-ADM   answered day 1, rated 1: open re-review
  M12 playground             Новосибирск   NSK-ADM   answered day 1, rated 2, answered again day 3
  B1  potholes  31.05 23:59:59 local  (before the period, overdue)
  B2  playground 01.06 00:00:00 local (first moment of the period)   NSK-ADM, at moderation
  B3  doctor     07.06 23:59:59 local (last moment of the period)    MINZDRAV, at moderation
  B4  potholes  08.06 00:00:00 local  (after the period)

So in the period: 13 messages (M1–M9, M11, M12, B2, B3). Answered: M1 1 d, M2 9 d (on time:
its latest answer against the deadline the re-review set), M3 3 d, M4 6 d (late), M11 1 d,
M12 3 d — 6 answered, 5 on time, median 3.0 d; fast-track M1, M2, M4 — median 6.0 d.
Overdue now: M5, M6, M8, M9 (B1 is overdue too, but before the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, literal, select

from core.db import tables as t
from core.domain import commands as c
from core.domain.enums import RejectReason
from core.domain.errors import ValidationError
from core.ports import FixedClock
from core.services.actions import CitizenActor, StaffActor, perform
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.reports import (
    REPORTS,
    Report,
    ReportScope,
    Table,
    build_report,
    compliance_report,
    hotspots_report,
    rating_report,
    satisfaction_report,
)
from core.services.reports.addresses import street_key
from core.services.reports.hotspots import street_prefix
from tests.conftest import START
from tests.support import factories as f

NSK = ZoneInfo("Asia/Novosibirsk")
PERIOD = (date(2026, 6, 1), date(2026, 6, 7))
POTHOLES = "roads_potholes"
PLAYGROUND = "yards_playground"
DOCTOR = "healthcare_appointment"
LIGHTS = "roads_traffic_lights"
TEXTS = {
    POTHOLES: f.POTHOLE_TEXT,
    PLAYGROUND: "Детская площадка во дворе сломана: качели оторваны, у горки острые края.",
    DOCTOR: "Невозможно записаться к терапевту в поликлинике: нет свободных талонов на месяц.",
    LIGHTS: "Второй день не работает светофор на перекрёстке, дети переходят дорогу без него.",
}
ANSWER = "Работы выполнены, результат проверен специалистом на месте."


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second,
                    tzinfo=NSK).astimezone(UTC)


@dataclass
class Data:
    d: Directory
    ids: dict[str, int]

    def org(self, code: str) -> str:
        return self.d.organisation(code).display_name

    def org_id(self, code: str) -> int:
        return self.d.organisation(code).id

    def territory_id(self, code: str) -> int:
        return self.d.territory(code).id

    @property
    def region_id(self) -> int:
        return self.territory_id("54")

    def scope(self, *, period: tuple[date, date] = PERIOD, territory: str | None = None,
              orgs: tuple[str, ...] | None = None) -> ReportScope:
        return ReportScope(
            region_id=self.region_id, date_from=period[0], date_to=period[1],
            territory_id=self.territory_id(territory) if territory else None,
            organisation_ids=frozenset(self.org_id(o) for o in orgs) if orgs is not None
            else None)


class Builder:
    def __init__(self, p: Platform, clock: FixedClock) -> None:
        self.p, self.clock = p, clock
        self.ids: dict[str, int] = {}
        self.staff: dict[str, StaffActor] = {}

    async def actor(self, login: str) -> StaffActor:
        if login not in self.staff:
            self.staff[login] = await f.staff(self.p, login)
        return self.staff[login]

    async def act(self, name: str, login: str, command: c.Command) -> None:
        await perform(self.p, message_id=self.ids[name], actor=await self.actor(login),
                      command=command)

    async def file(self, name: str, subcategory: str, territory: str, address: str,
                   *, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.moment = at
        msg = await f.file_message(self.p, subcategory=subcategory, text=TEXTS[subcategory],
                                   territory=territory, address=address)
        self.ids[name] = msg.id

    async def answer(self, name: str) -> None:
        nsk = await f.org_id(self.p, "NSK-ADM")
        await self.act(name, "coordinator", c.SendToExecution(executor_organisation_id=nsk))
        await self.act(name, "executor", c.Answer(text=ANSWER))
        await self.act(name, "manager", c.ApproveAnswer())

    async def rate(self, name: str, score: int) -> None:
        row = await f.message_row(self.p, self.ids[name])
        await perform(self.p, message_id=row.id, actor=CitizenActor(row.citizen_id),
                      command=c.Rate(score=score))

    def at_day(self, n: int) -> None:
        self.clock.moment = START + timedelta(days=n)


async def build(p: Platform, clock: FixedClock) -> Data:
    b = Builder(p, clock)
    d = await p.directory.get()
    nsk, mintrans = d.organisation("NSK-ADM").id, d.organisation("MINTRANS-54").id
    await b.file("B1", POTHOLES, "54-nsk", "Новосибирск, ул. Ленина, 1",
                 at=local(date(2026, 5, 31), 23, 59, 59))
    await b.file("B2", PLAYGROUND, "54-nsk", "Новосибирск, ул. Гоголя, 12",
                 at=local(date(2026, 6, 1)))
    b.at_day(0)
    await b.file("M1", POTHOLES, "54-nsk", "Новосибирск, ул. Ленина, 15")
    await b.file("M2", POTHOLES, "54-nsk", "г. Новосибирск, улица Ленина, д. 20")
    await b.file("M3", PLAYGROUND, "54-nsk", "Новосибирск, ул. Титова, 31")
    await b.file("M4", POTHOLES, "54-nsk", "Новосибирск,  УЛ.  Ленина 40")
    await b.file("M5", LIGHTS, "54-nsk", "Новосибирск, Красный проспект, 82")
    await b.file("M6", POTHOLES, "54-berdsk", "Бердск, ул. Боровая, 103")
    await b.file("M7", DOCTOR, "54-ob", "Обь, ул. Берёзовая, 5")
    await b.file("M8", POTHOLES, "54-novosibirsk-r-krasnoobsk", "Краснообск, дом 7")
    await b.file("M9", POTHOLES, "54-novosibirsk-r",
                 "Новосибирский район, с. Ленинское, ул. Школьная, 3")
    await b.file("M10", POTHOLES, "54-nsk", "Новосибирск, ул. Ленина, 15")
    await b.file("M11", PLAYGROUND, "54-nsk", "Новосибирск, ул. Титова, 33")
    await b.file("M12", PLAYGROUND, "54-nsk", "НОВОСИБИРСК,  ул.  Гоголя,  12")
    for name in ("M8", "M9"):  # routed to the district; the road is regional
        await b.act(name, "moderator", c.ChangeOrganisation(organisation_id=mintrans))
    for name in ("M1", "M2", "M3", "M4", "M5", "M6", "M8", "M9", "M11", "M12"):
        await b.act(name, "moderator", c.ApproveModeration())
    await b.act("M10", "moderator", c.Reject(reason=RejectReason.SPAM))
    # Ping-pong: MINTRANS -> NSK-ADM -> MINTRANS, each through a moderator.
    await b.act("M8", "coordinator2", c.Redirect(organisation_id=nsk, relation="",
                                                 reason="Дорога местного значения"))
    await b.act("M8", "moderator", c.ApproveRedirect())
    await b.act("M8", "coordinator", c.Redirect(organisation_id=mintrans, relation="",
                                                reason="Дорога регионального значения"))
    await b.act("M8", "moderator", c.ApproveRedirect())
    b.at_day(1)
    for name in ("M1", "M3", "M11", "M12"):
        await b.answer(name)
    b.at_day(2)
    await b.rate("M1", 5)
    await b.rate("M3", 1)
    await b.rate("M11", 1)
    await b.rate("M12", 2)
    b.at_day(3)
    await b.answer("M3")
    await b.answer("M12")
    b.at_day(4)
    await b.rate("M3", 2)
    b.at_day(6)
    await b.answer("M4")
    await b.file("B3", DOCTOR, "54-ob", "Обь, ул. Березовая, 7",
                 at=local(date(2026, 6, 7), 23, 59, 59))
    await b.file("B4", POTHOLES, "54-nsk", "Новосибирск, ул. Ленина, 2",
                 at=local(date(2026, 6, 8)))
    b.at_day(7)
    await b.answer("M2")
    b.at_day(8)
    await b.rate("M2", 2)
    b.at_day(9)
    await b.answer("M2")
    await b.rate("M2", 4)
    b.at_day(10)
    return Data(d, b.ids)


@pytest.fixture
async def data(platform: Platform, clock: FixedClock) -> Data:
    return await build(platform, clock)


def rows_by(table: Table, key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: {k: v for k, v in r.items() if k != key} for r in table.rows}


FIGURES = ("total", "answered", "on_time", "on_time_share", "overdue_now", "median_days")


def figures(*values: float | None) -> dict[str, Any]:
    """Compliance cells in the table's order: total, answered, on time, their share, overdue
    now, median days."""
    return dict(zip(FIGURES, values, strict=True))


# -- deadline compliance ---------------------------------------------------------------------


async def test_compliance_per_organisation_and_totals(platform: Platform, data: Data) -> None:
    report = await compliance_report(platform, scope=data.scope())
    by_org = report.table("Сроки по организациям")
    assert [r["organisation"] for r in by_org.rows] == [  # most overdue first, then volume
        data.org("MINTRANS-54"), data.org("NSK-ADM"), data.org("BERDSK-ADM"),
        data.org("MINZDRAV-54")]
    rows = rows_by(by_org, "organisation")
    assert rows[data.org("NSK-ADM")] == {
        **figures(8, 6, 5, 0.8333, 1, 3.0), "fast_total": 4, "fast_answered": 3,
        "fast_on_time_share": 0.6667, "fast_overdue_now": 1, "fast_median_days": 6.0}
    assert rows[data.org("MINTRANS-54")] == {
        **figures(2, 0, 0, None, 2, None), "fast_total": 2, "fast_answered": 0,
        "fast_on_time_share": None, "fast_overdue_now": 2, "fast_median_days": None}
    assert rows[data.org("BERDSK-ADM")] == {
        **figures(1, 0, 0, None, 1, None), "fast_total": 1, "fast_answered": 0,
        "fast_on_time_share": None, "fast_overdue_now": 1, "fast_median_days": None}
    assert rows[data.org("MINZDRAV-54")] == {
        **figures(2, 0, 0, None, 0, None), "fast_total": 0, "fast_answered": 0,
        "fast_on_time_share": None, "fast_overdue_now": 0, "fast_median_days": None}
    assert rows_by(report.table("Итого по срокам"), "group") == {
        "Все сообщения": figures(13, 6, 5, 0.8333, 4, 3.0),
        "Ускоренное рассмотрение": figures(7, 3, 2, 0.6667, 4, 6.0),
    }
    share_chart, overdue_chart = report.charts
    assert share_chart.labels[0] == data.org("NSK-ADM")  # the most messages first
    assert share_chart.series[0] == ("Все сообщения", [83.3, None, None, None])
    assert overdue_chart.labels == [data.org(o) for o in (
        "NSK-ADM", "MINTRANS-54", "MINZDRAV-54", "BERDSK-ADM")]
    assert overdue_chart.series == [("Все сообщения", [1, 2, 0, 1]),
                                    ("Ускоренное рассмотрение", [1, 2, 0, 1])]
    config = share_chart.as_chartjs()
    assert config["type"] == "bar" and config["data"]["datasets"][1]["data"][0] == 66.7


async def test_compliance_for_a_viewers_organisations(platform: Platform, data: Data) -> None:
    report = await compliance_report(
        platform, scope=data.scope(orgs=("MINTRANS-54", "BERDSK-ADM", "NSK-DTDBK")))
    assert [r["organisation"] for r in report.tables[0].rows] == [
        data.org("MINTRANS-54"), data.org("BERDSK-ADM")]
    assert rows_by(report.table("Итого по срокам"), "group")["Все сообщения"] == figures(
        3, 0, 0, None, 3, None)
    nothing = await compliance_report(platform, scope=data.scope(orgs=()))
    assert nothing.tables[0].rows == []
    assert rows_by(nothing.table("Итого по срокам"), "group")["Все сообщения"] == figures(
        0, 0, 0, None, 0, None)


async def test_territory_scope_takes_the_whole_subtree(platform: Platform, data: Data) -> None:
    scope = data.scope(territory="54-novosibirsk-r")  # the district and Krasnoobsk in it
    report = await compliance_report(platform, scope=scope)
    assert [(r["organisation"], r["total"], r["overdue_now"]) for r in report.tables[0].rows] \
        == [(data.org("MINTRANS-54"), 2, 2)]
    hotspots = await hotspots_report(platform, scope=scope)
    assert rows_by(hotspots.table("По территориям"), "territory") == {
        "рабочий посёлок Краснообск": {"count": 1, "share": 0.5, "overdue_now": 1,
                                       "per_10k": 0.36},
        "Новосибирский район — без уточнения территории": {
            "count": 1, "share": 0.5, "overdue_now": 1, "per_10k": None},
    }
    rating = rows_by((await rating_report(platform, scope=scope)).tables[0], "key")
    assert rating["per_10k"]["value"] == 0.12  # 2 messages, 160 000 residents


async def test_period_bounds_are_local_days(platform: Platform, data: Data) -> None:
    async def summary(first: date, last: date) -> dict[str, Any]:
        report = await compliance_report(platform, scope=data.scope(period=(first, last)))
        return rows_by(report.table("Итого по срокам"), "group")["Все сообщения"]

    # 23:59:59 local on 31.05 is 16:59:59 UTC the same day: May, not June.
    assert await summary(date(2026, 5, 31), date(2026, 5, 31)) == figures(1, 0, 0, None, 1,
                                                                          None)
    assert await summary(date(2026, 6, 8), date(2026, 6, 8)) == figures(1, 0, 0, None, 0, None)
    assert (await summary(date(2026, 6, 1), date(2026, 6, 1)))["total"] == 12  # with B2
    assert (await summary(date(2026, 6, 2), date(2026, 6, 7)))["total"] == 1  # B3 only
    assert (await summary(date(2026, 5, 31), date(2026, 6, 8)))["total"] == 15


async def test_scope_is_checked(platform: Platform, data: Data) -> None:
    with pytest.raises(ValidationError, match="Начало периода"):
        await compliance_report(platform, scope=data.scope(period=(date(2026, 6, 2),
                                                                   date(2026, 6, 1))))
    with pytest.raises(ValidationError, match="Территория"):
        await compliance_report(platform, scope=ReportScope(
            region_id=data.region_id, date_from=PERIOD[0], date_to=PERIOD[1],
            territory_id=987_654))


# -- satisfaction ----------------------------------------------------------------------------


async def test_satisfaction(platform: Platform, data: Data) -> None:
    report = await satisfaction_report(platform, scope=data.scope())
    assert report.table("Оценки: сводка").rows == [
        {"rated": 5, "average": 2.8, "low_share": 0.6, "re_reviewed": 4}]
    assert [(r["score"], r["count"], r["share"])
            for r in report.table("Распределение оценок").rows] == [
        (1, 1, 0.2), (2, 2, 0.4), (3, 0, 0.0), (4, 1, 0.2), (5, 1, 0.2)]
    assert report.table("Оценки по организациям").rows == [{
        "organisation": data.org("NSK-ADM"), "rated": 5, "average": 2.8, "low_share": 0.6,
        "score_1": 1, "score_2": 2, "score_3": 0, "score_4": 1, "score_5": 1}]
    assert [(r["outcome"], r["count"], r["share"])
            for r in report.table("Итоги повторного рассмотрения").rows] == [
        ("Оценено на 3–5", 1, 0.25),               # M2
        ("Снова оценено на 1–2", 1, 0.25),         # M3
        ("Ещё на рассмотрении", 1, 0.25),          # M11
        ("Ответ дан, новой оценки нет", 1, 0.25),  # M12
    ]
    assert report.charts[0].series == [("Оценок", [1, 2, 0, 1, 1])]
    outside = await satisfaction_report(platform, scope=data.scope(orgs=("MINTRANS-54",)))
    assert outside.tables[0].rows == [
        {"rated": 0, "average": None, "low_share": None, "re_reviewed": 0}]


# -- hotspots ----------------------------------------------------------------------------------


async def test_hotspots(platform: Platform, data: Data) -> None:
    report = await hotspots_report(platform, scope=data.scope())
    sub = data.d.subcategory
    assert [(r["subcategory"], r["count"], r["share"], r["overdue_now"])
            for r in report.table("Частые подкатегории").rows] == [
        (sub(POTHOLES).name, 6, 0.4615, 3),
        (sub(PLAYGROUND).name, 4, 0.3077, 0),
        (sub(DOCTOR).name, 2, 0.1538, 0),
        (sub(LIGHTS).name, 1, 0.0769, 1),
    ]
    assert report.table("Частые подкатегории").rows[0]["category"] == "Автомобильные дороги"
    assert [(r["street"], r["count"], r["overdue_now"])
            for r in report.table("Частые улицы и места").rows] == [
        ("новосибирск, ул ленина", 3, 0),
        ("новосибирск, ул гоголя", 2, 0),
        ("новосибирск, ул титова", 2, 0),
        ("обь, ул березовая", 2, 0),
        ("бердск, ул боровая", 1, 1),
        ("краснообск", 1, 1),
        ("новосибирск, красный пр-т", 1, 1),
        ("новосибирский район, с ленинское, ул школьная", 1, 1),
    ]
    assert [(r["territory"], r["count"], r["share"], r["overdue_now"], r["per_10k"])
            for r in report.table("По территориям").rows] == [
        ("город Новосибирск", 8, 0.6154, 1, 0.05),
        ("город Обь", 2, 0.1538, 0, 0.67),
        ("Новосибирский район", 2, 0.1538, 2, 0.12),
        ("город Бердск", 1, 0.0769, 1, 0.1),
    ]
    trend = report.table("Динамика поступления")
    assert trend.columns[0].title == "День"
    assert [(r["period"], r["count"]) for r in trend.rows] == [
        (date(2026, 6, 1), 12), (date(2026, 6, 2), 0), (date(2026, 6, 3), 0),
        (date(2026, 6, 4), 0), (date(2026, 6, 5), 0), (date(2026, 6, 6), 0),
        (date(2026, 6, 7), 1)]
    line = report.charts[-1]
    assert line.kind == "line" and line.labels[0] == "01.06.2026"
    assert line.series == [("Сообщений", [12, 0, 0, 0, 0, 0, 1])]
    top = await hotspots_report(platform, scope=data.scope(), limit=2)
    assert len(top.tables[0].rows) == 2 and len(top.tables[1].rows) == 2


async def test_hotspot_trend_goes_weekly_past_a_month(platform: Platform, data: Data) -> None:
    report = await hotspots_report(platform, scope=data.scope(
        period=(date(2026, 5, 1), date(2026, 6, 30))))
    trend = report.table("Динамика поступления")
    assert trend.columns[0].title == "Неделя с"
    weeks = {r["period"]: r["count"] for r in trend.rows}
    assert list(weeks) == [date(2026, 5, 1)] + [date(2026, 5, 4) + timedelta(weeks=n)
                                                for n in range(9)]
    assert {k: v for k, v in weeks.items() if v} == {
        date(2026, 5, 25): 1, date(2026, 6, 1): 13, date(2026, 6, 8): 1}


STREET_KEYS = [
    ("Новосибирск, ул. Ленина, 15", "новосибирск, ул ленина"),
    ("г. Новосибирск, улица Ленина, д. 20", "новосибирск, ул ленина"),
    ("Новосибирск,  УЛ.Ленина 40", "новосибирск, ул ленина"),
    ("Новосибирск, ул. Ленина, д. 15, кв. 3", "новосибирск, ул ленина"),
    ("Новосибирск, ул. Ленина, 15/2 корп. 1", "новосибирск, ул ленина"),
    ("Бердск, ул. Подлесная, 5а", "бердск, ул подлесная"),
    ("Обь, ул. Берёзовая, 5", "обь, ул березовая"),
    ("Новосибирск, ул. 9-го Ноября, 5", "новосибирск, ул 9-го ноября"),
    ("Новосибирск, Красный пр., 82", "новосибирск, красный пр-т"),
    ("Краснообск, дом 7", "краснообск"),
    ("Новосибирск, ул. Ленина, 15, 3", "новосибирск, ул ленина"),
    ("Новосибирск, Ленина,  7 ", "новосибирск, ленина"),
    ("Бердск, 5", "бердск"),
    ("15", ""),
    ("  ", ""),
]


@pytest.mark.parametrize(("address", "key"), STREET_KEYS)
def test_street_key(address: str, key: str) -> None:
    assert street_key(address) == key


async def test_street_prefix_in_postgresql_keeps_the_street_key(platform: Platform) -> None:
    if not platform.db.is_postgres:
        pytest.skip("the database-side prefix is PostgreSQL's")
    async with platform.db.sessions() as session:
        for address, key in STREET_KEYS:
            prefix = (await session.execute(select(street_prefix(literal(address))))).scalar()
            assert street_key(prefix) == key, (address, prefix)


# -- rating indicators -------------------------------------------------------------------------


async def staffed(p: Platform, among: set[int] | None = None) -> set[int]:
    """Organisations with an active staff member: the demo seed and other tests add staff to
    the shared directory, so the expected figure is read, not hard-coded."""
    q = select(t.StaffRole.organisation_id).join(t.Staff).where(t.Staff.is_active.is_(True))
    if among is not None:
        q = q.where(t.StaffRole.organisation_id.in_(among))
    async with p.db.sessions() as session:
        return set((await session.scalars(q)).all())


async def test_rating_indicators(platform: Platform, data: Data) -> None:
    report = await rating_report(platform, scope=data.scope())
    rows = rows_by(report.tables[0], "key")
    values = {k: (r["value"], r["basis"]) for k, r in rows.items()}
    connected = len(await staffed(platform))
    async with platform.db.sessions() as session:
        organisations = (await session.execute(select(func.count(t.Organisation.id)))
                         ).scalar_one()
    assert values == {
        "per_10k": (0.05, "13 сообщений, 2 780 000 жителей"),
        "on_time": (83.3, "5 из 6"),
        "satisfaction": (2.8, "5 оценок"),
        "ping_pong": (7.7, "1 из 13"),           # M8
        "uncorrected": (84.6, "11 из 13"),       # all but M8 and M9 (organisation changed)
        "auto_rules": (7.7, "1 из 13"),          # M5
        "connected": (connected, f"{connected} из {organisations}"),
        "active": (3, f"3 из {organisations}"),  # ЦУР, NSK-ADM, MINTRANS
    }
    assert connected >= 4  # ЦУР, GOV-54, NSK-ADM, MINTRANS-54
    assert all(r["unit"] and r["explanation"] for r in report.tables[0].rows)
    assert report.charts[0].labels == [
        "Доля ответов в срок", "«Пинг-понг» перенаправлений",
        "Маршрутизировано без корректировки", "Обработано автоправилами"]


async def test_rating_for_a_viewers_organisations(platform: Platform, data: Data) -> None:
    orgs = ("NSK-ADM", "MINTRANS-54", "NOVOSIBIRSK-R-ADM", "NSK-DTDBK")
    scope = data.scope(orgs=orgs)
    rows = rows_by((await rating_report(platform, scope=scope)).tables[0], "key")
    connected = len(await staffed(platform, {data.org_id(o) for o in orgs}))
    assert connected >= 2  # NSK-ADM and MINTRANS-54 have demo staff
    assert {k: (r["value"], r["basis"]) for k, r in rows.items()} == {
        "per_10k": (0.04, "10 сообщений, 2 780 000 жителей"),
        "on_time": (83.3, "5 из 6"),
        "satisfaction": (2.8, "5 оценок"),
        "ping_pong": (10.0, "1 из 10"),
        "uncorrected": (80.0, "8 из 10"),
        "auto_rules": (10.0, "1 из 10"),
        "connected": (connected, f"{connected} из 4"),
        "active": (2, "2 из 4"),
    }
    # Staff actions count in the period they happened in, not the messages'.
    later = rows_by((await rating_report(platform, scope=data.scope(
        period=(date(2026, 6, 10), date(2026, 6, 10))))).tables[0], "key")
    assert later["active"]["value"] == 1  # NSK-ADM answered M2 again on 10.06
    assert later["on_time"]["value"] is None and later["per_10k"]["value"] == 0.0


async def test_registry_builds_every_report(platform: Platform, data: Data) -> None:
    for kind in REPORTS:
        report = await build_report(platform, kind=kind, scope=data.scope())
        assert isinstance(report, Report) and report.title and report.tables
        for table in report.tables:
            keys = {col.key for col in table.columns}
            assert all(keys <= set(row) for row in table.rows), table.title
