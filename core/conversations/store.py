"""Where each dialog is, kept in the database so any process can continue it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.db import tables as t
from core.db.database import Database

START_FLOW, START_STEP = "onboarding", "consent"

_C, _H = t.CONVERSATIONS, t.HANDLED_UPDATES
_LOAD = select(_C.c.id, _C.c.flow, _C.c.step, _C.c.data, _C.c.generation, _C.c.version).where(
    _C.c.channel == bindparam("channel"), _C.c.external_id == bindparam("external_id"))
_CITIZEN = (
    select(t.IDENTITIES.c.citizen_id, t.CITIZENS.c.consent_at)
    .join(t.CITIZENS, t.CITIZENS.c.id == t.IDENTITIES.c.citizen_id)
    .where(t.IDENTITIES.c.channel == bindparam("channel"),
           t.IDENTITIES.c.external_id == bindparam("external_id")))
_SEEN = select(_H.c.update_id).where(_H.c.channel == bindparam("channel"),
                                     _H.c.update_id == bindparam("update_id"))
_MARK = insert(_H)
_INSERT = insert(_C)
_UPDATE = update(_C).where(_C.c.id == bindparam("b_id"), _C.c.version == bindparam("b_version"))


@dataclass
class DialogState:
    flow: str = START_FLOW
    step: str = START_STEP
    data: dict[str, Any] = field(default_factory=dict)
    generation: int = 0
    version: int = 0
    id: int | None = None
    citizen_id: int | None = None
    consented: bool = False


class Saved(StrEnum):
    OK = "ok"
    CONFLICT = "conflict"  # another update of this dialog saved first: handle again
    DUPLICATE = "duplicate"  # this update was handled already: say nothing


class _Abort(Exception):
    def __init__(self, outcome: Saved) -> None:
        self.outcome = outcome


async def load(db: Database, *, channel: str, external_id: str, update_id: str | None
               ) -> DialogState | None:
    """The dialog as stored, or None when ``update_id`` was handled already."""
    key = {"channel": channel, "external_id": external_id}
    async with db.engine.connect() as conn:
        if update_id is not None and (await conn.execute(
                _SEEN, {"channel": channel, "update_id": update_id})).first():
            return None
        row = (await conn.execute(_LOAD, key)).first()
        citizen = (await conn.execute(_CITIZEN, key)).first()
    state = DialogState()
    if row is not None:
        state = DialogState(flow=row.flow, step=row.step, data=dict(row.data or {}),
                            generation=row.generation, version=row.version, id=row.id)
    if citizen is not None:
        state.citizen_id = int(citizen.citizen_id)
        state.consented = citizen.consent_at is not None
    return state


async def save(db: Database, state: DialogState, *, channel: str, external_id: str,
               update_id: str | None, now: datetime) -> Saved:
    """Store the new state and mark the update handled, in one transaction."""
    values = {"flow": state.flow, "step": state.step, "data": state.data,
              "generation": state.generation, "citizen_id": state.citizen_id,
              "updated_at": now}
    try:
        async with db.core_transaction() as conn:
            if update_id is not None:
                try:
                    await conn.execute(_MARK, {"channel": channel, "update_id": update_id,
                                               "handled_at": now})
                except IntegrityError:
                    raise _Abort(Saved.DUPLICATE) from None
            if state.id is None:
                try:
                    await conn.execute(_INSERT, {**values, "channel": channel,
                                                 "external_id": external_id, "version": 1,
                                                 "created_at": now})
                except IntegrityError:
                    raise _Abort(Saved.CONFLICT) from None
            else:
                result = await conn.execute(_UPDATE, {**values, "version": state.version + 1,
                                                      "b_id": state.id,
                                                      "b_version": state.version})
                if result.rowcount != 1:
                    raise _Abort(Saved.CONFLICT)
    except _Abort as abort:
        return abort.outcome
    return Saved.OK


async def forget_handled_updates(db: Database, *, now: datetime, keep: timedelta) -> int:
    """Telegram and VK redeliver for a day at most; older marks only take space."""
    async with db.core_transaction() as conn:
        result = await conn.execute(delete(_H).where(_H.c.handled_at < now - keep))
    return int(result.rowcount)
