"""Whose figures a staff member's reports count (the demo directory, both backends)."""

from __future__ import annotations

import dataclasses

import pytest

from core.domain.enums import Role
from core.domain.errors import PermissionDenied
from core.domain.permissions import Membership
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.reports.viewer import viewer_scope


def _one(d: Directory, code: str, role: Role) -> list[Membership]:
    return [Membership(d.organisation(code).id, role)]


async def test_each_role_gets_its_part_of_the_region(platform: Platform) -> None:
    d = await platform.directory.get()
    region = d.region_of(d.organisation("GOV-54").territory_id).id
    for code, role in (("GOV-54", Role.ADMIN), ("CUR-54", Role.MODERATOR),
                       ("CUR-54", Role.ADMIN)):
        viewer = viewer_scope(d, _one(d, code, role))
        assert (viewer.region_id, viewer.territory_id, viewer.organisation_ids) == (
            region, None, None), (code, role)
    # Not a moderation centre: a moderator there moderates nothing and sees its branch only.
    gov_moderator = viewer_scope(d, _one(d, "GOV-54", Role.MODERATOR))
    assert gov_moderator.organisation_ids == frozenset(d.subordinates(d.organisation("GOV-54").id))
    coordinator = viewer_scope(d, _one(d, "NSK-ADM", Role.COORDINATOR))
    nsk = d.organisation("NSK-ADM").id
    assert coordinator.organisation_ids == frozenset(d.subordinates(nsk))
    assert d.organisation("NSK-DTDBK").id in coordinator.organisation_ids
    assert d.organisation("MINTRANS-54").id not in coordinator.organisation_ids
    with pytest.raises(PermissionDenied):
        viewer_scope(d, [])


async def test_a_municipal_moderation_centre_sees_its_territory_only(platform: Platform) -> None:
    d = await platform.directory.get()
    berdsk = next(o for o in d.organisations.values() if o.code == "BERDSK-ADM")
    changed = dataclasses.replace(d, organisations={
        **d.organisations, berdsk.id: dataclasses.replace(berdsk, moderates=True)})
    viewer = viewer_scope(changed, [Membership(berdsk.id, Role.MODERATOR)])
    assert (viewer.territory_id, viewer.organisation_ids) == (berdsk.territory_id, None)
    assert viewer.allows_territory(changed, berdsk.territory_id)
    assert not viewer.allows_territory(changed, d.organisation("NSK-ADM").territory_id)
