"""A workspace is one role a staff member holds in one organisation; each has its own folders.

``scope`` is the SQL form of :func:`core.domain.permissions.roles_for_message` for a single
membership: a message is in the clause exactly when that membership alone gives a role for it
(former holders aside — they reach redirected messages through the «Отработанные» folders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_

from core.db import tables as t
from core.domain.enums import ROLE_TITLES, Role, TerritoryKind
from core.domain.permissions import Membership
from core.services.directory import Directory

# The order a staff member with several roles sees them in, the busiest first.
ROLE_ORDER = (Role.COORDINATOR, Role.MODERATOR, Role.EXECUTOR, Role.MANAGER, Role.CURATOR,
              Role.ADMIN, Role.SMM)


@dataclass(frozen=True, slots=True)
class Workspace:
    role: Role
    organisation_id: int
    staff_id: int
    regional: bool  # a centre's moderator or a regional admin works a whole territory

    @property
    def key(self) -> str:
        return f"{self.role.value}-{self.organisation_id}"

    def title(self, d: Directory) -> str:
        return f"{ROLE_TITLES[self.role]} — {d.organisation(self.organisation_id).display_name}"


def workspaces_for(d: Directory, staff_id: int, member: Sequence[Membership]
                   ) -> list[Workspace]:
    centres, offices = d.moderation_centres(), d.regional_offices()
    found = {Workspace(m.role, m.organisation_id, staff_id,
                       m.organisation_id in (centres if m.role is Role.MODERATOR else offices)
                       and m.role in (Role.MODERATOR, Role.ADMIN))
             for m in member if m.organisation_id in d.organisations}
    return sorted(found, key=lambda w: (ROLE_ORDER.index(w.role), w.organisation_id))


def pick(workspaces: Sequence[Workspace], key: str | None) -> Workspace | None:
    for w in workspaces:
        if w.key == key:
            return w
    return workspaces[0] if workspaces else None


def territory_clause(d: Directory, territory_id: int) -> Any:
    """Messages in the territory or anywhere below it; a region by its indexed column."""
    if d.territories[territory_id].kind == TerritoryKind.REGION:
        return t.Message.region_id == territory_id
    return t.Message.territory_id.in_(d.territory_subtree(territory_id))


def scope(d: Directory, w: Workspace) -> Any:
    m = t.Message
    org = w.organisation_id
    match w.role:
        case Role.MODERATOR | Role.ADMIN if w.regional:
            in_territory = territory_clause(d, d.organisation(org).territory_id)
            return or_(in_territory, m.organisation_id == org) if w.role is Role.ADMIN \
                else in_territory
        case Role.MODERATOR:
            return false()  # a moderator outside a centre moderates nothing
        case Role.EXECUTOR:
            return or_(m.organisation_id == org, m.executor_organisation_id == org)
        case Role.CURATOR:
            return m.organisation_id.in_(d.subordinates(org))
        case _:
            return m.organisation_id == org
