"""A region's auto-rules: applied in order at intake to assign an executor, redirect, or mark
fast-track (``core.domain.routing.AutoRuleSet``).

Positions are kept a dense 1..n after every change, so "up" and "down" always swap with the
visible neighbour. Conditions are stored in the JSON shape the directory loads
(``core.services.directory._auto_rule``): lists of category, subcategory and territory ids,
sources and keywords; every rule is built through the domain's ``AutoRule`` before it is
saved, so a rule the snapshot could not load never reaches the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import Source
from core.domain.errors import NotFound, ValidationError
from core.domain.routing import AUTO_ACTION_TITLES, AutoAction, AutoRule
from core.services.admin.audit import audit
from core.services.admin.authority import (
    AdminScope,
    OrgGraph,
    load_org_graph,
    load_scope,
    lock_region,
    require_region,
    resolve_region,
    scope_in,
)
from core.services.admin.routing_rules import category_of
from core.services.directory import Directory
from core.services.platform import Platform

NAME_MAX, KEYWORD_MAX, KEYWORDS_MAX = 255, 100, 200

SOURCE_TITLES: dict[Source, str] = {
    Source.TELEGRAM: "Telegram",
    Source.VK: "ВКонтакте",
    Source.WIDGET: "Виджет на сайте",
    Source.API: "API",
    Source.INCIDENT: "Инцидент из соцсетей",
    Source.IMPORT: "Импорт",
}


@dataclass(frozen=True, slots=True)
class AutoRuleConditions:
    """All given conditions must hold; an empty list does not restrict. Categories,
    subcategories and territories are ids (or slugs and codes when given to a service);
    a territory matches messages anywhere below it; keywords match at a word start."""

    categories: tuple[int | str, ...] = ()
    subcategories: tuple[int | str, ...] = ()
    territories: tuple[int | str, ...] = ()
    sources: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.categories or self.subcategories or self.territories
                    or self.sources or self.keywords)

    def as_json(self) -> dict[str, list[Any]]:
        return {"categories": list(self.categories), "subcategories": list(self.subcategories),
                "territories": list(self.territories), "sources": list(self.sources),
                "keywords": list(self.keywords)}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> AutoRuleConditions:
        raw = raw or {}
        return cls(tuple(raw.get("categories", ())), tuple(raw.get("subcategories", ())),
                   tuple(raw.get("territories", ())), tuple(raw.get("sources", ())),
                   tuple(raw.get("keywords", ())))


@dataclass(frozen=True, slots=True)
class AutoRuleForm:
    name: str
    action: AutoAction | str
    conditions: AutoRuleConditions
    organisation: int | str | None = None  # for «assign executor» and «redirect»
    stop: bool = True  # a matching rule ends the walk: later rules are not tried
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AutoRuleView:
    id: int
    position: int
    name: str
    is_active: bool
    action: AutoAction
    action_title: str
    organisation_id: int | None
    organisation_name: str | None
    stop: bool
    conditions: AutoRuleConditions  # ids
    condition_texts: tuple[str, ...]  # «Категории: Теплоснабжение, Водоснабжение», ...
    note: str | None


def describe_conditions(d: Directory, c: AutoRuleConditions) -> tuple[str, ...]:
    """The conditions in words, one line each."""
    def names(ids: Sequence[int | str], lookup: dict[int, Any]) -> str:
        return ", ".join(lookup[i].name if isinstance(i, int) and i in lookup else str(i)
                         for i in ids)

    lines = []
    if c.categories:
        lines.append(f"Категории: {names(c.categories, d.categories)}")
    if c.subcategories:
        lines.append(f"Подкатегории: {names(c.subcategories, d.subcategories)}")
    if c.territories:
        lines.append(f"Территории: {names(c.territories, d.territories)}")
    if c.sources:
        titles = {s.value: title for s, title in SOURCE_TITLES.items()}
        lines.append("Источники: " + ", ".join(titles.get(s, s) for s in c.sources))
    if c.keywords:
        lines.append("Ключевые слова: " + ", ".join(f"«{k}»" for k in c.keywords))
    return tuple(lines) or ("Любое сообщение",)


def _view(d: Directory, graph: OrgGraph, row: t.AutoRuleRow) -> AutoRuleView:
    conditions = AutoRuleConditions.from_json(row.conditions)
    action = AutoAction(row.action)
    org = graph.nodes.get(row.organisation_id) if row.organisation_id is not None else None
    return AutoRuleView(
        id=row.id, position=row.position, name=row.name, is_active=row.is_active,
        action=action, action_title=AUTO_ACTION_TITLES[action],
        organisation_id=row.organisation_id, organisation_name=org.name if org else None,
        stop=row.stop, conditions=conditions,
        condition_texts=describe_conditions(d, conditions), note=row.note)


@dataclass(frozen=True, slots=True)
class _Clean:
    name: str
    action: AutoAction
    organisation_id: int | None
    stop: bool
    note: str | None
    conditions: AutoRuleConditions


def _clean(d: Directory, graph: OrgGraph, region_id: int, form: AutoRuleForm) -> _Clean:
    name = " ".join(form.name.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError(f"Название правила — от 1 до {NAME_MAX} символов", field="name")
    try:
        action = AutoAction(form.action)
    except ValueError:
        raise ValidationError("Неизвестное действие; допустимы: "
                              + ", ".join(AUTO_ACTION_TITLES.values()), field="action") from None
    org_id: int | None = None
    if action in (AutoAction.ASSIGN_EXECUTOR, AutoAction.REDIRECT):
        if form.organisation is None:
            raise ValidationError(f"Для действия «{AUTO_ACTION_TITLES[action]}» выберите "
                                  "организацию", field="organisation")
        org = graph.get(form.organisation)
        if graph.region_of(org.id) != region_id:
            raise ValidationError(f"«{org.display_name}» — организация другого региона",
                                  field="organisation")
        if not org.is_active:
            raise ValidationError(f"Организация «{org.display_name}» отключена",
                                  field="organisation")
        org_id = org.id
    c = form.conditions
    categories = tuple(dict.fromkeys(category_of(d, x).id for x in c.categories))
    subcategories = tuple(dict.fromkeys(d.subcategory(x).id for x in c.subcategories))
    territories: list[int] = []
    for ref in c.territories:
        terr = d.territory(ref)
        if terr.region_id != region_id:
            raise ValidationError(f"Территория «{terr.name}» — в другом регионе",
                                  field="territories")
        territories.append(terr.id)
    sources: list[str] = []
    for s in c.sources:
        try:
            sources.append(Source(s).value)
        except ValueError:
            raise ValidationError(f"Неизвестный источник «{s}»; допустимы: "
                                  + ", ".join(SOURCE_TITLES.values()), field="sources") from None
    keywords = tuple(dict.fromkeys(k.strip().lower() for k in c.keywords if k.strip()))
    if len(keywords) > KEYWORDS_MAX or any(len(k) > KEYWORD_MAX for k in keywords):
        raise ValidationError(f"Ключевых слов — не больше {KEYWORDS_MAX}, каждое не длиннее "
                              f"{KEYWORD_MAX} символов", field="keywords")
    clean = AutoRuleConditions(categories, subcategories, tuple(dict.fromkeys(territories)),
                               tuple(dict.fromkeys(sources)), keywords)
    if clean.is_empty:
        raise ValidationError("Задайте хотя бы одно условие: правило без условий сработало бы "
                              "на каждом сообщении региона", field="conditions")
    note = (form.note or "").strip() or None
    try:  # the snapshot builds every rule this way; a rule it could not build stays out
        AutoRule(id=0, position=0, name=name, action=action, organisation_id=org_id,
                 stop=form.stop, categories=frozenset(categories),
                 subcategories=frozenset(subcategories), territories=frozenset(territories),
                 sources=frozenset(sources), keywords=keywords).keyword_pattern()
    except ValueError as exc:  # pragma: no cover - the checks above come first
        raise ValidationError(str(exc)) from None
    return _Clean(name, action, org_id, form.stop, note, clean)


async def _ordered(session: AsyncSession, region_id: int) -> list[t.AutoRuleRow]:
    return list((await session.scalars(
        select(t.AutoRuleRow).where(t.AutoRuleRow.region_id == region_id)
        .order_by(t.AutoRuleRow.position, t.AutoRuleRow.id))).all())


def _renumber(rows: Sequence[t.AutoRuleRow]) -> None:
    for position, row in enumerate(rows, 1):
        if row.position != position:
            row.position = position


async def list_auto_rules(p: Platform, *, staff_id: int, region: int | str
                          ) -> list[AutoRuleView]:
    """The region's rules in the order intake tries them, disabled ones included."""
    d = await p.directory.get()
    region_id = resolve_region(d, region)
    async with p.db.sessions() as session:
        graph = await load_org_graph(session, d)
        require_region(await scope_in(session, graph, staff_id), d, region_id)
        rows = await _ordered(session, region_id)
    return [_view(d, graph, row) for row in rows]


async def _rule_in_scope(session: AsyncSession, d: Directory, scope: AdminScope, rule_id: int
                         ) -> t.AutoRuleRow:
    row = await session.get(t.AutoRuleRow, rule_id)
    if row is None:
        raise NotFound(f"Автоправило №{rule_id} не найдено")
    require_region(scope, d, row.region_id)
    return row


async def create_auto_rule(p: Platform, *, staff_id: int, region: int | str,
                           form: AutoRuleForm, position: int | None = None) -> int:
    """A new active rule, last in the order or at ``position`` (1 is first)."""
    d = await p.directory.get()
    region_id = resolve_region(d, region)
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        require_region(scope, d, region_id)
        clean = _clean(d, graph, region_id, form)
        await lock_region(session, region_id)
        rows = await _ordered(session, region_id)
        row = t.AutoRuleRow(region_id=region_id, position=len(rows) + 1, name=clean.name,
                            is_active=True, conditions=clean.conditions.as_json(),
                            action=clean.action.value, organisation_id=clean.organisation_id,
                            stop=clean.stop, note=clean.note)
        session.add(row)
        await session.flush()
        at = len(rows) if position is None else max(0, min(position - 1, len(rows)))
        rows.insert(at, row)
        _renumber(rows)
        rule_id, final_position = row.id, row.position
    p.directory.invalidate()
    audit(scope, "auto_rule.create",
          f"создано автоправило «{clean.name}» (№{rule_id}, позиция {final_position})",
          rule_id=rule_id, region_id=region_id, action=clean.action.value,
          organisation_id=clean.organisation_id, stop=clean.stop,
          conditions=clean.conditions.as_json())
    return rule_id


async def update_auto_rule(p: Platform, *, staff_id: int, rule_id: int, form: AutoRuleForm
                           ) -> None:
    """Change a rule's name, action, organisation, conditions, «stop» and note; its place in
    the order and whether it is on stay as they are."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        row = await _rule_in_scope(session, d, scope, rule_id)
        clean = _clean(d, graph, row.region_id, form)
        before = {"name": row.name, "action": row.action,
                  "organisation_id": row.organisation_id, "stop": row.stop, "note": row.note,
                  "conditions": AutoRuleConditions.from_json(row.conditions).as_json()}
        after = {"name": clean.name, "action": clean.action.value,
                 "organisation_id": clean.organisation_id, "stop": clean.stop,
                 "note": clean.note, "conditions": clean.conditions.as_json()}
        row.name = clean.name
        row.action = clean.action.value
        row.organisation_id = clean.organisation_id
        row.stop = clean.stop
        row.note = clean.note
        row.conditions = clean.conditions.as_json()
    changed = {k: {"было": before[k], "стало": v} for k, v in after.items() if before[k] != v}
    if not changed:
        return
    p.directory.invalidate()
    audit(scope, "auto_rule.update", f"изменено автоправило «{clean.name}» (№{rule_id})",
          rule_id=rule_id, changes=changed)


async def set_auto_rule_active(p: Platform, *, staff_id: int, rule_id: int, active: bool
                               ) -> None:
    """Turn a rule on or off; a disabled rule keeps its place in the order."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        row = await _rule_in_scope(session, d, scope, rule_id)
        if row.is_active == active:
            return
        if active and row.organisation_id is not None:
            org = graph.nodes[row.organisation_id]
            if not org.is_active:
                raise ValidationError(f"Правило направляет в отключённую организацию "
                                      f"«{org.display_name}»: сначала выберите другую")
        row.is_active = active
        name = row.name
    p.directory.invalidate()
    audit(scope, "auto_rule.enable" if active else "auto_rule.disable",
          f"автоправило «{name}» (№{rule_id}) {'включено' if active else 'отключено'}",
          rule_id=rule_id)


async def move_auto_rule(p: Platform, *, staff_id: int, rule_id: int,
                         direction: Literal["up", "down"]) -> bool:
    """Swap the rule with its neighbour above or below; False when it is already first
    (or last)."""
    if direction not in ("up", "down"):
        raise ValidationError("Направление — up или down", field="direction")
    d = await p.directory.get()
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        row = await _rule_in_scope(session, d, scope, rule_id)
        await lock_region(session, row.region_id)
        rows = await _ordered(session, row.region_id)
        at = next(i for i, r in enumerate(rows) if r.id == rule_id)
        other = at - 1 if direction == "up" else at + 1
        if not 0 <= other < len(rows):
            return False
        rows[at], rows[other] = rows[other], rows[at]
        _renumber(rows)
        name, position = row.name, row.position
    p.directory.invalidate()
    audit(scope, "auto_rule.move",
          f"автоправило «{name}» (№{rule_id}) {'выше' if direction == 'up' else 'ниже'}: "
          f"теперь позиция {position}", rule_id=rule_id, position=position)
    return True


async def delete_auto_rule(p: Platform, *, staff_id: int, rule_id: int) -> None:
    """Delete a rule that never acted on a message; one that did stays in the messages'
    history and can only be disabled."""
    d = await p.directory.get()
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        row = await _rule_in_scope(session, d, scope, rule_id)
        used = (await session.execute(select(func.count(t.MessageEvent.id)).where(
            t.MessageEvent.auto_rule_id == rule_id))).scalar_one()
        if used:
            raise ValidationError(f"Автоправило «{row.name}» уже применялось к сообщениям "
                                  f"({used}) и остаётся в их истории: удалить его нельзя, "
                                  "отключите его")
        await lock_region(session, row.region_id)
        name, region_id = row.name, row.region_id
        await session.delete(row)
        await session.flush()
        _renumber(await _ordered(session, region_id))
    p.directory.invalidate()
    audit(scope, "auto_rule.delete", f"удалено автоправило «{name}» (№{rule_id})",
          rule_id=rule_id, region_id=region_id)
