"""Staff sessions of the web admin, kept on the server: the cookie holds only a random token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, UTCDateTime


class StaffSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored, so a leaked table signs no
    one in; the CSRF token belongs to the session and is checked on every form."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
