"""The start page after sign-in: each of the staff member's workspaces with its folder
counters, one click from the inbox."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from core.services.access import memberships
from core.services.inbox.listing import counters
from core.services.inbox.workspaces import workspaces_for
from web_admin.security import PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix="/admin")


@router.get("")
async def bare() -> Response:
    return RedirectResponse("/admin/", status_code=307)


@router.get("/")
async def home(request: Request, staff: Staff, p: PlatformDep) -> Response:
    d = await p.directory.get()
    async with p.db.sessions() as session:
        member = await memberships(session, staff.staff_id)
    boards = [(w, w.title(d), await counters(p, d, w))
              for w in workspaces_for(d, staff.staff_id, member)]
    return templates.TemplateResponse(request, "home.html", {"staff": staff, "boards": boards})
