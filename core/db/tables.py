"""All tables, imported in one place so the metadata is complete for Alembic."""

from core.db.base import Base, metadata
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
    Citizen,
    CitizenIdentity,
    Message,
    MessageEvent,
    MessagePhoto,
    OutboxRow,
    message_number_seq,
)

__all__ = [
    "AutoRuleRow", "Base", "Category", "Citizen", "CitizenIdentity", "Counter", "Message",
    "MessageEvent", "MessagePhoto", "Organisation", "OutboxRow", "RegionSettings",
    "RegionSubcategory", "RoutingRuleRow", "Staff", "StaffRole", "Subcategory", "Territory",
    "message_number_seq", "metadata",
]
