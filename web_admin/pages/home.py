"""The start page after sign-in: who is signed in, in which organisations and roles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web_admin.security import Staff
from web_admin.templating import templates

router = APIRouter(prefix="/admin")


@router.get("")
async def bare() -> Response:
    return RedirectResponse("/admin/", status_code=307)


@router.get("/")
async def home(request: Request, staff: Staff) -> Response:
    return templates.TemplateResponse(request, "home.html", {"staff": staff})
