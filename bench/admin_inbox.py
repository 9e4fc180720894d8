"""The staff inbox and the deadline-compliance report on a large PostgreSQL database.

    .venv/bin/python -m bench.admin_inbox [--messages 1000000] [--organisations 500]
                                          [--requests 200] [--keep URL]

Creates a throw-away database (POS_BENCH_POSTGRES_URL, default the local server as admin),
seeds the demo region, adds organisations up to ``--organisations`` and generates
``--messages`` messages across them with a year of audit events, in SQL (a few minutes for a
million). Then, for a coordinator of the busiest organisation and one of a median one, times
``--requests`` sequential requests of:

* the inbox as the service computes it (every folder counter + the first page of cards);
* the inbox page over HTTP (the real app in-process, signed in, templates rendered);
* the deadline-compliance report of the last 30 and 365 days, as the reports page builds it
  for the coordinator (their organisation and those below it);

and prints p50/p95/max in milliseconds and requests per second. ``--keep`` reuses a database
generated before (its URL is printed) instead of generating one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from tempfile import mkdtemp

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.postgres import ADMIN_URL, admin
from core.db.migrate import upgrade
from core.services.access import memberships
from core.services.inbox.filters import InboxFilter
from core.services.inbox.listing import load_inbox
from core.services.platform import Platform, build_platform
from core.services.reports import ReportScope, build_report
from core.services.reports.viewer import viewer_scope
from core.services.seed import seed_demo
from core.settings import Settings

TEXTS = [
    "Яма на дороге у дома, машины бьют колёса, прошу отремонтировать покрытие.",
    "Двор не чистят от снега неделю, не проехать к подъезду, скорая не проедет.",
    "Не работает светофор на перекрёстке у школы, дети переходят на красный.",
    "Нет талонов к терапевту на месяц вперёд в поликлинике по месту жительства.",
    "Мусор не вывозят пятый день, контейнеры переполнены, запах на весь двор.",
    "Во дворе не горят фонари, вечером идти домой страшно, особенно зимой.",
    "На остановке разбит павильон, негде укрыться от дождя и ветра.",
    "Прорвало трубу отопления в подвале, в квартирах холодно вторые сутки.",
]
STREETS = ["ул. Ленина", "Красный проспект", "ул. Кирова", "ул. Гоголя", "ул. Богдана "
           "Хмельницкого", "ул. Титова", "ул. Выборная", "ул. Пушкина", "ул. Советская"]
# Status shares of a year of messages: most are closed, a working day's worth are open.
STATUSES = [("closed", 0.70), ("rejected", 0.075), ("answered", 0.05), ("in_work", 0.06),
            ("new", 0.03), ("answer_prepared", 0.02), ("postponed", 0.02), ("returned", 0.01),
            ("moderation", 0.01), ("sent_to_sed", 0.01), ("sed_answer_received", 0.005),
            ("re_review", 0.005), ("redirect_requested", 0.005)]
STAGES = {"closed": "closed", "rejected": "closed", "answered": "answered",
          "in_work": "execution", "new": "coordination", "answer_prepared": "approval",
          "postponed": "execution", "returned": "coordination", "moderation": "moderation",
          "sent_to_sed": "execution", "sed_answer_received": "execution",
          "re_review": "coordination", "redirect_requested": "moderation"}


def _settings(url: str) -> Settings:
    return Settings(environment="test", database_url=url, data_dir=Path(mkdtemp()),
                    _env_file=None)  # type: ignore[call-arg]


def _status_case() -> str:
    """A CASE choosing a status by the row's random number ``r`` with the shares above."""
    parts, edge = [], 0.0
    for status, share in STATUSES:
        edge += share
        parts.append(f"WHEN r < {edge:.4f} THEN '{status}'")
    return "CASE " + " ".join(parts) + " ELSE 'closed' END"


async def generate(url: str, messages: int, organisations: int) -> None:
    p = build_platform(_settings(url))
    await seed_demo(p)
    now = p.clock.now()
    engine = create_async_engine(url)
    stage_case = "CASE status " + " ".join(f"WHEN '{s}' THEN '{g}'" for s, g in STAGES.items()) \
        + " END"
    async with engine.begin() as conn:
        q = await conn.execute(text("SELECT id FROM territories WHERE kind = 'region'"))
        region = q.scalar_one()
        existing = (await conn.execute(text("SELECT count(*) FROM organisations"))).scalar_one()
        # More municipal institutions, each under a municipal administration or a ministry.
        await conn.execute(text("""
            INSERT INTO organisations (code, name, short_name, kind, territory_id, parent_id,
                                       is_active, moderates)
            SELECT 'BENCH-' || g, 'Муниципальное учреждение № ' || g, 'МУ № ' || g,
                   'institution', parent.territory_id, parent.id, true, false
            FROM generate_series(1, :extra) g
            JOIN LATERAL (SELECT id, territory_id FROM organisations
                          WHERE code NOT LIKE 'BENCH-%' ORDER BY id
                          OFFSET (g % :existing) LIMIT 1) parent ON true
        """), {"extra": max(0, organisations - existing), "existing": existing})
        await conn.execute(text("""
            INSERT INTO citizens (name, created_at)
            SELECT 'Житель ' || g, :now FROM generate_series(1, :n) g
        """), {"n": max(1, messages // 3), "now": now})
        # Organisations ordered so that the city hall is first: a skewed share of messages
        # (the busiest gets about 4.5%, the median about 0.15%), as in a real region.
        await conn.execute(text("""
            CREATE TEMP TABLE bench_orgs AS
            SELECT row_number() OVER (ORDER BY (code <> 'NSK-ADM'), id) - 1 AS k, id,
                   territory_id FROM organisations
        """))
        await conn.execute(text("""
            CREATE TEMP TABLE bench_subs AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, category_id
            FROM subcategories WHERE is_active
        """))
        n_orgs = (await conn.execute(text("SELECT count(*) FROM bench_orgs"))).scalar_one()
        n_subs = (await conn.execute(text("SELECT count(*) FROM bench_subs"))).scalar_one()
        n_cit = (await conn.execute(text("SELECT min(id), max(id) FROM citizens"))).one()
        texts = "(ARRAY[" + ",".join("'" + x + "'" for x in TEXTS) + "])"
        streets = "(ARRAY[" + ",".join("'" + x + "'" for x in STREETS) + "])"
        await conn.execute(text(f"""
            INSERT INTO messages (number, source, citizen_id, category_id, subcategory_id, text,
                address, territory_id, region_id, organisation_id, executor_organisation_id,
                status, stage, arrival, fast_track, auto_rule_ids, delegated_by_auto_rule,
                registered_at, arrived_at, answer_due, coordination_due, answered_at, rating,
                closed_at, re_review_count, redirect_count, postponement_count, version,
                updated_at, answer_attachments)
            SELECT nextval('message_number_seq'),
                (ARRAY['telegram','vk','widget','api','incident'])[1 + (g % 5)],
                CAST(:cit_lo AS int) + (g % (CAST(:cit_hi AS int) - CAST(:cit_lo AS int) + 1)),
                s.category_id, s.id,
                {texts}[1 + (g % {len(TEXTS)})] || ' (' || g || ')',
                'Новосибирск, ' || {streets}[1 + (g % {len(STREETS)})] || ', ' || (1 + g % 120),
                o.territory_id, :region, o.id,
                CASE WHEN status IN ('in_work','postponed','answer_prepared','answered','closed',
                                     'sent_to_sed','sed_answer_received') THEN o.id END,
                status, {stage_case}, 'after_moderation', (g % 10 = 0), '[]'::jsonb,
                (g % 17 = 0), reg, reg, reg + interval '30 days', reg + interval '1 day',
                CASE WHEN status IN ('answered','closed')
                     THEN reg + (r2 * interval '34 days') END,
                CASE WHEN status = 'closed' AND g % 3 = 0 THEN 1 + (g % 5) END,
                CASE WHEN status IN ('closed','rejected')
                     THEN reg + (r2 * interval '40 days') END,
                CASE WHEN status = 're_review' THEN 1 ELSE 0 END, (g % 50 = 0)::int,
                CASE WHEN status = 'postponed' THEN 1 ELSE 0 END, 3, reg, '[]'::jsonb
            FROM (SELECT g, random() AS r, random() AS r2, random() AS r3,
                         CAST(:now AS timestamptz) - (random() * interval '365 days') AS reg
                  FROM generate_series(1, :n) g) base
            CROSS JOIN LATERAL (SELECT {_status_case()} AS status) st
            JOIN bench_orgs o ON o.k = floor(:n_orgs * r3 * r3)::int
            JOIN bench_subs s ON s.k = g % :n_subs
        """), {"n": messages, "now": now, "region": region, "n_orgs": n_orgs,
               "n_subs": n_subs, "cit_lo": n_cit[0], "cit_hi": n_cit[1]})
        # The audit trail the history folders and reports read.
        for action, condition in [
            ("register", "true"),
            ("send_to_execution", "executor_organisation_id IS NOT NULL"),
            ("answer", "status IN ('answer_prepared','answered','closed')"),
            ("approve_answer", "status IN ('answered','closed')"),
            ("redirect", "redirect_count > 0"),
        ]:
            await conn.execute(text(f"""
                INSERT INTO message_events (message_id, action, actor_kind, to_status,
                    to_stage, organisation_id, from_organisation_id, details, created_at)
                SELECT id, '{action}', 'staff', status, stage, organisation_id,
                       CASE WHEN '{action}' <> 'register' THEN organisation_id END, '{{}}'::jsonb,
                       registered_at + interval '1 hour'
                FROM messages WHERE {condition}
            """))
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    await p.close()


def _figures(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    total = sum(samples)
    return (f"{name:<52} p50 {statistics.median(samples) * 1000:7.1f} ms   "
            f"p95 {p95 * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms   "
            f"{len(samples) / total:6.1f} req/s")


async def _time(requests: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    await call()  # warm the caches and the directory snapshot once
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def _coordinators(p: Platform) -> list[tuple[str, int, int]]:
    """(label, staff id, message count) for the busiest organisation's coordinator and for a
    coordinator added to an organisation of median size."""
    engine = create_async_engine(p.settings.database_url)
    async with engine.begin() as conn:
        busiest = (await conn.execute(text(
            "SELECT s.id, count(m.id) FROM staff s JOIN staff_roles r ON r.staff_id = s.id "
            "JOIN messages m ON m.organisation_id = r.organisation_id "
            "WHERE s.login = 'coordinator' GROUP BY s.id"))).one()
        median_org, median_count = (await conn.execute(text(
            "SELECT organisation_id, n FROM (SELECT organisation_id, count(*) AS n, "
            "row_number() OVER (ORDER BY count(*)) AS k, count(*) OVER () AS total "
            "FROM messages GROUP BY organisation_id) x WHERE k = total / 2"))).one()
        staff_id = (await conn.execute(text(
            "INSERT INTO staff (login, password_hash, full_name, is_active, failed_logins, "
            "created_at) SELECT 'bench-coordinator', password_hash, 'Бенч Координатор', true, "
            "0, created_at FROM staff WHERE login = 'coordinator' "
            "ON CONFLICT (login) DO UPDATE SET is_active = true RETURNING id"))).scalar_one()
        await conn.execute(text(
            "INSERT INTO staff_roles (staff_id, organisation_id, role) SELECT :s, :o, "
            "'coordinator' WHERE NOT EXISTS (SELECT 1 FROM staff_roles WHERE staff_id = :s)"),
            {"s": staff_id, "o": median_org})
        moderator = (await conn.execute(text(
            "SELECT id FROM staff WHERE login = 'moderator'"))).scalar_one()
        regional = (await conn.execute(text("SELECT count(*) FROM messages"))).scalar_one()
    await engine.dispose()
    return [("busiest organisation", busiest[0], busiest[1]),
            ("median organisation", staff_id, median_count),
            ("region (the moderation centre's moderator)", moderator, regional)]


async def measure(url: str, requests: int) -> None:
    from tests.support.web import client_for, hidden  # the in-process app, as in the tests

    p = build_platform(_settings(url), directory_ttl=3600)
    for label, staff_id, count in await _coordinators(p):
        print(f"-- {'coordinator of the ' if 'region' not in label else ''}{label}: "
              f"{count} messages")
        print(_figures("inbox service (counters + first page)", await _time(
            requests, lambda s=staff_id: load_inbox(p, staff_id=s, workspace=None,
                                                  folder_key=None, flt=InboxFilter()))))
        print(_figures("inbox service, search «яма» in «Все сообщения»", await _time(
            requests, lambda s=staff_id: load_inbox(p, staff_id=s, workspace=None,
                                                  folder_key="all",
                                                  flt=InboxFilter(query="яма")))))
        print(_figures("inbox service, overdue by deadline in «Все»", await _time(
            requests, lambda s=staff_id: load_inbox(p, staff_id=s, workspace=None,
                                                  folder_key="all",
                                                  flt=InboxFilter(overdue=True, sort="due")))))
        for days in (30, 365) if "region" not in label else (30,):
            report = await _report_call(p, staff_id, days)
            print(_figures(f"deadline-compliance report, {days} days", await _time(
                requests, report)))
        if label.startswith("busiest"):
            async with client_for(p) as web:
                page = await web.get("/admin/login")
                await web.post("/admin/login", data={
                    "login": "coordinator", "password": "demo-coordinator",
                    "csrf": hidden(page.text, "csrf"), "next": ""})

                async def inbox_page() -> None:
                    response = await web.get("/admin/inbox")
                    assert response.status_code == 200, response.status_code
                print(_figures("inbox page over HTTP (rendered)", await _time(requests,
                                                                            inbox_page)))
    await p.close()


async def _report_call(p: Platform, staff_id: int, days: int
                       ) -> Callable[[], Awaitable[object]]:
    """The compliance report as the reports page builds it for this coordinator: their
    organisation and the ones below it, the last ``days`` days."""
    async with p.db.sessions() as session:
        member = await memberships(session, staff_id)
    d = await p.directory.get()
    viewer = viewer_scope(d, member)
    today = p.clock.now().astimezone(d.regions[viewer.region_id].tz).date()
    scope = ReportScope(viewer.region_id, today - timedelta(days=days - 1), today,
                        viewer.territory_id, viewer.organisation_ids)
    return lambda: build_report(p, kind="compliance", scope=scope)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", help="measure an already generated database at this URL")
    args = parser.parse_args()
    if args.keep:
        await measure(args.keep, args.requests)
        return
    name = f"pos_bench_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        start = time.perf_counter()
        await generate(url, args.messages, args.organisations)
        print(f"generated {args.messages} messages across {args.organisations} organisations "
              f"in {time.perf_counter() - start:.0f} s ({url})")
        await measure(url, args.requests)
    finally:
        if not os.environ.get("POS_BENCH_KEEP"):
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
