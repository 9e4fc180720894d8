"""Single PostgreSQL statements run on the asyncpg driver directly, for the hottest paths.

A single statement is atomic on its own, so it runs outside any transaction block: no
BEGIN/COMMIT round trips, and asyncpg keeps the statement prepared per connection.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from core.db.database import Database

# As SQLAlchemy's pool_timeout: a request waits this long for a connection, then fails.
ACQUIRE_TIMEOUT = 30


@dataclass(frozen=True, slots=True)
class PositionalSql:
    """SQL with $1..$n placeholders and the parameter name behind each."""

    sql: str
    names: tuple[str, ...]
    json_params: frozenset[str] = frozenset()

    @classmethod
    def from_named(cls, sql: str, *, json_params: tuple[str, ...] = ()) -> PositionalSql:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        positional = re.sub(r"(?<![:\w]):([a-z_][a-z0-9_]*)", number, sql)
        return cls(positional, tuple(names), frozenset(json_params))

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [json.dumps(params[n], ensure_ascii=False) if n in self.json_params
                else params[n] for n in self.names]


async def fetchrow(db: Database, statement: PositionalSql, params: dict[str, Any]) -> Any:
    """The statement's first row (an asyncpg Record) or None."""
    pool = await db.driver_pool()
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as connection:
        return await connection.fetchrow(statement.sql, *statement.args(params))
