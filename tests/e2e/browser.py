"""Headless Chromium for the web admin's tests: Debian's `chromium` (which `.ci/run` installs)
driven by Playwright, so no browser is downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions",
                  "--no-first-run", "--no-default-browser-check"]


def chromium_path() -> str:
    """The system Chromium. A machine without it skips the browser tests, with the reason;
    under `.ci/run` (POS_REQUIRE_BROWSER) that is a failure, since it installs Chromium."""
    found = os.environ.get("POS_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("POS_REQUIRE_BROWSER"):
        pytest.fail("Chromium is not installed: `.ci/run` installs Debian's `chromium`")
    pytest.skip("Chromium is not installed (apt-get install chromium) — browser tests skipped")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


def screenshots(tmp_path: Path) -> Path:
    """docs/screenshots when asked to refresh them (POS_SCREENSHOTS=1), else a scratch dir:
    a test run does not rewrite files of the source tree."""
    return DOCS_SCREENSHOTS if os.environ.get("POS_SCREENSHOTS") else tmp_path
