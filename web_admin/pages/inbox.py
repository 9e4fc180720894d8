"""The inbox: a workspace's folders with live counters, filters, search and pages of cards."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from core.domain.enums import Arrival, Source
from core.services.access import memberships
from core.services.inbox.filters import (
    ARRIVAL_TITLES,
    PAGE_SIZES,
    SORTS,
    SOURCE_TITLES,
    InboxFilter,
)
from core.services.inbox.listing import NoWorkspace, counters, load_inbox
from core.services.inbox.workspaces import pick, workspaces_for
from web_admin.action_forms import MAX_ID, parse_date
from web_admin.security import PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix="/admin")
FILTER_KEYS = ("due_before", "overdue", "auto", "source", "arrival", "category", "territory",
               "q", "sort", "per_page")


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 < number <= MAX_ID else None


def parse_filter(q: QueryParams) -> tuple[InboxFilter, list[str]]:
    """Read the filter from the query string; a bad value is reported and left out."""
    errors: list[str] = []
    due: date | None = None
    if q.get("due_before"):
        due = parse_date(q["due_before"])
        if due is None:
            errors.append("Дата «срок ответа до» не распознана: укажите её как ДД.ММ.ГГГГ")
    sources = []
    for value in q.getlist("source"):
        try:
            sources.append(Source(value))
        except ValueError:
            errors.append(f"Неизвестный источник «{value}»")
    arrival = None
    if q.get("arrival"):
        try:
            arrival = Arrival(q["arrival"])
        except ValueError:
            errors.append(f"Неизвестный этап поступления «{q['arrival']}»")
    per_page = _int(q.get("per_page")) or 50
    return InboxFilter(
        due_before=due, overdue=q.get("overdue") == "1", auto_rules=q.get("auto") == "1",
        sources=tuple(sources), arrival=arrival, category_id=_int(q.get("category")),
        territory_id=_int(q.get("territory")), query=(q.get("q") or "").strip()[:200],
        sort=sort if (sort := q.get("sort") or "new") in SORTS else "new",
        page=max(1, _int(q.get("page")) or 1),
        per_page=per_page if per_page in PAGE_SIZES else 50), errors


def _link(q: QueryParams, **changes: object) -> str:
    """This inbox's address with some parameters changed (None drops one)."""
    params = [(k, v) for k, v in q.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return "/admin/inbox?" + urlencode(params)


@router.get("/inbox")
async def inbox(request: Request, staff: Staff, p: PlatformDep) -> Response:
    q = request.query_params
    flt, errors = parse_filter(q)
    try:
        box = await load_inbox(p, staff_id=staff.staff_id, workspace=q.get("ws"),
                               folder_key=q.get("folder"), flt=flt)
    except NoWorkspace:
        return RedirectResponse("/admin/", status_code=303)
    d = await p.directory.get()
    region_id = d.territories[d.organisation(box.workspace.organisation_id).territory_id].region_id
    territories = sorted((x for x in d.territories.values() if x.region_id == region_id),
                         key=lambda x: (len(d.territory_path(x.id)), x.name))
    return templates.TemplateResponse(request, "inbox.html", {
        "staff": staff, "box": box, "d": d, "errors": errors, "q": q, "link": _link,
        "categories": sorted(d.categories.values(), key=lambda c: c.position),
        "territories": territories, "sources": SOURCE_TITLES, "arrivals": ARRIVAL_TITLES,
        "sorts": SORTS, "page_sizes": PAGE_SIZES,
        "filter_query": urlencode([(k, v) for k, v in q.multi_items() if k in FILTER_KEYS]),
    })


@router.get("/inbox/counters")
async def live_counters(request: Request, staff: Staff, p: PlatformDep) -> Response:
    """The folder list alone, polled by the page so counters stay live."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        member = await memberships(session, staff.staff_id)
    w = pick(workspaces_for(d, staff.staff_id, member), request.query_params.get("ws"))
    if w is None:
        return Response(status_code=204)
    return templates.TemplateResponse(request, "_folders.html", {
        "folders": await counters(p, d, w), "ws": w, "current": request.query_params.get("folder"),
        "filter_query": urlencode([(k, v) for k, v in request.query_params.multi_items()
                                   if k in FILTER_KEYS])})
