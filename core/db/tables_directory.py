"""Territories, organisations, staff, the classifier and routing: the platform's directory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, BigId, Json, UTCDateTime


class Territory(Base):
    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    # The region this territory lies in (itself for a region): its time zone rules deadlines.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    population: Mapped[int | None] = mapped_column(Integer)
    aliases: Mapped[list[str]] = mapped_column(Json, default=list)
    # A centre and radius place a point sent from a map (a bot location) in a territory.
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lon: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float)


class RegionSettings(Base):
    __tablename__ = "region_settings"

    region_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), primary_key=True)
    coordination_hours: Mapped[int] = mapped_column(Integer, default=24)
    fast_track_coordination_hours: Mapped[int] = mapped_column(Integer, default=4)
    rating_window_days: Mapped[int] = mapped_column(Integer, default=10)
    # Where a message goes when no routing rule matches (usually the regional ЦУР).
    default_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A moderation centre (such as the regional ЦУР) moderates messages in its territory.
    moderates: Mapped[bool] = mapped_column(Boolean, default=False)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffRole(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("staff_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Subcategory(Base):
    __tablename__ = "subcategories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    answer_days: Mapped[int] = mapped_column(Integer)
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False)
    fast_track_days: Mapped[int] = mapped_column(Integer)
    keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RegionSubcategory(Base):
    """A region's own deadline or fast-track for a subcategory; NULL keeps the classifier's."""

    __tablename__ = "region_subcategories"

    region_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), primary_key=True)
    subcategory_id: Mapped[int] = mapped_column(ForeignKey("subcategories.id"), primary_key=True)
    answer_days: Mapped[int | None] = mapped_column(Integer)
    fast_track: Mapped[bool | None] = mapped_column(Boolean)
    fast_track_days: Mapped[int | None] = mapped_column(Integer)


class RoutingRuleRow(Base):
    __tablename__ = "routing_rules"
    __table_args__ = (
        Index("ix_routing_rules_lookup", "territory_id", "category_id", "subcategory_id",
              unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    subcategory_id: Mapped[int | None] = mapped_column(ForeignKey("subcategories.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


class AutoRuleRow(Base):
    __tablename__ = "auto_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    action: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    stop: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)


class Counter(Base):
    """Monotonic counters for backends without sequences (SQLite)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigId, default=0)
