"""Seeding: the shipped classifier and a demo region with organisations, routing and staff."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import OrgKind, Role, TerritoryKind
from core.domain.errors import ValidationError
from core.domain.routing import AutoAction
from core.services.classifier import import_classifier, shipped_classifier
from core.services.platform import Platform
from core.services.staff import add_staff


@dataclass
class SeedReport:
    territories: int = 0
    organisations: int = 0
    routing_rules: int = 0
    auto_rules: int = 0
    categories: int = 0
    subcategories: int = 0
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # login, pw, role, org


def demo_region() -> dict[str, Any]:
    text = resources.files("core.data").joinpath("demo_region.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


async def is_seeded(p: Platform) -> bool:
    async with p.db.sessions() as session:
        return bool((await session.execute(select(func.count(t.Organisation.id)))).scalar_one())


def _centre(item: dict[str, Any]) -> dict[str, float | None]:
    lat, lon = item.get("center") or (None, None)
    return {"center_lat": lat, "center_lon": lon, "radius_km": item.get("radius_km")}


async def _territories(session: AsyncSession, doc: dict[str, Any]) -> dict[str, int]:
    region = doc["region"]
    ids: dict[str, int] = {}
    row = t.Territory(code=region["code"], name=region["name"], kind=TerritoryKind.REGION.value,
                      timezone=region["timezone"], population=region.get("population"),
                      aliases=region.get("aliases", []), **_centre(region))
    session.add(row)
    await session.flush()
    row.region_id = row.id
    ids[region["code"]] = row.id
    for item in doc["territories"]:
        kind = TerritoryKind(item["kind"])
        row = t.Territory(code=item["code"], name=item["name"], kind=kind.value,
                          parent_id=ids[item["parent"]], region_id=ids[region["code"]],
                          population=item.get("population"), aliases=item.get("aliases", []),
                          **_centre(item))
        session.add(row)
        await session.flush()
        ids[item["code"]] = row.id
    return ids


async def _organisations(session: AsyncSession, doc: dict[str, Any], terr: dict[str, int]
                         ) -> dict[str, int]:
    ids: dict[str, int] = {}
    for item in doc["organisations"]:
        row = t.Organisation(code=item["code"], name=item["name"],
                             short_name=item.get("short_name"),
                             kind=OrgKind(item["kind"]).value, territory_id=terr[item["territory"]],
                             parent_id=ids[item["parent"]] if item.get("parent") else None,
                             is_active=True, moderates=item["code"] in _moderation_centres(doc))
        session.add(row)
        await session.flush()
        ids[item["code"]] = row.id
    return ids


def _moderation_centres(doc: dict[str, Any]) -> list[str]:
    return list(doc["region"].get("moderation_centres") or ["CUR-54"])


async def seed_demo(p: Platform) -> SeedReport:
    """Load the classifier and the demo region. Refuses to run twice."""
    if await is_seeded(p):
        raise ValidationError("Демо-данные уже загружены")
    report = SeedReport()
    report.categories, report.subcategories = await import_classifier(p, shipped_classifier())
    doc = demo_region()
    async with p.db.transaction() as session:
        terr = await _territories(session, doc)
        orgs = await _organisations(session, doc, terr)
        cats = {c.slug: c.id for c in (await session.scalars(select(t.Category))).all()}
        subs = {s.slug: s.id for s in (await session.scalars(select(t.Subcategory))).all()}
        for rule in doc["routing"]:
            session.add(t.RoutingRuleRow(
                territory_id=terr[rule["territory"]], organisation_id=orgs[rule["organisation"]],
                category_id=cats[rule["category"]] if rule.get("category") else None,
                subcategory_id=subs[rule["subcategory"]] if rule.get("subcategory") else None))
        region_id = terr[doc["region"]["code"]]
        for rule in doc.get("auto_rules", []):
            cond = rule.get("conditions", {})
            session.add(t.AutoRuleRow(
                region_id=region_id, position=rule["position"], name=rule["name"],
                is_active=True, action=AutoAction(rule["action"]).value,
                stop=rule.get("stop", True),
                organisation_id=orgs[rule["organisation"]] if rule.get("organisation") else None,
                conditions={
                    "categories": [cats[s] for s in cond.get("categories", [])],
                    "subcategories": [subs[s] for s in cond.get("subcategories", [])],
                    "territories": [terr[s] for s in cond.get("territories", [])],
                    "sources": list(cond.get("sources", [])),
                    "keywords": list(cond.get("keywords", [])),
                }))
        default_org = doc["region"].get("default_organisation") or "CUR-54"
        session.add(t.RegionSettings(region_id=region_id, coordination_hours=24,
                                     fast_track_coordination_hours=4, rating_window_days=10,
                                     default_organisation_id=orgs.get(default_org)))
        for position, template in enumerate(doc.get("answer_templates", []), start=1):
            session.add(t.AnswerTemplate(region_id=region_id, organisation_id=None,
                                         title=template["title"], text=template["text"],
                                         position=position, is_active=True))
        report.territories, report.organisations = len(terr), len(orgs)
        report.routing_rules = len(doc["routing"])
        report.auto_rules = len(doc.get("auto_rules", []))
    p.directory.invalidate()
    for person in doc["staff"]:
        for role in person["roles"]:
            await add_staff(p, org=person["organisation"], role=Role(role), login=person["login"],
                            password=person["password"], full_name=person.get("name"))
            report.logins.append((person["login"], person["password"], role,
                                  person["organisation"]))
    return report
