"""Shared fixtures. Integration tests run once per backend: SQLite always, PostgreSQL when
POS_TEST_POSTGRES_URL is set (CI sets it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from core.ports import FixedClock
from core.services.platform import Platform, build_platform
from core.services.seed import seed_demo
from core.settings import Settings
from core.storage.local import LocalFileStorage
from tests.support.databases import create_database, drop_database, postgres_admin_url

BACKENDS = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
# Tables a test may fill; the seeded directory stays between tests.
VOLATILE = ["staff_sessions", "handled_updates", "conversations", "outbox", "message_events",
            "message_photos", "messages", "link_codes", "link_failures", "link_joins",
            "citizen_identities", "citizens", "counters"]
START = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 12:00 in Novosibirsk


def make_settings(url: str, tmp: Path) -> Settings:
    return Settings(environment="test", database_url=url, data_dir=tmp,
                    message_min_length=20, _env_file=None)  # type: ignore[call-arg]


def make_platform(url: str, tmp: Path, clock: FixedClock) -> Platform:
    settings = make_settings(url, tmp)
    return build_platform(settings, clock=clock, files=LocalFileStorage(tmp / "files"),
                          directory_ttl=3600)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp(request.param)
    url = create_database(request.param, tmp)

    async def seed() -> None:
        p = make_platform(url, tmp, FixedClock(START))
        await seed_demo(p)
        await p.close()

    asyncio.run(seed())
    yield url
    drop_database(url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def platform(seeded_url: str, tmp_path: Path, clock: FixedClock
                   ) -> AsyncIterator[Platform]:
    """A platform on the seeded database; message tables are emptied after each test."""
    p = make_platform(seeded_url, tmp_path, clock)
    try:
        yield p
    finally:
        async with p.db.transaction() as session:
            if p.db.is_postgres:
                await session.execute(text(
                    f"TRUNCATE {', '.join(VOLATILE)} RESTART IDENTITY CASCADE"))
                await session.execute(text("ALTER SEQUENCE message_number_seq RESTART WITH 1"))
            else:
                for table in VOLATILE:
                    await session.execute(text(f"DELETE FROM {table}"))
        await p.close()


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of its own for tests that change the directory."""
    url = create_database(request.param, tmp_path)
    yield url
    drop_database(url)
