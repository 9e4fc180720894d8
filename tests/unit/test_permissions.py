"""Roles an actor holds for one message, decided by the organisation and territory trees."""

from __future__ import annotations

import pytest

from core.domain.enums import Role
from core.domain.permissions import (
    FORMER,
    Membership,
    MessageScope,
    can_view,
    relation,
    roles_for_message,
    sees_personal_data,
)

# Territories: region 1 > district 2 > settlement 5; region 1 > district 4.
# Organisations: 1 regional government (territory 1) > 2 district administration (territory 2)
# > 3 institution (territory 2); 1 > 4 another district administration (territory 4);
# 6 a federal body with no territory in the region.
ORG_ANCESTORS: dict[int, list[int]] = {1: [], 2: [1], 3: [2, 1], 4: [1], 6: []}
ORG_TERRITORY: dict[int, int] = {1: 1, 2: 2, 3: 2, 4: 4, 6: 99}
# Organisations 1, 2 and 6 are moderation centres; 3 and 4 are not.
CENTRES = frozenset({1, 2, 6})
SCOPE = MessageScope(organisation_id=2, executor_organisation_id=3, territory_path=(5, 2, 1))


def roles(*memberships: tuple[int, Role], scope: MessageScope = SCOPE) -> frozenset[str]:
    return roles_for_message(
        [Membership(org, role) for org, role in memberships], scope,
        org_ancestors=ORG_ANCESTORS, org_territory=ORG_TERRITORY, moderation_centres=CENTRES,
    )


@pytest.mark.parametrize(("membership", "expected"), [
    ((2, Role.COORDINATOR), {"coordinator"}),
    ((4, Role.COORDINATOR), set()),
    ((1, Role.COORDINATOR), set()),
    ((3, Role.COORDINATOR), set()),
    ((3, Role.EXECUTOR), {"executor"}),
    ((2, Role.EXECUTOR), {"executor"}),
    ((4, Role.EXECUTOR), set()),
    ((2, Role.MANAGER), {"manager"}),
    ((3, Role.MANAGER), set()),
    ((1, Role.MANAGER), set()),
    ((2, Role.SMM), {"smm"}),
    ((1, Role.SMM), set()),
    ((1, Role.MODERATOR), {"moderator"}),
    ((2, Role.MODERATOR), {"moderator"}),
    ((4, Role.MODERATOR), set()),
    ((6, Role.MODERATOR), set()),
    ((1, Role.ADMIN), {"admin"}),
    ((2, Role.ADMIN), {"admin", "org_admin"}),
    ((4, Role.ADMIN), set()),
    ((3, Role.MODERATOR), set()),
    ((3, Role.ADMIN), set()),
    ((1, Role.CURATOR), {"curator"}),
    ((2, Role.CURATOR), {"curator"}),
    ((3, Role.CURATOR), set()),
    ((4, Role.CURATOR), set()),
], ids=lambda v: f"{v[1].value}@{v[0]}" if isinstance(v, tuple) else None)
def test_single_membership(membership: tuple[int, Role], expected: set[str]) -> None:
    assert roles(membership) == frozenset(expected)


def test_memberships_combine() -> None:
    got = roles((2, Role.COORDINATOR), (1, Role.CURATOR), (3, Role.EXECUTOR), (4, Role.MANAGER))
    assert got == frozenset({"coordinator", "curator", "executor"})
    assert roles() == frozenset()


def test_moderator_of_a_district_moderates_its_settlements_only() -> None:
    in_district = MessageScope(organisation_id=None, executor_organisation_id=None,
                               territory_path=(5, 2, 1))
    elsewhere = MessageScope(organisation_id=None, executor_organisation_id=None,
                             territory_path=(4, 1))
    assert roles((2, Role.MODERATOR), scope=in_district) == frozenset({"moderator"})
    assert roles((2, Role.MODERATOR), scope=elsewhere) == frozenset()
    assert roles((1, Role.MODERATOR), scope=elsewhere) == frozenset({"moderator"})


def test_message_without_organisation_has_no_org_roles() -> None:
    scope = MessageScope(organisation_id=None, executor_organisation_id=None,
                         territory_path=(5, 2, 1))
    got = roles((2, Role.COORDINATOR), (2, Role.MANAGER), (1, Role.CURATOR), (3, Role.EXECUTOR),
                scope=scope)
    assert got == frozenset()


def test_moderator_needs_territory_even_in_the_message_organisation() -> None:
    # A federal body (no territory in the region) holds the message: its moderator moderates
    # nothing here, while its coordinator and admin act as the message's organisation.
    scope = MessageScope(organisation_id=6, executor_organisation_id=None,
                         territory_path=(5, 2, 1))
    assert roles((6, Role.MODERATOR), scope=scope) == frozenset()
    assert roles((6, Role.COORDINATOR), (6, Role.ADMIN), scope=scope) == frozenset(
        {"coordinator", "org_admin"})


def test_admin_of_an_ordinary_organisation_sees_but_cannot_moderate() -> None:
    from core.domain.enums import Status
    from core.domain.workflow import available_actions

    scope = MessageScope(organisation_id=3, executor_organisation_id=None,
                         territory_path=(5, 2, 1))
    got = roles((3, Role.ADMIN), (3, Role.MODERATOR), scope=scope)
    assert got == frozenset({"org_admin"})
    assert can_view(got)
    assert available_actions(Status.MODERATION, got) == []


def test_unknown_organisation_territory_covers_nothing() -> None:
    got = roles_for_message([Membership(77, Role.MODERATOR)], SCOPE,
                            org_ancestors=ORG_ANCESTORS, org_territory={})
    assert got == frozenset()


def test_curator_sees_after_a_redirect_to_a_subordinate() -> None:
    scope = MessageScope(organisation_id=3, executor_organisation_id=None,
                         territory_path=(5, 2, 1))
    assert roles((1, Role.CURATOR), scope=scope) == frozenset({"curator"})
    assert roles((2, Role.CURATOR), scope=scope) == frozenset({"curator"})
    assert roles((4, Role.CURATOR), scope=scope) == frozenset()


def test_can_view() -> None:
    assert can_view(frozenset({"curator"})) is True
    assert can_view(frozenset()) is False


@pytest.mark.parametrize(("source", "target", "expected"), [
    (2, 1, "higher"),
    (3, 1, "higher"),
    (3, 2, "higher"),
    (1, 2, "subordinate"),
    (1, 3, "subordinate"),
    (2, 3, "subordinate"),
    (2, 4, "non_subordinate"),
    (3, 4, "non_subordinate"),
    (4, 3, "non_subordinate"),
    (1, 6, "non_subordinate"),
    (6, 1, "non_subordinate"),
    (2, 2, "non_subordinate"),
])
def test_relation(source: int, target: int, expected: str) -> None:
    assert relation(source, target, ORG_ANCESTORS) == expected


def _admin_roles(org: int, *, offices: frozenset[int], former: frozenset[int] = frozenset()
                 ) -> frozenset[str]:
    return roles_for_message([Membership(org, Role.ADMIN)], SCOPE, org_ancestors=ORG_ANCESTORS,
                             org_territory=ORG_TERRITORY, moderation_centres=frozenset(),
                             regional_offices=offices, former_organisations=former)


def test_an_admin_of_the_regional_government_is_a_regional_admin() -> None:
    assert _admin_roles(1, offices=frozenset({1})) == {"admin"}
    assert _admin_roles(1, offices=frozenset()) == set()
    assert _admin_roles(4, offices=frozenset({4})) == set()  # its territory is elsewhere


def test_a_former_holder_only_reads() -> None:
    got = _admin_roles(4, offices=frozenset(), former=frozenset({4}))
    assert got == {FORMER}
    assert not sees_personal_data(got)


@pytest.mark.parametrize(("found", "sees"), [
    ({"coordinator"}, True), ({"executor"}, True), ({"manager"}, True), ({"org_admin"}, True),
    ({"moderator"}, False), ({"admin"}, False), ({"curator"}, False), ({"smm"}, False),
    ({FORMER}, False), ({"moderator", "coordinator"}, True),
])
def test_personal_data_is_for_the_handling_organisation(found: set[str], sees: bool) -> None:
    assert sees_personal_data(frozenset(found)) is sees
