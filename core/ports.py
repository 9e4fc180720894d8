"""Ports: the small interfaces through which core reaches the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests and simulations move by hand."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment = self.moment + timedelta(**delta)


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    content_type: str
    size: int


class FileStorage(Protocol):
    async def save(self, data: bytes, *, content_type: str) -> StoredFile:
        """Store validated bytes; return the key to keep on the message."""
        ...

    async def load(self, key: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Notification:
    """What a channel delivers to one citizen."""

    outbox_id: int
    kind: str
    channel: str
    recipient: str
    payload: dict[str, Any]
    claim_token: str = ""


class DeliveryError(Exception):
    """A channel could not deliver now; the outbox retries later.

    ``retry_after`` (seconds) is the channel's own hint (Telegram 429, VK flood control).
    ``permanent`` means retrying is pointless (the citizen blocked the bot).
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class ChannelSender(Protocol):
    channel: str

    async def send(self, notification: Notification) -> None:
        """Deliver or raise DeliveryError."""
        ...
