"""The web admin over HTTP in tests: the real app on an in-process transport, signing in as
the demo staff, reading hidden form fields."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from core.db import tables as t
from core.services.platform import Platform
from pos.http import create_http_app
from web_admin.app import install
from web_admin.security import session_cookie

DEMO_LOGINS = ("moderator", "coordinator", "executor", "manager", "curator", "admin", "smm",
               "coordinator2", "executor2", "executor3")
PASSWORDS = {login: f"demo-{login}" for login in DEMO_LOGINS}


def client_for(p: Platform, *, scheme: str = "http") -> httpx.AsyncClient:
    app = create_http_app([])
    install(app, p)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url=f"{scheme}://testserver", follow_redirects=False)


@asynccontextmanager
async def staff_restored(p: Platform) -> AsyncIterator[None]:
    """Put the staff accounts back as seeded afterwards (tests change passwords, lock and
    disable accounts; the directory is shared by every test of a run)."""
    columns = (t.Staff.id, t.Staff.password_hash, t.Staff.full_name, t.Staff.is_active,
               t.Staff.failed_logins, t.Staff.locked_until)
    async with p.db.transaction() as session:
        seeded = (await session.execute(select(*columns))).all()
    try:
        yield
    finally:
        async with p.db.transaction() as session:
            for row in seeded:
                await session.execute(update(t.Staff).where(t.Staff.id == row.id).values(
                    password_hash=row.password_hash, full_name=row.full_name,
                    is_active=row.is_active, failed_logins=row.failed_logins,
                    locked_until=row.locked_until))


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, login: str = "coordinator",
                  password: str | None = None, *, next_url: str = "") -> httpx.Response:
    page = await web.get("/admin/login")
    return await web.post("/admin/login", data={
        "login": login, "password": password or PASSWORDS[login],
        "csrf": hidden(page.text, "csrf"), "next": next_url})


async def signed_in(p: Platform, login: str) -> httpx.AsyncClient:
    """A new client already signed in as ``login``; the caller closes it. The session row is
    written directly: the sign-in form (and its deliberately slow argon2 check) has its own
    tests, and the role walks sign in dozens of times."""
    token, now = secrets.token_urlsafe(32), p.clock.now()
    async with p.db.transaction() as session:
        staff_id = (await session.scalars(select(t.Staff.id).where(t.Staff.login == login))
                    ).one()
        session.add(t.StaffSession(
            token_hash=hashlib.sha256(token.encode()).hexdigest(), staff_id=staff_id,
            csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
            expires_at=now + timedelta(hours=p.settings.admin_session_hours)))
    client = client_for(p)
    client.cookies.set(session_cookie(p), token)
    return client
