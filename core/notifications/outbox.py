"""Outbox rows claimed with a lease, so any number of workers on any number of machines share
them and a worker that dies mid-delivery hands its rows back when the lease runs out."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.ports import Notification
from core.services.records import OUTBOX_DEAD, OUTBOX_PENDING, OUTBOX_SENT

# Covers a whole batch of slow sends; the claim token guards the rare send that outlives it.
LEASE = timedelta(minutes=10)
BASE_DELAY = 5.0
MAX_DELAY = 3600.0


def backoff(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, capped at an hour: 5 s, 10 s, 20 s, …"""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


async def claim(
    session: AsyncSession, *, channels: list[str], now: datetime, limit: int
) -> list[Notification]:
    """Lease up to ``limit`` due rows for these channels. PostgreSQL skips rows other workers
    hold (SKIP LOCKED); SQLite serialises writers anyway."""
    due = (
        select(t.OutboxRow.id)
        .where(t.OutboxRow.status == OUTBOX_PENDING, t.OutboxRow.channel.in_(channels),
               t.OutboxRow.next_attempt_at <= now,
               or_(t.OutboxRow.claimed_until.is_(None), t.OutboxRow.claimed_until < now))
        .order_by(t.OutboxRow.next_attempt_at, t.OutboxRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    token = uuid.uuid4().hex
    rows = (await session.execute(
        update(t.OutboxRow).where(t.OutboxRow.id.in_(ids))
        .values(claimed_until=now + LEASE, claim_token=token,
                attempts=t.OutboxRow.attempts + 1)
        .returning(t.OutboxRow.id, t.OutboxRow.kind, t.OutboxRow.channel,
                   t.OutboxRow.recipient, t.OutboxRow.payload))).all()
    return sorted((Notification(r.id, r.kind, r.channel, r.recipient, r.payload, token)
                   for r in rows),
                  key=lambda n: n.outbox_id)


def _mine(n: Notification) -> Any:
    return ((t.OutboxRow.id == n.outbox_id) & (t.OutboxRow.claim_token == n.claim_token)
            & (t.OutboxRow.status == OUTBOX_PENDING))


async def mark_sent(session: AsyncSession, n: Notification, now: datetime) -> None:
    await session.execute(update(t.OutboxRow).where(_mine(n)).values(
        status=OUTBOX_SENT, sent_at=now, claimed_until=None, claim_token=None, last_error=None))


async def mark_failed(
    session: AsyncSession, n: Notification, now: datetime, *, error: str,
    retry_after: float | None, permanent: bool, max_attempts: int,
) -> str:
    """Schedule a retry, or give up (``dead``) when retrying is pointless or attempts ran out."""
    attempts = (await session.execute(
        select(t.OutboxRow.attempts).where(_mine(n)))).scalar_one_or_none()
    if attempts is None:
        return "superseded"  # the lease ran out and another worker owns the row now
    if permanent or attempts >= max_attempts:
        status = OUTBOX_DEAD
        next_at = now
    else:
        status = OUTBOX_PENDING
        next_at = now + timedelta(seconds=max(retry_after or 0.0, backoff(attempts)))
    await session.execute(update(t.OutboxRow).where(_mine(n)).values(
        status=status, next_attempt_at=next_at, claimed_until=None, claim_token=None,
        last_error=error[:2000]))
    return status
