"""Headless Chromium for the web admin's tests: Debian's `chromium` (which `.ci/run` installs)
driven by Playwright, so no browser is downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

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
