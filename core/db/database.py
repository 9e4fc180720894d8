"""The database handle: one async engine per process, sessions for units of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BEGIN = "pos_sqlite_begin"


def fold(value: str | None) -> str | None:
    """Case- and ё-insensitive form for search: SQLite's own lower() knows only ASCII."""
    return value.casefold().replace("ё", "е") if value is not None else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN breaks SAVEPOINT and cannot take the write lock up front;
    # SQLAlchemy's documented recipe hands BEGIN to the "begin" event below instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while a writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a reported number survives power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    dbapi_connection.create_function("pos_fold", 1, fold, deterministic=True)


def _sqlite_begin(conn: Any) -> None:
    # Write units of work take the write lock at BEGIN, so two of them serialise instead of
    # failing with SQLITE_BUSY_SNAPSHOT when both read and then write.
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # No overflow: a connection opened for a burst and closed after it costs a TLS attempt,
    # authentication and the driver's type setup, all on the event loop — under load that
    # churn stalled every other request (bench.telegram). Requests wait for a pooled one.
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=0, pool_timeout=30,
        pool_recycle=1800,
    )


# Keys SQLAlchemy reads from a PostgreSQL URL for itself; asyncpg.connect knows none of them.
_SQLALCHEMY_ONLY = ("async_fallback", "prepared_statement_name_func")


async def _no_session_state(_connection: Any) -> None:
    """The driver pool runs single statements that leave no session state behind, so the
    default reset on release (RESET ALL, UNLISTEN, ...: a round trip each time) is skipped.
    asyncpg still rolls back an open transaction before calling this."""


class Database:
    """Owns the engine. Services open one unit of work (session + transaction) per event."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.pool_size = pool_size
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._postgres = self.engine.dialect.name == "postgresql"  # asked on every statement
        self._driver_pool: Any = None
        self._driver_pool_lock = asyncio.Lock()

    async def driver_pool(self) -> Any:
        """asyncpg's own pool (PostgreSQL only), for single statements on the hottest paths.

        Checking a connection out of SQLAlchemy's pool costs a greenlet switch and the pool's
        event machinery; under bench.telegram that was a tenth of the bot's CPU, more than
        the statements themselves. The pool opens connections as they are needed, up to
        the engine's pool size, and uses the very connect arguments the engine uses."""
        if self._driver_pool is None:
            async with self._driver_pool_lock:
                if self._driver_pool is None:
                    import asyncpg  # only PostgreSQL deployments need the driver

                    dialect = self.engine.sync_engine.dialect
                    _, params = dialect.create_connect_args(self.engine.url)
                    for key in _SQLALCHEMY_ONLY:
                        params.pop(key, None)
                    if "prepared_statement_cache_size" in params:
                        params["statement_cache_size"] = params.pop(
                            "prepared_statement_cache_size")
                    self._driver_pool = await asyncpg.create_pool(
                        min_size=1, max_size=self.pool_size,
                        reset=_no_session_state, **params)
        return self._driver_pool

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self._postgres

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits once on success, rolls back on any error."""
        async with self.sessions() as session:
            if self.dialect == "sqlite":
                await session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    @asynccontextmanager
    async def core_transaction(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work on a bare connection, for hot paths that only run Core statements:
        no ORM session bookkeeping per statement."""
        async with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        if self._driver_pool is not None:
            pool, self._driver_pool = self._driver_pool, None
            await pool.close()
        await self.engine.dispose()
