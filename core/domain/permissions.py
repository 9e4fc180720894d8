"""Which roles an actor holds *for one message*: the only place where organisation scope is decided.

A role counts for a message only where the organisation tree and the territory tree say so:
- coordinator, manager, executor, admin, smm — in the message's current organisation;
- executor — also in the executing organisation a coordinator or an auto-rule chose;
- moderator — in a moderation centre whose territory contains the message's territory (the
  regional ЦУР moderates the whole region);
- admin — the same in a moderation centre or in the region's own government (a regional admin
  sees the whole region); an admin of any other organisation sees its own organisation's
  messages;
- curator — in an organisation above the message's organisation (read-only oversight);
- anyone in an organisation that held the message before and passed it on (redirected it) —
  read-only, so that the «Отработанные» folders can open what they list.

Citizen personal data (phone, e-mail, full name) is for the organisation handling the message:
its coordinators, managers and admins and the executors working on it — not for moderators of
a centre, curators above, or former holders.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.domain.enums import Role

ORG_ADMIN = "org_admin"
FORMER = "former_holder"
HANDLING_ROLES = frozenset({Role.COORDINATOR.value, Role.EXECUTOR.value, Role.MANAGER.value,
                            ORG_ADMIN})


@dataclass(frozen=True, slots=True)
class Membership:
    organisation_id: int
    role: Role


@dataclass(frozen=True, slots=True)
class MessageScope:
    organisation_id: int | None
    executor_organisation_id: int | None
    territory_path: Sequence[int]  # the message's territory up to the region


def roles_for_message(
    memberships: Sequence[Membership],
    scope: MessageScope,
    *,
    org_ancestors: Mapping[int, Sequence[int]],
    org_territory: Mapping[int, int],
    moderation_centres: Collection[int] = (),
    regional_offices: Collection[int] = (),
    former_organisations: Collection[int] = (),
) -> frozenset[str]:
    """``org_ancestors[o]``: o's ancestors, parent first; ``org_territory[o]``: o's territory;
    ``regional_offices``: organisations whose admins are regional admins (the moderation
    centres and the region's government); ``former_organisations``: organisations the message
    was redirected away from."""
    roles: set[str] = set()
    message_org = scope.organisation_id
    above_message_org = set(org_ancestors.get(message_org, ())) if message_org else set()
    for m in memberships:
        org = m.organisation_id
        covers_territory = org_territory.get(org) in scope.territory_path
        if m.role is Role.MODERATOR and covers_territory and org in moderation_centres:
            roles.add(m.role.value)
        if m.role is Role.ADMIN and covers_territory and (org in moderation_centres
                                                          or org in regional_offices):
            roles.add(m.role.value)
        if org == message_org and m.role in (Role.COORDINATOR, Role.MANAGER, Role.EXECUTOR,
                                             Role.SMM):
            roles.add(m.role.value)
        if org == message_org and m.role is Role.ADMIN:
            roles.add(ORG_ADMIN)  # sees the messages; acting on them needs a working role
        if m.role is Role.EXECUTOR and org == scope.executor_organisation_id:
            roles.add(m.role.value)
        if m.role is Role.CURATOR and (org == message_org or org in above_message_org):
            roles.add(m.role.value)
        if org in former_organisations and org != message_org:
            roles.add(FORMER)
    return frozenset(roles)


def can_view(roles: frozenset[str]) -> bool:
    return bool(roles)


def sees_personal_data(roles: frozenset[str]) -> bool:
    return bool(roles & HANDLING_ROLES)


def relation(
    source_org: int, target_org: int, org_ancestors: Mapping[int, Sequence[int]]
) -> str:
    """Where the target sits relative to the source: higher, subordinate or non_subordinate."""
    if target_org in org_ancestors.get(source_org, ()):
        return "higher"
    if source_org in org_ancestors.get(target_org, ()):
        return "subordinate"
    return "non_subordinate"
