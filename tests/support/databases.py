"""Test databases: a migrated SQLite file and, when POS_TEST_POSTGRES_URL is set, a fresh
PostgreSQL database created for the run and dropped after it."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.db.migrate import upgrade

POSTGRES_ENV = "POS_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def _admin(sql: str) -> None:
    admin = postgres_admin_url()
    assert admin
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def create_database(backend: str, tmp: Path) -> str:
    """Create an empty database of ``backend`` and migrate it; return its URL."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / f'pos-{uuid.uuid4().hex[:8]}.sqlite3'}"
    else:
        name = f"pos_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres_admin_url() or "").set(database=name).render_as_string(
            hide_password=False)
    asyncio.run(upgrade(url))
    return url


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = make_url(url).database
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
