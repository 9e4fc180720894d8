"""Demo messages for a first start: citizens' messages in every stage of the workflow, so the
inboxes, the worker and the reports have something real to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.db import tables as t
from core.domain import commands as c
from core.domain.enums import Channel, Source
from core.domain.errors import DomainError
from core.services.actions import CitizenActor, StaffActor, perform
from core.services.intake import submit_message
from core.services.platform import Platform
from core.services.records import CitizenRef

# (subcategory, text, address, how far the demo walks it through the workflow)
DEMO = [
    ("roads_potholes", "На проезжей части огромная яма, машины объезжают её по встречной "
     "полосе. Прошу отремонтировать покрытие.", "Новосибирск, ул. Ленина, 15", "answered"),
    ("roads_traffic_lights", "Второй день не работает светофор на перекрёстке, дети переходят "
     "дорогу к школе без светофора.", "Новосибирск, Красный проспект, 82", "in_work"),
    ("yards_snow_removal", "Двор не чистят от снега уже неделю, скорая не может подъехать "
     "к подъезду.", "Бердск, ул. Боровая, 103", "new"),
    ("waste_pickup_delay", "Контейнерную площадку не вывозят пять дней, мусор лежит вокруг "
     "баков и разносится ветром.", "Новосибирск, ул. Титова, 31", "closed"),
    ("heating_no_heating", "В квартирах всего подъезда холодные батареи, в комнатах плюс "
     "пятнадцать градусов.", "Искитим, ул. Пушкина, 44", "moderation"),
    ("landscaping_street_lighting", "На всей улице не горят фонари, вечером идти домой "
     "страшно, особенно детям.", "Краснообск, дом 7", "re_review"),
    ("public_transport_schedule", "Автобус 45 ходит с интервалом больше часа, хотя в "
     "расписании указано 15 минут.", "Новосибирск, остановка Площадь Калинина", "answer_prepared"),
    ("healthcare_appointment", "Невозможно записаться к терапевту в поликлинике: в системе "
     "нет свободных талонов на месяц вперёд.", "Обь, ул. Геодезическая, 5", "moderation"),
    ("education_kindergarten_places", "Ребёнку три года, а места в детском саду рядом с домом "
     "так и не предоставили, очередь не двигается.", "Новосибирск, ул. Выборная, 99", "new"),
    ("water_supply_no_hot_water", "Третьи сутки нет горячей воды в доме, никаких объявлений "
     "об отключении не было.", "Новосибирск, ул. Гоголя, 12", "postponed"),
]


async def create_demo_messages(p: Platform) -> int:
    """Create the demo messages and move each as far as its script says. Returns the count."""
    async with p.db.sessions() as session:
        staff = {s.login: s.id for s in (await session.scalars(select(t.Staff))).all()}
        # Demo messages all go to the demo coordinator's organisation so one login shows all.
        org_id = (await session.scalars(select(t.StaffRole.organisation_id).where(
            t.StaffRole.staff_id == staff["coordinator"]))).first()
    d = await p.directory.get()
    mod, coord = StaffActor(staff["moderator"]), StaffActor(staff["coordinator"])
    execu, boss = StaffActor(staff["executor"]), StaffActor(staff["manager"])
    created = 0
    for i, (sub, text, address, goal) in enumerate(DEMO, 1):
        if sub not in d.subcategory_by_slug:
            continue
        citizen = CitizenRef(Channel.TELEGRAM, f"demo-{1000 + i}", name=f"Житель {i}")
        msg = await submit_message(p, citizen=citizen, subcategory=sub, text=text,
                                   source=Source.TELEGRAM, address=address)
        created += 1
        if goal == "moderation":
            continue
        steps: list[tuple[StaffActor | CitizenActor, c.Command]] = [
            (mod, c.ApproveModeration(organisation_id=org_id))]
        if goal != "new":
            steps.append((coord, c.SendToExecution(executor_organisation_id=org_id or 0)))
        if goal == "postponed":
            due = msg.answer_due.astimezone(next(iter(d.regions.values())).tz)
            steps.append((execu, c.Postpone(reason="Требуется замена участка трубопровода",
                                            new_due_date=(due + timedelta(days=10)).date())))
        if goal in ("answer_prepared", "answered", "closed", "re_review"):
            steps.append((execu, c.Answer(text="Работы выполнены, ситуация под контролем. "
                                               "Спасибо за обращение.")))
        if goal in ("answered", "closed", "re_review"):
            steps.append((boss, c.ApproveAnswer()))
        if goal in ("closed", "re_review"):
            async with p.db.sessions() as session:
                author = CitizenActor((await session.scalars(select(t.Message.citizen_id).where(
                    t.Message.id == msg.id))).one())
            steps.append((author, c.Rate(score=5) if goal == "closed" else
                          c.Rate(score=2, comment="Фонари не горят")))
        try:
            for actor, command in steps:
                await perform(p, message_id=msg.id, actor=actor, command=command)
        except DomainError:
            continue  # a changed demo region may not allow every step; the message stays
    return created
