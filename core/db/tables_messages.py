"""Citizens (with their identities and the codes that link them), messages, their photos,
audit events and the notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, BigId, Json, UTCDateTime, metadata

# PostgreSQL hands out public numbers without holding a row lock until commit.
message_number_seq = Sequence("message_number_seq", start=1, metadata=metadata)


class Citizen(Base):
    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CitizenIdentity(Base):
    """One way to reach a citizen: a Telegram id, a VK id, a web contact."""

    __tablename__ = "citizen_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    # Set when the channel says we may no longer write (bot blocked, messages forbidden).
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkCode(Base):
    """A short code one identity shows so that the citizen's account in another channel can
    join it (core.services.linking). One per citizen; only its HMAC is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), unique=True)
    # The identity that asked for the code: the code is entered in another channel.
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    # Unique, so a code entered points at one citizen; a stale row with the same hash is
    # removed when the code is handed out again.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkJoin(Base):
    """An identity that joined a citizen by entering a code shown to that citizen. ``/unlink``
    detaches it again whichever side asks: the citizen warned of a link they did not make
    removes the account that joined, and that account cannot remove them in return."""

    __tablename__ = "link_joins"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkFailure(Base):
    """A refused link code, kept an hour: an identity gets a few tries per hour, and the
    platform a few dozen per ten minutes (``failed_at`` alone is indexed for that count)."""

    __tablename__ = "link_failures"
    __table_args__ = (
        Index("ix_link_failures_identity", "channel", "external_id", "failed_at"),
        Index("ix_link_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # The inbox counts every folder of an organisation in one pass over this index alone
        # (PostgreSQL index-only scan): the folders also read the executor and the deadline.
        Index("ix_messages_org_status", "organisation_id", "status",
              postgresql_include=["executor_organisation_id", "executor_staff_id",
                                  "answer_due", "moderated_at"]),
        Index("ix_messages_executor_status", "executor_organisation_id", "status"),
        Index("ix_messages_status_due", "status", "answer_due"),
        Index("ix_messages_region_status", "region_id", "status",
              postgresql_include=["answer_due", "moderated_at"]),
        # A region's inbox pages («Все» of a regional moderator or admin) by date or deadline.
        Index("ix_messages_region_arrived", "region_id", "arrived_at"),
        Index("ix_messages_region_due", "region_id", "answer_due"),
        # Reports filter by organisation and period and read only these columns: on PostgreSQL
        # the report is an index-only scan.
        Index("ix_messages_org_registered", "organisation_id", "registered_at",
              postgresql_include=["region_id", "territory_id", "status", "fast_track",
                                  "answer_due", "answered_at"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    subcategory_id: Mapped[int] = mapped_column(ForeignKey("subcategories.id"))
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    # The organisation whose widget or API key received the message, if any.
    source_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    executor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    executor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    pending_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32))
    arrival: Mapped[str] = mapped_column(String(32))
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_rule_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    delegated_by_auto_rule: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime)
    coordination_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coordinated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_attachments: Mapped[list[str]] = mapped_column(Json, default=list)
    answer_prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    re_review_count: Mapped[int] = mapped_column(Integer, default=0)
    redirect_count: Mapped[int] = mapped_column(Integer, default=0)
    postponement_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessagePhoto(Base):
    __tablename__ = "message_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    file_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class MessageEvent(Base):
    """The audit trail: one row per transition, written in the transition's transaction."""

    __tablename__ = "message_events"
    __table_args__ = (
        Index("ix_message_events_handled", "from_organisation_id", "action", "message_id"),
        # The rating's «routed without correction» and «active organisations».
        Index("ix_message_events_corrections", "message_id",
              postgresql_where=text("action IN ('change_category', 'change_organisation', "
                                    "'redirect', 'approve_redirect')"),
              sqlite_where=text("action IN ('change_category', 'change_organisation', "
                                "'redirect', 'approve_redirect')")),
        Index("ix_message_events_staff_created", "actor_staff_id", "created_at",
              postgresql_where=text("actor_staff_id IS NOT NULL"),
              sqlite_where=text("actor_staff_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    auto_rule_id: Mapped[int | None] = mapped_column(ForeignKey("auto_rules.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The message's organisation before the action: the «Отработанные» folders list what an
    # organisation handled and passed on, which the organisation after the action cannot tell.
    from_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnswerTemplate(Base):
    """A reusable answer text: the region's (organisation_id empty) or one organisation's."""

    __tablename__ = "answer_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxRow(Base):
    """A notification to deliver after commit; claimed by workers with a lease."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "channel", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(255))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the lease: a worker whose lease ran out cannot overwrite the next one's result.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
