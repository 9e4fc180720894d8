"""Where each dialog is, kept in the database so any process can continue it.

Each update costs two statements on PostgreSQL, each a single round trip on the driver: one
read (was the update handled, where is the dialog, has the citizen consented) and one write
(the new state and the update's mark together, only if nobody saved the dialog meanwhile).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from core.db import tables as t
from core.db.database import Database
from core.db.raw import PositionalSql, fetchrow

START_FLOW, START_STEP = "onboarding", "consent"

_C, _H, _I, _Z = t.CONVERSATIONS, t.HANDLED_UPDATES, t.IDENTITIES, t.CITIZENS
_CH: BindParameter[str] = bindparam("channel", type_=String)
_EXT: BindParameter[str] = bindparam("external_id", type_=String)
_UPD: BindParameter[str] = bindparam("update_id", type_=String)

_ONE = select(literal(1).label("one")).subquery("one")
_LOAD = (
    select(
        exists().where(_H.c.channel == _CH, _H.c.update_id == _UPD).label("seen"),
        select(_I.c.citizen_id).where(_I.c.channel == _CH, _I.c.external_id == _EXT)
        .scalar_subquery().label("citizen_id"),
        select(_Z.c.consent_at).join(_I, _I.c.citizen_id == _Z.c.id)
        .where(_I.c.channel == _CH, _I.c.external_id == _EXT)
        .scalar_subquery().label("consent_at"),
        _C.c.id, _C.c.flow, _C.c.step, _C.c.data, _C.c.generation, _C.c.version)
    .select_from(_ONE.outerjoin(_C, and_(_C.c.channel == _CH, _C.c.external_id == _EXT))))

_MARK = insert(_H)
_INSERT = insert(_C)
_UPDATE = update(_C).where(_C.c.id == bindparam("b_id"), _C.c.version == bindparam("b_version"))

_MARK_AND_REPORT = """    ), mark AS (
        INSERT INTO handled_updates (channel, update_id, handled_at)
        SELECT :channel, :update_id, :now FROM saved WHERE CAST(:update_id AS varchar) IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM saved) AS saved, (SELECT count(*) FROM mark) AS marked
"""
# PostgreSQL: the state and the update's mark in one statement; the mark is written only if
# the state was (a version check that fails writes nothing at all).
_PG_LOAD = PositionalSql.from_named("""
    SELECT EXISTS (SELECT 1 FROM handled_updates
                   WHERE channel = :channel AND update_id = :update_id) AS seen,
           (SELECT citizen_id FROM citizen_identities
            WHERE channel = :channel AND external_id = :external_id) AS citizen_id,
           (SELECT z.consent_at FROM citizens z
            JOIN citizen_identities i ON i.citizen_id = z.id
            WHERE i.channel = :channel AND i.external_id = :external_id) AS consent_at,
           v.id, v.flow, v.step, v.data, v.generation, v.version
    FROM (SELECT 1) AS one
    LEFT JOIN conversations v ON v.channel = :channel AND v.external_id = :external_id
""")
_PG_UPDATE = PositionalSql.from_named(f"""
    WITH saved AS (
        UPDATE conversations SET flow = :flow, step = :step, data = CAST(:data AS jsonb),
               generation = :generation, citizen_id = :citizen_id, updated_at = :now,
               version = version + 1
        WHERE id = :id AND version = :version
        RETURNING id
{_MARK_AND_REPORT}""", json_params=("data",))
_PG_INSERT = PositionalSql.from_named(f"""
    WITH saved AS (
        INSERT INTO conversations (channel, external_id, citizen_id, flow, step, data,
                                   generation, version, created_at, updated_at)
        VALUES (:channel, :external_id, :citizen_id, :flow, :step, CAST(:data AS jsonb),
                :generation, 1, :now, :now)
        ON CONFLICT (channel, external_id) DO NOTHING
        RETURNING id
{_MARK_AND_REPORT}""", json_params=("data",))


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
    params = {"channel": channel, "external_id": external_id, "update_id": update_id}
    if db.is_postgres:
        row = await fetchrow(db, _PG_LOAD, params)
    else:
        async with db.engine.connect() as conn:
            row = (await conn.execute(_LOAD, params)).one()._mapping
    if row["seen"]:
        return None
    state = DialogState()
    if row["id"] is not None:
        data = row["data"]
        if isinstance(data, str):  # asyncpg hands JSON over as text
            data = json.loads(data)
        state = DialogState(flow=row["flow"], step=row["step"], data=dict(data or {}),
                            generation=row["generation"], version=row["version"], id=row["id"])
    if row["citizen_id"] is not None:
        state.citizen_id = int(row["citizen_id"])
        state.consented = row["consent_at"] is not None
    return state


async def save(db: Database, state: DialogState, *, channel: str, external_id: str,
               update_id: str | None, now: datetime) -> Saved:
    """Store the new state and mark the update handled, atomically."""
    if db.is_postgres:
        return await _save_postgres(db, state, channel=channel, external_id=external_id,
                                    update_id=update_id, now=now)
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


async def _save_postgres(db: Database, state: DialogState, *, channel: str, external_id: str,
                         update_id: str | None, now: datetime) -> Saved:
    params = {"flow": state.flow, "step": state.step, "data": state.data,
              "generation": state.generation, "citizen_id": state.citizen_id, "now": now,
              "channel": channel, "update_id": update_id}
    statement = _PG_UPDATE if state.id is not None else _PG_INSERT
    if state.id is not None:
        params |= {"id": state.id, "version": state.version}
    else:
        params |= {"external_id": external_id}
    row = await fetchrow(db, statement, params)
    if not row["saved"]:
        return Saved.CONFLICT  # saved meanwhile by another update: load and handle again
    if update_id is not None and not row["marked"]:
        # Unreachable while every mark comes with a version bump of the same dialog (a save
        # that passed the version check cannot meet a mark made since its load).
        return Saved.DUPLICATE
    return Saved.OK


async def forget_handled_updates(db: Database, *, now: datetime, keep: timedelta) -> int:
    """Telegram and VK redeliver for a day at most; older marks only take space."""
    async with db.core_transaction() as conn:
        result = await conn.execute(delete(_H).where(_H.c.handled_at < now - keep))
    return int(result.rowcount)
