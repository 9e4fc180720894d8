"""Staff reach messages only through these loaders, which check organisation scope and role."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import Action, Role, Status
from core.domain.errors import NotFound, PermissionDenied
from core.domain.permissions import Membership, MessageScope, roles_for_message
from core.domain.workflow import available_actions
from core.services.directory import Directory


@dataclass(frozen=True, slots=True)
class StaffMessage:
    message: t.Message
    roles: frozenset[str]
    actions: tuple[Action, ...]


async def memberships(session: AsyncSession, staff_id: int) -> list[Membership]:
    staff = await session.get(t.Staff, staff_id)
    if staff is None or not staff.is_active:
        raise PermissionDenied("Учётная запись не найдена или отключена")
    rows = (await session.execute(
        select(t.StaffRole.organisation_id, t.StaffRole.role)
        .where(t.StaffRole.staff_id == staff_id))).all()
    return [Membership(org, Role(role)) for org, role in rows]


def staff_roles_for(d: Directory, message: t.Message, member: list[Membership],
                    former: Collection[int] = ()) -> frozenset[str]:
    scope = MessageScope(message.organisation_id, message.executor_organisation_id,
                         d.territory_path(message.territory_id))
    return roles_for_message(member, scope, org_ancestors=d.org_ancestors_map(),
                             org_territory=d.org_territories(),
                             moderation_centres=d.moderation_centres(),
                             regional_offices=d.regional_offices(),
                             former_organisations=former)


async def former_holders(session: AsyncSession, message_id: int, among: Collection[int]
                         ) -> set[int]:
    """Which of ``among`` held the message and passed it to another organisation."""
    if not among:
        return set()
    rows = await session.scalars(
        select(t.MessageEvent.from_organisation_id).distinct()
        .where(t.MessageEvent.message_id == message_id,
               t.MessageEvent.from_organisation_id.in_(list(among)),
               t.MessageEvent.organisation_id != t.MessageEvent.from_organisation_id))
    return {org for org in rows.all() if org is not None}


async def get_message_for_staff(
    session: AsyncSession, d: Directory, *, staff_id: int, message_id: int,
    for_update: bool = False,
) -> StaffMessage:
    """Load a message a staff member may see; anything else is «not found», never «forbidden»,
    so ids of other organisations' messages reveal nothing."""
    query = select(t.Message).where(t.Message.id == message_id)
    if for_update:
        query = query.with_for_update()
    message = (await session.scalars(query)).one_or_none()
    member = await memberships(session, staff_id)
    roles: frozenset[str] = frozenset()
    if message is not None:
        roles = staff_roles_for(d, message, member)
        if not roles:
            former = await former_holders(session, message.id,
                                          {m.organisation_id for m in member})
            roles = staff_roles_for(d, message, member, former)
    if message is None or not roles:
        raise NotFound(f"Сообщение {message_id} не найдено")
    return StaffMessage(message, roles, tuple(available_actions(Status(message.status), roles)))
