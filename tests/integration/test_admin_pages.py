"""The web admin's Administration pages over HTTP (the real app, both backends): each page for
the regional admin; organisations, staff accounts, a region's deadlines, routing rules and
auto-rules changed through the forms, and the dry run following every change; bad input shown
next to its form; CSRF and non-admins refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from urllib.parse import urlencode

import httpx
import pytest

from core.domain.routing import AutoAction
from core.services.admin import auto_rules as ar
from core.services.directory import Directory
from core.services.platform import Platform
from tests.support import factories as f
from tests.support.directory import directory_restored
from tests.support.web import client_for, hidden, sign_in, signed_in

PREFIX = "/admin/settings"
STRONG = "Parol-2026-xyz"
TODAY = date(2026, 6, 1)  # the fixed clock's day in Novosibirsk


@pytest.fixture(autouse=True)
async def restored(platform: Platform) -> AsyncIterator[None]:
    async with directory_restored(platform):
        yield


@pytest.fixture
async def web(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as the regional admin (Правительство НСО)."""
    client = await signed_in(platform, "admin")
    try:
        yield client
    finally:
        await client.aclose()


async def csrf_of(web: httpx.AsyncClient) -> str:
    return hidden((await web.get("/admin/password")).text, "csrf")


async def directory(p: Platform) -> Directory:
    return await p.directory.get()


def due(days: int) -> str:
    return f"до {TODAY + timedelta(days=days):%d.%m.%Y}"


async def dry(web: httpx.AsyncClient, **query: object) -> httpx.Response:
    response = await web.get(f"{PREFIX}/dry-run?{urlencode(query)}")
    assert response.status_code == 200, response.text
    return response


async def test_every_page_renders_for_the_admin(platform: Platform,
                                                web: httpx.AsyncClient) -> None:
    p = platform
    d = await directory(p)
    admin = (await f.staff(p, "admin")).staff_id
    rules = await ar.list_auto_rules(p, staff_id=admin, region="54")
    lights = next(r for r in rules if r.name.startswith("Светофоры"))
    nsk = d.organisation("NSK-ADM").id
    active_subs = [s for s in d.subcategories.values() if s.is_active]
    pages = {
        "/": ["Администрирование", "Новосибирская область", "Проверка маршрута"],
        "/organisations": ["Правительство Новосибирской области", "CUR-54",
                           "Орган местного самоуправления", "город Новосибирск",
                           "Добавить организацию", "depth-2"],
        f"/organisations/{nsk}": ["Мэрия", "NSK-ADM", "Подчинённые организации",
                                  "Перенести вместе с подчинёнными", "Отключить организацию"],
        "/staff": ["Волков Дмитрий Александрович", "Соколова Елена Андреевна",
                   "Создать учётную запись"],
        f"/staff?organisation={nsk}": ["Смирнов Алексей Викторович"],
        f"/staff/{admin}": ["Администратор", "Правительство Новосибирской области",
                            "Выдать роль", "Сменить пароль"],
        "/classifier": ["Ямы и выбоины на дороге", "Автомобильные дороги",
                        '<details class="group card"'],
        "/routing": ["Министерство транспорта", "Добавить правило"],
        "/auto-rules": [lights.name, "Ключевые слова: «светофор»", "Добавить автоправило"],
        f"/auto-rules/{lights.id}": [lights.name, "Сохранить"],
        "/dry-run": ["Проверить", "Определить по адресу"],
    }
    for path, texts in pages.items():
        page = await web.get(PREFIX + path)
        assert page.status_code == 200, (path, page.text[:500])
        assert '<a href="/admin/settings/">Администрирование</a>' in page.text
        for text in texts:
            assert text in page.text, (path, text)
    staff_page = await web.get(f"{PREFIX}/staff?organisation={nsk}")
    assert "Соколова" not in staff_page.text  # the filter keeps to the city hall
    classifier = await web.get(f"{PREFIX}/classifier")
    assert classifier.text.count('<tr id="sub-') == len(active_subs)
    assert classifier.text.count('<details class="group card"') == len(d.categories)
    assert (await web.get(PREFIX)).headers["location"] == f"{PREFIX}/"
    assert (await web.get(f"{PREFIX}/organisations/999999")).status_code == 404
    assert (await web.get(f"{PREFIX}/auto-rules/999999")).status_code == 404


async def test_an_organisation_is_created_edited_moved_and_deactivated(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    token = await csrf_of(web)
    form = {"csrf": token, "code": "kdm-54", "name": "Комитет по делам молодёжи",
            "short_name": "Комитет молодёжи", "kind": "regional_executive",
            "territory": str(d.territory("54").id), "parent": str(d.organisation("GOV-54").id)}
    created = await web.post(f"{PREFIX}/organisations", data=form)
    assert created.status_code == 303, created.text
    new = (await directory(platform)).organisation("KDM-54")
    assert (new.name, new.parent_id) == ("Комитет по делам молодёжи",
                                         d.organisation("GOV-54").id)
    assert created.headers["location"] == f"{PREFIX}/organisations/{new.id}?done=created"
    assert "Организация создана." in (await web.get(created.headers["location"])).text
    assert f'id="org-{new.id}"' in (await web.get(f"{PREFIX}/organisations")).text

    again = await web.post(f"{PREFIX}/organisations",
                           data={**form, "code": "Kdm-54", "name": "Другой комитет"})
    assert again.status_code == 422
    assert "Код «KDM-54» уже занят" in again.text
    assert 'value="Другой комитет"' in again.text and '<details class="action" open>' in again.text

    nsk_city = d.territory("54-nsk").id
    edited = await web.post(f"{PREFIX}/organisations/{new.id}", data={
        "csrf": token, "name": "Комитет по молодёжной политике", "short_name": "",
        "restructure": "1", "kind": "regional_executive", "territory": str(nsk_city)})
    assert edited.status_code == 303
    assert edited.headers["location"] == f"{PREFIX}/organisations/{new.id}?done=saved"
    info = (await directory(platform)).organisation(new.id)
    assert (info.name, info.short_name, info.territory_id) == (
        "Комитет по молодёжной политике", None, nsk_city)

    minkult = d.organisation("MINKULT-54").id
    moved = await web.post(f"{PREFIX}/organisations/{new.id}/move",
                           data={"csrf": token, "parent": str(minkult)})
    assert moved.status_code == 303
    assert (await directory(platform)).organisation(new.id).parent_id == minkult
    cycle = await web.post(f"{PREFIX}/organisations/{new.id}/move",
                           data={"csrf": token, "parent": str(new.id)})
    assert cycle.status_code == 422 and "не может подчиняться самой себе" in cycle.text

    blocked = await web.post(f"{PREFIX}/organisations/{d.organisation('MINTRANS-54').id}/active",
                             data={"csrf": token, "active": "0"})
    assert blocked.status_code == 422 and "правило маршрутизации" in blocked.text
    assert (await directory(platform)).organisation("MINTRANS-54").is_active
    off = await web.post(f"{PREFIX}/organisations/{new.id}/active",
                         data={"csrf": token, "active": "0"})
    assert off.status_code == 303 and off.headers["location"].endswith("done=deactivated")
    assert not (await directory(platform)).organisation(new.id).is_active
    assert "отключена" in (await web.get(off.headers["location"])).text
    on = await web.post(f"{PREFIX}/organisations/{new.id}/active",
                        data={"csrf": token, "active": "1"})
    assert on.status_code == 303 and (await directory(platform)).organisation(new.id).is_active


async def test_a_staff_account_is_created_with_a_role_and_signs_in(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    token = await csrf_of(web)
    city_hall = d.organisation("NSK-ADM").id
    form = {"csrf": token, "login": "svc.orlov", "full_name": "Орлов Олег Олегович",
            "password": "short1", "organisation": str(city_hall), "role": "admin",
            "email": ""}
    weak = await web.post(f"{PREFIX}/staff", data=form)
    assert weak.status_code == 422 and "не короче 10" in weak.text
    assert 'value="svc.orlov"' in weak.text and "short1" not in weak.text

    created = await web.post(f"{PREFIX}/staff", data={**form, "password": STRONG})
    assert created.status_code == 303, created.text
    account_url = created.headers["location"].split("?")[0]
    page = await web.get(created.headers["location"])
    assert "Учётная запись создана" in page.text and "<td>Администратор</td>" in page.text
    assert "Мэрия" in page.text

    granted = await web.post(f"{account_url}/roles", data={
        "csrf": token, "organisation": str(d.organisation("NSK-DO").id), "role": "manager"})
    assert granted.headers["location"] == f"{account_url}?done=granted"
    assert "<td>Руководитель</td>" in (await web.get(account_url)).text
    revoked = await web.post(f"{account_url}/roles/revoke", data={
        "csrf": token, "organisation": str(d.organisation("NSK-DO").id), "role": "manager"})
    assert revoked.headers["location"] == f"{account_url}?done=revoked"
    assert "<td>Руководитель</td>" not in (await web.get(account_url)).text

    # The new organisation admin sees its city hall's tree, not the region's settings.
    async with client_for(platform) as orlov:
        assert (await sign_in(orlov, "svc.orlov", STRONG)).status_code == 303
        home = await orlov.get("/admin/")
        assert "Орлов Олег Олегович" in home.text and "/admin/settings/" in home.text
        tree = await orlov.get(f"{PREFIX}/organisations")
        assert tree.status_code == 200
        assert "NSK-ADM" in tree.text and "GOV-54" not in tree.text
        refused = await orlov.get(f"{PREFIX}/classifier")
        assert refused.status_code == 403 and "администратор этого региона" in refused.text

        mismatch = await web.post(f"{account_url}/password", data={
            "csrf": token, "password": "Novyi-2026-abc", "password_repeated": "other"})
        assert mismatch.status_code == 422 and "Пароли не совпадают" in mismatch.text
        reset = await web.post(f"{account_url}/password", data={
            "csrf": token, "password": "Novyi-2026-abc", "password_repeated": "Novyi-2026-abc"})
        assert reset.headers["location"] == f"{account_url}?done=password"
        # A new password ends the account's sessions.
        assert (await orlov.get("/admin/")).status_code == 303
        assert (await sign_in(orlov, "svc.orlov", "Novyi-2026-abc")).status_code == 303

        off = await web.post(f"{account_url}/active", data={"csrf": token, "active": "0"})
        assert off.headers["location"] == f"{account_url}?done=deactivated"
        assert (await orlov.get("/admin/")).status_code == 303
    own = await web.post(f"{PREFIX}/staff/{(await f.staff(platform, 'admin')).staff_id}/active",
                         data={"csrf": token, "active": "0"})
    assert own.status_code == 422 and "Нельзя отключить собственную" in own.text


async def test_a_region_override_moves_the_dry_run_deadline(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    sub = d.subcategory("healthcare_appointment")
    assert not sub.fast_track
    query = {"subcategory": sub.id, "territory": d.territory("54-nsk").id, "source": "telegram",
             "text": "Не могу записаться к врачу уже две недели, в регистратуре не отвечают."}
    before = await dry(web, **query)
    assert f"{sub.answer_days} дн., {due(sub.answer_days)}" in before.text
    assert "Почему" in before.text and "Итог: адресат" in before.text

    token = await csrf_of(web)
    url = f"{PREFIX}/classifier/{sub.id}"
    bad = await web.post(url, data={"csrf": token, "answer_days": "5", "fast_track": "",
                                    "fast_track_days": ""})
    assert bad.status_code == 422 and "Срок ответа — от 10 до 30 дней" in bad.text
    assert 'class="error-row"' in bad.text and 'value="5"' in bad.text
    typo = await web.post(url, data={"csrf": token, "answer_days": "15 дней"})
    assert typo.status_code == 422 and "Срок ответа — целое число" in typo.text

    saved = await web.post(url, data={"csrf": token, "answer_days": "15", "fast_track": "0",
                                      "fast_track_days": ""})
    assert saved.status_code == 303
    assert saved.headers["location"] == (f"{PREFIX}/classifier?done=saved&open={sub.id}"
                                         f"#sub-{sub.id}")
    page = await web.get(saved.headers["location"].split("#")[0])
    assert "Сроки подкатегории в регионе сохранены." in page.text
    row = page.text[page.text.index(f'id="sub-{sub.id}"'):][:3000]
    assert "<b>15</b>" in row and f"было {sub.answer_days}" in row
    assert f"15 дн., {due(15)}" in (await dry(web, **query)).text

    cleared = await web.post(url, data={"csrf": token, "op": "clear"})
    assert cleared.headers["location"].startswith(f"{PREFIX}/classifier?done=cleared")
    assert f"{sub.answer_days} дн., {due(sub.answer_days)}" in (await dry(web, **query)).text


async def test_a_routing_rule_added_through_the_form_routes_the_dry_run(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    beaches = d.subcategory("tourism_beaches")
    query = {"subcategory": beaches.id, "address": "Коченёво, пляж", "source": "vk"}
    assert "Правило маршрутизации для подкатегории" not in (await dry(web, **query)).text

    token = await csrf_of(web)
    form = {"csrf": token, "subject": f"subcategory:{beaches.id}",
            "territory": str(d.territory("54-kochenevo-r").id),
            "organisation": str(d.organisation("KOCHENEVO-R-ADM").id)}
    added = await web.post(f"{PREFIX}/routing", data=form)
    assert added.status_code == 303, added.text
    rule_id = int(re.search(r"#rule-(\d+)$", added.headers["location"]).group(1))
    page = await web.get(added.headers["location"].split("#")[0])
    assert "Правило маршрутизации добавлено." in page.text and f'id="rule-{rule_id}"' in page.text
    result = await dry(web, **query)
    assert (f"Правило маршрутизации для подкатегории «{beaches.name}» на территории "
            "«Коченёвский район»") in result.text
    org = d.organisation("KOCHENEVO-R-ADM")
    assert f"<strong>{org.name}</strong>" in result.text

    again = await web.post(f"{PREFIX}/routing", data=form)
    assert again.status_code == 422 and f"Такое правило уже есть (№{rule_id})" in again.text
    assert f'value="subcategory:{beaches.id}" selected' in again.text
    nothing = await web.post(f"{PREFIX}/routing", data={**form, "subject": ""})
    assert nothing.status_code == 422 and "Выберите категорию или подкатегорию" in nothing.text

    deleted = await web.post(f"{PREFIX}/routing/{rule_id}/delete", data={"csrf": token})
    assert deleted.headers["location"] == f"{PREFIX}/routing?done=deleted"
    assert f'id="rule-{rule_id}"' not in (await web.get(f"{PREFIX}/routing")).text
    gone = await web.post(f"{PREFIX}/routing/{rule_id}/delete", data={"csrf": token})
    assert gone.status_code == 404 and f"№{rule_id} не найдено" in gone.text


async def test_an_auto_rule_is_made_ordered_and_fires_in_the_dry_run(
        platform: Platform, web: httpx.AsyncClient) -> None:
    p = platform
    d = await directory(p)
    admin = (await f.staff(p, "admin")).staff_id
    seeded = await ar.list_auto_rules(p, staff_id=admin, region="54")
    beaches = d.subcategory("tourism_beaches")
    token = await csrf_of(web)
    form: dict[str, object] = {
        "csrf": token, "name": "Пляжи — исполнитель Коченёво",
        "action": AutoAction.ASSIGN_EXECUTOR.value,
        "organisation": str(d.organisation("KOCHENEVO-ADM").id),
        "subcategories": [str(beaches.id)], "stop": "1", "keywords": "", "note": ""}
    empty = await web.post(f"{PREFIX}/auto-rules", data={**form, "subcategories": []})
    assert empty.status_code == 422 and "Задайте хотя бы одно условие" in empty.text
    assert 'value="Пляжи — исполнитель Коченёво"' in empty.text

    created = await web.post(f"{PREFIX}/auto-rules", data=form)
    assert created.status_code == 303, created.text
    rule_id = int(created.headers["location"].rsplit("#auto-", 1)[1])
    listed = await web.get(f"{PREFIX}/auto-rules")
    assert f"Подкатегории: {beaches.name}" in listed.text
    rules = await ar.list_auto_rules(p, staff_id=admin, region="54")
    assert [r.id for r in rules] == [r.id for r in seeded] + [rule_id]
    query = {"subcategory": beaches.id, "address": "Коченёво, пляж", "source": "telegram"}
    fired = await dry(web, **query)
    assert "Автоправило «Пляжи — исполнитель Коченёво»: назначить исполнителем" in fired.text

    up = await web.post(f"{PREFIX}/auto-rules/{rule_id}/move",
                        data={"csrf": token, "direction": "up"})
    assert up.headers["location"] == f"{PREFIX}/auto-rules?done=moved#auto-{rule_id}"
    rules = await ar.list_auto_rules(p, staff_id=admin, region="54")
    assert [r.id for r in rules][-2:] == [rule_id, seeded[-1].id]
    first = await web.post(f"{PREFIX}/auto-rules/{seeded[0].id}/move",
                           data={"csrf": token, "direction": "up"})
    assert first.headers["location"].endswith(f"done=not_moved#auto-{seeded[0].id}")

    edit = await web.get(f"{PREFIX}/auto-rules/{rule_id}")
    assert f'<option value="{beaches.id}" selected>' in edit.text
    edited = await web.post(f"{PREFIX}/auto-rules/{rule_id}", data={
        **form, "keywords": "пляж\nКупание", "sources": ["telegram", "vk"],
        "territories": [str(d.territory("54-kochenevo-r").id)]})
    assert edited.headers["location"] == f"{PREFIX}/auto-rules?done=saved#auto-{rule_id}"
    listed = await web.get(f"{PREFIX}/auto-rules")
    assert "Ключевые слова: «пляж», «купание»" in listed.text
    assert "Источники: Telegram, ВКонтакте" in listed.text
    assert "Территории: Коченёвский район" in listed.text
    assert "Автоправило «Пляжи" not in (await dry(web, **query)).text  # no keyword now
    assert "Автоправило «Пляжи" in (await dry(web, **query, text="Грязный пляж у реки")).text

    off = await web.post(f"{PREFIX}/auto-rules/{rule_id}/active",
                         data={"csrf": token, "active": "0"})
    assert off.headers["location"].startswith(f"{PREFIX}/auto-rules?done=disabled")
    assert "Автоправило «Пляжи" not in (
        await dry(web, **query, text="Грязный пляж у реки")).text
    deleted = await web.post(f"{PREFIX}/auto-rules/{rule_id}/delete", data={"csrf": token})
    assert deleted.headers["location"].startswith(f"{PREFIX}/auto-rules?done=deleted")
    assert [r.id for r in await ar.list_auto_rules(p, staff_id=admin, region="54")] == [
        r.id for r in seeded]


async def test_the_dry_run_explains_and_names_bad_input(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    lights = d.subcategory("roads_traffic_lights")
    result = await dry(web, subcategory=lights.id, address="Новосибирск, ул. Ленина, 15",
                       source="telegram", text="Не работает светофор на перекрёстке.")
    for line in ("Территория найдена в адресе: «город Новосибирск»",
                 "Правило маршрутизации для категории «Автомобильные дороги» на территории "
                 "«город Новосибирск»", "Автоправило «Светофоры", "Итог: адресат — "):
        assert line in result.text
    assert "МКУ" in result.text  # the executor the auto-rule assigns
    missing = await web.get(f"{PREFIX}/dry-run?subcategory=&source=telegram")
    assert missing.status_code == 422 and "Выберите подкатегорию" in missing.text
    source = await web.get(f"{PREFIX}/dry-run?subcategory={lights.id}&source=fax")
    assert source.status_code == 422 and "Неизвестный источник «fax»" in source.text


async def test_a_form_without_the_csrf_token_is_refused(
        platform: Platform, web: httpx.AsyncClient) -> None:
    d = await directory(platform)
    form = {"code": "NO-CSRF", "name": "Без токена", "kind": "institution",
            "territory": str(d.territory("54").id), "parent": str(d.organisation("GOV-54").id)}
    for data in (form, {**form, "csrf": "forged"}):
        response = await web.post(f"{PREFIX}/organisations", data=data)
        assert response.status_code == 403 and "Форма устарела" in response.text
    assert "NO-CSRF" not in (await directory(platform)).org_by_code


async def test_a_non_admin_is_refused(platform: Platform) -> None:
    d = await directory(platform)
    async with client_for(platform) as web:
        assert (await sign_in(web, "coordinator")).status_code == 303
        assert "/admin/settings/" not in (await web.get("/admin/")).text
        for path in ("/", "/organisations", "/staff", "/classifier", "/routing", "/auto-rules",
                     "/dry-run"):
            page = await web.get(PREFIX + path)
            assert page.status_code == 403, path
        index = await web.get(f"{PREFIX}/")
        assert "доступен только администраторам" in index.text
        created = await web.post(f"{PREFIX}/organisations", data={
            "csrf": await csrf_of(web), "code": "BY-COORD", "name": "Х", "kind": "institution",
            "territory": str(d.territory("54-nsk").id),
            "parent": str(d.organisation("NSK-ADM").id)})
        assert created.status_code == 403
    assert "BY-COORD" not in (await directory(platform)).org_by_code
