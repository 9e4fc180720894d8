"""A message through the web admin in headless Chromium, on the real `pos up`: a coordinator
finds a new message by its counter and sends it to an executor, the executor answers from a
template, the manager approves, and the citizen's notification is in the outbox."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.e2e.browser import chromium, screenshots


async def _staff_page(browser: Browser, url: str, login: str, problems: list[str]) -> Page:
    page = await browser.new_page(locale="ru-RU", viewport={"width": 1400, "height": 1000})
    page.on("console", lambda m: problems.append(f"{login}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{login}: {e}"))
    page.on("dialog", lambda d: problems.append(f"{login}: dialog {d.message}"))
    await page.goto(f"{url}/admin/login")
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Пароль").fill(f"demo-{login}")
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("heading", name="Здравствуйте")).to_be_visible()
    return page


async def _open_folder(page: Page, title: str) -> int:
    await page.get_by_role("link", name="Входящие", exact=True).click()
    link = page.locator("nav.folders a", has_text=title).first
    count = int(await link.locator(".count").inner_text())
    await link.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    return count


async def _answered_in_report(page: Page, url: str) -> int:
    """The city hall's «Дан ответ» in the deadline-compliance report."""
    await page.goto(f"{url}/admin/reports/compliance")
    row = page.locator("section.report-table").first.locator("tr", has_text="Мэрия Новосибирска")
    return int(await row.locator("td").nth(2).inner_text())


async def _act(page: Page, action: str) -> None:
    await page.get_by_text(action, exact=True).first.click()  # opens the form's <details>
    form = page.locator("details[open] form")
    return await expect(form).to_be_visible()


async def test_a_message_goes_from_the_coordinator_to_the_citizen(admin_url: str,
                                                                   tmp_path: Path) -> None:
    shots = screenshots(tmp_path)
    problems: list[str] = []
    async with chromium() as browser:
        coordinator = await _staff_page(browser, admin_url, "coordinator", problems)
        answered_before = await _answered_in_report(coordinator, admin_url)
        new = await _open_folder(coordinator, "Новые")
        assert new >= 1
        cards = coordinator.locator("article.msg-card")
        await expect(cards).to_have_count(new)
        await expect(cards.first.locator(".due").first).to_contain_text("Срок ответа:")
        await coordinator.screenshot(path=shots / "admin-inbox.png", full_page=True)
        number = int(await cards.first.get_attribute("data-number") or 0)
        await cards.first.locator("a.number").click()
        await expect(coordinator.get_by_role("heading", level=1)).to_contain_text(
            f"Сообщение № {number}")
        message_url = coordinator.url

        await _act(coordinator, "Направить на исполнение")
        form = coordinator.locator("details[open] form")
        await form.get_by_label("Организация-исполнитель").select_option(
            label="Мэрия Новосибирска")
        await form.get_by_label("Исполнитель (необязательно)").select_option(
            label="Кузнецова Ольга Сергеевна")
        await form.get_by_role("button", name="Направить на исполнение").click()
        await expect(coordinator.get_by_role("status")).to_contain_text(
            "Готово: «Направить на исполнение»")
        await expect(coordinator.locator(".status").first).to_have_text("В работе")
        assert await _open_folder(coordinator, "Новые") == new - 1  # the counter followed

        executor = await _staff_page(browser, admin_url, "executor", problems)
        await _open_folder(executor, "Назначены мне")
        await executor.locator(f'article[data-number="{number}"] a.number').click()
        await _act(executor, "Подготовить ответ")
        form = executor.locator("details[open] form")
        await form.get_by_label("Шаблон ответа").select_option(label="Работы выполнены")
        answer = form.get_by_label("Текст ответа")
        await expect(answer).to_have_value(re.compile("^Уважаемый заявитель!"))
        await answer.fill("Уважаемый заявитель! Место в детском саду предоставлено с 1 декабря.")
        await form.get_by_role("button", name="Подготовить ответ").click()
        await expect(executor.get_by_role("status")).to_contain_text("Готово")

        manager = await _staff_page(browser, admin_url, "manager", problems)
        await _open_folder(manager, "Подготовлен ответ")
        await manager.locator(f'article[data-number="{number}"] a.number').click()
        await expect(manager.locator(".answer")).to_contain_text("Место в детском саду")
        await _act(manager, "Утвердить ответ")
        await manager.locator("details[open] form").get_by_role(
            "button", name="Утвердить ответ").click()
        await expect(manager.get_by_role("status")).to_contain_text("Готово: «Утвердить ответ»")
        await expect(manager.locator(".timeline")).to_contain_text("Утвердить ответ")
        await manager.screenshot(path=shots / "admin-message.png", full_page=True)

        await coordinator.goto(message_url)
        await expect(coordinator.locator(".status").first).to_have_text("Ответ дан")
        # The report counts the answer, and draws its charts under the page's CSP.
        assert await _answered_in_report(coordinator, admin_url) == answered_before + 1
        await expect(coordinator.locator("canvas[data-drawn]")).to_have_count(2)
        await coordinator.screenshot(path=shots / "admin-report.png", full_page=True)
    db = sqlite3.connect(tmp_path / "pos.sqlite3")
    kinds = [row[0] for row in db.execute(
        "SELECT o.kind FROM outbox o JOIN messages m ON m.id = o.message_id "
        "WHERE m.number = ? ORDER BY o.id", (number,))]
    db.close()
    assert kinds[-1] == "answered", kinds
    assert not problems, problems
