"""A small set of messages in every folder of the Novosibirsk city hall's coordinator, made
through the real workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.domain import commands as c
from core.domain.enums import Source
from core.services.actions import perform
from core.services.platform import Platform
from tests.support import factories as f


@dataclass
class Folders:
    """Message ids by the folder of the city hall they should be in."""

    moderation: int
    new: int
    in_work: int
    postponed: int
    returned_inside: int
    returned_from_org: int
    answer_prepared: int
    answered: int
    sed: int
    redirected: int  # now at the regional ministry of transport
    elsewhere: int  # filed in another municipality, never at the city hall


async def _new(p: Platform, **kw: object) -> int:
    msg = await f.file_message(p, **kw)
    await perform(p, message_id=msg.id, actor=await f.staff(p, "moderator"),
                  command=c.ApproveModeration())
    return msg.id


async def build(p: Platform) -> Folders:
    coordinator = await f.staff(p, "coordinator")
    executor = await f.staff(p, "executor")
    manager = await f.staff(p, "manager")
    nsk = await f.org_id(p, "NSK-ADM")
    roads = await f.org_id(p, "NSK-DTDBK")
    mintrans = await f.org_id(p, "MINTRANS-54")

    async def to_work(mid: int, org: int = nsk) -> int:
        await perform(p, message_id=mid, actor=coordinator,
                      command=c.SendToExecution(executor_organisation_id=org))
        return mid

    moderation = (await f.file_message(p, text="Яма у остановки Площадь Маркса, "
                                       "колесо пробили двое соседей за неделю.")).id
    new = await _new(p, source=Source.VK, address="Новосибирск, Красный проспект, 5")
    in_work = await to_work(await _new(p))
    postponed = await to_work(await _new(p))
    await perform(p, message_id=postponed, actor=executor, command=c.Postpone(
        reason="Нужна закупка материалов", new_due_date=date(2026, 6, 20)))
    returned_inside = await to_work(await _new(p))
    await perform(p, message_id=returned_inside, actor=executor,
                  command=c.ReturnToCoordinator(reason="Не наш участок"))
    returned_from_org = await to_work(await _new(p), roads)
    await perform(p, message_id=returned_from_org, actor=await f.staff(p, "executor3"),
                  command=c.ReturnToCoordinator(reason="Дорога областная"))
    answer_prepared = await to_work(await _new(p))
    await perform(p, message_id=answer_prepared, actor=executor,
                  command=c.Answer(text="Ремонт запланирован на июль."))
    answered = await to_work(await _new(p))
    await perform(p, message_id=answered, actor=executor,
                  command=c.Answer(text="Яму заделали 3 июня."))
    await perform(p, message_id=answered, actor=manager, command=c.ApproveAnswer())
    sed = await _new(p)
    await perform(p, message_id=sed, actor=coordinator, command=c.SendToSed(reference="01-77"))
    redirected = await _new(p)
    await perform(p, message_id=redirected, actor=coordinator, command=c.Redirect(
        organisation_id=mintrans, relation="", reason="Дорога регионального значения"))
    await perform(p, message_id=redirected, actor=await f.staff(p, "moderator"),
                  command=c.ApproveRedirect())
    elsewhere = await _new(p, address="Бердск, ул. Ленина, 3")
    return Folders(moderation, new, in_work, postponed, returned_inside, returned_from_org,
                   answer_prepared, answered, sed, redirected, elsewhere)
