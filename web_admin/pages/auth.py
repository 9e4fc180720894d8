"""Sign in, sign out, change the password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from core.services.staff_auth import SignInError, change_password, sign_in, sign_out
from web_admin.security import (
    LOGIN_PATH,
    CheckedStaff,
    PlatformDep,
    Staff,
    delete_cookie,
    login_cookie,
    new_token,
    same,
    session_cookie,
    set_cookie,
)
from web_admin.templating import templates

router = APIRouter(prefix="/admin")


def _safe_next(next_url: str | None) -> str:
    # Only a path of this site: an absolute or protocol-relative address would make the
    # sign-in page an open redirect.
    if next_url and next_url.startswith("/admin") and not next_url.startswith("//"):
        return next_url
    return "/admin/"


def _login_page(request: Request, p: PlatformDep, *, error: str | None = None,
                login: str = "", next_url: str = "", status_code: int = 200) -> Response:
    token = new_token()
    response = templates.TemplateResponse(request, "login.html", {
        "error": error, "login": login, "next": next_url, "login_csrf": token},
        status_code=status_code)
    set_cookie(response, p, login_cookie(p), token, max_age=3600)
    return response


@router.get("/login")
async def login_form(request: Request, p: PlatformDep, next: str = "") -> Response:
    return _login_page(request, p, next_url=_safe_next(next) if next else "")


@router.post("/login")
async def login_submit(request: Request, p: PlatformDep, *,
                       login: Annotated[str, Form()] = "",
                       password: Annotated[str, Form()] = "",
                       csrf: Annotated[str, Form()] = "",
                       next: Annotated[str, Form()] = "") -> Response:
    if not same(csrf, request.cookies.get(login_cookie(p))):
        return _login_page(request, p, login=login, next_url=next, status_code=403,
                           error="Страница входа устарела. Введите логин и пароль ещё раз.")
    if not login.strip() or not password:
        return _login_page(request, p, login=login, next_url=next, status_code=400,
                           error="Введите логин и пароль")
    try:
        signed = await sign_in(p, login, password)
    except SignInError as error:
        return _login_page(request, p, login=login, next_url=next, status_code=401,
                           error=str(error))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, p, session_cookie(p), signed.token,
               max_age=int(p.settings.admin_session_hours * 3600))
    delete_cookie(response, p, login_cookie(p))
    return response


@router.post("/logout")
async def logout(request: Request, p: PlatformDep, staff: CheckedStaff) -> Response:
    await sign_out(p, request.cookies.get(session_cookie(p)))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    delete_cookie(response, p, session_cookie(p))
    return response


@router.get("/password")
async def password_form(request: Request, staff: Staff) -> Response:
    return templates.TemplateResponse(request, "password.html", {"staff": staff})


@router.post("/password")
async def password_submit(request: Request, p: PlatformDep, staff: CheckedStaff, *,
                          current: Annotated[str, Form()] = "",
                          new: Annotated[str, Form()] = "",
                          repeated: Annotated[str, Form()] = "") -> Response:
    try:
        await change_password(p, request.cookies.get(session_cookie(p)) or "",
                              current=current, new=new, repeated=repeated)
    except SignInError as error:
        return templates.TemplateResponse(request, "password.html",
                                          {"staff": staff, "error": str(error)},
                                          status_code=400)
    return templates.TemplateResponse(request, "password.html", {
        "staff": staff, "done": "Пароль изменён. Другие ваши сеансы завершены."})
