"""Administration services (both backends): who administers what, organisations and their
tree, staff and roles, a region's classifier policy, routing rules, auto-rules and the dry run
— which must agree with intake."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from core.db import tables as t
from core.domain.enums import OrgKind, Role, Source
from core.domain.errors import NotFound, PermissionDenied, ValidationError
from core.domain.routing import AutoAction
from core.services.admin import auto_rules as ar
from core.services.admin import classifier_policy as cp
from core.services.admin import organisations as orgs
from core.services.admin import routing_rules as rr
from core.services.admin import staff_accounts as sa
from core.services.admin.authority import admin_scope
from core.services.admin.dry_run import dry_run
from core.services.platform import Platform
from core.services.staff_auth import SignInError, session_for, sign_in
from tests.support import factories as f
from tests.support.directory import directory_restored

STRONG = "Parol-2026-xyz"


# The seeded directory is shared by every test of the session: each test here gets it back
# exactly as it was.
@pytest.fixture(autouse=True)
async def restored(platform: Platform) -> AsyncIterator[None]:
    async with directory_restored(platform):
        yield


async def sid(p: Platform, login: str) -> int:
    return (await f.staff(p, login)).staff_id


async def org(p: Platform, code: str) -> int:
    return await f.org_id(p, code)


async def make_org_admin(p: Platform, org_code: str, login: str = "svc.nsk.admin") -> int:
    return await sa.create_staff_account(
        p, staff_id=await sid(p, "admin"), login=login, full_name="Орлов Олег Олегович",
        password=STRONG, organisation=org_code, role=Role.ADMIN)


# -- authority ---------------------------------------------------------------------------

async def test_regional_admin_administers_the_whole_region(platform: Platform) -> None:
    d = await platform.directory.get()
    scope = await admin_scope(platform, staff_id=await sid(platform, "admin"))
    region = d.territory("54").id
    assert scope.regions == {region}
    assert scope.organisations == {o.id for o in d.organisations.values()
                                   if d.territories[o.territory_id].region_id == region}
    # An admin of the regional ЦУР (it moderates) is a regional admin too.
    cur_admin = await make_org_admin(platform, "CUR-54", "svc.cur.admin")
    assert (await admin_scope(platform, staff_id=cur_admin)).regions == {region}


async def test_organisation_admin_administers_its_subtree(platform: Platform) -> None:
    d = await platform.directory.get()
    nsk = await make_org_admin(platform, "NSK-ADM")
    scope = await admin_scope(platform, staff_id=nsk)
    assert scope.regions == frozenset()
    assert scope.organisations == set(d.subordinates(d.organisation("NSK-ADM").id))
    assert scope.roots == {d.organisation("NSK-ADM").id}
    for login in ("moderator", "coordinator", "curator", "smm"):
        assert not (await admin_scope(platform, staff_id=await sid(platform, login))).is_admin


async def test_non_admins_are_refused_everywhere(platform: Platform) -> None:
    coordinator = await sid(platform, "coordinator")
    calls = [
        orgs.list_organisations(platform, staff_id=coordinator),
        sa.list_staff(platform, staff_id=coordinator),
        cp.list_classifier_policy(platform, staff_id=coordinator, region="54"),
        rr.list_routing_rules(platform, staff_id=coordinator, region="54"),
        ar.list_auto_rules(platform, staff_id=coordinator, region="54"),
        dry_run(platform, staff_id=coordinator, subcategory="roads_potholes",
                source=Source.TELEGRAM, territory="54-nsk"),
        orgs.create_organisation(platform, staff_id=coordinator, code="X-1", form=orgs.
                                 OrganisationForm("Х", OrgKind.INSTITUTION, "54-nsk",
                                                  "NSK-ADM")),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match="администратор"):
            await call


async def test_organisation_admin_limits(platform: Platform) -> None:
    nsk = await make_org_admin(platform, "NSK-ADM")
    form = orgs.OrganisationForm("Отдел благоустройства", OrgKind.INSTITUTION, "54-nsk",
                                 "NSK-DTDBK")
    new = await orgs.create_organisation(platform, staff_id=nsk, code="nsk-otdel", form=form)
    assert (await platform.directory.get()).organisation("NSK-OTDEL").id == new
    with pytest.raises(PermissionDenied, match="вне вашей зоны"):
        await orgs.create_organisation(platform, staff_id=nsk, code="GOV-X", form=orgs.
                                       OrganisationForm("Х", OrgKind.INSTITUTION, "54", "GOV-54"))
    with pytest.raises(PermissionDenied, match="верхнего уровня"):
        await orgs.create_organisation(platform, staff_id=nsk, code="TOP-X", form=orgs.
                                       OrganisationForm("Х", OrgKind.INSTITUTION, "54-nsk"))
    with pytest.raises(PermissionDenied, match="модерирует"):
        await orgs.create_organisation(
            platform, staff_id=nsk, code="NSK-CUR",
            form=orgs.OrganisationForm("ЦУР", OrgKind.INSTITUTION, "54-nsk", "NSK-ADM",
                                       moderates=True))
    # Its own organisation: renamed yes, made into a regional body no.
    await orgs.update_organisation(platform, staff_id=nsk, organisation="NSK-ADM", form=orgs.
                                   OrganisationForm("Мэрия г. Новосибирска",
                                                    OrgKind.LOCAL_SELF_GOVERNMENT, "54-nsk"))
    assert (await platform.directory.get()).organisation("NSK-ADM").name == \
        "Мэрия г. Новосибирска"
    with pytest.raises(PermissionDenied, match="вышестоящей организации или региона"):
        await orgs.update_organisation(platform, staff_id=nsk, organisation="NSK-ADM",
                                       form=orgs.OrganisationForm(
                                           "Мэрия", OrgKind.REGIONAL_EXECUTIVE, "54"))
    with pytest.raises(PermissionDenied):
        await orgs.deactivate_organisation(platform, staff_id=nsk, organisation="NSK-ADM")
    tree = await orgs.list_organisations(platform, staff_id=nsk)
    assert [n.code for n in tree] == ["NSK-ADM"] and tree[0].may_restructure is False
    assert any(n.code == "NSK-OTDEL" and n.may_restructure for n in orgs.walk(tree))
    # Staff: only those of its organisations; never an account with roles beyond them.
    logins = {a.login for a in await sa.list_staff(platform, staff_id=nsk)}
    assert {"coordinator", "executor", "manager", "svc.nsk.admin"} <= logins
    assert not logins & {"admin", "moderator", "curator", "coordinator2"}
    with pytest.raises(NotFound):
        await sa.reset_staff_password(platform, staff_id=nsk,
                                      account_id=await sid(platform, "admin"),
                                      new_password=STRONG)
    with pytest.raises(PermissionDenied):
        await sa.grant_role(platform, staff_id=nsk, account_id=await sid(platform, "executor"),
                            organisation="GOV-54", role=Role.ADMIN)
    for call in (cp.list_classifier_policy(platform, staff_id=nsk, region="54"),
                 rr.list_routing_rules(platform, staff_id=nsk, region="54"),
                 ar.list_auto_rules(platform, staff_id=nsk, region="54")):
        with pytest.raises(PermissionDenied, match="администратор этого региона"):
            await call


# -- organisations ---------------------------------------------------------------------

async def test_the_tree_with_staff_counts(platform: Platform) -> None:
    d = await platform.directory.get()
    tree = await orgs.list_organisations(platform, staff_id=await sid(platform, "admin"))
    flat = list(orgs.walk(tree))
    assert sorted(n.id for n in flat) == sorted(d.organisations)  # each once
    assert all(n.parent_id is None and n.depth == 0 for n in tree)
    by_code = {n.code: n for n in flat}
    gov = by_code["GOV-54"]
    assert "CUR-54" in {c.code for c in gov.children}
    assert by_code["CUR-54"].depth == 1 and by_code["CUR-54"].moderates
    assert by_code["NSK-GCODD"].depth == 2
    assert by_code["NSK-ADM"].staff_count >= 3 and by_code["GOV-54"].staff_count >= 1
    assert by_code["NSK-ADM"].kind_title == "Орган местного самоуправления"
    assert by_code["NSK-ADM"].territory_name == "город Новосибирск"


async def test_create_edit_and_unique_codes(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    form = orgs.OrganisationForm("Комитет по делам молодёжи", OrgKind.REGIONAL_EXECUTIVE, "54",
                                 "GOV-54", short_name="Комитет молодёжи")
    new = await orgs.create_organisation(platform, staff_id=admin, code=" kdm-54 ", form=form)
    with pytest.raises(ValidationError, match="«KDM-54» уже занят"):
        await orgs.create_organisation(platform, staff_id=admin, code="Kdm-54", form=form)
    with pytest.raises(ValidationError, match="Код организации"):
        await orgs.create_organisation(platform, staff_id=admin, code="код", form=form)
    with pytest.raises(ValidationError, match="вид организации"):
        await orgs.create_organisation(platform, staff_id=admin, code="X-2", form=orgs.
                                       OrganisationForm("Х", "ministry", "54"))
    with pytest.raises(ValidationError, match="Название организации"):
        await orgs.create_organisation(platform, staff_id=admin, code="X-3", form=orgs.
                                       OrganisationForm("  ", OrgKind.INSTITUTION, "54"))
    await orgs.update_organisation(
        platform, staff_id=admin, organisation=new,
        form=orgs.OrganisationForm("Комитет по молодёжной политике", OrgKind.REGIONAL_EXECUTIVE,
                                   "54-nsk", "MINKULT-54", moderates=False))
    info = (await platform.directory.get()).organisation("KDM-54")
    assert (info.name, info.short_name) == ("Комитет по молодёжной политике", None)
    assert info.parent_id == await org(platform, "MINKULT-54")
    assert info.territory_id == (await platform.directory.get()).territory("54-nsk").id
    node = await orgs.get_organisation(platform, staff_id=admin, organisation="KDM-54")
    assert node.staff_count == 0 and node.children == ()


async def test_moves_never_make_a_cycle(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    with pytest.raises(ValidationError, match="цикл"):
        await orgs.move_organisation(platform, staff_id=admin, organisation="NSK-ADM",
                                     parent="NSK-GCODD")
    with pytest.raises(ValidationError, match="самой себе"):
        await orgs.move_organisation(platform, staff_id=admin, organisation="NSK-ADM",
                                     parent="NSK-ADM")
    with pytest.raises(ValidationError, match="цикл"):
        await orgs.update_organisation(platform, staff_id=admin, organisation="NSK-DTDBK",
                                       form=orgs.OrganisationForm(
                                           "Департамент", OrgKind.INSTITUTION, "54-nsk",
                                           "NSK-GET"))
    await orgs.move_organisation(platform, staff_id=admin, organisation="NSK-GYM1",
                                 parent="NSK-DTDBK")
    d = await platform.directory.get()
    assert d.org_ancestors(d.organisation("NSK-GYM1").id)[:2] == (
        d.organisation("NSK-DTDBK").id, d.organisation("NSK-ADM").id)
    await orgs.move_organisation(platform, staff_id=admin, organisation="NSK-GYM1", parent=None)
    assert (await platform.directory.get()).organisation("NSK-GYM1").parent_id is None


async def test_deactivation_refused_while_messages_go_there(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    with pytest.raises(ValidationError, match="правило маршрутизации") as err:
        await orgs.deactivate_organisation(platform, staff_id=admin, organisation="MINTRANS-54")
    assert "категория «Автомобильные дороги», территория «Новосибирская область»" in \
        err.value.message
    with pytest.raises(ValidationError,
                       match="адресат по умолчанию региона «Новосибирская область»"):
        await orgs.deactivate_organisation(platform, staff_id=admin, organisation="CUR-54")
    with pytest.raises(ValidationError, match="автоправило «Светофоры"):
        await orgs.deactivate_organisation(platform, staff_id=admin, organisation="NSK-GCODD")
    with pytest.raises(ValidationError, match="правило маршрутизации"):
        await orgs.update_organisation(platform, staff_id=admin, organisation="BERDSK-ADM",
                                       form=orgs.OrganisationForm(
                                           "Администрация города Бердска",
                                           OrgKind.LOCAL_SELF_GOVERNMENT, "54-berdsk",
                                           is_active=False))
    await orgs.deactivate_organisation(platform, staff_id=admin, organisation="NSK-GYM1")
    assert not (await platform.directory.get()).organisation("NSK-GYM1").is_active
    await orgs.reactivate_organisation(platform, staff_id=admin, organisation="NSK-GYM1")
    assert (await platform.directory.get()).organisation("NSK-GYM1").is_active


# -- staff and roles -------------------------------------------------------------------

async def test_account_creation_follows_login_and_password_rules(platform: Platform) -> None:
    admin = await sid(platform, "admin")

    async def create(login: str, password: str) -> int:
        return await sa.create_staff_account(
            platform, staff_id=admin, login=login, full_name="Белова Анна", password=password,
            organisation="BERDSK-ADM", role="coordinator", email="belova@example.ru")

    for login, password, problem in [
        ("Б", STRONG, "Логин"), ("admin", STRONG, "уже занят"),
        ("svc.belova", "short1", "не короче 10"),
        ("svc.belova", "parolparolparol", "и буквы, и цифры"),
    ]:
        with pytest.raises(ValidationError, match=problem):
            await create(login, password)
    with pytest.raises(ValidationError, match="роль"):
        await sa.create_staff_account(platform, staff_id=admin, login="svc.belova",
                                      full_name="Белова", password=STRONG,
                                      organisation="BERDSK-ADM", role="boss")
    new = await create(" Svc.Belova ", STRONG)
    account = await sa.get_staff_account(platform, staff_id=admin, account_id=new)
    assert account.login == "svc.belova" and account.manageable
    assert [(r.organisation_code, r.role_title) for r in account.roles] == [
        ("BERDSK-ADM", "Координатор")]
    assert (await sign_in(platform, "svc.belova", STRONG)).session.staff_id == new


async def test_roles_are_granted_and_revoked_in_scope(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    executor = await sid(platform, "executor")
    assert await sa.grant_role(platform, staff_id=admin, account_id=executor,
                               organisation="NSK-DO", role=Role.MANAGER)
    assert not await sa.grant_role(platform, staff_id=admin, account_id=executor,
                                   organisation="NSK-DO", role=Role.MANAGER)
    listed = {a.id: a for a in await sa.list_staff(platform, staff_id=admin,
                                                    organisation="NSK-DO")}
    assert {(r.organisation_code, r.role) for r in listed[executor].roles} == {
        ("NSK-ADM", Role.EXECUTOR), ("NSK-DO", Role.MANAGER)}
    assert await sa.revoke_role(platform, staff_id=admin, account_id=executor,
                                organisation="NSK-DO", role=Role.MANAGER)
    assert not await sa.revoke_role(platform, staff_id=admin, account_id=executor,
                                    organisation="NSK-DO", role=Role.MANAGER)
    with pytest.raises(ValidationError, match="последнюю роль администратора"):
        await sa.revoke_role(platform, staff_id=admin, account_id=admin,
                             organisation="GOV-54", role=Role.ADMIN)
    # With a second admin role the first one may go.
    await sa.grant_role(platform, staff_id=admin, account_id=admin, organisation="CUR-54",
                        role=Role.ADMIN)
    assert await sa.revoke_role(platform, staff_id=admin, account_id=admin,
                                organisation="GOV-54", role=Role.ADMIN)


async def test_deactivation_and_password_reset_end_sessions(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    executor = await sid(platform, "executor")
    signed = await sign_in(platform, "executor", "demo-executor")
    await sa.deactivate_staff(platform, staff_id=admin, account_id=executor)
    assert await session_for(platform, signed.token) is None
    async with platform.db.sessions() as session:
        left = (await session.scalars(select(t.StaffSession.token_hash).where(
            t.StaffSession.staff_id == executor))).all()
    assert left == []
    with pytest.raises(SignInError):
        await sign_in(platform, "executor", "demo-executor")
    listed = {a.login: a for a in await sa.list_staff(platform, staff_id=admin)}
    assert listed["executor"].is_active is False
    await sa.reactivate_staff(platform, staff_id=admin, account_id=executor)
    signed = await sign_in(platform, "executor", "demo-executor")

    with pytest.raises(ValidationError, match="не короче"):
        await sa.reset_staff_password(platform, staff_id=admin, account_id=executor,
                                      new_password="x1")
    await sa.reset_staff_password(platform, staff_id=admin, account_id=executor,
                                  new_password=STRONG)
    assert await session_for(platform, signed.token) is None
    with pytest.raises(SignInError):
        await sign_in(platform, "executor", "demo-executor")
    assert (await sign_in(platform, "executor", STRONG)).session.staff_id == executor

    with pytest.raises(ValidationError, match="собственную"):
        await sa.deactivate_staff(platform, staff_id=admin, account_id=admin)
    with pytest.raises(ValidationError, match="Сменить пароль"):
        await sa.reset_staff_password(platform, staff_id=admin, account_id=admin,
                                      new_password=STRONG)


async def test_organisation_admin_manages_only_whole_accounts(platform: Platform) -> None:
    nsk = await make_org_admin(platform, "NSK-ADM")
    executor = await sid(platform, "executor")
    await sa.deactivate_staff(platform, staff_id=nsk, account_id=executor)
    await sa.reactivate_staff(platform, staff_id=nsk, account_id=executor)
    # Give the executor a role outside NSK: the whole account is no longer NSK's to manage.
    await sa.grant_role(platform, staff_id=await sid(platform, "admin"), account_id=executor,
                        organisation="MINTRANS-54", role=Role.EXECUTOR)
    account = await sa.get_staff_account(platform, staff_id=nsk, account_id=executor)
    assert account.roles_elsewhere == 1 and not account.manageable
    with pytest.raises(PermissionDenied, match="вне вашей зоны"):
        await sa.deactivate_staff(platform, staff_id=nsk, account_id=executor)
    # Roles in its own organisations it still grants and revokes.
    assert await sa.grant_role(platform, staff_id=nsk, account_id=executor,
                               organisation="NSK-GCODD", role=Role.EXECUTOR)
    with pytest.raises(ValidationError, match="собственную"):
        await sa.deactivate_staff(platform, staff_id=nsk, account_id=nsk)


# -- classifier policy -----------------------------------------------------------------

async def test_region_policy_overrides_and_clears(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    d = await platform.directory.get()
    region = d.territory("54").id
    sub = d.subcategory("healthcare_appointment")

    def find(cats: list[cp.CategoryPolicy]) -> cp.SubcategoryPolicy:
        return next(s for c in cats for s in c.subcategories if s.slug == sub.slug)

    before = find(await cp.list_classifier_policy(platform, staff_id=admin, region="54"))
    assert (before.answer_days, before.fast_track, before.overridden) == (
        sub.answer_days, sub.fast_track, False)
    await cp.set_region_policy(platform, staff_id=admin, region=region, subcategory=sub.slug,
                               answer_days=15, fast_track=True, fast_track_days=3)
    after = find(await cp.list_classifier_policy(platform, staff_id=admin, region=region))
    assert (after.answer_days, after.fast_track, after.fast_track_days) == (15, True, 3)
    assert (after.base_answer_days, after.overridden) == (sub.answer_days, True)
    policy = (await platform.directory.get()).policy(region, sub.id)
    assert (policy.answer_days, policy.fast_track, policy.fast_track_days) == (15, True, 3)
    for days, fast_days, problem in [(5, None, "от 10 до 30"), (45, None, "от 10 до 30"),
                                     (None, 0, "от 1 до 10"), (10, 10, "короче обычного")]:
        with pytest.raises(ValidationError, match=problem):
            await cp.set_region_policy(platform, staff_id=admin, region=region,
                                       subcategory=sub.id, answer_days=days, fast_track=None,
                                       fast_track_days=fast_days)
    await cp.clear_region_policy(platform, staff_id=admin, region="54", subcategory=sub.slug)
    cleared = find(await cp.list_classifier_policy(platform, staff_id=admin, region="54"))
    assert not cleared.overridden and cleared.answer_days == sub.answer_days
    async with platform.db.sessions() as session:
        assert await session.get(t.RegionSubcategory, (region, sub.id)) is None
    with pytest.raises(NotFound, match="не регион"):
        await cp.list_classifier_policy(platform, staff_id=admin, region="54-nsk")


# -- routing rules ---------------------------------------------------------------------

async def test_routing_rules_list_add_refuse_duplicates_delete(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    rules = await rr.list_routing_rules(platform, staff_id=admin, region="54")
    roads = next(r for r in rules if r.category_name == "Автомобильные дороги"
                 and r.territory_name == "Новосибирская область" and r.subcategory_id is None)
    assert roads.organisation_name.startswith("Министерство транспорта")
    new = await rr.add_routing_rule(platform, staff_id=admin, territory="54",
                                    subcategory="roads_potholes", organisation="TUAD-54")
    listed = {r.id: r for r in await rr.list_routing_rules(platform, staff_id=admin,
                                                            region="54")}
    assert listed[new].subject == ("подкатегория «Ямы и выбоины на дороге» "
                                   "(Автомобильные дороги)")
    # The regional subcategory rule beats Novosibirsk's category rule.
    d = await platform.directory.get()
    assert d.route(subcategory_id=d.subcategory("roads_potholes").id,
                   territory_id=d.territory("54-nsk").id) == d.organisation("TUAD-54").id
    with pytest.raises(ValidationError, match="уже есть"):
        await rr.add_routing_rule(platform, staff_id=admin, territory="54",
                                  subcategory="roads_potholes", organisation="TUAD-54")
    with pytest.raises(ValidationError, match="уже есть правило"):
        await rr.add_routing_rule(platform, staff_id=admin, territory="54",
                                  subcategory="roads_potholes", organisation="MINTRANS-54")
    with pytest.raises(ValidationError, match="одно из двух"):
        await rr.add_routing_rule(platform, staff_id=admin, territory="54",
                                  organisation="MINTRANS-54")
    with pytest.raises(ValidationError, match="уже есть правило"):
        await rr.add_routing_rule(platform, staff_id=admin, territory="54", category="roads",
                                  organisation="TUAD-54")
    await rr.delete_routing_rule(platform, staff_id=admin, rule_id=new)
    assert new not in {r.id for r in await rr.list_routing_rules(platform, staff_id=admin,
                                                                  region="54")}
    with pytest.raises(NotFound):
        await rr.delete_routing_rule(platform, staff_id=admin, rule_id=new)


# -- auto-rules ------------------------------------------------------------------------

async def test_auto_rules_keep_a_dense_order(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    seeded = await ar.list_auto_rules(platform, staff_id=admin, region="54")
    assert [r.name for r in seeded][2].startswith("Светофоры")
    assert seeded[2].condition_texts == ("Категории: Автомобильные дороги",
                                         "Территории: город Новосибирск",
                                         "Ключевые слова: «светофор»")
    form = ar.AutoRuleForm(
        "Газ — ускоренно", AutoAction.MARK_FAST_TRACK,
        ar.AutoRuleConditions(categories=("gas_supply",), keywords=(" Запах газа ",)),
        stop=False)
    new = await ar.create_auto_rule(platform, staff_id=admin, region="54", form=form)
    rules = await ar.list_auto_rules(platform, staff_id=admin, region="54")
    assert [r.position for r in rules] == list(range(1, len(seeded) + 2))
    assert rules[-1].id == new and rules[-1].conditions.keywords == ("запах газа",)
    async with platform.db.sessions() as session:
        row = await session.get(t.AutoRuleRow, new)
    d = await platform.directory.get()
    assert row is not None and row.conditions == {
        "categories": [d.category_by_slug["gas_supply"]], "subcategories": [],
        "territories": [], "sources": [], "keywords": ["запах газа"]}
    assert new in {r.id for r in d.auto_rules_for(d.territory("54").id).rules}

    assert await ar.move_auto_rule(platform, staff_id=admin, rule_id=new, direction="up")
    rules = await ar.list_auto_rules(platform, staff_id=admin, region="54")
    assert [r.id for r in rules][-2:] == [new, seeded[-1].id]
    assert [r.position for r in rules] == list(range(1, len(rules) + 1))
    first = rules[0].id
    assert not await ar.move_auto_rule(platform, staff_id=admin, rule_id=first, direction="up")

    await ar.set_auto_rule_active(platform, staff_id=admin, rule_id=new, active=False)
    d = await platform.directory.get()
    assert new not in {r.id for r in d.auto_rules_for(d.territory("54").id).rules}
    await ar.update_auto_rule(platform, staff_id=admin, rule_id=new, form=ar.AutoRuleForm(
        "Газ в Бердске — в администрацию", AutoAction.REDIRECT,
        ar.AutoRuleConditions(categories=("gas_supply",), territories=("54-berdsk",),
                              sources=("vk", "telegram")),
        organisation="BERDSK-ADM", note="временно"))
    changed = next(r for r in await ar.list_auto_rules(platform, staff_id=admin, region="54")
                   if r.id == new)
    assert (changed.is_active, changed.organisation_name, changed.note) == (
        False, "Администрация города Бердска", "временно")
    assert "Источники: ВКонтакте, Telegram" in changed.condition_texts

    await ar.delete_auto_rule(platform, staff_id=admin, rule_id=seeded[0].id)
    rules = await ar.list_auto_rules(platform, staff_id=admin, region="54")
    assert [r.position for r in rules] == list(range(1, len(rules) + 1))
    assert seeded[0].id not in {r.id for r in rules}


async def test_auto_rule_validation(platform: Platform) -> None:
    admin = await sid(platform, "admin")

    async def create(form: ar.AutoRuleForm) -> int:
        return await ar.create_auto_rule(platform, staff_id=admin, region="54", form=form)

    cond = ar.AutoRuleConditions(categories=("roads",))
    for form, problem in [
        (ar.AutoRuleForm("Все", AutoAction.MARK_FAST_TRACK, ar.AutoRuleConditions()),
         "хотя бы одно условие"),
        (ar.AutoRuleForm("Без адресата", AutoAction.REDIRECT, cond), "выберите организацию"),
        (ar.AutoRuleForm("Х", "delete_all", cond), "Неизвестное действие"),
        (ar.AutoRuleForm("Х", AutoAction.MARK_FAST_TRACK,
                         ar.AutoRuleConditions(sources=("fax",))), "Неизвестный источник"),
        (ar.AutoRuleForm("", AutoAction.MARK_FAST_TRACK, cond), "Название"),
    ]:
        with pytest.raises(ValidationError, match=problem):
            await create(form)
    with pytest.raises(NotFound):
        await create(ar.AutoRuleForm("Х", AutoAction.MARK_FAST_TRACK,
                                     ar.AutoRuleConditions(categories=("no_such",))))


async def test_an_auto_rule_that_acted_is_disabled_not_deleted(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    msg = await f.file_message(platform, subcategory="roads_traffic_lights",
                               text="Не работает светофор на перекрёстке, дети без светофора.")
    [rule_id] = (await f.message_row(platform, msg.id)).auto_rule_ids
    with pytest.raises(ValidationError, match="отключите"):
        await ar.delete_auto_rule(platform, staff_id=admin, rule_id=rule_id)


# -- dry run ---------------------------------------------------------------------------

CASES: list[dict[str, Any]] = [
    {"subcategory": "roads_potholes", "address": "Новосибирск, ул. Ленина, 15"},
    {"subcategory": "roads_traffic_lights", "address": "Новосибирск, ул. Ленина, 15",
     "text": "Не работает светофор на перекрёстке, дети без светофора."},
    {"subcategory": "heating_low_temperature", "address": "г. Бердск, ул. Боровая, 103",
     "text": "Прорыв трубы отопления в подвале, батареи холодные весь день."},
    {"subcategory": "waste_pickup_delay", "territory": "54-iskitim",
     "text": "Мусор не вывезли уже пятый день, баки переполнены."},
    {"subcategory": "healthcare_appointment", "address": "где-то в области",
     "source": Source.WIDGET, "source_organisation": "MINZDRAV-54"},
    {"subcategory": "tourism_beaches", "address": "Коченёво, пляж"},
]


async def _agrees_with_intake(p: Platform, case: dict[str, Any]) -> Any:
    source = case.get("source", Source.TELEGRAM)
    text = case.get("text", f.POTHOLE_TEXT)
    where = {k: case[k] for k in ("address", "territory", "source_organisation") if k in case}
    result = await dry_run(p, staff_id=await sid(p, "admin"), subcategory=case["subcategory"],
                           source=source, text=text, **where)
    filed = await f.file_message(p, subcategory=case["subcategory"], source=source, text=text,
                                 **({"address": None} | where))
    row = await f.message_row(p, filed.id)
    assert (result.organisation_id, result.executor_organisation_id, result.fast_track,
            result.answer_due_text, result.territory_id) == (
        filed.organisation_id, row.executor_organisation_id, filed.fast_track,
        filed.answer_due_text, row.territory_id), case
    assert [r.id for r in result.fired_rules] == list(row.auto_rule_ids)
    return result


async def test_dry_run_gives_what_intake_gives(platform: Platform) -> None:
    results = [await _agrees_with_intake(platform, case) for case in CASES]
    potholes, lights, heating, waste, widget, _ = results
    assert potholes.routing.kind == "category_rule"
    assert potholes.routing.explanation == (
        "Правило маршрутизации для категории «Автомобильные дороги» на территории "
        "«город Новосибирск» → «Мэрия Новосибирска»")
    assert potholes.fired_rules == () and "Ни одно автоправило не сработало" in \
        potholes.explanation
    assert lights.executor_organisation_id == await org(platform, "NSK-GCODD")
    assert lights.fired_rules[0].explanation.startswith("Автоправило «Светофоры")
    assert heating.fast_track and "ускоренное рассмотрение (по автоправилу)" in \
        heating.explanation[-1]
    assert waste.territory_explanation == "Территория указана: «город Искитим»"
    assert waste.organisation_id == await org(platform, "REGOP-TKO-54")
    assert waste.routing.organisation_id != waste.organisation_id  # redirected by a rule
    assert widget.routing.kind == "source_organisation"
    assert widget.explanation[-1].startswith("Итог: адресат — «Минздрав НСО»")


async def test_dry_run_follows_rule_changes_at_once(platform: Platform) -> None:
    admin = await sid(platform, "admin")
    d = await platform.directory.get()
    tourism = next(r for r in await rr.list_routing_rules(platform, staff_id=admin, region="54")
                   if r.category_name == d.categories[d.category_by_slug["tourism"]].name
                   and r.territory_name == "Новосибирская область")
    await rr.delete_routing_rule(platform, staff_id=admin, rule_id=tourism.id)
    fallback = await _agrees_with_intake(platform, CASES[-1])
    assert fallback.routing.kind == "region_default"
    assert fallback.organisation_id == await org(platform, "CUR-54")
    assert "адресат по умолчанию региона «Новосибирская область»" in \
        fallback.routing.explanation

    await rr.add_routing_rule(platform, staff_id=admin, territory="54-kochenevo-r",
                              subcategory="tourism_beaches", organisation="KOCHENEVO-R-ADM")
    rule = await ar.create_auto_rule(platform, staff_id=admin, region="54", form=ar.AutoRuleForm(
        "Пляжи — исполнитель Коченёво", AutoAction.ASSIGN_EXECUTOR,
        ar.AutoRuleConditions(subcategories=("tourism_beaches",)),
        organisation="KOCHENEVO-ADM"), position=1)
    routed = await _agrees_with_intake(platform, CASES[-1])
    assert routed.routing.kind == "subcategory_rule"
    assert routed.routing.rule_territory_name == "Коченёвский район"
    assert [r.id for r in routed.fired_rules] == [rule]
    assert routed.executor_organisation_id == await org(platform, "KOCHENEVO-ADM")


# -- audit -----------------------------------------------------------------------------

async def test_changes_are_audited(platform: Platform, caplog: pytest.LogCaptureFixture
                                   ) -> None:
    admin = await sid(platform, "admin")
    caplog.set_level(logging.INFO, logger="pos.audit")
    await orgs.create_organisation(platform, staff_id=admin, code="AUDIT-1", form=orgs.
                                   OrganisationForm("Проверка", OrgKind.INSTITUTION, "54",
                                                    "GOV-54"))
    with pytest.raises(ValidationError):
        await orgs.create_organisation(platform, staff_id=admin, code="AUDIT-1", form=orgs.
                                       OrganisationForm("Проверка", OrgKind.INSTITUTION, "54",
                                                        "GOV-54"))
    [record] = [r for r in caplog.records if r.name == "pos.audit"]
    assert "admin" in record.getMessage() and "«Проверка» (AUDIT-1)" in record.getMessage()
    audit_data = record.__dict__["audit"]
    assert (audit_data["actor_staff_id"], audit_data["change"]) == (admin,
                                                                    "organisation.create")
