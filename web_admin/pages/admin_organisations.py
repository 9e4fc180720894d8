"""Administration: organisations and their hierarchy (``core.services.admin.organisations``).

The tree of what the admin administers with a create form; a page per organisation to edit
it (only the fields the admin's scope allows), move it under another parent, and deactivate
or reactivate it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.domain.errors import DomainError
from core.services.admin import organisations as orgs
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.pages.administration import (
    PREFIX,
    base_context,
    fields,
    loaded,
    notice,
    organisation_options,
    organisation_tree,
    redirect,
    ref,
    required,
    status_for,
    territory_options,
)
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/organisations")
NOTICES = {
    "created": "Организация создана.",
    "saved": "Изменения сохранены.",
    "moved": "Подчинённость сохранена.",
    "deactivated": "Организация отключена: новые сообщения в неё не направляются.",
    "activated": "Организация снова включена.",
}


def _regions(ctx: dict[str, Any], nodes: list[orgs.OrganisationNode]) -> set[int]:
    d = ctx["d"]
    return {d.territories[n.territory_id].region_id for n in nodes
            if n.territory_id in d.territories}


async def render_list(request: Request, p: Platform, staff: StaffSessionInfo, *,
                      status_code: int = 200, done: str | None = None,
                      error: str | None = None, form: dict[str, str] | None = None
                      ) -> Response:
    nodes = await organisation_tree(p, staff)
    ctx = await base_context(p, staff, "organisations")
    return templates.TemplateResponse(request, "admin_organisations.html", {
        **ctx, "nodes": nodes, "kinds": orgs.ORG_KIND_TITLES,
        "territories": territory_options(ctx["d"], _regions(ctx, nodes)),
        "parents": organisation_options(nodes), "notice": done, "error": error,
        "form": form or {}}, status_code=status_code)


async def render_one(request: Request, p: Platform, staff: StaffSessionInfo, org_id: int, *,
                     status_code: int = 200, done: str | None = None, error: str | None = None,
                     error_form: str | None = None, form: dict[str, str] | None = None
                     ) -> Response:
    node = await loaded(orgs.get_organisation(p, staff_id=staff.staff_id,
                                              organisation=org_id))
    nodes = await organisation_tree(p, staff)
    ctx = await base_context(p, staff, "organisations")
    below = {n.id for n in orgs.walk([node])}
    parents = [o for o, n in zip(organisation_options(nodes), nodes, strict=True)
               if n.id not in below]
    parent = ctx["d"].organisations.get(node.parent_id) if node.parent_id else None
    return templates.TemplateResponse(request, "admin_organisation.html", {
        **ctx, "node": node, "kinds": orgs.ORG_KIND_TITLES, "parents": parents,
        "parent_name": parent.name if parent else None,
        "territories": territory_options(ctx["d"], _regions(ctx, [node])),
        "notice": done, "error": error, "error_form": error_form, "form": form or {}},
        status_code=status_code)


@router.get("")
async def organisations_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    return await render_list(request, p, staff, done=notice(request, NOTICES))


@router.post("")
async def create_organisation(request: Request, staff: CheckedStaff, p: PlatformDep
                              ) -> Response:
    f = await fields(request)
    try:
        new_id = await orgs.create_organisation(
            p, staff_id=staff.staff_id, code=f.get("code", ""), form=orgs.OrganisationForm(
                name=f.get("name", ""), kind=f.get("kind", ""),
                territory=required(f, "territory", "территорию"),
                parent=ref(f.get("parent")), short_name=f.get("short_name")))
    except DomainError as e:
        return await render_list(request, p, staff, status_code=status_for(e), error=e.message,
                                 form=f)
    return redirect(f"{PREFIX}/organisations/{new_id}", done="created")


@router.get("/{org_id}")
async def organisation_page(request: Request, org_id: int, staff: Staff, p: PlatformDep
                            ) -> Response:
    return await render_one(request, p, staff, org_id, done=notice(request, NOTICES))


@router.post("/{org_id}")
async def update_organisation(request: Request, org_id: int, staff: CheckedStaff,
                              p: PlatformDep) -> Response:
    f = await fields(request)
    try:
        node = await orgs.get_organisation(p, staff_id=staff.staff_id, organisation=org_id)
        # Kind, territory and the flag are on the form only where the scope allows them;
        # elsewhere they stay as they are. Parent and activity have forms of their own.
        restructure = f.get("restructure") == "1"
        await orgs.update_organisation(
            p, staff_id=staff.staff_id, organisation=org_id, form=orgs.OrganisationForm(
                name=f.get("name", ""), short_name=f.get("short_name"),
                kind=f.get("kind", "") if restructure else node.kind,
                territory=required(f, "territory", "территорию") if restructure
                else node.territory_id,
                parent=node.parent_id,
                moderates=f.get("moderates") == "1" if restructure else node.moderates,
                is_active=node.is_active))
    except DomainError as e:
        return await render_one(request, p, staff, org_id, status_code=status_for(e),
                                error=e.message, error_form="edit", form=f)
    return redirect(f"{PREFIX}/organisations/{org_id}", done="saved")


@router.post("/{org_id}/move")
async def move_organisation(request: Request, org_id: int, staff: CheckedStaff,
                            p: PlatformDep) -> Response:
    f = await fields(request)
    try:
        await orgs.move_organisation(p, staff_id=staff.staff_id, organisation=org_id,
                                     parent=ref(f.get("parent")))
    except DomainError as e:
        return await render_one(request, p, staff, org_id, status_code=status_for(e),
                                error=e.message, error_form="move", form=f)
    return redirect(f"{PREFIX}/organisations/{org_id}", done="moved")


@router.post("/{org_id}/active")
async def set_organisation_active(request: Request, org_id: int, staff: CheckedStaff,
                                  p: PlatformDep) -> Response:
    f = await fields(request)
    active = f.get("active") == "1"
    try:
        if active:
            await orgs.reactivate_organisation(p, staff_id=staff.staff_id, organisation=org_id)
        else:
            await orgs.deactivate_organisation(p, staff_id=staff.staff_id, organisation=org_id)
    except DomainError as e:
        return await render_one(request, p, staff, org_id, status_code=status_for(e),
                                error=e.message, error_form="active", form=f)
    return redirect(f"{PREFIX}/organisations/{org_id}",
                    done="activated" if active else "deactivated")
