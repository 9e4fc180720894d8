"""The audit trail of administration: who changed what in the directory.

There is no table for directory changes yet (``message_events`` belongs to one message), so
changes go to the ``pos.audit`` logger, which a deployment routes to its log store. A record
is written only after the change committed, so the trail never shows a change that rolled
back. Each record carries the same facts as structured ``extra["audit"]`` for log shippers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from core.services.admin.authority import AdminScope

log = logging.getLogger("pos.audit")


def audit(scope: AdminScope, change: str, summary: str, /, **details: Any) -> None:
    """Record one committed change: ``change`` is a stable identifier for machines
    (``organisation.move``), ``summary`` the Russian sentence a person reads."""
    record = {"actor_staff_id": scope.staff_id, "actor_login": scope.login,
              "change": change, "summary": summary, "details": details}
    log.info("%s (id %d): %s [%s] %s", scope.login, scope.staff_id, summary, change,
             json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
             extra={"audit": record})
