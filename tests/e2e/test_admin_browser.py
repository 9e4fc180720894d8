"""The web admin in headless Chromium, served by the real `pos up` on embedded defaults."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.e2e.browser import chromium, screenshots


async def _sign_in(page: Page, login: str, password: str) -> None:
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Пароль").fill(password)
    await page.get_by_role("button", name="Войти").click()


async def test_staff_sign_in_change_password_and_sign_out(admin_url: str, tmp_path: Path
                                                          ) -> None:
    async with chromium() as browser:
        page = await browser.new_page(locale="ru-RU")
        problems: list[str] = []  # script errors and CSP refusals
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}")
                if r.status >= 400 else None)

        await page.goto(f"{admin_url}/admin/password")
        await expect(page).to_have_url(f"{admin_url}/admin/login?next=/admin/password")
        await expect(page.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
        await page.screenshot(path=screenshots(tmp_path) / "admin-login.png")

        await _sign_in(page, "coordinator", "wrong-password")
        await expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль")

        await _sign_in(page, "coordinator", "demo-coordinator")
        await expect(page).to_have_url(f"{admin_url}/admin/password")  # back where asked
        await page.get_by_label("Текущий пароль").fill("demo-coordinator")
        await page.get_by_label("Новый пароль (не короче").fill("Novyi-parol-2026")
        await page.get_by_label("Новый пароль ещё раз").fill("Novyi-parol-2026")
        await page.get_by_role("button", name="Сменить пароль").click()
        await expect(page.get_by_role("status")).to_contain_text("Пароль изменён")

        await page.get_by_role("link", name="ПОС").click()
        await expect(page.get_by_role("heading", name="Здравствуйте")).to_contain_text(
            "Смирнов Алексей Викторович")
        await expect(page.get_by_text("Координатор")).to_be_visible()
        htmx_loaded = await page.evaluate("typeof window.htmx")
        assert htmx_loaded == "object"  # the vendored script loads under the page's CSP

        await page.get_by_role("button", name="Выйти").click()
        await expect(page).to_have_url(f"{admin_url}/admin/login")
        await page.goto(f"{admin_url}/admin/")
        await expect(page.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
        await _sign_in(page, "coordinator", "Novyi-parol-2026")
        await expect(page.get_by_role("heading", name="Здравствуйте")).to_be_visible()
        assert not problems, problems
        assert failed == [f"POST {admin_url}/admin/login 401"], failed  # the wrong password
