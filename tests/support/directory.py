"""Put the seeded directory back after a test that changes it.

The seeded directory (organisations, staff and roles, routing and auto-rules, a region's
classifier overrides and settings) is shared by every test of the session: a test that
changes it gets it back exactly as it was, rows it added removed and rows it changed or
deleted put back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.services.platform import Platform
from tests.conftest import VOLATILE

RESTORED = ["organisations", "staff", "staff_roles", "routing_rules", "auto_rules",
            "region_subcategories", "region_settings"]
Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def _table(name: str) -> Table:
    return t.metadata.tables[name]


def _key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


async def snapshot(session: AsyncSession) -> Snapshot:
    """Every row of the directory tables, by primary key."""
    snap = {}
    for name in RESTORED:
        table = _table(name)
        rows = [dict(r._mapping) for r in (await session.execute(select(table))).all()]
        snap[name] = {_key(table, r): r for r in rows}
    return snap


def _where_key(table: Table, key: tuple[Any, ...]) -> Any:
    return [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]


async def _put_back(session: AsyncSession, name: str,
                    rows: dict[tuple[Any, ...], dict[str, Any]]) -> None:
    table = _table(name)
    now = {_key(table, dict(r._mapping)) for r in (await session.execute(
        select(*table.primary_key.columns))).all()}
    for key, row in rows.items():
        if key in now:
            await session.execute(update(table).where(*_where_key(table, key)).values(**row))
        else:
            await session.execute(insert(table).values(**row))


async def _drop_new(session: AsyncSession, name: str,
                    rows: dict[tuple[Any, ...], dict[str, Any]]) -> None:
    table = _table(name)
    for r in (await session.execute(select(*table.primary_key.columns))).all():
        key = tuple(r)
        if key not in rows:
            await session.execute(delete(table).where(*_where_key(table, key)))


@asynccontextmanager
async def directory_restored(platform: Platform) -> AsyncIterator[None]:
    """The directory as it was before, afterwards. Message tables (``VOLATILE``) are emptied
    too, sessions included: messages filed inside may point at organisations and auto-rules
    made inside."""
    async with platform.db.transaction() as session:
        snap = await snapshot(session)
    try:
        yield
    finally:
        async with platform.db.transaction() as session:
            for name in VOLATILE:
                await session.execute(delete(_table(name)))
            await _put_back(session, "organisations", snap["organisations"])
            for name in ("staff_roles", "routing_rules", "auto_rules", "region_subcategories"):
                await _drop_new(session, name, snap[name])
            for name in ("region_settings", "staff", "staff_roles", "routing_rules",
                         "auto_rules", "region_subcategories"):
                await _put_back(session, name, snap[name])
            await _drop_new(session, "staff", snap["staff"])
            orgs_table = _table("organisations")
            new = [k[0] for k in (await session.execute(select(orgs_table.c.id))).all()
                   if (k[0],) not in snap["organisations"]]
            if new:
                await session.execute(update(orgs_table).where(orgs_table.c.id.in_(new))
                                      .values(parent_id=None))
                await session.execute(delete(orgs_table).where(orgs_table.c.id.in_(new)))
        async with platform.db.sessions() as session:
            assert await snapshot(session) == snap, "the directory was not put back"
        platform.directory.invalidate()
