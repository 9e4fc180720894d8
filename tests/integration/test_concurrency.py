"""Two staff acting on one message at once: exactly one wins, the other gets a conflict."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from core.domain import commands as c
from core.domain.errors import ConflictError, DomainError, IllegalTransition
from core.services.actions import perform
from core.services.platform import Platform
from tests.support import factories as f


async def _new_message(p: Platform) -> int:
    msg = await f.file_message(p)
    await perform(p, message_id=msg.id, actor=await f.staff(p, "moderator"),
                  command=c.ApproveModeration())
    return msg.id


async def _wait_for_lock_waiters(p: Platform, n: int) -> None:
    for _ in range(500):
        async with p.db.sessions() as session:
            waiting = (await session.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"))).scalar_one()
        if waiting >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {n} transactions waiting on the row lock")


async def test_race_on_postgres_exactly_one_wins(platform: Platform) -> None:
    """Both transactions read version 2 before either writes: a third transaction holds the row
    lock until both UPDATEs wait on it, so the race is certain, not left to timing."""
    if not platform.db.is_postgres:
        pytest.skip("the lock-step race needs PostgreSQL row locks")
    mid = await _new_message(platform)
    coord = await f.staff(platform, "coordinator")
    nsk = await f.org_id(platform, "NSK-ADM")
    gcodd = await f.org_id(platform, "NSK-GCODD")
    async with platform.db.sessions() as blocker:
        await blocker.execute(text("SELECT id FROM messages WHERE id = :id FOR UPDATE"),
                              {"id": mid})
        tasks = [asyncio.create_task(perform(
            platform, message_id=mid, actor=coord,
            command=c.SendToExecution(executor_organisation_id=org))) for org in (nsk, gcodd)]
        await _wait_for_lock_waiters(platform, 2)
        await blocker.rollback()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    row = await f.message_row(platform, mid)
    assert row.status == "in_work" and row.version == 3
    sends = [e for e in await f.events(platform, mid) if e.action == "send_to_execution"]
    assert len(sends) == 1 and row.executor_organisation_id in (nsk, gcodd)


async def test_many_concurrent_actions_one_winner(platform: Platform) -> None:
    """On every backend: of many simultaneous attempts exactly one changes the message; the
    rest see a conflict or, having read after the winner committed, an illegal transition."""
    mid = await _new_message(platform)
    coord = await f.staff(platform, "coordinator")
    nsk = await f.org_id(platform, "NSK-ADM")
    results = await asyncio.gather(*(perform(
        platform, message_id=mid, actor=coord,
        command=c.SendToExecution(executor_organisation_id=nsk)) for _ in range(10)),
        return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, (ConflictError, IllegalTransition))]
    assert len(wins) == 1 and len(losses) == 9, results
    assert all(isinstance(r, DomainError) for r in results if isinstance(r, BaseException))
    row = await f.message_row(platform, mid)
    assert row.version == 3
    assert len([e for e in await f.events(platform, mid)
                if e.action == "send_to_execution"]) == 1
