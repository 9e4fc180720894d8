"""The asyncpg pool behind the hottest single statements: built from the engine's own connect
arguments, and closed with the database handle."""

from __future__ import annotations

import pytest

from core.db.database import Database
from core.db.raw import PositionalSql, fetchrow
from core.services.platform import Platform

SELECT = PositionalSql.from_named("SELECT CAST(:a AS int) + CAST(:b AS int) AS sum, "
                                  "CAST(:doc AS jsonb) ->> 'слово' AS word",
                                  json_params=("doc",))


async def test_statements_run_on_the_driver_pool_and_close_with_the_handle(
        platform: Platform) -> None:
    if not platform.db.is_postgres:
        pytest.skip("the driver pool is PostgreSQL's")
    db = Database(platform.db.url, pool_size=4)
    try:
        row = await fetchrow(db, SELECT, {"a": 2, "b": 3, "doc": {"слово": "яма"}})
        assert (row["sum"], row["word"]) == (5, "яма")
        pool = await db.driver_pool()
        assert pool is await db.driver_pool()  # one pool per handle
        assert pool.get_max_size() == 4  # as many as the engine's pool
    finally:
        await db.dispose()
    assert pool._closed  # asyncpg has no public "closed" flag


async def test_url_options_meant_for_sqlalchemy_are_translated(platform: Platform) -> None:
    if not platform.db.is_postgres:
        pytest.skip("the driver pool is PostgreSQL's")
    sep = "&" if "?" in platform.db.url else "?"
    db = Database(f"{platform.db.url}{sep}prepared_statement_cache_size=0", pool_size=2)
    try:
        row = await fetchrow(db, SELECT, {"a": 1, "b": 1, "doc": {}})
        assert row["sum"] == 2
    finally:
        await db.dispose()
