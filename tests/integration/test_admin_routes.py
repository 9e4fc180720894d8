"""Every staff role × every web admin route over HTTP (both backends): a page or action is
reachable only within the staff member's scope, personal data only for the organisation
handling the message, only the actions the role has in the current status; citizen text is
shown escaped; a stale action gets a clear message and changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, update

from core.db import tables as t
from core.domain.enums import Action, Status
from core.domain.permissions import Membership as Member
from core.domain.permissions import sees_personal_data
from core.domain.workflow import available_actions
from core.services.access import former_holders, memberships, staff_roles_for
from core.services.admin.auto_rules import list_auto_rules
from core.services.admin.routing_rules import list_routing_rules
from core.services.inbox.workspaces import workspaces_for
from core.services.intake import store_photo
from core.services.platform import Platform
from tests.support import factories as f
from tests.support.dialog import JPEG
from tests.support.directory import directory_restored, snapshot
from tests.support.inbox_data import build
from tests.support.web import DEMO_LOGINS, hidden, signed_in, staff_restored
from web_admin.app import ROUTERS
from web_admin.pages.messages import MERGED, STALE

PHONE, EMAIL = "+7 913 555-12-34", "resident@example.ru"
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
# Every route of the web admin this test walks; a new route fails the test until it is added.
WALKED = {"/admin", "/admin/", "/admin/login", "/admin/logout", "/admin/password",
          "/admin/inbox", "/admin/inbox/counters", "/admin/messages/{message_id}",
          "/admin/messages/{message_id}/photos/{photo_id}",
          "/admin/messages/{message_id}/attachments/{index}",
          "/admin/messages/{message_id}/act/{action}", "/admin/reports",
          "/admin/reports/{kind}",
          # Administration (web_admin/pages/admin*.py)
          "/admin/settings", "/admin/settings/", "/admin/settings/organisations",
          "/admin/settings/organisations/{org_id}",
          "/admin/settings/organisations/{org_id}/move",
          "/admin/settings/organisations/{org_id}/active", "/admin/settings/staff",
          "/admin/settings/staff/{account_id}", "/admin/settings/staff/{account_id}/roles",
          "/admin/settings/staff/{account_id}/roles/revoke",
          "/admin/settings/staff/{account_id}/active",
          "/admin/settings/staff/{account_id}/password", "/admin/settings/classifier",
          "/admin/settings/classifier/{subcategory_id}", "/admin/settings/routing",
          "/admin/settings/routing/{rule_id}/delete", "/admin/settings/auto-rules",
          "/admin/settings/auto-rules/{rule_id}", "/admin/settings/auto-rules/{rule_id}/active",
          "/admin/settings/auto-rules/{rule_id}/move",
          "/admin/settings/auto-rules/{rule_id}/delete", "/admin/settings/dry-run"}


def test_the_walk_covers_every_admin_route() -> None:
    routes = {getattr(r, "path", "") for router in ROUTERS for r in router.routes}
    assert routes == WALKED


@pytest.fixture
async def clients(platform: Platform) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with staff_restored(platform):
        opened = {login: await signed_in(platform, login) for login in DEMO_LOGINS}
        try:
            yield opened
        finally:
            for client in opened.values():
                await client.aclose()


async def _expected(p: Platform, login: str, message_id: int) -> tuple[frozenset[str], bool]:
    """The roles the staff member holds for the message, and whether the page must show the
    citizen's personal data."""
    d = await p.directory.get()
    staff = await f.staff(p, login)
    async with p.db.sessions() as session:
        member = await memberships(session, staff.staff_id)
        m = await session.get(t.Message, message_id)
        assert m is not None
        roles = staff_roles_for(d, m, member)
        if not roles:
            former = await former_holders(session, m.id, {x.organisation_id for x in member})
            roles = staff_roles_for(d, m, member, former)
    return roles, sees_personal_data(roles)


def _forms(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


async def _dataset(p: Platform) -> tuple[list[int], int, int]:
    ids = list(vars(await build(p)).values())
    photo = await store_photo(p, JPEG)
    xss = await f.file_message(p, text=f"Яма на дороге {XSS} уже месяц",
                               address='Новосибирск, "><b>ул. Ленина</b>, 1', photos=[photo])
    ids.append(xss.id)
    async with p.db.transaction() as session:
        await session.execute(update(t.Citizen).values(phone=PHONE, email=EMAIL))
        photo_id = (await session.scalars(select(t.MessagePhoto.id).where(
            t.MessagePhoto.message_id == xss.id))).one()
    return ids, xss.id, photo_id


async def test_every_role_sees_only_its_scope_its_data_and_its_actions(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    p = platform
    ids, xss_id, photo_id = await _dataset(p)
    seen_any = dict.fromkeys(DEMO_LOGINS, 0)
    for login, web in clients.items():
        for mid in ids:
            roles, personal = await _expected(p, login, mid)
            page = await web.get(f"/admin/messages/{mid}")
            if not roles:
                assert page.status_code == 404, (login, mid)
                assert PHONE not in page.text and "Яма" not in page.text
                continue
            seen_any[login] += 1
            assert page.status_code == 200, (login, mid)
            assert (PHONE in page.text and EMAIL in page.text) is personal, (login, mid)
            if not personal:
                assert "555-12-34" not in page.text and "+7 *** ***-**-34" in page.text
            row = await f.message_row(p, mid)
            shown = {MERGED.get(a, a).value
                     for a in available_actions(Status(row.status), roles)}
            assert _forms(page.text) == shown, (login, mid, roles)
        photo = await web.get(f"/admin/messages/{xss_id}/photos/{photo_id}")
        roles, _ = await _expected(p, login, xss_id)
        assert photo.status_code == (200 if roles else 404), login
        if roles:
            assert photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"
    # Everyone with message work sees something; the ministry's staff do not see the city's.
    assert all(seen_any[x] for x in ("moderator", "coordinator", "executor", "manager",
                                     "admin", "coordinator2"))
    assert seen_any["coordinator2"] < seen_any["coordinator"]


async def test_every_inbox_folder_stays_in_scope(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    """The «all» folder of each workspace is exactly the messages its one role may see, and
    no folder lists a message its page would refuse."""
    p = platform
    ids, _, _ = await _dataset(p)
    d = await p.directory.get()
    by_number = {(await f.message_row(p, i)).number: i for i in ids}
    for login, web in clients.items():
        staff = await f.staff(p, login)
        async with p.db.sessions() as session:
            member = await memberships(session, staff.staff_id)
        for w in workspaces_for(d, staff.staff_id, member):
            one = [Member(w.organisation_id, w.role)]
            expected = set()
            for mid in ids:
                row = await f.message_row(p, mid)
                if staff_roles_for(d, row, one):
                    expected.add(row.number)
            listed = await web.get(f"/admin/inbox?ws={w.key}&folder=all&per_page=100")
            assert listed.status_code == 200
            assert set(map(int, re.findall(r'data-number="(\d+)"', listed.text))) == expected, \
                (login, w.key)
            counters = await web.get(f"/admin/inbox/counters?ws={w.key}")
            keys = re.findall(r'data-folder="([a-z_]+)"', counters.text)
            for key in keys:
                page = await web.get(f"/admin/inbox?ws={w.key}&folder={key}&per_page=100")
                for number in map(int, re.findall(r'data-number="(\d+)"', page.text)):
                    roles, _ = await _expected(p, login, by_number[number])
                    assert roles, (login, w.key, key, number)


async def test_actions_outside_the_role_or_scope_change_nothing(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    p = platform
    ids, _, _ = await _dataset(p)
    for login, web in clients.items():
        csrf = hidden((await web.get("/admin/password")).text, "csrf")
        for mid in ids:
            before = await f.message_row(p, mid)
            roles, _ = await _expected(p, login, mid)
            allowed = set(available_actions(Status(before.status), roles))
            # One action the role may not take here (or at all) per staff member and message.
            action = next(a for a in (Action.APPROVE_MODERATION, Action.SEND_TO_EXECUTION,
                                      Action.APPROVE_ANSWER, Action.REJECT) if a not in allowed)
            response = await web.post(f"/admin/messages/{mid}/act/{action.value}", data={
                "csrf": csrf, "version": str(before.version), "reason": "spam",
                "executor_organisation_id": str(before.organisation_id or 0)})
            assert response.status_code in (404, 409, 422), (login, mid, action)
            after = await f.message_row(p, mid)
            assert (after.status, after.version) == (before.status, before.version)


async def test_a_form_without_the_csrf_token_is_refused(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    msg = await f.file_message(platform)
    response = await clients["moderator"].post(
        f"/admin/messages/{msg.id}/act/approve_moderation", data={"version": "1"})
    assert response.status_code == 403
    assert (await f.message_row(platform, msg.id)).status == Status.MODERATION.value


async def test_citizen_html_is_shown_as_text(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    p = platform
    _, xss_id, _ = await _dataset(p)
    web = clients["coordinator"]
    number = (await f.message_row(p, xss_id)).number
    pages = [await web.get(f"/admin/messages/{xss_id}"),
             await web.get(f"/admin/inbox?folder=all&q={number}")]
    for page in pages:
        assert f"№ {number}" in page.text
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "<b>ул. Ленина</b>" not in page.text
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page.text
        assert "&lt;b&gt;ул. Ленина&lt;/b&gt;" in page.text


async def test_a_stale_action_is_explained_and_changes_nothing(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    p = platform
    msg = await f.file_message(p)
    moderator = clients["moderator"]
    page = await moderator.get(f"/admin/messages/{msg.id}")
    form = {"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version")}
    first = await moderator.post(f"/admin/messages/{msg.id}/act/approve_moderation", data=form)
    assert first.status_code == 303
    assert first.headers["location"] == f"/admin/messages/{msg.id}?done=approve_moderation"
    done = await moderator.get(first.headers["location"])
    assert "Готово: «Одобрить»" in done.text
    # The same form again, as a second tab or a colleague with the old page would send it.
    again = await moderator.post(f"/admin/messages/{msg.id}/act/reject",
                                 data={**form, "reason": "spam"})
    assert again.status_code == 409
    assert STALE.split(".")[0] in again.text and "Сообщение № " in again.text
    row = await f.message_row(p, msg.id)
    assert (row.status, row.version) == (Status.NEW.value, 2)
    assert [e.action for e in await f.events(p, msg.id)] == ["register", "approve_moderation"]


async def test_bad_input_is_shown_next_to_the_form(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    p = platform
    msg = await f.file_message(p)
    moderator = clients["moderator"]
    page = await moderator.get(f"/admin/messages/{msg.id}")
    form = {"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version")}
    response = await moderator.post(f"/admin/messages/{msg.id}/act/reject", data=form)
    assert response.status_code == 422
    assert "Выберите причину отклонения" in response.text
    assert '<details class="action" open>' in response.text
    assert (await f.message_row(p, msg.id)).status == Status.MODERATION.value


async def test_reports_show_only_the_viewers_organisations(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    """Every report for every role: the city hall's figures reach the city hall's staff and the
    regional admin, never the ministry's; each table downloads as CSV, the report as XLSX."""
    p = platform
    await build(p)
    city = "Мэрия Новосибирска"
    sees_city = {"coordinator", "executor", "manager", "admin", "moderator"}
    for login, web in clients.items():
        for kind in ("compliance", "satisfaction", "hotspots", "rating"):
            page = await web.get(f"/admin/reports/{kind}")
            assert page.status_code == 200, (login, kind)
            if kind == "compliance":
                assert (city in page.text) is (login in sees_city), login
        if login == "coordinator":
            csv = await web.get("/admin/reports/compliance?format=csv&table=0")
            assert csv.headers["content-type"].startswith("text/csv")
            assert csv.content.startswith("\ufeff".encode()) and city in csv.text
            xlsx = await web.get("/admin/reports/compliance?format=xlsx")
            assert xlsx.content.startswith(b"PK") and "attachment" in xlsx.headers[
                "content-disposition"]
    bad = await clients["coordinator"].get("/admin/reports/compliance?from=31.02.2026")
    assert bad.status_code == 200 and "Дата «с» не распознана" in bad.text
    assert (await clients["coordinator"].get("/admin/reports/nothing")).status_code == 404


async def test_administration_is_for_admins_only(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    """Every Administration page for every demo account: the regional admin gets its whole
    region, everyone else a refusal; every form sent by a non-admin changes nothing."""
    p = platform
    d = await p.directory.get()
    admin = (await f.staff(p, "admin")).staff_id
    executor = (await f.staff(p, "executor")).staff_id
    coordinator = (await f.staff(p, "coordinator")).staff_id
    region = d.territory("54").id
    auto = await list_auto_rules(p, staff_id=admin, region=region)
    routing = await list_routing_rules(p, staff_id=admin, region=region)
    sub = d.subcategory("tourism_beaches")
    org = {code: str(d.organisation(code).id) for code in (
        "GOV-54", "NSK-ADM", "NSK-DO", "NSK-GYM1", "NSK-DTDBK", "KOCHENEVO-R-ADM")}
    in_region = [o.code for o in d.organisations.values()
                 if d.territories[o.territory_id].region_id == region]
    pages = {
        "/admin/settings/": ["Вы администрируете регион «Новосибирская область»"],
        "/admin/settings/organisations": in_region,
        f"/admin/settings/organisations/{org['GOV-54']}": ["GOV-54"],
        "/admin/settings/staff": [f'<td class="code">{x}</td>' for x in DEMO_LOGINS],
        f"/admin/settings/staff/{executor}": ["Кузнецова Ольга Сергеевна"],
        "/admin/settings/classifier": [sub.name],
        "/admin/settings/routing": [f'id="rule-{r.id}"' for r in routing],
        "/admin/settings/auto-rules": [f'id="auto-{r.id}"' for r in auto],
        f"/admin/settings/auto-rules/{auto[0].id}": [auto[0].name],
        f"/admin/settings/dry-run?subcategory={sub.id}&address=Бердск&source=vk": ["Итог:"],
    }
    # What an admin would send to each form: refused here only for the sender's roles.
    posts: dict[str, dict[str, str]] = {
        "/admin/settings/organisations": {"code": "WALK-1", "name": "Обход",
                                          "kind": "institution", "territory": str(region),
                                          "parent": org["GOV-54"]},
        f"/admin/settings/organisations/{org['GOV-54']}": {"name": "Переименовано"},
        f"/admin/settings/organisations/{org['NSK-GYM1']}/move": {"parent": org["NSK-DTDBK"]},
        f"/admin/settings/organisations/{org['NSK-GYM1']}/active": {"active": "0"},
        "/admin/settings/staff": {"login": "walk.x", "full_name": "Обход",
                                  "password": "Parol-2026-xyz", "organisation": org["NSK-ADM"],
                                  "role": "admin"},
        f"/admin/settings/staff/{executor}/roles": {"organisation": org["NSK-DO"],
                                                    "role": "admin"},
        f"/admin/settings/staff/{coordinator}/roles/revoke": {"organisation": org["NSK-ADM"],
                                                              "role": "coordinator"},
        f"/admin/settings/staff/{executor}/active": {"active": "0"},
        f"/admin/settings/staff/{executor}/password": {"password": "Parol-2026-xyz",
                                                       "password_repeated": "Parol-2026-xyz"},
        f"/admin/settings/classifier/{sub.id}": {"answer_days": "15"},
        "/admin/settings/routing": {"subject": f"subcategory:{sub.id}",
                                    "territory": str(d.territory("54-kochenevo-r").id),
                                    "organisation": org["KOCHENEVO-R-ADM"]},
        f"/admin/settings/routing/{routing[0].id}/delete": {},
        "/admin/settings/auto-rules": {"name": "Обход", "action": "mark_fast_track",
                                       "keywords": "обход"},
        f"/admin/settings/auto-rules/{auto[0].id}": {"name": "Обход",
                                                     "action": "mark_fast_track",
                                                     "keywords": "обход"},
        f"/admin/settings/auto-rules/{auto[0].id}/active": {"active": "0"},
        f"/admin/settings/auto-rules/{auto[1].id}/move": {"direction": "up"},
        f"/admin/settings/auto-rules/{auto[-1].id}/delete": {},
    }
    async with directory_restored(p):
        async with p.db.sessions() as session:
            before = await snapshot(session)
        for login, web in clients.items():
            is_admin = login == "admin"
            home = await web.get("/admin/")
            assert ('href="/admin/settings/"' in home.text) is is_admin, login
            for path, texts in pages.items():
                page = await web.get(path)
                if is_admin:
                    assert page.status_code == 200, (login, path)
                    for text in texts:
                        assert text in page.text, (login, path, text)
                else:
                    assert page.status_code in (403, 404), (login, path)
                    assert not any(text in page.text for text in texts), (login, path)
            if is_admin:
                continue
            csrf = hidden(home.text, "csrf")
            for path, data in posts.items():
                response = await web.post(path, data={"csrf": csrf, **data})
                assert response.status_code in (403, 404), (login, path)
            async with p.db.sessions() as session:
                assert await snapshot(session) == before, login


async def test_oversized_or_unreadable_requests_get_a_page_not_a_crash(
        platform: Platform, clients: dict[str, httpx.AsyncClient]) -> None:
    web = clients["executor"]
    for url in ("/admin/messages/99999999999999999999", "/admin/messages/1/photos/x",
                "/admin/inbox?category=99999999999&territory=-5&page=abc"):
        response = await web.get(url)
        assert response.status_code in (200, 404), url
        assert "<!doctype html>" in response.text.lower()
    msg = await f.file_message(platform)
    csrf = hidden((await web.get("/admin/password")).text, "csrf")
    too_big = platform.settings.max_photo_bytes * 6 + 2 * 1024 * 1024
    response = await web.post(f"/admin/messages/{msg.id}/act/answer",
                              content=b"x" * 16, headers={
                                  "content-length": str(too_big),
                                  "content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413 and "слишком большие" in response.text
    refused = await web.post(f"/admin/messages/{msg.id}/act/send_to_execution", data={
        "csrf": csrf, "version": "1", "executor_organisation_id": str(2**40)})
    assert refused.status_code in (404, 409, 422)
