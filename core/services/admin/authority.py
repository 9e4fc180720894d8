"""Who may administer what: the one place that turns a staff member's roles into an
administration scope.

- A **regional admin** holds the role ``admin`` in a regional moderation centre (an
  organisation that ``moderates`` and sits on the region's own territory, such as the
  regional ЦУР) or in the region's top organisation (a regional executive body with no parent
  on the region's own territory, such as the regional government). They administer every
  organisation of that region, its staff, the region's classifier policy, routing rules and
  auto-rules.
- An **organisation admin** holds ``admin`` anywhere else. They administer that organisation
  and every organisation below it (sub-organisations and their staff), but not the classifier
  or routing. The organisations they were granted ``admin`` in ("roots") keep their kind,
  territory, parent and flags: changing those could lift the organisation out of the
  admin's reach or make it a regional one, which only a regional admin may decide.
- Anyone else administers nothing.

The organisation tree is read inside the caller's transaction, not from the cached directory
snapshot: a scope decided on a stale tree could let a change through that another process
has just made impossible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import OrgKind, Role, TerritoryKind
from core.domain.errors import NotFound, PermissionDenied
from core.services.directory import Directory, OrgInfo, TerritoryInfo, org_info
from core.services.platform import Platform

NO_ADMIN_RIGHTS = "Раздел «Администрирование» доступен только администраторам"




class OrgGraph:
    """The organisation tree as it is in the database now, with each organisation's region."""

    def __init__(self, nodes: Iterable[OrgInfo], territories: Mapping[int, TerritoryInfo]
                 ) -> None:
        self.nodes: dict[int, OrgInfo] = {n.id: n for n in nodes}
        self.territories = territories
        self.children: dict[int | None, list[int]] = {}
        for node in sorted(self.nodes.values(), key=lambda n: (n.name, n.id)):
            self.children.setdefault(node.parent_id, []).append(node.id)

    def get(self, ref: int | str) -> OrgInfo:
        """By id, or by code (case does not matter)."""
        if isinstance(ref, int):
            node = self.nodes.get(ref)
        else:
            wanted = ref.strip().upper()
            node = next((n for n in self.nodes.values() if n.code.upper() == wanted), None)
        if node is None:
            raise NotFound(f"Организация «{ref}» не найдена")
        return node

    def region_of(self, organisation_id: int) -> int:
        return self.territories[self.nodes[organisation_id].territory_id].region_id

    def in_region(self, region_id: int) -> set[int]:
        return {oid for oid in self.nodes if self.region_of(oid) == region_id}

    def ancestors(self, organisation_id: int) -> Iterator[int]:
        """Parent first, up to the root; stops on a cycle rather than looping forever."""
        seen = {organisation_id}
        parent = self.nodes[organisation_id].parent_id
        while parent is not None and parent not in seen and parent in self.nodes:
            seen.add(parent)
            yield parent
            parent = self.nodes[parent].parent_id

    def subtree(self, organisation_id: int) -> set[int]:
        """The organisation and everything below it."""
        found = {organisation_id}
        stack = [organisation_id]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def grants_region(self, organisation_id: int) -> int | None:
        """The region an ``admin`` role in this organisation administers whole, if any."""
        node = self.nodes[organisation_id]
        territory = self.territories.get(node.territory_id)
        if territory is None or territory.kind != TerritoryKind.REGION:
            return None
        regional_centre = node.moderates
        region_top = node.parent_id is None and node.kind == OrgKind.REGIONAL_EXECUTIVE
        return territory.region_id if regional_centre or region_top else None


async def load_org_graph(session: AsyncSession, d: Directory, *, lock: bool = False
                         ) -> OrgGraph:
    """``lock`` serialises changes to the tree (a move checked for cycles while another move
    runs could otherwise close a loop). FOR NO KEY UPDATE does not block intake, whose
    foreign keys only take KEY SHARE locks on organisations."""
    query = select(t.Organisation).order_by(t.Organisation.id)
    if lock:
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE on PostgreSQL
    rows = (await session.scalars(query)).all()
    return OrgGraph((org_info(r) for r in rows), d.territories)


@dataclass(frozen=True, slots=True)
class AdminScope:
    staff_id: int
    login: str
    regions: frozenset[int]  # administered whole
    organisations: frozenset[int]  # every organisation administered, in those regions too
    roots: frozenset[int]  # organisations held as an organisation admin (not regional)

    @property
    def is_admin(self) -> bool:
        return bool(self.organisations or self.regions)

    def administers_region(self, region_id: int) -> bool:
        return region_id in self.regions

    def administers(self, organisation_id: int) -> bool:
        return organisation_id in self.organisations

    def may_restructure(self, graph: OrgGraph, organisation_id: int) -> bool:
        """May change the organisation's kind, territory, parent, flags or activity."""
        if graph.region_of(organisation_id) in self.regions:
            return True
        return organisation_id in self.organisations and organisation_id not in self.roots


def compute_scope(staff_id: int, login: str, admin_in: Iterable[int], graph: OrgGraph
                  ) -> AdminScope:
    """``admin_in``: the organisations where the staff member holds the role ``admin``."""
    regions: set[int] = set()
    roots: set[int] = set()
    for org_id in admin_in:
        if org_id not in graph.nodes:
            continue
        region = graph.grants_region(org_id)
        if region is not None:
            regions.add(region)
        else:
            roots.add(org_id)
    organisations: set[int] = set()
    for region in regions:
        organisations |= graph.in_region(region)
    for root in roots:
        organisations |= graph.subtree(root)
    # A root inside an administered region is no limit: the regional scope covers it.
    roots = {r for r in roots if graph.region_of(r) not in regions}
    return AdminScope(staff_id, login, frozenset(regions), frozenset(organisations),
                      frozenset(roots))


async def scope_in(session: AsyncSession, graph: OrgGraph, staff_id: int) -> AdminScope:
    """The acting staff member's scope, read in the caller's transaction."""
    staff = await session.get(t.Staff, staff_id)
    if staff is None or not staff.is_active:
        raise PermissionDenied("Учётная запись не найдена или отключена")
    admin_in = (await session.scalars(select(t.StaffRole.organisation_id).where(
        t.StaffRole.staff_id == staff_id, t.StaffRole.role == Role.ADMIN.value))).all()
    return compute_scope(staff.id, staff.login, admin_in, graph)


async def load_scope(session: AsyncSession, d: Directory, staff_id: int, *, lock: bool = False
                     ) -> tuple[OrgGraph, AdminScope]:
    """The organisation tree and the acting staff member's scope on it, in one transaction."""
    graph = await load_org_graph(session, d, lock=lock)
    return graph, await scope_in(session, graph, staff_id)


async def admin_scope(p: Platform, *, staff_id: int) -> AdminScope:
    """What the staff member may administer (an empty scope for non-admins): pages use it to
    decide which sections to show."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        graph = await load_org_graph(session, d)
        return await scope_in(session, graph, staff_id)


def require_admin(scope: AdminScope) -> None:
    if not scope.is_admin:
        raise PermissionDenied(NO_ADMIN_RIGHTS)


def require_region(scope: AdminScope, d: Directory, region_id: int) -> None:
    require_admin(scope)
    if not scope.administers_region(region_id):
        name = d.territories[region_id].name if region_id in d.territories else region_id
        raise PermissionDenied(f"Классификатор, маршрутизацию и автоправила региона «{name}» "
                               "настраивает только администратор этого региона")


def require_organisation(scope: AdminScope, node: OrgInfo) -> None:
    require_admin(scope)
    if not scope.administers(node.id):
        raise PermissionDenied(f"Организация «{node.display_name}» вне вашей зоны "
                               "администрирования")


def require_restructure(scope: AdminScope, graph: OrgGraph, node: OrgInfo) -> None:
    require_organisation(scope, node)
    if not scope.may_restructure(graph, node.id):
        raise PermissionDenied(
            f"Вид, территорию, вышестоящую организацию, признак модерации и активность "
            f"организации «{node.display_name}» меняет администратор вышестоящей организации "
            "или региона")


def resolve_region(d: Directory, region: int | str) -> int:
    territory = d.territory(region)
    if territory.id not in d.regions:
        raise NotFound(f"«{territory.name}» — не регион")
    return territory.id


async def end_sessions(session: AsyncSession, staff_id: int) -> None:
    """Sign the account out everywhere (its sessions live on the server)."""
    await session.execute(delete(t.StaffSession).where(t.StaffSession.staff_id == staff_id))


async def lock_region(session: AsyncSession, region_id: int) -> None:
    """Serialise changes to one region's rules: two admins adding the same routing rule, or
    moving auto-rules at once, must not both decide on the old state. On SQLite the
    IMMEDIATE transaction already holds the write lock; the row lock is for PostgreSQL."""
    await session.execute(select(t.Territory.id).where(t.Territory.id == region_id)
                          .with_for_update(key_share=True))  # FOR NO KEY UPDATE
