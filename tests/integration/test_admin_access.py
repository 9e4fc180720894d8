"""Signing in to the web admin over HTTP (the real app, both backends): sessions, CSRF,
lockout, sign-out, password change, cookie flags and security headers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from core.db import tables as t
from core.ports import FixedClock
from core.services.platform import Platform
from tests.support.web import client_for, hidden, sign_in, staff_restored


@pytest.fixture
async def web(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with staff_restored(platform), client_for(platform) as client:
        yield client


async def csrf_of(web: httpx.AsyncClient) -> str:
    return hidden((await web.get("/admin/password")).text, "csrf")


async def test_pages_ask_to_sign_in_first(web: httpx.AsyncClient) -> None:
    response = await web.get("/admin/password?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/password%3Fx%3D1"
    htmx = await web.get("/admin/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/admin/login")


async def test_sign_in_opens_a_server_side_session(web: httpx.AsyncClient) -> None:
    response = await sign_in(web, next_url="/admin/password")
    assert response.status_code == 303 and response.headers["location"] == "/admin/password"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("pos_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    home = await web.get("/admin/")
    assert home.status_code == 200
    assert "Смирнов Алексей Викторович" in home.text and "Координатор" in home.text


async def test_wrong_password_and_unknown_login_get_the_same_answer(
        web: httpx.AsyncClient) -> None:
    wrong = await sign_in(web, "coordinator", "not-the-password")
    unknown = await sign_in(web, "nobody-here", "whatever-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Неверный логин или пароль" in response.text
        assert "pos_session" not in response.headers.get("set-cookie", "")


async def test_repeated_failures_lock_the_account_for_a_while(
        web: httpx.AsyncClient, platform: Platform, clock: FixedClock) -> None:
    for _ in range(platform.settings.login_max_failures - 1):
        assert (await sign_in(web, "executor", "wrong-password-1")).status_code == 401
    locked = await sign_in(web, "executor", "wrong-password-1")
    assert "заблокирован" in locked.text
    right_but_locked = await sign_in(web, "executor")
    assert right_but_locked.status_code == 401 and "заблокирован до" in right_but_locked.text
    clock.advance(minutes=platform.settings.login_lockout_minutes + 1)
    assert (await sign_in(web, "executor")).status_code == 303


async def test_a_successful_sign_in_resets_the_count(web: httpx.AsyncClient,
                                                     platform: Platform) -> None:
    limit = platform.settings.login_max_failures
    for _ in range(limit - 1):
        await sign_in(web, "executor", "wrong-password-1")
    assert (await sign_in(web, "executor")).status_code == 303
    await web.post("/admin/logout", data={"csrf": await csrf_of(web)})
    for _ in range(limit - 1):
        assert "заблокирован" not in (await sign_in(web, "executor", "wrong")).text
    assert "заблокирован" in (await sign_in(web, "executor", "wrong")).text


async def test_parallel_wrong_passwords_cannot_slip_past_the_lock(
        web: httpx.AsyncClient, platform: Platform) -> None:
    async def attempt() -> None:
        async with client_for(platform) as browser:
            await sign_in(browser, "executor", "wrong-password-1")

    await asyncio.gather(*(attempt() for _ in range(platform.settings.login_max_failures)))
    assert "заблокирован до" in (await sign_in(web, "executor")).text


async def test_guessing_the_current_password_counts_towards_the_lock(
        web: httpx.AsyncClient, platform: Platform) -> None:
    await sign_in(web)
    csrf = await csrf_of(web)
    for _ in range(platform.settings.login_max_failures):
        await web.post("/admin/password", data={
            "current": "guess-1234", "new": "Novyi-parol-2026", "repeated": "Novyi-parol-2026",
            "csrf": csrf})
    async with client_for(platform) as other:
        assert "заблокирован до" in (await sign_in(other)).text


async def test_the_sign_in_form_needs_its_own_token(web: httpx.AsyncClient) -> None:
    response = await web.post("/admin/login", data={
        "login": "coordinator", "password": "demo-coordinator", "csrf": "forged"})
    assert response.status_code == 403 and "устарела" in response.text


async def test_forms_without_the_sessions_csrf_token_are_refused(web: httpx.AsyncClient
                                                                  ) -> None:
    await sign_in(web)
    refused = await web.post("/admin/logout", data={})
    assert refused.status_code == 403 and "Форма устарела" in refused.text
    assert (await web.get("/admin/")).status_code == 200  # still signed in
    assert (await web.post("/admin/logout", data={"csrf": "x" * 43})).status_code == 403


async def test_sign_out_ends_the_session_on_the_server(web: httpx.AsyncClient) -> None:
    await sign_in(web)
    token = web.cookies["pos_session"]
    response = await web.post("/admin/logout", data={"csrf": await csrf_of(web)})
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    web.cookies.set("pos_session", token)  # a copied cookie is worth nothing now
    assert (await web.get("/admin/")).status_code == 303


async def test_idle_and_old_sessions_end(web: httpx.AsyncClient, platform: Platform,
                                         clock: FixedClock) -> None:
    await sign_in(web)
    clock.advance(minutes=platform.settings.admin_idle_minutes - 5)
    assert (await web.get("/admin/")).status_code == 200  # use keeps it alive
    clock.advance(minutes=platform.settings.admin_idle_minutes + 1)
    assert (await web.get("/admin/")).status_code == 303
    await sign_in(web)
    for _ in range(int(platform.settings.admin_session_hours * 2) + 1):
        clock.advance(minutes=30)
        response = await web.get("/admin/")
    assert response.status_code == 303


async def test_password_change(web: httpx.AsyncClient, platform: Platform) -> None:
    await sign_in(web)
    async with client_for(platform) as other_browser:
        await sign_in(other_browser)
        csrf = await csrf_of(web)
        cases = [
            ({"current": "wrong", "new": "Novyi-parol-2026", "repeated": "Novyi-parol-2026"},
             "Текущий пароль введён неверно"),
            ({"current": "demo-coordinator", "new": "short1", "repeated": "short1"},
             "не короче 10"),
            ({"current": "demo-coordinator", "new": "Novyi-parol-2026",
              "repeated": "Novyi-parol-2027"}, "не совпадают"),
            ({"current": "demo-coordinator", "new": "только-буквы-здесь",
              "repeated": "только-буквы-здесь"}, "и буквы, и цифры"),
        ]
        for form, message in cases:
            refused = await web.post("/admin/password", data={**form, "csrf": csrf})
            assert refused.status_code == 400 and message in refused.text, message
        done = await web.post("/admin/password", data={
            "current": "demo-coordinator", "new": "Novyi-parol-2026",
            "repeated": "Novyi-parol-2026", "csrf": csrf})
        assert done.status_code == 200 and "Пароль изменён" in done.text
        assert (await web.get("/admin/")).status_code == 200  # this session stays
        assert (await other_browser.get("/admin/")).status_code == 303  # others end
    async with client_for(platform) as fresh:
        assert (await sign_in(fresh, "coordinator", "demo-coordinator")).status_code == 401
        assert (await sign_in(fresh, "coordinator", "Novyi-parol-2026")).status_code == 303


async def test_a_disabled_account_is_signed_out(web: httpx.AsyncClient, platform: Platform
                                                ) -> None:
    await sign_in(web, "admin")
    async with platform.db.transaction() as session:
        await session.execute(update(t.Staff).where(t.Staff.login == "admin")
                              .values(is_active=False))
    assert (await web.get("/admin/")).status_code == 303
    assert (await sign_in(web, "admin")).status_code == 401


async def test_no_open_redirect_after_sign_in(web: httpx.AsyncClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/elsewhere"):
        response = await sign_in(web, next_url=target)
        assert response.headers["location"] == "/admin/", target
        await web.post("/admin/logout", data={"csrf": await csrf_of(web)})


async def test_over_https_the_cookie_is_secure_and_host_only(platform: Platform) -> None:
    settings = platform.settings.model_copy(update={"admin_cookie_secure": True})
    secure = dataclasses.replace(platform, settings=settings)
    async with client_for(secure, scheme="https") as web:
        page = await web.get("/admin/login")
        assert page.headers["set-cookie"].startswith("__Host-pos_login=")
        assert "Secure" in page.headers["set-cookie"]
        response = await web.post("/admin/login", data={
            "login": "coordinator", "password": "demo-coordinator",
            "csrf": hidden(page.text, "csrf")})
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-pos_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Domain" not in cookie
        assert (await web.get("/admin/")).status_code == 200
        out = await web.post("/admin/logout", data={"csrf": await csrf_of(web)})
        removal = out.headers["set-cookie"]  # a browser drops it only if Secure again
        assert removal.startswith('__Host-pos_session=""') and "Secure" in removal
        assert "__Host-pos_session" not in web.cookies


async def test_security_headers_and_escaping(web: httpx.AsyncClient, platform: Platform
                                             ) -> None:
    async with platform.db.transaction() as session:
        await session.execute(update(t.Staff).where(t.Staff.login == "coordinator").values(
            full_name='<script>alert("x")</script> Смирнов'))
    await sign_in(web)
    home = await web.get("/admin/")
    assert "<script>alert" not in home.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Смирнов" in home.text
    headers = home.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    css = await web.get("/admin/static/css/admin.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    htmx = await web.get("/admin/static/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]


async def test_expired_sessions_are_purged(web: httpx.AsyncClient, platform: Platform,
                                           clock: FixedClock) -> None:
    from core.services.staff_auth import purge_sessions

    await sign_in(web)
    assert await purge_sessions(platform) == 0
    clock.advance(hours=platform.settings.admin_session_hours + 1)
    assert await purge_sessions(platform) == 1
    assert (await web.get("/admin/")).status_code == 303
