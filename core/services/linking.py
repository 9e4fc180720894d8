"""Linking a citizen's accounts: a short code shown in one messenger, entered in the other.

The citizen who asked for the code (the *issuing* citizen) keeps their record; the citizen who
entered it joins them and is deleted, in one transaction: their identities, messages, outbox
rows, audit events and dialogs move over, and empty contacts are filled from them. After that
both channels find the same citizen, so «Мои сообщения» lists every message in either. The
identities that joined are written to ``link_joins``, and the issuing identity is told through
the outbox, in the same transaction, with a pointer to ``/unlink``.

Codes are eight digits, live ten minutes, work once, and only their HMAC (keyed with the
platform's secret) is stored. Guessing is bounded twice over. Every refused code is written to
``link_failures``: an identity with ``MAX_FAILURES`` refusals in the last ``FAILURE_WINDOW``
is not heard until the oldest of them is an hour old, and while the whole platform has more
than ``LINK_GLOBAL_FAILURES`` refusals in the last ``GLOBAL_WINDOW`` no code is looked at, so
many throwaway accounts together still get a few dozen guesses per ten minutes at 10**8.

``/unlink`` undoes a link: the identity that joined (per ``link_joins``) gets a new, empty
citizen of its own, whichever side asks. The citizen warned of a link they did not make thus
removes the account that joined, and that account cannot take the record from them in return.
Messages, contacts and consent stay with the citizen; the detached identity consents again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import tables as t
from core.domain.enums import Channel, NotificationKind
from core.domain.errors import ConflictError, NotFound, ValidationError
from core.services.platform import Platform
from core.services.records import (
    OUTBOX_DEAD,
    OUTBOX_PENDING,
    add_notification,
    citizen_address,
    create_anonymous_citizen,
)

audit_log = logging.getLogger("pos.audit")

CODE_DIGITS = 8
CODE_TTL = timedelta(minutes=10)
MAX_FAILURES = 5  # per identity, within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(hours=1)
LINK_GLOBAL_FAILURES = 50  # more refusals than this on the whole platform suspend linking
GLOBAL_WINDOW = timedelta(minutes=10)
ISSUE_ATTEMPTS = 10  # a fresh code collides with a live one only when many are live at once

CHANNEL_NAMES: dict[str, str] = {Channel.TELEGRAM: "Telegram", Channel.VK: "VK",
                                 Channel.WEB: "сайт"}

_LC, _LF, _I, _Z, _M = t.LINK_CODES, t.LINK_FAILURES, t.IDENTITIES, t.CITIZENS, t.MESSAGES
_LJ = cast(Table, t.LinkJoin.__table__)
_C, _O = t.CONVERSATIONS, t.OUTBOX
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")


class Refusal(StrEnum):
    """Why a code was not accepted (``ValidationError.details["reason"]``)."""

    FORMAT = "format"  # not eight digits: not counted, it cannot match any code
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    SAME_CHANNEL = "same_channel"
    CONFLICT = "conflict"
    LOCKED = "locked"
    SUSPENDED = "suspended"  # too many refusals platform-wide: not counted
    NO_CONSENT = "no_consent"


FORMAT_TEXT = "Код — это 8 цифр, например 1234 5678. Проверьте и отправьте ещё раз."
WRONG_TEXT = ("Код не подошёл. Проверьте цифры — код показан в другом мессенджере после "
              "нажатия «Связать Telegram и VK».")
EXPIRED_TEXT = ("Срок действия кода истёк: код действует 10 минут. Получите новый код в другом "
                "мессенджере.")
USED_TEXT = "Этот код уже использован. Получите новый код в другом мессенджере."
SAME_CHANNEL_TEXT = ("Этот код получен здесь же. Введите код в другом мессенджере: откройте там "
                     "бот и отправьте /link и код.")
CONFLICT_MINE_TEXT = ("Не получилось связать: к этому аккаунту уже привязан другой аккаунт "
                      "{channel}. Связать можно только по одному аккаунту каждого мессенджера.")
CONFLICT_THEIRS_TEXT = ("Не получилось связать: к аккаунту, где получен код, уже привязан другой "
                        "аккаунт {channel}. Связать можно только по одному аккаунту каждого "
                        "мессенджера.")
LOCKED_TEXT = ("Слишком много неверных кодов. Следующая попытка — после {time} "
               "(через {minutes} мин.).")
LOCKED_NOW_TEXT = "Попыток больше нет: следующая — после {time} (через {minutes} мин.)."
SUSPENDED_TEXT = "Привязка временно недоступна — попробуйте через 10 минут."
NO_CONSENT_TEXT = "Сначала нужно согласие на обработку персональных данных."


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A code to enter in another channel; the digits are never stored."""

    code: str  # eight digits, as typed after /link
    expires_at: datetime

    @property
    def shown(self) -> str:
        """The code as people read it: «1234 5678»."""
        half = CODE_DIGITS // 2
        return f"{self.code[:half]} {self.code[half:]}"


@dataclass(frozen=True, slots=True)
class LinkResult:
    citizen_id: int  # the citizen both accounts belong to now
    merged_citizen_id: int | None  # the citizen that joined it and is gone; None if none did
    already_linked: bool
    issuing_channel: Channel  # where the code was shown
    messages: int  # the citizen's messages, listed in every channel now


@dataclass(frozen=True, slots=True)
class UnlinkResult:
    citizen_id: int  # the citizen the asking account belongs to now
    self_detached: bool  # the asking account left (it had joined); else the others left it
    # The channels of the accounts on the other side now; empty when nothing was linked.
    others: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class _Refused:
    reason: Refusal
    text: str


class _Abort(Exception):
    def __init__(self, refused: _Refused) -> None:
        self.refused = refused


def normalise_code(code: str) -> str | None:
    """The eight digits of «1234 5678», «12345678» or «1234-5678»; None for anything else."""
    digits = _SEPARATORS.sub("", code.strip())
    if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def _digest(p: Platform, digits: str) -> str:
    key = p.settings.secret_key.encode()
    return hmac.new(key, f"link-code|{digits}".encode(), hashlib.sha256).hexdigest()


async def _identity_citizen(conn: AsyncConnection, *, channel: Channel, external_id: str,
                            lock: bool = False) -> int | None:
    query = select(_I.c.citizen_id).where(_I.c.channel == channel.value,
                                          _I.c.external_id == external_id)
    if lock:
        query = query.with_for_update()
    found = (await conn.execute(query)).scalar_one_or_none()
    return None if found is None else int(found)


async def _check_identity(conn: AsyncConnection, *, citizen_id: int, channel: Channel,
                          external_id: str, lock: bool = False) -> None:
    owner = await _identity_citizen(conn, channel=channel, external_id=external_id, lock=lock)
    if owner is None:
        raise NotFound("Аккаунт не найден — отправьте /start", field="citizen")
    if owner != citizen_id:
        # The account joined another citizen since the dialog was loaded.
        raise ConflictError("Профиль только что изменился — повторите, пожалуйста")
    consent = (await conn.execute(select(_Z.c.consent_at).where(_Z.c.id == citizen_id))
               ).scalar_one_or_none()
    if consent is None:
        raise ValidationError(NO_CONSENT_TEXT, reason=Refusal.NO_CONSENT.value)


async def issue_link_code(p: Platform, *, citizen_id: int, channel: Channel,
                          external_id: str) -> LinkCode:
    """A new code for the citizen, shown in ``channel`` to be entered in another one.

    It replaces the citizen's previous code, works once and lives ``CODE_TTL``. The citizen
    must have consented. Only the code's HMAC is stored."""
    now = p.clock.now()
    expires_at = now + CODE_TTL
    async with p.db.core_transaction() as conn:
        await _check_identity(conn, citizen_id=citizen_id, channel=channel,
                              external_id=external_id)
        for _ in range(ISSUE_ATTEMPTS):
            digits = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            digest = _digest(p, digits)
            try:
                async with conn.begin_nested():
                    await conn.execute(delete(_LC).where(_LC.c.citizen_id == citizen_id))
                    # A spent code with the same digits makes way; a live one does not.
                    await conn.execute(delete(_LC).where(
                        _LC.c.code_hash == digest,
                        or_(_LC.c.used_at.is_not(None), _LC.c.expires_at <= now)))
                    await conn.execute(insert(_LC).values(
                        citizen_id=citizen_id, channel=channel.value, external_id=external_id,
                        code_hash=digest, expires_at=expires_at, used_at=None,
                        created_at=now))
            except IntegrityError:
                continue  # the digits of another live code, or a parallel issue: try again
            return LinkCode(digits, expires_at)
    raise ConflictError("Не получилось выдать код — повторите через минуту")


async def redeem_link_code(p: Platform, *, citizen_id: int, channel: Channel, external_id: str,
                           code: str) -> LinkResult:
    """Enter a code shown in another channel: the entering citizen joins the one who got it.

    Raises ``ValidationError`` (Russian text, ``details["reason"]`` a ``Refusal``) for a
    malformed, wrong, expired or used code, a code shown in this same channel, a link that
    would give one citizen two accounts of a channel, while the identity is locked out after
    ``MAX_FAILURES`` refused codes within ``FAILURE_WINDOW``, and while the platform has more
    than ``LINK_GLOBAL_FAILURES`` refused codes within ``GLOBAL_WINDOW`` (then even a right
    code is refused, and that refusal is not counted). A code of the citizen's own from
    another channel answers ``already_linked`` and changes nothing.

    A link writes the joined identities to ``link_joins`` and an ``accounts_linked``
    notification to the issuing channel's account, in the merge's transaction.

    Two redemptions of one code at once cannot both win: the code is claimed with a
    conditional update and only the claim that changed the row goes on."""
    digits = normalise_code(code)
    if digits is None:
        raise ValidationError(FORMAT_TEXT, reason=Refusal.FORMAT.value)
    now = p.clock.now()
    digest = _digest(p, digits)
    locked_until: datetime | None = None
    outcome: LinkResult | _Refused
    moved: dict[str, int] = {}
    try:
        async with p.db.core_transaction() as conn:
            # The identity's row lock makes one identity's attempts take turns, so parallel
            # guesses cannot all pass the count below.
            await _check_identity(conn, citizen_id=citizen_id, channel=channel,
                                  external_id=external_id, lock=True)
            locked_until = await _locked_until(conn, channel=channel, external_id=external_id,
                                               now=now)
            if locked_until is not None:
                outcome = _Refused(Refusal.LOCKED, LOCKED_TEXT)
            elif await _suspended(conn, now=now):
                outcome = _Refused(Refusal.SUSPENDED, SUSPENDED_TEXT)
            else:
                outcome = await _redeem(conn, digest=digest, citizen_id=citizen_id,
                                        channel=channel, now=now, moved=moved)
                if isinstance(outcome, _Refused):
                    await _record_failure(conn, channel=channel, external_id=external_id,
                                          now=now)
                    locked_until = await _locked_until(conn, channel=channel,
                                                       external_id=external_id, now=now)
    except IntegrityError as error:
        # A citizen involved changed meanwhile (joined someone else in a parallel link).
        raise ConflictError("Не получилось связать аккаунты — повторите через минуту") from error
    if isinstance(outcome, _Refused):
        text = outcome.text
        if locked_until is not None:
            when = await _when(p, locked_until, now)
            if outcome.reason is Refusal.LOCKED:
                text = text.format(**when)
            else:  # this refusal used up the last attempt
                text = f"{text}\n\n{LOCKED_NOW_TEXT.format(**when)}"
        raise ValidationError(text, reason=outcome.reason.value)
    if outcome.merged_citizen_id is not None:
        _audit(outcome, channel=channel, moved=moved)
    return outcome


async def _redeem(conn: AsyncConnection, *, digest: str, citizen_id: int, channel: Channel,
                  now: datetime, moved: dict[str, int]) -> LinkResult | _Refused:
    row = (await conn.execute(select(_LC).where(_LC.c.code_hash == digest))).one_or_none()
    if row is None:
        return _Refused(Refusal.WRONG, WRONG_TEXT)
    keep = int(row.citizen_id)
    issuing = Channel(row.channel)
    if keep == citizen_id and issuing is not channel:
        # Linked already, by this very code or another: true whether or not it is spent, so a
        # dialog handling the update again after a conflict says the same.
        return LinkResult(keep, None, True, issuing, await _count_messages(conn, keep))
    if row.used_at is not None:
        return _Refused(Refusal.USED, USED_TEXT)
    if row.expires_at <= now:
        return _Refused(Refusal.EXPIRED, EXPIRED_TEXT)
    if issuing is channel:
        return _Refused(Refusal.SAME_CHANNEL, SAME_CHANNEL_TEXT)
    citizens = await _lock_citizens(conn, keep=keep, merged=citizen_id)
    if citizens is None:  # the issuing citizen joined someone else meanwhile
        return _Refused(Refusal.USED, USED_TEXT)
    try:
        async with conn.begin_nested():
            claimed = await conn.execute(
                update(_LC).where(_LC.c.id == row.id, _LC.c.used_at.is_(None),
                                  _LC.c.expires_at > now).values(used_at=now))
            if claimed.rowcount != 1:
                raise _Abort(_Refused(Refusal.USED, USED_TEXT))
            conflict = await _conflict(conn, keep=keep, merged=citizen_id, issuing=issuing)
            if conflict is not None:
                raise _Abort(conflict)
            moved.update(await _merge(conn, keep=citizens[0], merged=citizens[1], now=now))
            await _notify_linked(conn, keep=keep, issuing=issuing, joined=channel, now=now)
    except _Abort as abort:
        return abort.refused
    return LinkResult(keep, citizen_id, False, issuing, await _count_messages(conn, keep))


async def _lock_citizens(conn: AsyncConnection, *, keep: int, merged: int
                         ) -> tuple[Row[Any], Row[Any]] | None:
    """Both citizens' rows, locked in id order (no deadlock between parallel links). The kept
    one takes a lock that lets messages referencing it be filed meanwhile."""
    rows: dict[int, Row[Any]] = {}
    for citizen_id in sorted((keep, merged)):
        query = select(_Z).where(_Z.c.id == citizen_id).with_for_update(
            key_share=citizen_id == keep)
        found = (await conn.execute(query)).one_or_none()
        if found is None:
            return None
        rows[citizen_id] = found
    return rows[keep], rows[merged]


async def _conflict(conn: AsyncConnection, *, keep: int, merged: int, issuing: Channel
                    ) -> _Refused | None:
    """One citizen, one account per channel: refuse when both have a different one."""
    rows = (await conn.execute(select(_I.c.citizen_id, _I.c.channel)
                               .where(_I.c.citizen_id.in_((keep, merged))))).all()
    kept = {r.channel for r in rows if r.citizen_id == keep}
    joining = {r.channel for r in rows if r.citizen_id == merged}
    clash = sorted(kept & joining)
    if not clash:
        return None
    channel = issuing.value if issuing.value in clash else clash[0]
    text = CONFLICT_MINE_TEXT if channel == issuing.value else CONFLICT_THEIRS_TEXT
    return _Refused(Refusal.CONFLICT, text.format(channel=CHANNEL_NAMES.get(channel, channel)))


def _citizen_references() -> list[tuple[Table, Any]]:
    """Every column that points at a citizen, except the codes (the joining citizen's own
    code is deleted, not moved). A table added later is moved too without a change here."""
    found: list[tuple[Table, Any]] = []
    for table in t.metadata.sorted_tables:
        if table is _LC:
            continue
        for fk in table.foreign_keys:
            if fk.column is _Z.c.id:
                found.append((table, fk.parent))
    return found


async def _merge(conn: AsyncConnection, *, keep: Row[Any], merged: Row[Any], now: datetime
                 ) -> dict[str, int]:
    """Move everything of ``merged`` to ``keep`` and delete ``merged``; the rows moved. Every
    identity of ``merged`` is written to ``link_joins`` as having joined ``keep``."""
    joining = (await conn.execute(select(_I.c.channel, _I.c.external_id)
                                  .where(_I.c.citizen_id == merged.id))).all()
    moved: dict[str, int] = {}
    for table, column in _citizen_references():
        result = await conn.execute(update(table).where(column == merged.id)
                                    .values({column.name: keep.id}))
        if result.rowcount:
            key = f"{table.name}.{column.name}"
            moved[key] = moved.get(key, 0) + int(result.rowcount)
    await conn.execute(delete(_LC).where(_LC.c.citizen_id == merged.id))
    for channel, external_id in joining:  # one joined earlier keeps one row, dated now
        await conn.execute(delete(_LJ).where(_LJ.c.channel == channel,
                                             _LJ.c.external_id == external_id))
        await conn.execute(insert(_LJ).values(citizen_id=keep.id, channel=channel,
                                              external_id=external_id, linked_at=now))
    values: dict[str, Any] = {field: getattr(merged, field) for field in ("name", "phone", "email")
                              if not getattr(keep, field) and getattr(merged, field)}
    # Consent stands if either gave it, from the earlier moment (with that version).
    given = [c for c in (keep, merged) if c.consent_at is not None]
    if given:
        first = min(given, key=lambda c: c.consent_at)
        if first is not keep:
            values |= {"consent_at": first.consent_at, "consent_version": first.consent_version}
    if values:
        await conn.execute(update(_Z).where(_Z.c.id == keep.id).values(values))
    await conn.execute(delete(_Z).where(_Z.c.id == merged.id))
    return moved


async def _notify_linked(conn: AsyncConnection, *, keep: int, issuing: Channel,
                         joined: Channel, now: datetime) -> None:
    """Tell the kept citizen, in the channel that showed the code, that an account joined: a
    link they did not make is news they can undo with /unlink."""
    recipient = (await conn.execute(
        select(_I.c.external_id).where(_I.c.citizen_id == keep, _I.c.channel == issuing.value)
        .limit(1))).scalar_one_or_none()
    if recipient is None:  # pragma: no cover - the code's identity belongs to its citizen
        return
    await add_notification(conn, citizen_id=keep, source="", message_id=None,
                           kind=NotificationKind.ACCOUNTS_LINKED.value,
                           payload={"channel": joined.value}, now=now,
                           address=(issuing.value, str(recipient)))


async def _count_messages(conn: AsyncConnection, citizen_id: int) -> int:
    return int((await conn.execute(select(func.count()).select_from(_M)
                                   .where(_M.c.citizen_id == citizen_id))).scalar_one())


async def unlink_identity(p: Platform, *, citizen_id: int, channel: Channel,
                          external_id: str) -> UnlinkResult:
    """``/unlink`` from an account of a citizen with accounts in other channels.

    The accounts that joined the citizen by a code (``link_joins``) get a new, empty citizen
    each, without consent: the asking account itself if it joined, else the others that did.
    Where no joined account is known the asking account leaves, since then it gives up only
    its own view. Messages, contacts and consent stay with the citizen; codes the detached
    accounts showed stop working; notifications still waiting for them go to the citizen's
    remaining account instead. ``others`` is empty when nothing was linked (nothing changes).
    """
    now = p.clock.now()
    me = (channel.value, external_id)
    async with p.db.core_transaction() as conn:
        # The same order as a redemption: the identity, then the citizen.
        owner = await _identity_citizen(conn, channel=channel, external_id=external_id,
                                        lock=True)
        if owner is None:
            raise NotFound("Аккаунт не найден — отправьте /start", field="citizen")
        if owner != citizen_id:
            raise ConflictError("Профиль только что изменился — повторите, пожалуйста")
        await conn.execute(select(_Z.c.id).where(_Z.c.id == citizen_id).with_for_update())
        accounts = [(r.channel, r.external_id) for r in (await conn.execute(
            select(_I.c.channel, _I.c.external_id).where(_I.c.citizen_id == citizen_id)
            .order_by(_I.c.id))).all()]
        others = [a for a in accounts if a != me]
        if not others:
            return UnlinkResult(citizen_id, False, ())
        joined = {(r.channel, r.external_id) for r in (await conn.execute(
            select(_LJ.c.channel, _LJ.c.external_id).where(_LJ.c.citizen_id == citizen_id)
        )).all()}
        leaving = [me] if me in joined or not joined & set(others) else [
            a for a in others if a in joined]
        new_ids = [await _detach(conn, citizen_id=citizen_id, account=account,
                                 asking=account == me, now=now) for account in leaving]
        await _readdress(conn, citizen_id=citizen_id, gone=leaving, now=now)
    self_detached = leaving == [me]
    if self_detached:
        result = UnlinkResult(new_ids[0], True, tuple(Channel(a[0]) for a in others))
    else:
        result = UnlinkResult(citizen_id, False, tuple(Channel(a[0]) for a in leaving))
    record = {"change": "citizen.unlink", "citizen_id": citizen_id, "new_citizen_ids": new_ids,
              "asking_channel": channel.value, "self_detached": self_detached,
              "detached_channels": [a[0] for a in leaving]}
    audit_log.info("citizen %s: %s account(s) detached into citizen(s) %s [citizen.unlink]",
                   citizen_id, ", ".join(a[0] for a in leaving),
                   ", ".join(map(str, new_ids)), extra={"audit": record})
    return result


async def _detach(conn: AsyncConnection, *, citizen_id: int, account: tuple[str, str],
                  asking: bool, now: datetime) -> int:
    """Give one identity a new, empty citizen without consent; that citizen's id."""
    channel, external_id = account
    new_id = await create_anonymous_citizen(conn, now)
    await conn.execute(update(_I).where(_I.c.channel == channel, _I.c.external_id == external_id,
                                        _I.c.citizen_id == citizen_id)
                       .values(citizen_id=new_id))
    await conn.execute(delete(_LJ).where(_LJ.c.channel == channel,
                                         _LJ.c.external_id == external_id))
    # A code it showed would join someone to the citizen it no longer belongs to.
    await conn.execute(delete(_LC).where(_LC.c.channel == channel,
                                         _LC.c.external_id == external_id))
    if not asking:
        # Its dialog, if saving a turn right now, handles that turn again as the new citizen.
        await conn.execute(update(_C).where(_C.c.channel == channel,
                                            _C.c.external_id == external_id)
                           .values(citizen_id=new_id, version=_C.c.version + 1))
    return new_id


async def _readdress(conn: AsyncConnection, *, citizen_id: int, gone: list[tuple[str, str]],
                     now: datetime) -> None:
    """Notifications of the citizen still waiting for a detached identity: about a message, to
    the citizen's remaining account; about the accounts, to nobody."""
    address = await citizen_address(conn, citizen_id, "")
    for channel, external_id in gone:
        waiting = (_O.c.citizen_id == citizen_id, _O.c.channel == channel,
                   _O.c.recipient == external_id, _O.c.status == OUTBOX_PENDING)
        if address is not None:
            await conn.execute(update(_O).where(*waiting, _O.c.message_id.is_not(None))
                               .values(channel=address[0], recipient=address[1]))
        await conn.execute(update(_O).where(*waiting).values(
            status=OUTBOX_DEAD, next_attempt_at=now, last_error="unlinked"))


async def _locked_until(conn: AsyncConnection, *, channel: Channel, external_id: str,
                        now: datetime) -> datetime | None:
    """When the identity may try again, if its recent refusals reached the limit."""
    recent = (await conn.execute(
        select(_LF.c.failed_at)
        .where(_LF.c.channel == channel.value, _LF.c.external_id == external_id,
               _LF.c.failed_at > now - FAILURE_WINDOW)
        .order_by(_LF.c.failed_at.desc()).limit(MAX_FAILURES))).scalars().all()
    if len(recent) < MAX_FAILURES:
        return None
    oldest: datetime = recent[-1]
    return oldest + FAILURE_WINDOW  # the oldest of the last MAX_FAILURES leaves the window


async def _suspended(conn: AsyncConnection, *, now: datetime) -> bool:
    """More than ``LINK_GLOBAL_FAILURES`` refusals on the whole platform in ``GLOBAL_WINDOW``.
    No refusal is recorded while this holds, so the count stays small and ends in ten
    minutes at most; it reads no more rows than it needs (``ix_link_failures_failed_at``)."""
    recent = select(_LF.c.id).where(_LF.c.failed_at > now - GLOBAL_WINDOW).limit(
        LINK_GLOBAL_FAILURES + 1).subquery()
    count = (await conn.execute(select(func.count()).select_from(recent))).scalar_one()
    return int(count) > LINK_GLOBAL_FAILURES


async def _record_failure(conn: AsyncConnection, *, channel: Channel, external_id: str,
                          now: datetime) -> None:
    await conn.execute(insert(_LF).values(channel=channel.value, external_id=external_id,
                                          failed_at=now))
    # Refusals older than the window count for nothing: the table holds an hour at most.
    await conn.execute(delete(_LF).where(_LF.c.failed_at <= now - FAILURE_WINDOW))


async def _when(p: Platform, moment: datetime, now: datetime) -> dict[str, Any]:
    """«13:05» in the region's time zone, and the minutes until then."""
    d = await p.directory.get()
    tz = next(iter(d.regions.values())).tz if d.regions else UTC
    minutes = max(1, math.ceil((moment - now).total_seconds() / 60))
    return {"time": f"{moment.astimezone(tz):%H:%M}", "minutes": minutes}


def _audit(result: LinkResult, *, channel: Channel, moved: dict[str, int]) -> None:
    """The committed link on the ``pos.audit`` logger (ids only: no messenger ids)."""
    record = {"change": "citizen.link", "citizen_id": result.citizen_id,
              "merged_citizen_id": result.merged_citizen_id,
              "issuing_channel": result.issuing_channel.value,
              "redeeming_channel": channel.value, "moved": moved}
    audit_log.info("citizen %s joined citizen %s (%s code entered in %s) [citizen.link] %s",
                   result.merged_citizen_id, result.citizen_id, result.issuing_channel.value,
                   channel.value, json.dumps(moved, sort_keys=True), extra={"audit": record})
