"""A read-only snapshot of the directory (territories, organisations, classifier, routing).

Intake routes thousands of messages a second, so routing must not query per message. The
snapshot is reloaded after ``ttl`` seconds and at once after a change made in this process;
other processes see a change within ``ttl``.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.db.database import Database
from core.domain.deadlines import DeadlinePolicy
from core.domain.enums import OrgKind, TerritoryKind
from core.domain.errors import NotFound
from core.domain.routing import AutoAction, AutoRule, AutoRuleSet, RoutingRule, RoutingTable


@dataclass(frozen=True, slots=True)
class TerritoryInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    region_id: int
    population: int | None
    aliases: tuple[str, ...]
    center: tuple[float, float] | None = None
    radius_km: float | None = None


@dataclass(frozen=True, slots=True)
class OrgInfo:
    id: int
    code: str
    name: str
    short_name: str | None
    kind: str
    territory_id: int
    parent_id: int | None
    is_active: bool
    moderates: bool = False

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    id: int
    slug: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class SubcategoryInfo:
    id: int
    category_id: int
    slug: str
    name: str
    answer_days: int
    fast_track: bool
    fast_track_days: int
    keywords: tuple[str, ...]
    position: int
    is_active: bool


@dataclass(frozen=True, slots=True)
class RegionInfo:
    id: int
    tz: ZoneInfo
    coordination_hours: int
    fast_track_coordination_hours: int
    rating_window_days: int
    default_organisation_id: int | None


@dataclass
class Directory:
    territories: dict[int, TerritoryInfo]
    organisations: dict[int, OrgInfo]
    categories: dict[int, CategoryInfo]
    subcategories: dict[int, SubcategoryInfo]
    regions: dict[int, RegionInfo]
    overrides: dict[tuple[int, int], tuple[int | None, bool | None, int | None]]
    routing: RoutingTable
    auto_rules: dict[int, AutoRuleSet]
    territory_by_code: dict[str, int] = field(default_factory=dict)
    org_by_code: dict[str, int] = field(default_factory=dict)
    subcategory_by_slug: dict[str, int] = field(default_factory=dict)
    category_by_slug: dict[str, int] = field(default_factory=dict)
    _paths: dict[int, tuple[int, ...]] = field(default_factory=dict)
    _org_ancestors: dict[int, tuple[int, ...]] = field(default_factory=dict)
    _place_re: re.Pattern[str] | None = None
    _place_ids: dict[str, list[int]] = field(default_factory=dict)
    _org_territory: dict[int, int] = field(default_factory=dict)
    _moderation_centres: frozenset[int] = frozenset()
    _regional_offices: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.territory_by_code = {x.code: x.id for x in self.territories.values()}
        self.org_by_code = {x.code: x.id for x in self.organisations.values()}
        self.subcategory_by_slug = {x.slug: x.id for x in self.subcategories.values()}
        self.category_by_slug = {x.slug: x.id for x in self.categories.values()}
        for tid in self.territories:
            self._paths[tid] = self._walk(tid, lambda i: self.territories[i].parent_id)
        for oid in self.organisations:
            chain = self._walk(oid, lambda i: self.organisations[i].parent_id)
            self._org_ancestors[oid] = chain[1:]
        self._build_place_index()
        # Read on every staff action (scope checks): computed once per snapshot.
        self._org_territory = {o.id: o.territory_id for o in self.organisations.values()}
        self._moderation_centres = frozenset(o.id for o in self.organisations.values()
                                             if o.moderates)
        self._regional_offices = self._moderation_centres | frozenset(
            o.id for o in self.organisations.values()
            if o.parent_id is None and o.kind == OrgKind.REGIONAL_EXECUTIVE
            and self.territories[o.territory_id].kind == TerritoryKind.REGION)

    @staticmethod
    def _walk(start: int, parent: Callable[[int], int | None]) -> tuple[int, ...]:
        path: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node not in seen:
            seen.add(node)
            path.append(node)
            node = parent(node)
        return tuple(path)

    # -- territories -----------------------------------------------------------------------
    def territory_path(self, territory_id: int) -> tuple[int, ...]:
        """The territory and its ancestors up to the region."""
        return self._paths[territory_id]

    def territory_subtree(self, territory_id: int) -> list[int]:
        """The territory and every territory below it."""
        return [tid for tid, path in self._paths.items() if territory_id in path]

    def region_of(self, territory_id: int) -> RegionInfo:
        return self.regions[self.territories[territory_id].region_id]

    def territory(self, ref: str | int) -> TerritoryInfo:
        tid = ref if isinstance(ref, int) else self.territory_by_code.get(ref)
        if tid is None or tid not in self.territories:
            raise NotFound(f"Территория «{ref}» не найдена")
        return self.territories[tid]

    def _build_place_index(self) -> None:
        names: dict[str, list[int]] = {}
        for terr in self.territories.values():
            for name in (terr.name, *terr.aliases):
                key = _norm(name)
                if len(key) >= 3:
                    names.setdefault(key, []).append(terr.id)
        if names:
            alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            self._place_re = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")
        self._place_ids = names

    def resolve_territory(self, text: str | None) -> int | None:
        """The deepest territory named in an address, or None."""
        if not text or self._place_re is None:
            return None
        best: int | None = None
        for match in self._place_re.finditer(_norm(text)):
            for tid in self._place_ids[match.group(0)]:
                if best is None or len(self._paths[tid]) > len(self._paths[best]):
                    best = tid
        return best

    def locate(self, latitude: float, longitude: float) -> int | None:
        """The deepest territory whose circle holds a point from a map, nearest centre first
        among equals; None outside every territory we know."""
        best: tuple[int, float, int] | None = None
        for terr in self.territories.values():
            if terr.center is None or terr.radius_km is None:
                continue
            distance = _km((latitude, longitude), terr.center)
            if distance > terr.radius_km:
                continue
            key = (len(self._paths[terr.id]), -distance, terr.id)
            if best is None or key[:2] > best[:2]:
                best = key
        return best[2] if best else None

    # -- organisations ---------------------------------------------------------------------
    def organisation(self, ref: str | int) -> OrgInfo:
        oid = ref if isinstance(ref, int) else self.org_by_code.get(ref)
        if oid is None or oid not in self.organisations:
            raise NotFound(f"Организация «{ref}» не найдена")
        return self.organisations[oid]

    def org_ancestors(self, organisation_id: int) -> tuple[int, ...]:
        return self._org_ancestors.get(organisation_id, ())

    def org_ancestors_map(self) -> dict[int, tuple[int, ...]]:
        return self._org_ancestors

    def moderation_centres(self) -> frozenset[int]:
        return self._moderation_centres

    def regional_offices(self) -> frozenset[int]:
        """Where an admin is a regional admin: the moderation centres and the government."""
        return self._regional_offices

    def org_territories(self) -> dict[int, int]:
        return self._org_territory

    def subordinates(self, organisation_id: int) -> list[int]:
        """The organisation itself and everything below it."""
        return [oid for oid, anc in self._org_ancestors.items()
                if oid == organisation_id or organisation_id in anc]

    # -- classifier ------------------------------------------------------------------------
    def subcategory(self, ref: str | int) -> SubcategoryInfo:
        sid = ref if isinstance(ref, int) else self.subcategory_by_slug.get(ref)
        if sid is None or sid not in self.subcategories:
            raise NotFound(f"Подкатегория «{ref}» не найдена в классификаторе")
        return self.subcategories[sid]

    def policy(self, region_id: int, subcategory_id: int) -> DeadlinePolicy:
        sub = self.subcategories[subcategory_id]
        days, fast, fast_days = self.overrides.get((region_id, subcategory_id), (None, None, None))
        return DeadlinePolicy(
            answer_days=days if days is not None else sub.answer_days,
            fast_track=fast if fast is not None else sub.fast_track,
            fast_track_days=fast_days if fast_days is not None else sub.fast_track_days,
        )

    def route(self, *, subcategory_id: int, territory_id: int) -> int | None:
        sub = self.subcategories[subcategory_id]
        org = self.routing.route(category_id=sub.category_id, subcategory_id=subcategory_id,
                                 territory_path=self.territory_path(territory_id))
        if org is None:
            org = self.region_of(territory_id).default_organisation_id
        return org

    def auto_rules_for(self, region_id: int) -> AutoRuleSet:
        return self.auto_rules.get(region_id) or AutoRuleSet.build(())


def org_info(row: t.Organisation) -> OrgInfo:
    return OrgInfo(row.id, row.code, row.name, row.short_name, row.kind, row.territory_id,
                   row.parent_id, row.is_active, row.moderates)


def _centre_of(row: t.Territory) -> tuple[float, float] | None:
    if row.center_lat is None or row.center_lon is None:
        return None
    return (row.center_lat, row.center_lon)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def _auto_rule(row: t.AutoRuleRow) -> AutoRule:
    cond = row.conditions or {}
    return AutoRule(
        id=row.id, position=row.position, name=row.name, action=AutoAction(row.action),
        organisation_id=row.organisation_id, stop=row.stop,
        categories=frozenset(cond.get("categories", ())),
        subcategories=frozenset(cond.get("subcategories", ())),
        territories=frozenset(cond.get("territories", ())),
        sources=frozenset(cond.get("sources", ())),
        keywords=tuple(cond.get("keywords", ())),
    )


async def load_directory(session: AsyncSession) -> Directory:
    terr_rows = (await session.scalars(select(t.Territory))).all()
    settings = {r.region_id: r for r in (await session.scalars(select(t.RegionSettings))).all()}
    territories = {r.id: TerritoryInfo(r.id, r.code, r.name, r.kind, r.parent_id,
                                       r.region_id or r.id, r.population, tuple(r.aliases or ()),
                                       _centre_of(r), r.radius_km)
                   for r in terr_rows}
    regions: dict[int, RegionInfo] = {}
    for r in terr_rows:
        if r.kind != TerritoryKind.REGION:
            continue
        s = settings.get(r.id)
        regions[r.id] = RegionInfo(
            id=r.id, tz=ZoneInfo(r.timezone or "Europe/Moscow"),
            coordination_hours=s.coordination_hours if s else 24,
            fast_track_coordination_hours=s.fast_track_coordination_hours if s else 4,
            rating_window_days=s.rating_window_days if s else 10,
            default_organisation_id=s.default_organisation_id if s else None,
        )
    organisations = {r.id: org_info(r)
                     for r in (await session.scalars(select(t.Organisation))).all()}
    categories = {r.id: CategoryInfo(r.id, r.slug, r.name, r.position)
                  for r in (await session.scalars(select(t.Category))).all()}
    subcategories = {r.id: SubcategoryInfo(r.id, r.category_id, r.slug, r.name, r.answer_days,
                                           r.fast_track, r.fast_track_days,
                                           tuple(r.keywords or ()), r.position, r.is_active)
                     for r in (await session.scalars(select(t.Subcategory))).all()}
    overrides = {(r.region_id, r.subcategory_id): (r.answer_days, r.fast_track, r.fast_track_days)
                 for r in (await session.scalars(select(t.RegionSubcategory))).all()}
    routing = RoutingTable.build(
        RoutingRule(territory_id=r.territory_id, organisation_id=r.organisation_id,
                    category_id=r.category_id, subcategory_id=r.subcategory_id)
        for r in (await session.scalars(select(t.RoutingRuleRow))).all()
    )
    by_region: dict[int, list[AutoRule]] = {}
    for a in (await session.scalars(select(t.AutoRuleRow))).all():
        if a.is_active:
            by_region.setdefault(a.region_id, []).append(_auto_rule(a))
    auto_rules = {region: AutoRuleSet.build(rules) for region, rules in by_region.items()}
    return Directory(territories, organisations, categories, subcategories, regions, overrides,
                     routing, auto_rules)


class DirectoryCache:
    def __init__(self, db: Database, *, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._snapshot: Directory | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Directory:
        if self._snapshot is not None and time.monotonic() - self._loaded_at < self.ttl:
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._loaded_at >= self.ttl:
                async with self.db.sessions() as session:
                    self._snapshot = await load_directory(session)
                self._loaded_at = time.monotonic()
        return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None
