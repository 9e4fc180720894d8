"""Dry run of intake: which organisation a message would get, and why, without filing it.

The answer comes from the very calls ``core.services.intake.submit_message`` makes — its
territory resolution, ``Directory.route``, ``Directory.policy`` and the region's
``AutoRuleSet.apply`` on the same snapshot — so the dry run and intake cannot disagree. Only
the explanation of *which* routing rule matched is found here, by asking the same routing
table about one kind of rule and one territory at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.domain import deadlines
from core.domain.enums import Source
from core.domain.errors import ValidationError
from core.domain.routing import AUTO_ACTION_TITLES, AutoAction, AutoRule, MessageFacts
from core.services.admin.authority import load_org_graph, require_region, scope_in
from core.services.directory import Directory, SubcategoryInfo
from core.services.intake import _resolve_territory
from core.services.platform import Platform

RouteKind = Literal["source_organisation", "subcategory_rule", "category_rule",
                    "region_default", "none"]
# No category or subcategory has this id: a probe with it asks about the other kind only.
_NO_ID = -1


@dataclass(frozen=True, slots=True)
class RoutingStep:
    kind: RouteKind
    organisation_id: int | None
    organisation_name: str | None
    rule_territory_id: int | None  # the territory of the matching rule
    rule_territory_name: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class FiredRule:
    id: int
    position: int
    name: str
    action: AutoAction
    action_title: str
    organisation_id: int | None
    organisation_name: str | None
    stop: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class DryRunResult:
    region_id: int
    territory_id: int
    territory_name: str
    territory_explanation: str
    category_id: int
    category_name: str
    subcategory_id: int
    subcategory_name: str
    routing: RoutingStep
    fired_rules: tuple[FiredRule, ...]
    organisation_id: int | None  # where the message would land
    organisation_name: str | None
    executor_organisation_id: int | None
    executor_organisation_name: str | None
    fast_track: bool
    answer_days: int
    answer_due_text: str  # «до 26.06.2026» if filed now
    explanation: tuple[str, ...]  # the whole story, one line each, to print as it is


def _org_name(d: Directory, org_id: int | None) -> str | None:
    if org_id is None:
        return None
    org = d.organisations.get(org_id)
    return org.name if org else f"организация {org_id}"


def _said(d: Directory, org_id: int | None) -> str:
    """The name as a sentence says it: the short one where there is one."""
    org = d.organisations.get(org_id) if org_id is not None else None
    return org.display_name if org else f"организация {org_id}"


def _territory_story(d: Directory, territory: str | int | None, address: str | None,
                     source_org: int | None, territory_id: int) -> str:
    name = d.territories[territory_id].name
    if territory is not None:
        return f"Территория указана: «{name}»"
    if d.resolve_territory(address) is not None:
        return f"Территория найдена в адресе: «{name}»"
    if source_org is not None:
        return (f"В адресе нет известного населённого пункта — территория организации-"
                f"источника «{_said(d, source_org)}»: «{name}»")
    return f"В адресе нет известного населённого пункта — весь регион: «{name}»"


def _routing_step(d: Directory, sub: SubcategoryInfo, territory_id: int,
                  source_org: int | None) -> RoutingStep:
    if source_org is not None:
        name = _org_name(d, source_org)
        return RoutingStep("source_organisation", source_org, name, None, None,
                           "Сообщение пришло через виджет или API организации "
                           f"«{_said(d, source_org)}» — "
                           "она и адресат, правила маршрутизации не применяются")
    org_id = d.route(subcategory_id=sub.id, territory_id=territory_id)  # as intake does
    name = _org_name(d, org_id)
    cat = d.categories[sub.category_id]
    probes: tuple[tuple[RouteKind, int, int, str], ...] = (
        ("subcategory_rule", _NO_ID, sub.id, f"подкатегории «{sub.name}»"),
        ("category_rule", sub.category_id, _NO_ID, f"категории «{cat.name}»"),
    )
    for kind, category_id, subcategory_id, subject in probes:
        for tid in d.territory_path(territory_id):
            found = d.routing.route(category_id=category_id, subcategory_id=subcategory_id,
                                    territory_path=(tid,))
            if found is None:
                continue
            if found == org_id:
                where = d.territories[tid].name
                return RoutingStep(kind, org_id, name, tid, where,
                                   f"Правило маршрутизации для {subject} на территории "
                                   f"«{where}» → «{_said(d, org_id)}»")
            break
    region = d.region_of(territory_id)
    if org_id is not None and org_id == region.default_organisation_id:
        return RoutingStep("region_default", org_id, name, None, None,
                           "Ни одно правило маршрутизации не подошло — адресат по умолчанию "
                           f"региона «{d.territories[region.id].name}»: «{_said(d, org_id)}»")
    return RoutingStep("none", None, None, None, None,
                       "Ни одно правило маршрутизации не подошло, а адресат по умолчанию в "
                       "регионе не задан — сообщение останется без организации")


def _fired(d: Directory, rule: AutoRule) -> FiredRule:
    org = _said(d, rule.organisation_id)
    if rule.action is AutoAction.REDIRECT:
        what = f"перенаправить в «{org}»"
    elif rule.action is AutoAction.ASSIGN_EXECUTOR:
        what = f"назначить исполнителем «{org}»"
    else:
        what = "отметить как ускоренное рассмотрение"
    tail = "; дальше правила не проверяются" if rule.stop else ""
    return FiredRule(rule.id, rule.position, rule.name, rule.action,
                     AUTO_ACTION_TITLES[rule.action], rule.organisation_id,
                     _org_name(d, rule.organisation_id), rule.stop,
                     f"Автоправило «{rule.name}»: {what}{tail}")


async def dry_run(
    p: Platform, *, staff_id: int, subcategory: str | int, source: Source | str,
    territory: str | int | None = None, address: str | None = None, text: str = "",
    source_organisation: str | int | None = None,
) -> DryRunResult:
    """Where a message with these facts would go if filed now, step by step. Without a
    text, auto-rules with keywords cannot fire (as at intake)."""
    d = await p.directory.get()
    sub = d.subcategory(subcategory)
    if not sub.is_active:
        raise ValidationError("Эта подкатегория больше не используется — выберите другую",
                              field="subcategory")
    try:
        src = Source(source)
    except ValueError:
        raise ValidationError(f"Неизвестный источник «{source}»", field="source") from None
    address = (address or "").strip() or None
    source_org = d.organisation(source_organisation).id if source_organisation else None
    territory_id = _resolve_territory(d, territory, address, source_org)
    region = d.region_of(territory_id)
    async with p.db.sessions() as session:
        graph = await load_org_graph(session, d)
        require_region(await scope_in(session, graph, staff_id), d, region.id)

    # From here on, the calls and their order are intake's.
    policy = d.policy(region.id, sub.id)
    body = text.strip()
    organisation_id = source_org or d.route(subcategory_id=sub.id, territory_id=territory_id)
    rules = d.auto_rules_for(region.id)
    outcome = rules.apply(
        MessageFacts(sub.category_id, sub.id, d.territory_path(territory_id), src.value, body),
        organisation_id=organisation_id, fast_track=policy.fast_track)
    days = policy.days(fast_track=outcome.fast_track)
    due = deadlines.answer_due(p.clock.now(), days, region.tz)

    routing = _routing_step(d, sub, territory_id, source_org)
    by_id = {r.id: r for r in rules.rules}
    fired = tuple(_fired(d, by_id[i]) for i in outcome.applied_rule_ids)
    territory_story = _territory_story(d, territory, address, source_org, territory_id)
    story = [territory_story, routing.explanation]
    story.extend(f.explanation for f in fired)
    if not fired:
        story.append("Ни одно автоправило не сработало"
                     + ("" if body else " (текст не указан — правила с ключевыми словами "
                        "не проверялись)"))
    org_name = _org_name(d, outcome.organisation_id)
    executor_name = _org_name(d, outcome.executor_organisation_id)
    final = (f"Итог: адресат — «{_said(d, outcome.organisation_id)}»" if org_name
             else "Итог: адресат не определён")
    if executor_name:
        final += f", исполнитель — «{_said(d, outcome.executor_organisation_id)}»"
    due_text = f"до {due.astimezone(region.tz):%d.%m.%Y}"
    if outcome.fast_track:
        why = ("по настройке подкатегории" if policy.fast_track
               else "по автоправилу")
        final += f"; ускоренное рассмотрение ({why}): {days} дн., {due_text}"
    else:
        final += f"; срок ответа {days} дн., {due_text}"
    story.append(final)
    return DryRunResult(
        region_id=region.id, territory_id=territory_id,
        territory_name=d.territories[territory_id].name,
        territory_explanation=territory_story, category_id=sub.category_id,
        category_name=d.categories[sub.category_id].name, subcategory_id=sub.id,
        subcategory_name=sub.name, routing=routing, fired_rules=fired,
        organisation_id=outcome.organisation_id, organisation_name=org_name,
        executor_organisation_id=outcome.executor_organisation_id,
        executor_organisation_name=executor_name, fast_track=outcome.fast_track,
        answer_days=days, answer_due_text=due_text, explanation=tuple(story))
