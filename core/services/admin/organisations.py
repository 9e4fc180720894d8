"""Organisations and their hierarchy: the tree within an admin's scope, creating, editing,
moving (never into a cycle) and deactivating organisations.

Codes never change once given: the command line, imports and widgets name organisations by
code. Organisations are deactivated, never deleted — messages keep pointing at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import OrgKind
from core.domain.errors import PermissionDenied, ValidationError
from core.services.admin.audit import audit
from core.services.admin.authority import (
    AdminScope,
    OrgGraph,
    load_scope,
    require_admin,
    require_organisation,
    require_restructure,
)
from core.services.directory import Directory, OrgInfo
from core.services.platform import Platform

ORG_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,63}$")
NAME_MAX, SHORT_NAME_MAX = 500, 255
_BLOCKERS_SHOWN = 5  # a ministry may be the target of dozens of rules

ORG_KIND_TITLES: dict[OrgKind, str] = {
    OrgKind.REGIONAL_EXECUTIVE: "Орган исполнительной власти региона",
    OrgKind.LOCAL_SELF_GOVERNMENT: "Орган местного самоуправления",
    OrgKind.INSTITUTION: "Учреждение",
    OrgKind.FEDERAL: "Федеральный орган",
}


@dataclass(frozen=True, slots=True)
class OrganisationNode:
    id: int
    code: str
    name: str
    short_name: str | None
    kind: OrgKind
    kind_title: str
    territory_id: int
    territory_name: str
    parent_id: int | None
    is_active: bool
    moderates: bool
    staff_count: int  # active accounts with any role in the organisation itself
    depth: int  # 0 for the top of the admin's tree
    may_restructure: bool  # the admin may change kind, territory, parent, flags, activity
    children: tuple[OrganisationNode, ...]

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


def walk(nodes: Iterable[OrganisationNode]) -> Iterator[OrganisationNode]:
    """Depth first, parents before children: the order an indented list prints in."""
    for node in nodes:
        yield node
        yield from walk(node.children)


@dataclass(frozen=True, slots=True)
class OrganisationForm:
    """What an admin edits. ``territory`` and ``parent`` are ids or codes."""

    name: str
    kind: OrgKind | str
    territory: int | str
    parent: int | str | None = None
    short_name: str | None = None
    moderates: bool = False
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class _Clean:
    name: str
    short_name: str | None
    kind: OrgKind
    territory_id: int
    parent: OrgInfo | None
    moderates: bool
    is_active: bool


def _clean(form: OrganisationForm, d: Directory, graph: OrgGraph) -> _Clean:
    name = form.name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(f"Название организации — от 1 до {NAME_MAX} символов",
                              field="name")
    short_name = (form.short_name or "").strip() or None
    if short_name is not None and len(short_name) > SHORT_NAME_MAX:
        raise ValidationError(f"Краткое название — не длиннее {SHORT_NAME_MAX} символов",
                              field="short_name")
    try:
        kind = OrgKind(form.kind)
    except ValueError:
        raise ValidationError("Неизвестный вид организации; допустимы: "
                              + ", ".join(ORG_KIND_TITLES.values()), field="kind") from None
    territory = d.territory(form.territory)
    parent = graph.get(form.parent) if form.parent is not None else None
    return _Clean(name, short_name, kind, territory.id, parent, form.moderates, form.is_active)


def _region(d: Directory, territory_id: int) -> int:
    return d.territories[territory_id].region_id


def _check_placement(scope: AdminScope, d: Directory, graph: OrgGraph, clean: _Clean,
                     node: OrgInfo | None) -> None:
    """Where an organisation may sit: under a parent in the admin's scope and in the parent's
    region, or at the top of a region the admin administers whole; never under itself."""
    region = _region(d, clean.territory_id)
    if clean.parent is None:
        if not scope.administers_region(region):
            raise PermissionDenied("Организацию верхнего уровня (без вышестоящей) создаёт и "
                                   "размещает только администратор региона")
        return
    require_organisation(scope, clean.parent)
    if graph.region_of(clean.parent.id) != region:
        raise ValidationError(
            f"Территория организации должна лежать в регионе вышестоящей организации "
            f"«{clean.parent.display_name}»", field="territory")
    if node is None:
        return
    if clean.parent.id == node.id:
        raise ValidationError("Организация не может подчиняться самой себе", field="parent")
    if clean.parent.id in graph.subtree(node.id):
        raise ValidationError(
            f"«{clean.parent.display_name}» подчинена «{node.display_name}»: организация не "
            "может подчиняться своей подчинённой (получился бы цикл)", field="parent")


def _check_moderation_flag(scope: AdminScope, region_id: int) -> None:
    # A moderation centre's admins become regional admins and its moderators see the whole
    # territory: only a regional admin may make or unmake one.
    if not scope.administers_region(region_id):
        raise PermissionDenied("Признак «модерирует сообщения» ставит и снимает только "
                               "администратор региона")


async def _staff_counts(session: AsyncSession) -> dict[int, int]:
    rows = (await session.execute(
        select(t.StaffRole.organisation_id, func.count(func.distinct(t.StaffRole.staff_id)))
        .join(t.Staff, t.Staff.id == t.StaffRole.staff_id)
        .where(t.Staff.is_active.is_(True))
        .group_by(t.StaffRole.organisation_id))).all()
    return {org: int(n) for org, n in rows}


def _tree(scope: AdminScope, d: Directory, graph: OrgGraph, counts: dict[int, int],
          top: Iterable[int]) -> list[OrganisationNode]:
    def build(org_id: int, depth: int, seen: frozenset[int]) -> OrganisationNode:
        n = graph.nodes[org_id]
        kind = OrgKind(n.kind)
        children = tuple(build(c, depth + 1, seen | {c})
                         for c in graph.children.get(org_id, ())
                         if c in scope.organisations and c not in seen)
        territory = d.territories.get(n.territory_id)
        return OrganisationNode(
            id=n.id, code=n.code, name=n.name, short_name=n.short_name, kind=kind,
            kind_title=ORG_KIND_TITLES[kind], territory_id=n.territory_id,
            territory_name=territory.name if territory else str(n.territory_id),
            parent_id=n.parent_id, is_active=n.is_active, moderates=n.moderates,
            staff_count=counts.get(n.id, 0), depth=depth,
            may_restructure=scope.may_restructure(graph, n.id), children=children)

    return [build(org_id, 0, frozenset({org_id})) for org_id in top]


async def list_organisations(p: Platform, *, staff_id: int) -> list[OrganisationNode]:
    """The organisations the admin administers, as a tree: the tops are those whose parent is
    outside the scope (or who have none), ordered by name; inactive ones are included."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        graph, scope = await load_scope(session, d, staff_id)
        require_admin(scope)
        counts = await _staff_counts(session)
    top = sorted((oid for oid in scope.organisations
                  if graph.nodes[oid].parent_id not in scope.organisations),
                 key=lambda oid: (graph.nodes[oid].name, oid))
    return _tree(scope, d, graph, counts, top)


async def get_organisation(p: Platform, *, staff_id: int, organisation: int | str
                           ) -> OrganisationNode:
    """One organisation with its subtree (for an edit page)."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        graph, scope = await load_scope(session, d, staff_id)
        node = graph.get(organisation)
        require_organisation(scope, node)
        counts = await _staff_counts(session)
    [found] = _tree(scope, d, graph, counts, [node.id])
    return found


def _clean_code(code: str) -> str:
    code = code.strip().upper()
    if not ORG_CODE_RE.match(code):
        raise ValidationError("Код организации: латинские буквы, цифры, точка, дефис или _; "
                              "от 2 до 64 символов", field="code")
    return code


async def create_organisation(p: Platform, *, staff_id: int, code: str,
                              form: OrganisationForm) -> int:
    """A new organisation under a parent in the admin's scope (a regional admin may also
    create one at the top of the region). Codes are unique regardless of case."""
    code = _clean_code(code)
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id, lock=True)
        require_admin(scope)
        clean = _clean(form, d, graph)
        _check_placement(scope, d, graph, clean, None)
        if clean.moderates:
            _check_moderation_flag(scope, _region(d, clean.territory_id))
        taken = next((n for n in graph.nodes.values() if n.code.upper() == code), None)
        if taken is not None:
            raise ValidationError(f"Код «{code}» уже занят: {taken.name}", field="code")
        row = t.Organisation(code=code, name=clean.name, short_name=clean.short_name,
                             kind=clean.kind.value, territory_id=clean.territory_id,
                             parent_id=clean.parent.id if clean.parent else None,
                             is_active=clean.is_active, moderates=clean.moderates)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise ValidationError(f"Код «{code}» уже занят", field="code") from None
        new_id = row.id
    p.directory.invalidate()
    audit(scope, "organisation.create", f"создана организация «{clean.name}» ({code})",
          organisation_id=new_id, code=code,
          parent_id=clean.parent.id if clean.parent else None,
          territory_id=clean.territory_id, kind=clean.kind.value, moderates=clean.moderates,
          is_active=clean.is_active)
    return new_id


async def _deactivation_blockers(session: AsyncSession, d: Directory, node: OrgInfo
                                 ) -> list[str]:
    """Why the organisation cannot stop receiving messages, in words naming each rule."""
    reasons: list[str] = []
    regions = (await session.scalars(select(t.RegionSettings.region_id).where(
        t.RegionSettings.default_organisation_id == node.id))).all()
    for region_id in regions:
        territory = d.territories.get(region_id)
        reasons.append("адресат по умолчанию региона "
                       f"«{territory.name if territory else region_id}»")
    rules = (await session.scalars(select(t.RoutingRuleRow).where(
        t.RoutingRuleRow.organisation_id == node.id).order_by(t.RoutingRuleRow.id))).all()
    for rule in rules:
        if rule.subcategory_id is not None:
            sub = d.subcategories.get(rule.subcategory_id)
            what = f"подкатегория «{sub.name if sub else rule.subcategory_id}»"
        else:
            cat = d.categories.get(rule.category_id or 0)
            what = f"категория «{cat.name if cat else rule.category_id}»"
        territory = d.territories.get(rule.territory_id)
        where = territory.name if territory else str(rule.territory_id)
        reasons.append(f"правило маршрутизации №{rule.id} ({what}, территория «{where}»)")
    auto = (await session.scalars(select(t.AutoRuleRow).where(
        t.AutoRuleRow.organisation_id == node.id, t.AutoRuleRow.is_active.is_(True))
        .order_by(t.AutoRuleRow.position))).all()
    reasons.extend(f"автоправило «{rule.name}»" for rule in auto)
    return reasons


async def _refuse_if_blocked(session: AsyncSession, d: Directory, node: OrgInfo) -> None:
    reasons = await _deactivation_blockers(session, d, node)
    if reasons:
        shown = reasons[:_BLOCKERS_SHOWN]
        if len(reasons) > len(shown):
            shown.append(f"и ещё {len(reasons) - len(shown)}")
        raise ValidationError(
            f"Нельзя отключить «{node.display_name}»: в эту организацию направляются "
            "сообщения — " + "; ".join(shown) + ". Сначала направьте их в другую организацию.",
            field="is_active")


async def update_organisation(p: Platform, *, staff_id: int, organisation: int | str,
                              form: OrganisationForm) -> None:
    """Change an organisation's name, short name, kind, territory, parent, moderation flag
    and activity (the same checks as moving and deactivating apply)."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id, lock=True)
        node = graph.get(organisation)
        require_organisation(scope, node)
        clean = _clean(form, d, graph)
        parent_id = clean.parent.id if clean.parent else None
        restructured = (clean.kind.value != node.kind or clean.territory_id != node.territory_id
                        or parent_id != node.parent_id or clean.moderates != node.moderates
                        or clean.is_active != node.is_active)
        if restructured:
            require_restructure(scope, graph, node)
        if _region(d, clean.territory_id) != graph.region_of(node.id):
            raise ValidationError("Организацию нельзя перенести в другой регион",
                                  field="territory")
        if parent_id != node.parent_id:
            _check_placement(scope, d, graph, clean, node)
        if clean.moderates != node.moderates:
            _check_moderation_flag(scope, graph.region_of(node.id))
        if node.is_active and not clean.is_active:
            await _refuse_if_blocked(session, d, node)
        row = await session.get(t.Organisation, node.id)
        assert row is not None  # locked above
        before = {"name": row.name, "short_name": row.short_name, "kind": row.kind,
                  "territory_id": row.territory_id, "parent_id": row.parent_id,
                  "moderates": row.moderates, "is_active": row.is_active}
        after = {"name": clean.name, "short_name": clean.short_name, "kind": clean.kind.value,
                 "territory_id": clean.territory_id, "parent_id": parent_id,
                 "moderates": clean.moderates, "is_active": clean.is_active}
        for key, value in after.items():
            setattr(row, key, value)
    changed = {k: {"было": before[k], "стало": v} for k, v in after.items() if before[k] != v}
    if not changed:
        return
    p.directory.invalidate()
    audit(scope, "organisation.update", f"изменена организация «{clean.name}» ({node.code})",
          organisation_id=node.id, changes=changed)


async def move_organisation(p: Platform, *, staff_id: int, organisation: int | str,
                            parent: int | str | None) -> None:
    """Put an organisation (with everything below it) under another parent, or at the top of
    its region (regional admins only). An organisation cannot go under itself or anything
    below it."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id, lock=True)
        node = graph.get(organisation)
        require_restructure(scope, graph, node)
        new_parent = graph.get(parent) if parent is not None else None
        if (new_parent.id if new_parent else None) == node.parent_id:
            return
        clean = _Clean(node.name, node.short_name, OrgKind(node.kind), node.territory_id,
                       new_parent, node.moderates, node.is_active)
        _check_placement(scope, d, graph, clean, node)
        row = await session.get(t.Organisation, node.id)
        assert row is not None  # locked above
        row.parent_id = new_parent.id if new_parent else None
    p.directory.invalidate()
    where = f"под «{new_parent.display_name}»" if new_parent else "на верхний уровень"
    audit(scope, "organisation.move", f"организация «{node.display_name}» перенесена {where}",
          organisation_id=node.id, parent_before=node.parent_id,
          parent_after=new_parent.id if new_parent else None)


async def _set_active(p: Platform, staff_id: int, organisation: int | str, active: bool
                      ) -> None:
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id, lock=True)
        node = graph.get(organisation)
        require_restructure(scope, graph, node)
        if node.is_active == active:
            return
        if not active:
            await _refuse_if_blocked(session, d, node)
        row = await session.get(t.Organisation, node.id)
        assert row is not None  # locked above
        row.is_active = active
    p.directory.invalidate()
    verb = "включена" if active else "отключена"
    audit(scope, "organisation.activate" if active else "organisation.deactivate",
          f"организация «{node.display_name}» {verb}", organisation_id=node.id)


async def deactivate_organisation(p: Platform, *, staff_id: int, organisation: int | str
                                  ) -> None:
    """Stop using an organisation. Refused while a routing rule, an active auto-rule or a
    region's default sends messages to it; the error names each of them."""
    await _set_active(p, staff_id, organisation, False)


async def reactivate_organisation(p: Platform, *, staff_id: int, organisation: int | str
                                  ) -> None:
    await _set_active(p, staff_id, organisation, True)
