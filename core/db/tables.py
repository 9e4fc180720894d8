"""All tables, imported in one place so the metadata is complete for Alembic."""

from typing import cast

from sqlalchemy import Table

from core.db.base import Base, metadata
from core.db.tables_access import StaffSession
from core.db.tables_conversations import Conversation, HandledUpdate
from core.db.tables_directory import (
    AutoRuleRow,
    Category,
    Counter,
    Organisation,
    RegionSettings,
    RegionSubcategory,
    RoutingRuleRow,
    Staff,
    StaffRole,
    Subcategory,
    Territory,
)
from core.db.tables_messages import (
    AnswerTemplate,
    Citizen,
    CitizenIdentity,
    LinkCode,
    LinkFailure,
    LinkJoin,
    Message,
    MessageEvent,
    MessagePhoto,
    OutboxRow,
    message_number_seq,
)

# Typed handles on the tables for Core statements on hot paths.
MESSAGES = cast(Table, Message.__table__)
EVENTS = cast(Table, MessageEvent.__table__)
OUTBOX = cast(Table, OutboxRow.__table__)
PHOTOS = cast(Table, MessagePhoto.__table__)
CITIZENS = cast(Table, Citizen.__table__)
IDENTITIES = cast(Table, CitizenIdentity.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
LINK_CODES = cast(Table, LinkCode.__table__)
LINK_FAILURES = cast(Table, LinkFailure.__table__)
HANDLED_UPDATES = cast(Table, HandledUpdate.__table__)

__all__ = [
    "CITIZENS", "CONVERSATIONS", "EVENTS", "HANDLED_UPDATES", "IDENTITIES", "LINK_CODES",
    "LINK_FAILURES", "MESSAGES", "OUTBOX", "PHOTOS", "AnswerTemplate", "AutoRuleRow", "Base",
    "Category", "Citizen", "CitizenIdentity", "Conversation", "Counter", "HandledUpdate",
    "LinkCode", "LinkFailure", "LinkJoin", "Message", "MessageEvent", "MessagePhoto",
    "Organisation",
    "OutboxRow", "RegionSettings", "RegionSubcategory", "RoutingRuleRow", "Staff", "StaffRole",
    "StaffSession", "Subcategory", "Territory", "message_number_seq", "metadata",
]
