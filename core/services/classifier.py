"""Import and export of the classifier; region overrides of deadlines and fast-track."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.classifier import (
    CategorySpec,
    SubcategorySpec,
    classifier_document,
    parse_classifier,
)
from core.domain.errors import NotFound, ValidationError
from core.services.platform import Platform


def shipped_classifier() -> dict[str, Any]:
    """The classifier the project ships (31 categories, 400 subcategories)."""
    text = resources.files("core.data").joinpath("classifier.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


async def _upsert(session: AsyncSession, specs: list[CategorySpec]) -> tuple[int, int]:
    """Insert or update by slug. Subcategories absent from the document are deactivated, never
    deleted: messages keep pointing at them."""
    cats = {c.slug: c for c in (await session.scalars(select(t.Category))).all()}
    subs = {s.slug: s for s in (await session.scalars(select(t.Subcategory))).all()}
    seen: set[str] = set()
    for ci, spec in enumerate(specs):
        cat = cats.get(spec.slug)
        if cat is None:
            cat = t.Category(slug=spec.slug, name=spec.name, position=ci)
            session.add(cat)
            await session.flush()
        else:
            cat.name, cat.position = spec.name, ci
        for si, sub_spec in enumerate(spec.subcategories):
            seen.add(sub_spec.slug)
            row = subs.get(sub_spec.slug)
            if row is None:
                row = t.Subcategory(slug=sub_spec.slug)
                session.add(row)
            row.category_id = cat.id
            row.name = sub_spec.name
            row.answer_days = sub_spec.answer_days
            row.fast_track = sub_spec.fast_track
            row.fast_track_days = sub_spec.fast_track_days
            row.keywords = list(sub_spec.keywords)
            row.position = si
            row.is_active = True
    for slug, row in subs.items():
        if slug not in seen:
            row.is_active = False
    await session.flush()
    return len(specs), len(seen)


async def import_classifier(p: Platform, doc: Any) -> tuple[int, int]:
    """Validate the whole document first, then load it in one transaction."""
    specs = parse_classifier(doc)
    async with p.db.transaction() as session:
        counts = await _upsert(session, specs)
    p.directory.invalidate()
    return counts


async def export_classifier(p: Platform, *, with_keywords: bool = False) -> dict[str, Any]:
    async with p.db.sessions() as session:
        cats = (await session.scalars(select(t.Category).order_by(t.Category.position))).all()
        subs = (await session.scalars(
            select(t.Subcategory).where(t.Subcategory.is_active.is_(True))
            .order_by(t.Subcategory.position))).all()
    by_cat: dict[int, list[SubcategorySpec]] = {}
    for s in subs:
        by_cat.setdefault(s.category_id, []).append(SubcategorySpec(
            s.slug, s.name, s.answer_days, s.fast_track, s.fast_track_days, tuple(s.keywords)))
    specs = [CategorySpec(c.slug, c.name, tuple(by_cat.get(c.id, []))) for c in cats]
    return classifier_document(specs, with_keywords=with_keywords)


async def set_region_override(
    p: Platform, *, region: str, subcategory: str, answer_days: int | None = None,
    fast_track: bool | None = None, fast_track_days: int | None = None,
) -> None:
    """A region's own deadline or fast-track for one subcategory (None keeps the classifier's)."""
    d = await p.directory.get()
    terr = d.territory(region)
    if terr.id not in d.regions:
        raise NotFound(f"«{region}» — не регион")
    sub = d.subcategory(subcategory)
    if answer_days is not None and not 10 <= answer_days <= 30:
        raise ValidationError("Срок ответа — от 10 до 30 дней", field="answer_days")
    if fast_track_days is not None and not 1 <= fast_track_days <= 10:
        raise ValidationError("Ускоренный срок — от 1 до 10 дней", field="fast_track_days")
    async with p.db.transaction() as session:
        row = await session.get(t.RegionSubcategory, (terr.id, sub.id))
        if row is None:
            row = t.RegionSubcategory(region_id=terr.id, subcategory_id=sub.id)
            session.add(row)
        row.answer_days, row.fast_track, row.fast_track_days = (
            answer_days, fast_track, fast_track_days)
    p.directory.invalidate()
