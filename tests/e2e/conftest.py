"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.processes import PosProcess, free_port, pos_env


async def _until_up(url: str, process: PosProcess, seconds: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=2).close())
            return
        except OSError:
            if not process.running or loop.time() > deadline:
                raise AssertionError(f"pos up did not serve {url}:\n{process.output()}"
                                     ) from None
            await asyncio.sleep(0.2)


@pytest.fixture
async def admin_url(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    # A short demo history keeps start-up quick; the screenshots get the full one.
    history = "" if os.environ.get("POS_SCREENSHOTS") else "20"
    env = pos_env(database_url=f"sqlite+aiosqlite:///{tmp_path}/pos.sqlite3",
                  data_dir=tmp_path, POS_HTTP_PORT=str(port), POS_ENVIRONMENT="development",
                  **({"POS_DEMO_HISTORY_MESSAGES": history} if history else {}))
    process = PosProcess(["up"], env, tmp_path / "up.log")
    await process.start()
    try:
        await _until_up(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        await process.stop()
