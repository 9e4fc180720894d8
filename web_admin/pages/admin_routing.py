"""Administration: a region's routing rules (``core.services.admin.routing_rules``).

The rules grouped by category (one ``<details>`` each), a form that adds one (a whole
category or one subcategory, a territory, an organisation), and a delete button per rule.
"""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.domain.errors import DomainError, ValidationError
from core.services.admin import routing_rules as rr
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.pages.administration import (
    PREFIX,
    fields,
    loaded,
    notice,
    redirect,
    region_context,
    region_organisations,
    required,
    status_for,
    subcategory_groups,
    territory_options,
)
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/routing")
NOTICES = {"added": "Правило маршрутизации добавлено.",
           "deleted": "Правило маршрутизации удалено: сообщения пойдут по более общему "
                      "правилу или адресату по умолчанию."}


async def render(request: Request, p: Platform, staff: StaffSessionInfo, *,
                 status_code: int = 200, done: str | None = None, error: str | None = None,
                 error_form: str | None = None, form: dict[str, str] | None = None
                 ) -> Response:
    ctx = await region_context(request, p, staff, "routing")
    region_id = ctx["region_id"]
    rules = await loaded(rr.list_routing_rules(p, staff_id=staff.staff_id, region=region_id))
    groups = [(cat_id, list(items)) for cat_id, items in groupby(rules,
                                                                   key=lambda r: r.category_id)]
    d = ctx["d"]
    opened = request.query_params.get("open", "")
    return templates.TemplateResponse(request, "admin_routing.html", {
        **ctx, "groups": groups, "rule_count": len(rules), "opened": opened,
        "subjects": subcategory_groups(d),
        "territories": territory_options(d, {region_id}),
        "organisations": await region_organisations(p, staff, region_id),
        "notice": done, "error": error, "error_form": error_form, "form": form or {}},
        status_code=status_code)


@router.get("")
async def routing_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    return await render(request, p, staff, done=notice(request, NOTICES))


def _subject(raw: str) -> dict[str, int]:
    """«category:12» or «subcategory:345» from the one select of the form."""
    kind, _, value = raw.partition(":")
    if kind not in ("category", "subcategory") or not value.isdigit():
        raise ValidationError("Выберите категорию или подкатегорию", field="subject")
    return {kind: int(value)}


@router.post("")
async def add_rule(request: Request, staff: CheckedStaff, p: PlatformDep) -> Response:
    f = await fields(request)
    region = request.query_params.get("region")
    try:
        subject = _subject(f.get("subject", ""))
        rule_id = await rr.add_routing_rule(
            p, staff_id=staff.staff_id, territory=required(f, "territory", "территорию"),
            organisation=required(f, "organisation", "организацию"), **subject)
    except DomainError as e:
        return await render(request, p, staff, status_code=status_for(e), error=e.message,
                            error_form="add", form=f)
    d = await p.directory.get()
    sub = d.subcategories.get(subject.get("subcategory", 0))
    category = sub.category_id if sub else subject.get("category")
    return redirect(f"{PREFIX}/routing", anchor=f"rule-{rule_id}", region=region,
                    done="added", open=category)


@router.post("/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int, staff: CheckedStaff, p: PlatformDep
                      ) -> Response:
    try:
        await rr.delete_routing_rule(p, staff_id=staff.staff_id, rule_id=rule_id)
    except DomainError as e:
        return await render(request, p, staff, status_code=status_for(e), error=e.message,
                            error_form="list")
    return redirect(f"{PREFIX}/routing", region=request.query_params.get("region"),
                    done="deleted")
