"""Routing rules of a region: a category or a subcategory on a territory goes to one
organisation. The precedence (a subcategory rule beats a category rule, a deeper territory
beats a wider one) is the domain's: see ``core.domain.routing``.

A territory holds at most one rule per category and per subcategory: a second one with another
organisation would silently shadow the first, so it is refused rather than added.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import tables as t
from core.domain.errors import NotFound, ValidationError
from core.services.admin.audit import audit
from core.services.admin.authority import (
    load_org_graph,
    load_scope,
    lock_region,
    require_region,
    resolve_region,
    scope_in,
)
from core.services.directory import CategoryInfo, Directory
from core.services.platform import Platform


@dataclass(frozen=True, slots=True)
class RoutingRuleView:
    id: int
    territory_id: int
    territory_name: str
    category_id: int  # the rule's category, or its subcategory's category
    category_name: str
    subcategory_id: int | None  # None for a rule on the whole category
    subcategory_name: str | None
    organisation_id: int
    organisation_name: str
    organisation_active: bool

    @property
    def subject(self) -> str:
        """«категория «Дороги»» or «подкатегория «Ямы» (Дороги)»."""
        if self.subcategory_name is not None:
            return f"подкатегория «{self.subcategory_name}» ({self.category_name})"
        return f"категория «{self.category_name}»"


def category_of(d: Directory, ref: int | str) -> CategoryInfo:
    cid = ref if isinstance(ref, int) else d.category_by_slug.get(ref)
    if cid is None or cid not in d.categories:
        raise NotFound(f"Категория «{ref}» не найдена в классификаторе")
    return d.categories[cid]


def _view(d: Directory, row: t.RoutingRuleRow, org_name: str, org_active: bool
          ) -> RoutingRuleView:
    sub = d.subcategories.get(row.subcategory_id) if row.subcategory_id is not None else None
    cat_id = sub.category_id if sub is not None else (row.category_id or 0)
    cat = d.categories.get(cat_id)
    territory = d.territories.get(row.territory_id)
    return RoutingRuleView(
        id=row.id, territory_id=row.territory_id,
        territory_name=territory.name if territory else str(row.territory_id),
        category_id=cat_id, category_name=cat.name if cat else str(cat_id),
        subcategory_id=row.subcategory_id,
        subcategory_name=(sub.name if sub else str(row.subcategory_id))
        if row.subcategory_id is not None else None,
        organisation_id=row.organisation_id, organisation_name=org_name,
        organisation_active=org_active)


async def list_routing_rules(p: Platform, *, staff_id: int, region: int | str
                             ) -> list[RoutingRuleView]:
    """The region's rules by category in the classifier's order, the category rule before
    its subcategories' rules, wider territories first."""
    d = await p.directory.get()
    region_id = resolve_region(d, region)
    async with p.db.sessions() as session:
        graph = await load_org_graph(session, d)
        require_region(await scope_in(session, graph, staff_id), d, region_id)
        rows = (await session.scalars(select(t.RoutingRuleRow))).all()
    views = []
    for row in rows:
        territory = d.territories.get(row.territory_id)
        if territory is None or territory.region_id != region_id:
            continue
        org = graph.nodes[row.organisation_id]
        views.append(_view(d, row, org.name, org.is_active))

    def order(v: RoutingRuleView) -> tuple[int, int, int, str, int]:
        cat = d.categories.get(v.category_id)
        sub = d.subcategories.get(v.subcategory_id) if v.subcategory_id is not None else None
        return (cat.position if cat else 0, -1 if sub is None else sub.position,
                len(d.territory_path(v.territory_id)) if v.territory_id in d.territories
                else 0, v.territory_name, v.id)

    return sorted(views, key=order)


async def add_routing_rule(
    p: Platform, *, staff_id: int, territory: int | str, organisation: int | str,
    category: int | str | None = None, subcategory: int | str | None = None,
) -> int:
    """Send a category or a subcategory (exactly one) on a territory to an active
    organisation of the same region."""
    if (category is None) == (subcategory is None):
        raise ValidationError("Укажите либо категорию, либо подкатегорию — одно из двух",
                              field="category")
    d = await p.directory.get()
    terr = d.territory(territory)
    region_id = terr.region_id
    cat_id: int | None = None
    sub_id: int | None = None
    if subcategory is not None:
        sub = d.subcategory(subcategory)
        if not sub.is_active:
            raise ValidationError(f"Подкатегория «{sub.name}» больше не используется",
                                  field="subcategory")
        sub_id, subject = sub.id, f"подкатегория «{sub.name}»"
    else:
        assert category is not None
        cat = category_of(d, category)
        cat_id, subject = cat.id, f"категория «{cat.name}»"
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        require_region(scope, d, region_id)
        org = graph.get(organisation)
        if graph.region_of(org.id) != region_id:
            raise ValidationError(f"«{org.display_name}» — организация другого региона",
                                  field="organisation")
        if not org.is_active:
            raise ValidationError(f"Организация «{org.display_name}» отключена",
                                  field="organisation")
        await lock_region(session, region_id)
        same = (await session.scalars(select(t.RoutingRuleRow).where(
            t.RoutingRuleRow.territory_id == terr.id,
            t.RoutingRuleRow.category_id.is_(None) if cat_id is None
            else t.RoutingRuleRow.category_id == cat_id,
            t.RoutingRuleRow.subcategory_id.is_(None) if sub_id is None
            else t.RoutingRuleRow.subcategory_id == sub_id))).first()
        if same is not None and same.organisation_id == org.id:
            raise ValidationError(f"Такое правило уже есть (№{same.id})")
        if same is not None:
            other = graph.nodes[same.organisation_id]
            raise ValidationError(
                f"Для: {subject}, территория «{terr.name}» — уже есть правило №{same.id} → "
                f"«{other.display_name}». Удалите его, чтобы направлять в другую организацию.")
        row = t.RoutingRuleRow(territory_id=terr.id, category_id=cat_id,
                               subcategory_id=sub_id, organisation_id=org.id)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise ValidationError("Такое правило уже есть") from None
        rule_id = row.id
    p.directory.invalidate()
    audit(scope, "routing.add",
          f"правило маршрутизации №{rule_id}: {subject}, территория «{terr.name}» → "
          f"«{org.display_name}»", rule_id=rule_id, territory_id=terr.id,
          category_id=cat_id, subcategory_id=sub_id, organisation_id=org.id)
    return rule_id


async def delete_routing_rule(p: Platform, *, staff_id: int, rule_id: int) -> None:
    """Remove a rule; the region's messages then fall to a wider rule or the default."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        row = await session.get(t.RoutingRuleRow, rule_id)
        if row is None or row.territory_id not in d.territories:
            raise NotFound(f"Правило маршрутизации №{rule_id} не найдено")
        region_id = d.territories[row.territory_id].region_id
        require_region(scope, d, region_id)
        await lock_region(session, region_id)
        org = graph.nodes[row.organisation_id]
        view = _view(d, row, org.name, org.is_active)
        await session.delete(row)
    p.directory.invalidate()
    audit(scope, "routing.delete",
          f"удалено правило маршрутизации №{rule_id}: {view.subject}, территория "
          f"«{view.territory_name}» → «{org.display_name}»", rule_id=rule_id,
          territory_id=view.territory_id, category_id=row.category_id,
          subcategory_id=row.subcategory_id, organisation_id=view.organisation_id)
