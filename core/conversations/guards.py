"""Guards every channel adapter puts in front of the engine: skip an update this process has
just handled, and keep one citizen's flood from starving the others."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable


class RecentUpdates:
    """Update ids this process has just handled, to skip a redelivery before any database
    work. The dialog store is the authority across processes and restarts; this only saves
    the round trips."""

    def __init__(self, size: int = 50_000) -> None:
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._size = size

    def claim(self, update_id: Hashable) -> bool:
        """False when the update is being or has been handled here."""
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def release(self, update_id: Hashable) -> None:
        """The update failed: a redelivery must be handled."""
        self._seen.pop(update_id, None)


class Throttle:
    """A token bucket per citizen: a burst (an album of photos) passes, a flood does not."""

    def __init__(self, *, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def allow(self, user_id: Hashable, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(user_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # forget citizens who have gone quiet
            cutoff = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}
        return True


class KeyedLocks:
    """One lock per key (a citizen), kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def __call__(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock
