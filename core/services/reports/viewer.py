"""Which messages a staff member's reports may count.

Reports follow the inbox scope, widened to the organisations below one's own (a city hall's
coordinator sees the figures of its departments; a curator those of its branch):

* a moderator of a moderation centre, or an admin of a centre or of the region's government,
  sees the territory of that organisation — the whole region for a regional one;
* everyone else sees their organisations and the organisations below them.

Someone with roles in several regions sees the region of their first role; a territory-wide
role wins over organisation roles in that region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.domain.enums import Role, TerritoryKind
from core.domain.errors import PermissionDenied
from core.domain.permissions import Membership
from core.services.directory import Directory


@dataclass(frozen=True, slots=True)
class Viewer:
    region_id: int
    territory_id: int | None  # a territory-wide role's territory; None: the whole region
    organisation_ids: frozenset[int] | None  # None: every organisation in the territory

    def allows_territory(self, d: Directory, territory_id: int) -> bool:
        if d.territories[territory_id].region_id != self.region_id:
            return False
        return self.territory_id is None or self.territory_id in d.territory_path(territory_id)


def _territory_wide(d: Directory, m: Membership) -> bool:
    if m.role is Role.MODERATOR:
        return m.organisation_id in d.moderation_centres()
    return m.role is Role.ADMIN and m.organisation_id in d.regional_offices()


def viewer_scope(d: Directory, member: Sequence[Membership]) -> Viewer:
    known = [m for m in member if m.organisation_id in d.organisations]
    if not known:
        raise PermissionDenied("Отчёты доступны сотрудникам организаций")

    def region(m: Membership) -> int:
        return d.region_of(d.organisation(m.organisation_id).territory_id).id

    region_id = region(known[0])
    here = [m for m in known if region(m) == region_id]
    for m in here:
        if _territory_wide(d, m):
            territory = d.organisation(m.organisation_id).territory_id
            if d.territories[territory].kind == TerritoryKind.REGION:
                return Viewer(region_id, None, None)
    for m in here:
        if _territory_wide(d, m):
            return Viewer(region_id, d.organisation(m.organisation_id).territory_id, None)
    orgs: set[int] = set()
    for m in here:
        orgs.update(d.subordinates(m.organisation_id))
    return Viewer(region_id, None, frozenset(orgs))
