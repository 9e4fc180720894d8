"""Citizen dialogs: where each citizen is in a bot conversation, and updates already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, BigId, Json, UTCDateTime


class Conversation(Base):
    """One dialog per channel user. Kept before consent too: the step someone is on is what
    the law allows us to hold; nothing about the person is stored until they consent."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL"), index=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Bumped whenever the dialog moves to another step: buttons carry it, so a button from an
    # earlier prompt is recognised as out of date.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic concurrency: two updates of one citizen handled at once never both save.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledUpdate(Base):
    """An update (Telegram update id, VK event id) already handled: redeliveries are dropped."""

    __tablename__ = "handled_updates"
    __table_args__ = (Index("ix_handled_updates_at", "handled_at"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
