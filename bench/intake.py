"""Intake throughput on PostgreSQL: messages registered per second through the service layer
(routing, auto-rules, audit event and outbox row, one transaction each) side by side with plain
single-row INSERTs of the same rows through the same driver (asyncpg), at the same concurrency.

    .venv/bin/python -m bench.intake [--messages 5000] [--concurrency 8]

Uses POS_BENCH_POSTGRES_URL (default: the local server's `test` database as admin) to create a
throw-away database, and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from itertools import cycle
from pathlib import Path
from tempfile import mkdtemp

import asyncpg
from sqlalchemy.engine import make_url

from bench.postgres import ADMIN_URL, admin
from core.db.migrate import upgrade
from core.domain.enums import Channel, Source
from core.services.intake import submit_message
from core.services.platform import build_platform
from core.services.records import CitizenRef, get_or_create_citizen
from core.services.seed import seed_demo
from core.settings import Settings

SAMPLES = [
    ("roads_potholes", "Яма на дороге у дома, машины бьют колёса, прошу отремонтировать.",
     "Новосибирск, ул. Ленина, 15"),
    ("yards_snow_removal", "Двор не чистят от снега неделю, не проехать к подъезду.",
     "Бердск, ул. Боровая, 103"),
    ("roads_traffic_lights", "Не работает светофор на перекрёстке у школы, опасно.",
     "Новосибирск, Красный проспект, 82"),
    ("healthcare_appointment", "Нет талонов к терапевту на месяц вперёд в поликлинике.",
     "Обь, ул. Геодезическая, 5"),
    ("waste_pickup_delay", "Мусор не вывозят пятый день, контейнеры переполнены.",
     "Искитим, ул. Пушкина, 44"),
]


async def onboard(url: str, citizens: int, concurrency: int) -> float:
    """Citizens exist before they file: the bots create them at consent. Returns citizens/s."""
    p = build_platform(_settings(url, concurrency), directory_ttl=3600)
    work = iter(range(citizens))

    async def worker() -> None:
        for i in work:
            async with p.db.core_transaction() as conn:
                await get_or_create_citizen(conn, CitizenRef(Channel.TELEGRAM, f"bench-{i}"),
                                            p.clock.now())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await p.close()
    return citizens / elapsed


def _settings(url: str, concurrency: int) -> Settings:
    return Settings(environment="test", database_url=url, data_dir=Path(mkdtemp()),
                    database_pool_size=concurrency, _env_file=None)  # type: ignore[call-arg]


async def bench_service(url: str, n: int, concurrency: int, citizens: int) -> float:
    p = build_platform(_settings(url, concurrency), directory_ttl=3600)
    await p.directory.get()
    work = iter(range(n))
    samples = cycle(SAMPLES)

    async def worker() -> None:
        for i in work:
            sub, body, address = next(samples)
            await submit_message(
                p, citizen=CitizenRef(Channel.TELEGRAM, f"bench-{i % citizens}"),
                subcategory=sub, text=body, source=Source.TELEGRAM, address=address)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await p.close()
    return n / elapsed


async def bench_raw(url: str, n: int, concurrency: int) -> float:
    """Copy the rows the service wrote and INSERT them again, one autocommitted row each."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    cols = [r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'messages' "
        "AND column_name NOT IN ('id', 'number', 'idempotency_key') ORDER BY ordinal_position")]
    rows = await conn.fetch(f"SELECT {', '.join(cols)} FROM messages ORDER BY id LIMIT $1", n)
    base = await conn.fetchval("SELECT max(number) FROM messages")
    await conn.close()
    placeholders = ", ".join(f"${i}" for i in range(2, len(cols) + 2))
    sql = f"INSERT INTO messages (number, {', '.join(cols)}) VALUES ($1, {placeholders})"
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    work = iter(enumerate(rows))

    async def worker() -> None:
        async with pool.acquire() as c:
            stmt = await c.prepare(sql)
            for i, row in work:
                await stmt.fetch(base + 1 + i, *row.values())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return len(rows) / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--citizens", type=int, default=2000)
    args = parser.parse_args()
    name = f"pos_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        seed = build_platform(Settings(environment="test", database_url=url,
                                       _env_file=None))  # type: ignore[call-arg]
        await seed_demo(seed)
        await seed.close()
        onboarded = await onboard(url, args.citizens, args.concurrency)
        # A short warm-up so both sides run with warm caches and prepared statements.
        await bench_service(url, 200, args.concurrency, args.citizens)
        service = await bench_service(url, args.messages, args.concurrency, args.citizens)
        raw = await bench_raw(url, args.messages, args.concurrency)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"messages: {args.messages}, concurrency: {args.concurrency}, "
          f"citizens: {args.citizens}")
    print(f"service layer (route + auto-rules + audit + outbox, 1 tx each): {service:8.0f} msg/s")
    print(f"raw single-row INSERT (asyncpg, autocommit):                   {raw:8.0f} rows/s")
    print(f"ratio service/raw: {service / raw:.2f}")
    print(f"(citizen onboarding beforehand, get-or-create in a transaction: {onboarded:.0f}/s)")


if __name__ == "__main__":
    asyncio.run(main())
