"""The delivery worker: claim due outbox rows, hand them to channel senders, record the result."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import update

from core.db import tables as t
from core.notifications import outbox
from core.ports import ChannelSender, DeliveryError, Notification
from core.services.platform import Platform

log = logging.getLogger(__name__)


class ChannelRegistry:
    """Channels register themselves here (the bots do, when configured)."""

    def __init__(self, senders: Iterable[ChannelSender] = ()) -> None:
        self._senders: dict[str, ChannelSender] = {}
        for sender in senders:
            self.register(sender)

    def register(self, sender: ChannelSender) -> None:
        if sender.channel in self._senders:
            raise ValueError(f"channel {sender.channel!r} registered twice")
        self._senders[sender.channel] = sender

    @property
    def channels(self) -> list[str]:
        return sorted(self._senders)

    def get(self, channel: str) -> ChannelSender:
        return self._senders[channel]


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def __iadd__(self, other: DeliveryStats) -> DeliveryStats:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        return self


async def _unreachable(p: Platform, n: Notification) -> None:
    async with p.db.transaction() as session:
        await session.execute(
            update(t.CitizenIdentity)
            .where(t.CitizenIdentity.channel == n.channel,
                   t.CitizenIdentity.external_id == n.recipient,
                   t.CitizenIdentity.unreachable_since.is_(None))
            .values(unreachable_since=p.clock.now()))


async def deliver_once(p: Platform, registry: ChannelRegistry) -> DeliveryStats:
    """One pass: deliver what is due on the registered channels. Rows of channels with no
    sender here stay pending for a worker that has one."""
    stats = DeliveryStats()
    if not registry.channels:
        return stats
    async with p.db.transaction() as session:
        batch = await outbox.claim(session, channels=registry.channels, now=p.clock.now(),
                                   limit=p.settings.outbox_batch_size)
    for n in batch:
        try:
            await registry.get(n.channel).send(n)
        except DeliveryError as exc:
            async with p.db.transaction() as session:
                status = await outbox.mark_failed(
                    session, n, p.clock.now(), error=str(exc),
                    retry_after=exc.retry_after, permanent=exc.permanent,
                    max_attempts=p.settings.outbox_max_attempts)
            if exc.permanent:
                await _unreachable(p, n)
            if status == "superseded":
                continue
            if status == "dead":
                stats.dead += 1
                log.warning("outbox %s to %s gave up: %s", n.outbox_id, n.channel, exc)
            else:
                stats.retried += 1
            continue
        except Exception as exc:  # a sender bug must not stop delivery to everyone else
            log.exception("outbox %s: sender failed unexpectedly", n.outbox_id)
            async with p.db.transaction() as session:
                await outbox.mark_failed(
                    session, n, p.clock.now(), error=repr(exc), retry_after=None,
                    permanent=False, max_attempts=p.settings.outbox_max_attempts)
            stats.retried += 1
            continue
        async with p.db.transaction() as session:
            await outbox.mark_sent(session, n, p.clock.now())
        stats.sent += 1
    return stats


async def run_worker(
    p: Platform, registry: ChannelRegistry, *, stop: asyncio.Event | None = None
) -> None:
    """Deliver until ``stop`` is set; sleeps only when a pass found nothing to do."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        stats = await deliver_once(p, registry)
        if stats.sent or stats.retried or stats.dead:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=p.settings.outbox_poll_seconds)
