"""Persisting a new message: the row, its photos, its audit events and its outbox notification,
all or nothing.

PostgreSQL does it in ONE statement (data-modifying CTEs, atomic on its own, so no BEGIN/COMMIT
round trips) — intake is the platform's hottest write path. Other backends run the same rows as
separate statements inside one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import tables as t
from core.db.database import Database
from core.db.raw import PositionalSql, fetchrow
from core.domain.enums import Action, ActorKind
from core.ports import StoredFile
from core.services import records
from core.services.records import CitizenRef

_M = t.MESSAGES
FIND_BY_KEY = select(_M.c.id, _M.c.number).where(_M.c.idempotency_key == bindparam("key"))
MESSAGE_COLUMNS = (
    "idempotency_key", "source", "citizen_id", "category_id", "subcategory_id", "text",
    "address", "latitude", "longitude", "territory_id", "region_id", "source_organisation_id",
    "organisation_id", "executor_organisation_id", "status", "stage", "arrival", "fast_track",
    "auto_rule_ids", "delegated_by_auto_rule", "registered_at", "arrived_at", "answer_due",
    "coordination_due", "answer_attachments", "re_review_count", "redirect_count",
    "postponement_count", "version", "updated_at",
)
_JSON = ("auto_rule_ids", "answer_attachments", "ev_details", "o_payload")


@dataclass(frozen=True, slots=True)
class NewMessage:
    """Everything intake decided, ready to store."""

    values: dict[str, Any]  # the message columns of MESSAGE_COLUMNS except citizen_id
    photos: tuple[StoredFile, ...]
    auto_rule_ids: tuple[int, ...]
    event_details: dict[str, Any]
    notification_kind: str
    notification_payload: dict[str, Any]
    now: datetime
    # False when the channel confirms the registration itself (a bot answers with the number).
    notify: bool = True


def _postgres_statement(*, by_identity: bool) -> PositionalSql:
    """One statement that registers a message. The citizen comes from their channel identity
    (``by_identity``) or by id; when the identity is unknown nothing is inserted."""
    cols = ", ".join(MESSAGE_COLUMNS)
    params = ", ".join("c.citizen_id" if col == "citizen_id" else f":{col}"
                       for col in MESSAGE_COLUMNS)
    citizen = ("SELECT citizen_id FROM citizen_identities "
               "WHERE channel = :c_channel AND external_id = :c_external_id"
               if by_identity else "SELECT CAST(:citizen_id AS bigint) AS citizen_id")
    sql = f"""
    WITH c AS ({citizen}),
    m AS (
        INSERT INTO messages (number, {cols})
        SELECT nextval('message_number_seq'), {params} FROM c
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, number, citizen_id
    ), photos AS (
        INSERT INTO message_photos (message_id, file_key, content_type, size, position)
        SELECT m.id, p.key, p.content_type, p.size, p.position - 1
        FROM m, unnest(CAST(:p_keys AS varchar[]), CAST(:p_types AS varchar[]),
                       CAST(:p_sizes AS integer[]))
             WITH ORDINALITY AS p(key, content_type, size, position)
    ), events AS (
        -- The registration first, then each auto-rule in the order it applied: ids follow
        -- the ORDER BY, so the audit trail reads in order.
        INSERT INTO message_events (message_id, action, actor_kind, actor_citizen_id,
                                    auto_rule_id, from_status, to_status, from_stage, to_stage,
                                    organisation_id, details, created_at)
        SELECT e.message_id, e.action, :ev_actor_kind, e.actor_citizen_id, e.auto_rule_id,
               e.from_status, :status, e.from_stage, :stage, :organisation_id, e.details, :now
        FROM (
            SELECT 0 AS ord, m.id AS message_id, CAST(:ev_action AS varchar) AS action,
                   m.citizen_id AS actor_citizen_id, CAST(NULL AS integer) AS auto_rule_id,
                   CAST(NULL AS varchar) AS from_status, CAST(NULL AS varchar) AS from_stage,
                   CAST(:ev_details AS jsonb) AS details
            FROM m
            UNION ALL
            SELECT r.ord, m.id, :rule_action, NULL, r.rule_id, :status, :stage,
                   CAST('{{}}' AS jsonb)
            FROM m, unnest(CAST(:rule_ids AS integer[])) WITH ORDINALITY AS r(rule_id, ord)
        ) AS e
        ORDER BY e.ord
    ), note AS (
        INSERT INTO outbox (kind, channel, recipient, citizen_id, message_id, payload, status,
                            attempts, next_attempt_at, created_at)
        SELECT :o_kind, CAST(:o_channel AS varchar), :o_recipient, m.citizen_id, m.id,
               :o_payload || jsonb_build_object('number', m.number), :o_status, 0, :now, :now
        FROM m WHERE CAST(:o_channel AS varchar) IS NOT NULL
    )
    SELECT id, number FROM m
    """
    return PositionalSql.from_named(sql, json_params=_JSON)


_PG_BY_IDENTITY = _postgres_statement(by_identity=True)
_PG_BY_ID = _postgres_statement(by_identity=False)


async def _citizen(conn: AsyncConnection, citizen: CitizenRef | int | None, now: datetime
                   ) -> int:
    if isinstance(citizen, int):
        return citizen
    if citizen is None:  # e.g. an imported message with no way to reach its author
        return await records.create_anonymous_citizen(conn, now)
    return await records.get_or_create_citizen(conn, citizen, now)


async def _address(conn: AsyncConnection, citizen: CitizenRef | int | None, citizen_id: int,
                   source: str) -> tuple[str, str] | None:
    if isinstance(citizen, CitizenRef):  # the citizen is writing from this channel right now
        return citizen.channel.value, citizen.external_id
    if citizen is None:
        return None
    return await records.citizen_address(conn, citizen_id, source)


async def register(db: Database, citizen: CitizenRef | int | None, new: NewMessage
                   ) -> tuple[int, int, bool]:
    """Store the message; return (id, number, created). With an idempotency key already used,
    nothing is written and the earlier message is returned with created=False."""
    if db.is_postgres:
        return await _register_postgres(db, citizen, new)
    return await _register_portable(db, citizen, new)


async def _find_by_key(db: Database, key: str) -> tuple[int, int] | None:
    async with db.engine.connect() as conn:
        found = (await conn.execute(FIND_BY_KEY, {"key": key})).one_or_none()
    return (int(found[0]), int(found[1])) if found is not None else None


async def _register_postgres(db: Database, citizen: CitizenRef | int | None, new: NewMessage
                             ) -> tuple[int, int, bool]:
    """The common case — a known citizen writing from a channel — is one round trip."""
    key = new.values.get("idempotency_key")
    params = {
        **new.values, "now": new.now,
        "p_keys": [f.key for f in new.photos], "p_types": [f.content_type for f in new.photos],
        "p_sizes": [f.size for f in new.photos],
        "ev_action": Action.REGISTER.value, "ev_actor_kind": ActorKind.SYSTEM.value,
        "ev_details": new.event_details, "rule_action": Action.APPLY_AUTO_RULE.value,
        "rule_ids": list(new.auto_rule_ids), "o_kind": new.notification_kind,
        "o_payload": new.notification_payload, "o_status": records.OUTBOX_PENDING,
        "o_channel": None, "o_recipient": None,
    }
    if isinstance(citizen, CitizenRef):
        params |= {"c_channel": citizen.channel.value, "c_external_id": citizen.external_id}
        if new.notify:
            params |= {"o_channel": citizen.channel.value, "o_recipient": citizen.external_id}
        row = await fetchrow(db, _PG_BY_IDENTITY, params)
        if row is not None:
            return (*row, True)
        if key and (found := await _find_by_key(db, key)):
            return (*found, False)
    # A citizen new to us, or one given by id. One connection at a time: holding two per
    # request would let a burst of requests starve the pool.
    async with db.core_transaction() as tx:
        citizen_id = await _citizen(tx, citizen, new.now)
        address = await _address(tx, citizen, citizen_id, new.values["source"])
    if address and new.notify:
        params |= {"o_channel": address[0], "o_recipient": address[1]}
    row = await fetchrow(db, _PG_BY_ID, {**params, "citizen_id": citizen_id})
    if row is not None:
        return (*row, True)
    found = await _find_by_key(db, key) if key else None  # the key was used meanwhile
    if found is None:
        raise RuntimeError("registration inserted nothing and no message holds its key")
    return (*found, False)


async def _register_portable(db: Database, citizen: CitizenRef | int | None, new: NewMessage
                             ) -> tuple[int, int, bool]:
    key = new.values.get("idempotency_key")
    async with db.core_transaction() as conn:
        if key:
            found = (await conn.execute(FIND_BY_KEY, {"key": key})).one_or_none()
            if found is not None:
                return int(found[0]), int(found[1]), False
        citizen_id = await _citizen(conn, citizen, new.now)
        values = {**new.values, "citizen_id": citizen_id}
        try:
            async with conn.begin_nested():
                message_id, number = await records.insert_message(conn, values)
        except IntegrityError:
            if not key:
                raise
            found = (await conn.execute(FIND_BY_KEY, {"key": key})).one()
            return int(found[0]), int(found[1]), False
        if new.photos:
            await conn.execute(insert(t.PHOTOS), [
                {"message_id": message_id, "file_key": f.key, "content_type": f.content_type,
                 "size": f.size, "position": i} for i, f in enumerate(new.photos)])
        status, stage, org = values["status"], values["stage"], values["organisation_id"]
        event = {"message_id": message_id, "actor_kind": ActorKind.SYSTEM.value,
                 "to_status": status, "to_stage": stage, "organisation_id": org,
                 "created_at": new.now}
        await records.add_event(conn, **event, action=Action.REGISTER.value,
                                actor_citizen_id=citizen_id, details=new.event_details)
        for rule_id in new.auto_rule_ids:
            await records.add_event(conn, **event, action=Action.APPLY_AUTO_RULE.value,
                                    auto_rule_id=rule_id, from_status=status, from_stage=stage)
        if not new.notify:
            return message_id, number, True
        await records.add_notification(
            conn, citizen_id=citizen_id, source=values["source"], message_id=message_id,
            kind=new.notification_kind, payload={**new.notification_payload, "number": number},
            now=new.now,
            address=await _address(conn, citizen, citizen_id, values["source"]))
        return message_id, number, True
