"""Administration: a region's auto-rules (``core.services.admin.auto_rules``).

The rules in the order intake tries them, each with its conditions in words, its action and
whether a match ends the walk; buttons to move a rule up or down, turn it off or on and
delete it; a form for a new rule and a page that edits one.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from core.domain.errors import DomainError
from core.domain.routing import AUTO_ACTION_TITLES
from core.services.admin import auto_rules as ar
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.pages.administration import (
    PREFIX,
    fields,
    loaded,
    many,
    notice,
    redirect,
    ref,
    region_context,
    region_organisations,
    status_for,
    subcategory_groups,
    territory_options,
)
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/auto-rules")
NOTICES = {
    "created": "Автоправило добавлено в конец списка.",
    "saved": "Автоправило сохранено.",
    "moved": "Порядок автоправил изменён.",
    "not_moved": "Правило уже на краю списка.",
    "enabled": "Автоправило включено.",
    "disabled": "Автоправило отключено: оно остаётся на своём месте в списке.",
    "deleted": "Автоправило удалено.",
}
CONDITION_LISTS = ("categories", "subcategories", "territories", "sources")
NEW_RULE: dict[str, Any] = {"stop": True}


async def _typed(request: Request) -> dict[str, Any]:
    """The form as typed: single fields, the condition lists and the «stop» box."""
    f: dict[str, Any] = await fields(request)
    for name in CONDITION_LISTS:
        f[name] = await many(request, name)
    f["stop"] = f.get("stop") == "1"
    return f


def _rule_form(f: dict[str, Any]) -> ar.AutoRuleForm:
    keywords = tuple(k.strip() for k in re.split(r"[\n,;]+", f.get("keywords", "")))

    def refs(name: str) -> tuple[int | str, ...]:
        return tuple(x for x in (ref(v) for v in f[name]) if x is not None)

    return ar.AutoRuleForm(
        name=f.get("name", ""), action=f.get("action", ""),
        conditions=ar.AutoRuleConditions(
            categories=refs("categories"), subcategories=refs("subcategories"),
            territories=refs("territories"), sources=tuple(f["sources"]),
            keywords=tuple(k for k in keywords if k)),
        organisation=ref(f.get("organisation")), stop=f["stop"], note=f.get("note"))


def _as_typed(rule: ar.AutoRuleView) -> dict[str, Any]:
    c = rule.conditions
    return {"name": rule.name, "action": rule.action.value,
            "organisation": str(rule.organisation_id or ""), "stop": rule.stop,
            "note": rule.note or "", "keywords": "\n".join(c.keywords),
            "categories": [str(x) for x in c.categories],
            "subcategories": [str(x) for x in c.subcategories],
            "territories": [str(x) for x in c.territories], "sources": list(c.sources)}


async def _context(request: Request, p: Platform, staff: StaffSessionInfo
                   ) -> tuple[dict[str, Any], list[ar.AutoRuleView]]:
    ctx = await region_context(request, p, staff, "auto-rules")
    region_id = ctx["region_id"]
    rules = await loaded(ar.list_auto_rules(p, staff_id=staff.staff_id, region=region_id))
    d = ctx["d"]
    ctx.update(
        actions=AUTO_ACTION_TITLES, sources=ar.SOURCE_TITLES,
        categories=[cat for cat, _ in subcategory_groups(d)], subjects=subcategory_groups(d),
        territories=territory_options(d, {region_id}),
        organisations=await region_organisations(p, staff, region_id))
    return ctx, rules


async def render_list(request: Request, p: Platform, staff: StaffSessionInfo, *,
                      status_code: int = 200, done: str | None = None,
                      error: str | None = None, error_form: str | None = None,
                      form: dict[str, Any] | None = None) -> Response:
    ctx, rules = await _context(request, p, staff)
    if error_form and error_form.startswith("rule-") and error_form not in {
            f"rule-{r.id}" for r in rules}:
        error_form = "list"  # the rule is gone: the error goes above the list
    return templates.TemplateResponse(request, "admin_auto_rules.html", {
        **ctx, "rules": rules, "notice": done, "error": error, "error_form": error_form,
        "f": form if error_form == "create" and form else NEW_RULE},
        status_code=status_code)


async def render_one(request: Request, p: Platform, staff: StaffSessionInfo, rule_id: int, *,
                     status_code: int = 200, error: str | None = None,
                     form: dict[str, Any] | None = None) -> Response:
    ctx, rules = await _context(request, p, staff)
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None:
        raise HTTPException(404, f"Автоправило №{rule_id} не найдено")
    return templates.TemplateResponse(request, "admin_auto_rule.html", {
        **ctx, "rule": rule, "number": rules.index(rule) + 1, "total": len(rules),
        "error": error, "f": form or _as_typed(rule)},
        status_code=status_code)


@router.get("")
async def auto_rules_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    return await render_list(request, p, staff, done=notice(request, NOTICES))


@router.post("")
async def create_rule(request: Request, staff: CheckedStaff, p: PlatformDep) -> Response:
    f = await _typed(request)
    ctx = await region_context(request, p, staff, "auto-rules")
    try:
        rule_id = await ar.create_auto_rule(p, staff_id=staff.staff_id,
                                            region=ctx["region_id"], form=_rule_form(f))
    except DomainError as e:
        return await render_list(request, p, staff, status_code=status_for(e),
                                 error=e.message, error_form="create", form=f)
    return redirect(f"{PREFIX}/auto-rules", anchor=f"auto-{rule_id}",
                    region=request.query_params.get("region"), done="created")


@router.get("/{rule_id}")
async def rule_page(request: Request, rule_id: int, staff: Staff, p: PlatformDep
                    ) -> Response:
    return await render_one(request, p, staff, rule_id)


@router.post("/{rule_id}")
async def update_rule(request: Request, rule_id: int, staff: CheckedStaff, p: PlatformDep
                      ) -> Response:
    f = await _typed(request)
    try:
        await ar.update_auto_rule(p, staff_id=staff.staff_id, rule_id=rule_id,
                                  form=_rule_form(f))
    except DomainError as e:
        return await render_one(request, p, staff, rule_id, status_code=status_for(e),
                                error=e.message, form=f)
    return redirect(f"{PREFIX}/auto-rules", anchor=f"auto-{rule_id}",
                    region=request.query_params.get("region"), done="saved")


async def _list_action(request: Request, p: Platform, staff: StaffSessionInfo, rule_id: int,
                       *, done: str, call: Any) -> Response:
    try:
        moved = await call
    except DomainError as e:
        return await render_list(request, p, staff, status_code=status_for(e),
                                 error=e.message, error_form=f"rule-{rule_id}")
    if moved is False:
        done = "not_moved"
    return redirect(f"{PREFIX}/auto-rules", anchor=f"auto-{rule_id}",
                    region=request.query_params.get("region"), done=done)


@router.post("/{rule_id}/active")
async def set_rule_active(request: Request, rule_id: int, staff: CheckedStaff,
                          p: PlatformDep) -> Response:
    active = (await fields(request)).get("active") == "1"
    return await _list_action(request, p, staff, rule_id,
                              done="enabled" if active else "disabled",
                              call=ar.set_auto_rule_active(p, staff_id=staff.staff_id,
                                                           rule_id=rule_id, active=active))


@router.post("/{rule_id}/move")
async def move_rule(request: Request, rule_id: int, staff: CheckedStaff, p: PlatformDep
                    ) -> Response:
    direction: Any = (await fields(request)).get("direction", "")
    return await _list_action(request, p, staff, rule_id, done="moved",
                              call=ar.move_auto_rule(p, staff_id=staff.staff_id,
                                                     rule_id=rule_id, direction=direction))


@router.post("/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int, staff: CheckedStaff, p: PlatformDep
                      ) -> Response:
    return await _list_action(request, p, staff, rule_id, done="deleted",
                              call=ar.delete_auto_rule(p, staff_id=staff.staff_id,
                                                       rule_id=rule_id))
