"""Administration (Администрирование): the settings index, and what its pages share.

Who may change what is decided in ``core.services.admin`` alone: the pages call those
services and show their errors — ``PermissionDenied`` as 403, ``NotFound`` as 404, any other
domain error as 422 — next to the form that was sent, keeping what was typed. A change
answers with a 303 to a page that names what was done (Post/Redirect/Get).

The pages: ``admin_organisations`` (the tree), ``admin_staff`` (accounts and roles),
``admin_classifier`` (a region's deadlines), ``admin_routing`` (routing rules),
``admin_auto_rules`` and ``admin_dry_run`` (where a message would go).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from core.domain.errors import DomainError, NotFound, PermissionDenied, ValidationError
from core.services.admin.authority import (
    AdminScope,
    admin_scope,
    require_admin,
    require_region,
)
from core.services.admin.organisations import OrganisationNode, list_organisations, walk
from core.services.directory import Directory
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.security import PlatformDep, Staff
from web_admin.templating import templates

PREFIX = "/admin/settings"
router = APIRouter(prefix=PREFIX)
T = TypeVar("T")

# (path, title, what it holds, needs a regional admin)
SECTIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("organisations", "Организации",
     "Дерево организаций: создание, изменение, перенос, отключение.", False),
    ("staff", "Сотрудники", "Учётные записи, роли, отключение, новый пароль.", False),
    ("classifier", "Классификатор",
     "Сроки ответа и ускоренное рассмотрение по подкатегориям в регионе.", True),
    ("routing", "Маршрутизация",
     "Какая организация получает сообщения категории или подкатегории на территории.", True),
    ("auto-rules", "Автоправила",
     "Правила по порядку: назначить исполнителя, перенаправить, ускорить.", True),
    ("dry-run", "Проверка маршрута",
     "Куда попадёт сообщение и почему — без регистрации сообщения.", True),
)


@dataclass(frozen=True, slots=True)
class Option:
    value: int | str
    label: str


def status_for(error: DomainError) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 422


async def organisation_tree(p: Platform, staff: StaffSessionInfo) -> list[OrganisationNode]:
    """The organisations the staff member administers, parents first."""
    return list(walk(await loaded(list_organisations(p, staff_id=staff.staff_id))))


async def loaded(call: Awaitable[T]) -> T:
    """What a page shows; refused or missing, the page is an error page."""
    try:
        return await call
    except PermissionDenied as e:
        raise HTTPException(403, e.message) from None
    except NotFound as e:
        raise HTTPException(404, e.message) from None


async def fields(request: Request) -> dict[str, str]:
    """A submitted form's single values (the CSRF token was checked already)."""
    form = await request.form()
    return {k: v if "password" in k else v.strip() for k, v in form.items()
            if isinstance(v, str) and k != "csrf"}


async def many(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def ref(raw: str | None) -> int | str | None:
    """A select's value: an id, a code, or nothing."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else raw


def required(form: Mapping[str, str], name: str, what: str) -> int | str:
    found = ref(form.get(name))
    if found is None:
        raise ValidationError(f"Выберите {what}", field=name)
    return found


def number(form: Mapping[str, str], name: str, what: str) -> int | None:
    """An optional whole number typed into a field."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{what} — целое число", field=name) from None


def notice(request: Request, notices: Mapping[str, str]) -> str | None:
    return notices.get(request.query_params.get("done", ""))


def region_of_request(request: Request, scope: AdminScope, staff: StaffSessionInfo,
                      d: Directory) -> int:
    """The region a region page is about: the one asked for, else the first the staff member
    administers, else their own (the services then say why it is refused)."""
    wanted = request.query_params.get("region", "")
    if wanted.isdigit():
        return int(wanted)
    if scope.regions:
        return min(scope.regions, key=lambda r: d.territories[r].name)
    for m in staff.memberships:
        org = d.organisations.get(m.organisation_id)
        if org is not None and org.territory_id in d.territories:
            return d.territories[org.territory_id].region_id
    return min(d.regions, default=0)


def redirect(path: str, *, anchor: str = "", **query: object) -> Response:
    """303 to a page, with ``done`` naming what was done."""
    params = {k: v for k, v in query.items() if v is not None and v != ""}
    url = f"{path}?{urlencode(params)}" if params else path
    return RedirectResponse(f"{url}#{anchor}" if anchor else url, status_code=303)


async def base_context(p: Platform, staff: StaffSessionInfo, section: str) -> dict[str, Any]:
    """What the tabs of every administration page need."""
    scope = await admin_scope(p, staff_id=staff.staff_id)
    d = await p.directory.get()
    return {"staff": staff, "section": section, "sections": SECTIONS, "scope": scope,
            "regional": bool(scope.regions), "prefix": PREFIX, "d": d, "region_q": "",
            "region_param": None, "regions": []}


async def region_context(request: Request, p: Platform, staff: StaffSessionInfo,
                         section: str) -> dict[str, Any]:
    """The tabs of a region page, and its region; refused (403) unless the staff member
    administers that region."""
    ctx = await base_context(p, staff, section)
    d: Directory = ctx["d"]
    scope: AdminScope = ctx["scope"]
    region_id = region_of_request(request, scope, staff, d)
    try:
        require_region(scope, d, region_id)
    except PermissionDenied as e:
        raise HTTPException(403, e.message) from None
    several = len(scope.regions) > 1
    ctx.update(region_id=region_id, region_name=d.territories[region_id].name,
               region_param=region_id if several else None,
               region_q=f"?region={region_id}" if several else "",
               regions=sorted(((r, d.territories[r].name) for r in scope.regions),
                              key=lambda x: x[1]))
    return ctx


# -- options for selects -----------------------------------------------------------------

def territory_options(d: Directory, region_ids: set[int]) -> list[Option]:
    """The regions' territories as a tree: each under its parent, indented."""
    children: dict[int | None, list[int]] = {}
    for terr in sorted(d.territories.values(), key=lambda x: x.name):
        if terr.region_id in region_ids:
            parent = terr.parent_id if terr.id not in region_ids else None
            children.setdefault(parent, []).append(terr.id)
    out: list[Option] = []

    def walk(tid: int, depth: int) -> None:
        out.append(Option(tid, "\u00a0\u00a0\u00a0" * depth + d.territories[tid].name))
        for child in children.get(tid, ()):
            walk(child, depth + 1)

    for top in children.get(None, ()):
        walk(top, 0)
    return out


def organisation_options(nodes: list[OrganisationNode]) -> list[Option]:
    """The organisations of a walked tree, indented; inactive ones say so."""
    return [Option(n.id, "\u00a0\u00a0\u00a0" * n.depth + n.display_name
                   + ("" if n.is_active else " (отключена)")) for n in nodes]


async def region_organisations(p: Platform, staff: StaffSessionInfo, region_id: int
                               ) -> list[Option]:
    """The region's organisations as the admin's tree shows them, for a select."""
    d = await p.directory.get()
    nodes = [n for n in walk(await loaded(list_organisations(p, staff_id=staff.staff_id)))
             if n.territory_id in d.territories
             and d.territories[n.territory_id].region_id == region_id]
    return organisation_options(nodes)


def subcategory_groups(d: Directory) -> list[tuple[Option, list[Option]]]:
    """Each category with its active subcategories, in the classifier's order (for
    ``<optgroup>``s)."""
    subs = sorted((s for s in d.subcategories.values() if s.is_active),
                  key=lambda s: (s.position, s.id))
    by_cat: dict[int, list[Option]] = {}
    for s in subs:
        by_cat.setdefault(s.category_id, []).append(Option(s.id, s.name))
    return [(Option(c.id, c.name), by_cat.get(c.id, []))
            for c in sorted(d.categories.values(), key=lambda c: (c.position, c.id))]


# -- the index -------------------------------------------------------------------------------

@router.get("")
async def bare() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


@router.get("/")
async def settings_index(request: Request, staff: Staff, p: PlatformDep) -> Response:
    ctx = await base_context(p, staff, "")
    try:
        require_admin(ctx["scope"])
    except PermissionDenied as e:
        raise HTTPException(403, e.message) from None
    d: Directory = ctx["d"]
    scope: AdminScope = ctx["scope"]
    regions = sorted(d.territories[r].name for r in scope.regions)
    return templates.TemplateResponse(request, "admin_index.html", {
        **ctx, "region_names": regions, "organisation_count": len(scope.organisations)})
