"""A region's classifier policy: answer deadlines and fast-track per subcategory, the shipped
classifier's values with the region's own overrides on top.

An override stores only what the region changed (NULL keeps the classifier's value), so a
later classifier import still reaches every field the region left alone. The limits are the
classifier import's own (``core.domain.classifier``): a region cannot set what an imported
classifier could not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import tables as t
from core.domain.classifier import MAX_ANSWER_DAYS, MAX_FAST_DAYS, MIN_ANSWER_DAYS, MIN_FAST_DAYS
from core.domain.errors import ValidationError
from core.services.admin.audit import audit
from core.services.admin.authority import (
    load_org_graph,
    load_scope,
    require_region,
    resolve_region,
    scope_in,
)
from core.services.platform import Platform

_FIELDS = ("answer_days", "fast_track", "fast_track_days")
_KEEP: tuple[int | None, bool | None, int | None] = (None, None, None)


@dataclass(frozen=True, slots=True)
class SubcategoryPolicy:
    id: int
    slug: str
    name: str
    # What the region's messages get: the override where there is one, else the classifier.
    answer_days: int
    fast_track: bool
    fast_track_days: int
    # The classifier's own values, shown next to an override.
    base_answer_days: int
    base_fast_track: bool
    base_fast_track_days: int
    # The region's override of each field, None where the classifier's value holds.
    override_answer_days: int | None
    override_fast_track: bool | None
    override_fast_track_days: int | None

    @property
    def overridden(self) -> bool:
        return (self.override_answer_days is not None or self.override_fast_track is not None
                or self.override_fast_track_days is not None)


@dataclass(frozen=True, slots=True)
class CategoryPolicy:
    id: int
    slug: str
    name: str
    subcategories: tuple[SubcategoryPolicy, ...]


async def list_classifier_policy(p: Platform, *, staff_id: int, region: int | str
                                 ) -> list[CategoryPolicy]:
    """Every category with its active subcategories and their effective deadlines in the
    region, in the classifier's order. Read from the database, not the cached snapshot: the
    page shows what was just saved even when another process saved it."""
    d = await p.directory.get()
    region_id = resolve_region(d, region)
    async with p.db.sessions() as session:
        graph = await load_org_graph(session, d)
        require_region(await scope_in(session, graph, staff_id), d, region_id)
        cats = (await session.scalars(select(t.Category).order_by(t.Category.position,
                                                                  t.Category.id))).all()
        subs = (await session.scalars(
            select(t.Subcategory).where(t.Subcategory.is_active.is_(True))
            .order_by(t.Subcategory.position, t.Subcategory.id))).all()
        overrides = {r.subcategory_id: r for r in (await session.scalars(
            select(t.RegionSubcategory).where(t.RegionSubcategory.region_id == region_id))
        ).all()}
    by_cat: dict[int, list[SubcategoryPolicy]] = {}
    for s in subs:
        o = overrides.get(s.id)
        days, fast, fast_days = ((o.answer_days, o.fast_track, o.fast_track_days) if o
                                 else (None, None, None))
        by_cat.setdefault(s.category_id, []).append(SubcategoryPolicy(
            id=s.id, slug=s.slug, name=s.name,
            answer_days=days if days is not None else s.answer_days,
            fast_track=fast if fast is not None else s.fast_track,
            fast_track_days=fast_days if fast_days is not None else s.fast_track_days,
            base_answer_days=s.answer_days, base_fast_track=s.fast_track,
            base_fast_track_days=s.fast_track_days, override_answer_days=days,
            override_fast_track=fast, override_fast_track_days=fast_days))
    return [CategoryPolicy(c.id, c.slug, c.name, tuple(by_cat.get(c.id, ()))) for c in cats]


def _check(answer_days: int | None, fast_track_days: int | None, base: t.Subcategory) -> None:
    if answer_days is not None and not MIN_ANSWER_DAYS <= answer_days <= MAX_ANSWER_DAYS:
        raise ValidationError(f"Срок ответа — от {MIN_ANSWER_DAYS} до {MAX_ANSWER_DAYS} дней",
                              field="answer_days")
    if fast_track_days is not None and not MIN_FAST_DAYS <= fast_track_days <= MAX_FAST_DAYS:
        raise ValidationError(f"Ускоренный срок — от {MIN_FAST_DAYS} до {MAX_FAST_DAYS} дней",
                              field="fast_track_days")
    # Checked on the values messages will get: an override of one field must still fit the
    # classifier's value of the other.
    days = answer_days if answer_days is not None else base.answer_days
    fast_days = fast_track_days if fast_track_days is not None else base.fast_track_days
    if fast_days >= days:
        raise ValidationError(
            f"Ускоренный срок ({fast_days} дн.) должен быть короче обычного ({days} дн.)",
            field="fast_track_days")


async def set_region_policy(
    p: Platform, *, staff_id: int, region: int | str, subcategory: int | str,
    answer_days: int | None, fast_track: bool | None, fast_track_days: int | None,
) -> None:
    """Set the region's override of one subcategory; None in a field keeps the classifier's
    value, and all three None clears the override."""
    d = await p.directory.get()
    region_id = resolve_region(d, region)
    sub_id = d.subcategory(subcategory).id
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        require_region(scope, d, region_id)
        base = await session.get(t.Subcategory, sub_id)
        assert base is not None  # the snapshot named it; subcategories are never deleted
        _check(answer_days, fast_track_days, base)
        row = await session.get(t.RegionSubcategory, (region_id, sub_id))
        before = (row.answer_days, row.fast_track, row.fast_track_days) if row else _KEEP
        after = (answer_days, fast_track, fast_track_days)
        if after == _KEEP:
            if row is not None:
                await session.delete(row)
        else:
            if row is None:
                row = t.RegionSubcategory(region_id=region_id, subcategory_id=sub_id)
                session.add(row)
            row.answer_days, row.fast_track, row.fast_track_days = after
        name = base.name
    if before == after:
        return
    p.directory.invalidate()
    audit(scope, "classifier.region_policy",
          f"сроки подкатегории «{name}» в регионе «{d.territories[region_id].name}»: "
          + ("как в классификаторе" if after == _KEEP else "свои"),
          region_id=region_id, subcategory_id=sub_id,
          before=dict(zip(_FIELDS, before, strict=True)),
          after=dict(zip(_FIELDS, after, strict=True)))


async def clear_region_policy(p: Platform, *, staff_id: int, region: int | str,
                              subcategory: int | str) -> None:
    """Back to the classifier's values for the region."""
    await set_region_policy(p, staff_id=staff_id, region=region, subcategory=subcategory,
                            answer_days=None, fast_track=None, fast_track_days=None)
