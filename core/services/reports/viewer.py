"""Which organisations' figures a staff member's reports may show.

Reports follow the message scope: a regional admin or a moderation centre's staff see the whole
region; everyone else sees their organisations and the organisations below them (a curator its
branch, a city hall's coordinator the city hall and its departments).
"""

from __future__ import annotations

from collections.abc import Sequence

from core.domain.enums import Role
from core.domain.errors import PermissionDenied
from core.domain.permissions import Membership
from core.services.directory import Directory

REGION_WIDE = (Role.ADMIN, Role.MODERATOR)


def viewer_scope(d: Directory, member: Sequence[Membership]
                 ) -> tuple[int, frozenset[int] | None]:
    """(region id, organisation ids or None for the whole region)."""
    known = [m for m in member if m.organisation_id in d.organisations]
    if not known:
        raise PermissionDenied("Отчёты доступны сотрудникам организаций")
    region = d.region_of(d.organisation(known[0].organisation_id).territory_id).id
    offices = d.regional_offices()
    orgs: set[int] = set()
    for m in known:
        if m.role in REGION_WIDE and m.organisation_id in offices:
            return region, None
        orgs.update(d.subordinates(m.organisation_id))
    return region, frozenset(orgs)
