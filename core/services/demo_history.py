"""Four months of demo history: messages filed, moderated, answered (some late), rated and
re-reviewed in the past, so the reports and the archive folders of a first start have
something real to show. Every step goes through the real services on a clock set back."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from sqlalchemy import select, update

from core.db import tables as t
from core.domain import commands as c
from core.domain.enums import Channel, RejectReason, Source
from core.domain.errors import DomainError
from core.ports import FixedClock
from core.services.actions import CitizenActor, StaffActor, perform
from core.services.intake import submit_message
from core.services.platform import Platform
from core.services.records import OUTBOX_SENT, CitizenRef

# (subcategory, text, addresses it happens at)
PROBLEMS = [
    ("roads_potholes", "Яма на проезжей части, машины бьют колёса, нужен ремонт покрытия.",
     ["ул. Ленина, 15", "ул. Кирова, 48", "Красный проспект, 101", "ул. Титова, 7"]),
    ("roads_traffic_lights", "Не работает светофор на перекрёстке, пешеходы переходят "
     "на свой страх и риск.", ["Красный проспект, 82", "ул. Богдана Хмельницкого, 2"]),
    ("yards_snow_removal", "Двор не чистят от снега, машины не могут выехать, скорая "
     "не проедет к подъезду.", ["ул. Гоголя, 12", "ул. Выборная, 99", "ул. Кирова, 48"]),
    ("waste_pickup_delay", "Контейнеры не вывозят несколько дней, мусор лежит вокруг "
     "площадки.", ["ул. Титова, 31", "ул. Связистов, 13"]),
    ("landscaping_street_lighting", "Во дворе не горят фонари, вечером темно и опасно.",
     ["ул. Выборная, 99", "ул. Ленина, 15"]),
    ("public_transport_schedule", "Автобус ходит реже, чем указано в расписании, люди "
     "ждут на остановке по часу.", ["остановка Площадь Калинина", "остановка Речной вокзал"]),
    ("water_supply_no_hot_water", "Нет горячей воды в доме, объявлений об отключении "
     "не было.", ["ул. Гоголя, 12", "ул. Связистов, 13"]),
    ("education_kindergarten_places", "Не предоставляют место в детском саду рядом с "
     "домом, очередь не двигается.", ["ул. Выборная, 99"]),
]
HISTORY_MESSAGES = 150
RATINGS = [5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1]
ANSWERS = ["Работы выполнены, проблема устранена. Спасибо за обращение.",
           "Проведено обследование, работы включены в план текущего месяца.",
           "Нарушение устранено подрядной организацией, качество работ проверено."]


async def create_demo_history(p: Platform, *, messages: int = HISTORY_MESSAGES, days: int = 120,
                              seed: int = 54) -> int:
    """Create ``messages`` past messages spread over the last ``days`` days; returns how many
    were created. Their notifications count as delivered: they are history."""
    rnd = random.Random(seed)
    async with p.db.sessions() as session:
        staff = {s.login: s.id for s in (await session.scalars(select(t.Staff))).all()}
        org_id = (await session.scalars(select(t.StaffRole.organisation_id).where(
            t.StaffRole.staff_id == staff["coordinator"]))).first()
    if org_id is None:
        return 0
    mod, coord = StaffActor(staff["moderator"]), StaffActor(staff["coordinator"])
    execu, boss = StaffActor(staff["executor"]), StaffActor(staff["manager"])
    start = p.clock.now() - timedelta(days=days)
    created_ids: list[int] = []
    for i in range(messages):
        clock = FixedClock(start + timedelta(days=days * i / messages,
                                             minutes=rnd.randint(0, 600)))
        past = dataclasses.replace(p, clock=clock)
        sub, text, places = rnd.choice(PROBLEMS)
        msg = await submit_message(
            past, citizen=CitizenRef(Channel.TELEGRAM, f"demo-history-{i}",
                                     name=f"Житель {100 + i}"),
            subcategory=sub, text=text, source=rnd.choice(list(Source)[:4]),
            address=f"Новосибирск, {rnd.choice(places)}")
        created_ids.append(msg.id)
        try:
            await _walk(past, clock, rnd, mid=msg.id, org_id=org_id,
                        actors=(mod, coord, execu, boss), age_days=days * (1 - i / messages))
        except DomainError:
            continue  # a changed demo region may not allow every step; the message stays
    async with p.db.transaction() as session:
        await session.execute(update(t.OutboxRow).where(
            t.OutboxRow.message_id.in_(created_ids)).values(status=OUTBOX_SENT,
                                                             sent_at=t.OutboxRow.created_at))
    return len(created_ids)


async def _walk(p: Platform, clock: FixedClock, rnd: random.Random, *, mid: int, org_id: int,
                actors: tuple[StaffActor, ...], age_days: float) -> None:
    mod, coord, execu, boss = actors
    clock.advance(hours=rnd.randint(1, 6))
    if rnd.random() < 0.08:
        await perform(p, message_id=mid, actor=mod,
                      command=c.Reject(rnd.choice(list(RejectReason))))
        return
    await perform(p, message_id=mid, actor=mod, command=c.ApproveModeration(org_id))
    if age_days < 2:
        return  # still new
    clock.advance(hours=rnd.randint(2, 20))
    await perform(p, message_id=mid, actor=coord, command=c.SendToExecution(org_id))
    # Most answers come in time; about one in eight a few days late.
    work = rnd.randint(1, 12) if rnd.random() > 0.12 else rnd.randint(20, 35)
    if work + 2 > age_days:
        return  # still in work
    clock.advance(days=work)
    await perform(p, message_id=mid, actor=execu, command=c.Answer(rnd.choice(ANSWERS)))
    clock.advance(hours=rnd.randint(1, 30))
    await perform(p, message_id=mid, actor=boss, command=c.ApproveAnswer())
    if work + 4 > age_days or rnd.random() < 0.2:
        return  # not rated (yet)
    clock.advance(days=rnd.randint(1, 3))
    async with p.db.sessions() as session:
        citizen = (await session.scalars(select(t.Message.citizen_id).where(
            t.Message.id == mid))).one()
    score = rnd.choice(RATINGS)
    await perform(p, message_id=mid, actor=CitizenActor(citizen),
                  command=c.Rate(score, "Проблема осталась" if score <= 2 else ""))
    if score > 2 or work + 12 > age_days:
        return
    # Re-review: most low ratings get a second answer, rated again.
    clock.advance(days=1)
    await perform(p, message_id=mid, actor=coord, command=c.SendToExecution(org_id))
    clock.advance(days=rnd.randint(2, 6))
    await perform(p, message_id=mid, actor=execu, command=c.Answer(
        "Повторно проведены работы, результат проверен на месте."))
    await perform(p, message_id=mid, actor=boss, command=c.ApproveAnswer())
    clock.advance(days=1)
    await perform(p, message_id=mid, actor=CitizenActor(citizen),
                  command=c.Rate(rnd.choice([5, 4, 4, 3, 2])))
