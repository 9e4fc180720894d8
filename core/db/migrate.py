"""Run Alembic migrations programmatically (``pos db upgrade``) and compare models with them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from core.db.database import make_engine
from core.db.tables import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
# Made by migrations with raw DDL on PostgreSQL only (an expression GIN index the models cannot
# declare for both backends); the comparison leaves them out.
DDL_ONLY_INDEXES = frozenset({"ix_messages_search"})


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to run on every start."""
    engine = make_engine(url)
    cfg = alembic_config(url)

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    # Alembic opens and commits a transaction per migration itself (see env.py).
    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


async def schema_diff(url: str) -> list[Any]:
    """What differs between the migrated database and the models (empty when they agree)."""
    engine = make_engine(url)

    def compare(connection: Connection) -> list[Any]:
        def include(name: str | None, kind: str, _parents: Any) -> bool:
            return not (kind == "index" and name in DDL_ONLY_INDEXES)

        ctx = MigrationContext.configure(connection, opts={"compare_type": True,
                                                          "include_name": include})
        return list(compare_metadata(ctx, metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(compare)
    await engine.dispose()
    return diff


def upgrade_sync(url: str) -> None:
    asyncio.run(upgrade(url))
