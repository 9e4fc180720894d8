"""Cookies, CSRF and the signed-in staff member of a request.

* The session cookie holds a random token (the server keeps only its hash); HttpOnly,
  SameSite=Lax, and Secure with the ``__Host-`` prefix wherever HTTPS is used.
* Every form carries the session's CSRF token, checked on every POST. The sign-in form, which
  comes before any session, uses a double-submit token: a random cookie repeated in the form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.responses import Response

from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo, session_for

LOGIN_PATH = "/admin/login"


def platform(request: Request) -> Platform:
    p: Platform = request.app.state.platform
    return p


def session_cookie(p: Platform) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for this
    # host only and for the whole site: no subdomain can plant or read it.
    return "__Host-pos_session" if p.settings.cookie_secure else "pos_session"


def login_cookie(p: Platform) -> str:
    return "__Host-pos_login" if p.settings.cookie_secure else "pos_login"


def set_cookie(response: Response, p: Platform, name: str, value: str, *,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        secure=p.settings.cookie_secure, samesite="lax")


def delete_cookie(response: Response, p: Platform, name: str) -> None:
    # With the same flags it was set with: a browser ignores a __Host- cookie that is not Secure.
    response.delete_cookie(name, path="/", httponly=True, secure=p.settings.cookie_secure,
                           samesite="lax")


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SignInRequired(Exception):
    """No valid session: a page redirects to the sign-in form, htmx is told to."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_url(next_url: str | None = None) -> str:
    return f"{LOGIN_PATH}?next={quote(next_url)}" if next_url else LOGIN_PATH


async def current_staff(request: Request, p: Annotated[Platform, Depends(platform)]
                        ) -> StaffSessionInfo:
    info = await session_for(p, request.cookies.get(session_cookie(p)))
    if info is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return info


async def checked_form(request: Request,
                       staff: Annotated[StaffSessionInfo, Depends(current_staff)],
                       csrf: Annotated[str, Form()] = "") -> StaffSessionInfo:
    """The signed-in staff member of a POST whose form carries the session's CSRF token."""
    if not same(csrf, staff.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "Форма устарела или отправлена не со страницы ПОС. "
                            "Обновите страницу и повторите.")
    return staff


Staff = Annotated[StaffSessionInfo, Depends(current_staff)]
CheckedStaff = Annotated[StaffSessionInfo, Depends(checked_form)]
PlatformDep = Annotated[Platform, Depends(platform)]
