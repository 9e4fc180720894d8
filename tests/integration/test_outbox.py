"""Outbox delivery: after commit, with retries and backoff, nothing lost, blocked users marked."""

from __future__ import annotations

from core.notifications.texts import render
from core.notifications.worker import ChannelRegistry, deliver_once
from core.ports import DeliveryError, FixedClock, Notification
from core.services.platform import Platform
from tests.support import factories as f


class FlakyChannel:
    """A channel that fails a scripted number of times, like a real API under load."""

    channel = "telegram"

    def __init__(self, failures: list[DeliveryError] | None = None) -> None:
        self.failures = failures or []
        self.delivered: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(notification)


async def test_delivers_after_commit_and_marks_sent(platform: Platform) -> None:
    msg = await f.file_message(platform)
    channel = FlakyChannel()
    stats = await deliver_once(platform, ChannelRegistry([channel]))
    assert stats.sent == 1
    [n] = channel.delivered
    assert n.payload["number"] == msg.number
    assert render(n.kind, n.payload).startswith(f"Ваше сообщение № {msg.number} зарегистрировано")
    [row] = await f.outbox(platform)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert (await deliver_once(platform, ChannelRegistry([channel]))).sent == 0


async def test_retries_with_backoff_until_delivered(
    platform: Platform, clock: FixedClock
) -> None:
    await f.file_message(platform)
    channel = FlakyChannel([DeliveryError("429", retry_after=30), DeliveryError("502")])
    registry = ChannelRegistry([channel])
    assert (await deliver_once(platform, registry)).retried == 1
    [row] = await f.outbox(platform)
    assert row.status == "pending" and row.last_error == "429"
    assert (row.next_attempt_at - clock.now()).total_seconds() >= 30
    assert (await deliver_once(platform, registry)).sent == 0  # not due yet
    clock.advance(seconds=31)
    assert (await deliver_once(platform, registry)).retried == 1
    clock.advance(hours=1)
    assert (await deliver_once(platform, registry)).sent == 1
    [row] = await f.outbox(platform)
    assert row.status == "sent" and row.attempts == 3


async def test_blocked_citizen_is_marked_and_not_retried(platform: Platform) -> None:
    await f.file_message(platform)
    channel = FlakyChannel([DeliveryError("Forbidden: bot was blocked", permanent=True)])
    stats = await deliver_once(platform, ChannelRegistry([channel]))
    assert stats.dead == 1
    [row] = await f.outbox(platform)
    assert row.status == "dead"
    from sqlalchemy import select

    from core.db import tables as t
    async with platform.db.sessions() as session:
        identity = (await session.scalars(select(t.CitizenIdentity))).one()
    assert identity.unreachable_since is not None


async def test_gives_up_after_max_attempts(platform: Platform, clock: FixedClock) -> None:
    await f.file_message(platform)
    attempts = platform.settings.outbox_max_attempts
    channel = FlakyChannel([DeliveryError("down")] * attempts)
    registry = ChannelRegistry([channel])
    for _ in range(attempts):
        await deliver_once(platform, registry)
        clock.advance(hours=2)
    [row] = await f.outbox(platform)
    assert row.status == "dead" and row.attempts == attempts


async def test_channels_without_a_sender_wait(platform: Platform) -> None:
    await f.file_message(platform)
    class VkChannel(FlakyChannel):
        channel = "vk"
    assert (await deliver_once(platform, ChannelRegistry([VkChannel()]))).sent == 0
    [row] = await f.outbox(platform)
    assert row.status == "pending" and row.attempts == 0


async def test_crashed_worker_lease_expires(platform: Platform, clock: FixedClock) -> None:
    """A worker that claimed rows and died hands them back when the lease runs out."""
    from core.notifications import outbox

    await f.file_message(platform)
    async with platform.db.transaction() as session:
        claimed = await outbox.claim(session, channels=["telegram"], now=clock.now(), limit=10)
    assert len(claimed) == 1
    channel = FlakyChannel()
    assert (await deliver_once(platform, ChannelRegistry([channel]))).sent == 0
    clock.advance(minutes=11)
    assert (await deliver_once(platform, ChannelRegistry([channel]))).sent == 1


async def test_a_worker_past_its_lease_cannot_undo_a_delivery(
    platform: Platform, clock: FixedClock
) -> None:
    """Worker A stalls past its lease; B delivers; A's late failure must not re-open the row."""
    from core.notifications import outbox

    await f.file_message(platform)
    async with platform.db.transaction() as session:
        [stalled] = await outbox.claim(session, channels=["telegram"], now=clock.now(), limit=1)
    clock.advance(minutes=11)
    channel = FlakyChannel()
    assert (await deliver_once(platform, ChannelRegistry([channel]))).sent == 1
    async with platform.db.transaction() as session:
        status = await outbox.mark_failed(session, stalled, clock.now(), error="timeout",
                                          retry_after=None, permanent=False, max_attempts=5)
    assert status == "superseded"
    [row] = await f.outbox(platform)
    assert row.status == "sent"
    clock.advance(hours=2)
    assert (await deliver_once(platform, ChannelRegistry([channel]))).sent == 0
    assert len(channel.delivered) == 1


async def test_concurrent_workers_claim_disjoint_rows(platform: Platform) -> None:
    """Any number of workers share the outbox: no row is claimed twice at once."""
    import asyncio

    from core.notifications import outbox

    for _ in range(30):
        await f.file_message(platform)

    async def claim() -> list[int]:
        async with platform.db.transaction() as session:
            batch = await outbox.claim(session, channels=["telegram"],
                                       now=platform.clock.now(), limit=12)
            await asyncio.sleep(0.05)  # hold the claim while the others look
            return [n.outbox_id for n in batch]

    batches = await asyncio.gather(*(claim() for _ in range(4)))
    claimed = [i for b in batches for i in b]
    assert len(claimed) == len(set(claimed))
    assert len(claimed) == 30
