"""Staff sign-in for the web admin: passwords, lockout after repeated failures, and sessions
kept on the server (the browser holds only a random token)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import delete, select, update

from core.db import tables as t
from core.domain.enums import Role
from core.domain.errors import DomainError
from core.services.platform import Platform
from core.services.staff import MIN_PASSWORD, hash_password, needs_rehash, verify_password

WRONG = "Неверный логин или пароль"
# Writing last_seen_at on every request would make each page a write; a minute is precise
# enough for an idle timeout counted in tens of minutes.
TOUCH_EVERY = timedelta(minutes=1)


@cache
def _dummy_hash() -> str:
    """Verified when the login does not exist, so that a wrong login takes as long as a wrong
    password and the timing does not tell which logins exist. Made on first use: hashing at
    import would cost every process (the bots too) an argon2 run at start-up."""
    return hash_password("dummy-password-for-timing")


class SignInError(DomainError):
    """A refused sign-in or password change, with the reason to show."""


@dataclass(frozen=True, slots=True)
class Membership:
    organisation_id: int
    organisation_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class StaffSessionInfo:
    staff_id: int
    login: str
    full_name: str
    csrf_token: str
    memberships: tuple[Membership, ...]

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships)


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # goes into the cookie; only its hash is stored
    session: StaffSessionInfo


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _local_time(p: Platform, moment: datetime) -> str:
    """HH:MM in the region's time zone (a deployment serves one region)."""
    d = await p.directory.get()
    tz = next(iter(d.regions.values())).tz if d.regions else UTC
    return f"{moment.astimezone(tz):%H:%M}"


async def _verify(password_hash: str, password: str) -> bool:
    # argon2 takes tens of milliseconds of CPU on purpose: off the event loop, which also
    # runs the bots and the worker in `pos up`, and outside any transaction.
    return await asyncio.to_thread(verify_password, password_hash, password)


async def _failed(p: Platform, staff_id: int) -> bool:
    """Count a wrong password; True when it locked the account. Decided on the row under a
    lock, so that parallel wrong attempts cannot all see a count below the limit."""
    settings, now = p.settings, p.clock.now()
    async with p.db.transaction() as session:
        staff = (await session.scalars(select(t.Staff).where(t.Staff.id == staff_id)
                                       .with_for_update())).one()
        staff.failed_logins += 1
        if staff.failed_logins >= settings.login_max_failures:
            staff.failed_logins = 0
            staff.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            return True
        return False


async def _locked_message(p: Platform, until: datetime) -> str:
    return ("Слишком много неудачных попыток входа. Вход заблокирован до "
            f"{await _local_time(p, until)}; попробуйте позже или обратитесь к администратору.")


async def sign_in(p: Platform, login: str, password: str) -> SignedIn:
    """Check the password and open a session. After ``login_max_failures`` wrong passwords in
    a row the account is locked for ``login_lockout_minutes``; the lock is told, the password
    is not checked meanwhile."""
    settings = p.settings
    login = login.strip().lower()
    async with p.db.sessions() as session:
        staff = (await session.scalars(select(t.Staff).where(t.Staff.login == login))
                 ).one_or_none()
    if staff is None or not staff.is_active:
        await _verify(await asyncio.to_thread(_dummy_hash), password)
        raise SignInError(WRONG)
    if staff.locked_until is not None and staff.locked_until > p.clock.now():
        raise SignInError(await _locked_message(p, staff.locked_until))
    if not await _verify(staff.password_hash, password):
        if await _failed(p, staff.id):
            raise SignInError("Слишком много неудачных попыток входа. Вход заблокирован "
                              f"на {settings.login_lockout_minutes:g} мин.")
        raise SignInError(WRONG)
    rehashed = (await asyncio.to_thread(hash_password, password)
                if needs_rehash(staff.password_hash) else None)
    now = p.clock.now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    async with p.db.transaction() as session:
        current = (await session.scalars(select(t.Staff).where(t.Staff.id == staff.id)
                                         .with_for_update())).one()
        if current.locked_until is not None and current.locked_until > now:
            # Locked by parallel wrong attempts while this one was being checked.
            raise SignInError(await _locked_message(p, current.locked_until))
        current.failed_logins = 0
        current.locked_until = None
        if rehashed is not None:
            current.password_hash = rehashed
        session.add(t.StaffSession(
            token_hash=_hash(token), staff_id=staff.id, csrf_token=csrf, created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.admin_session_hours)))
    info = await session_for(p, token)
    if info is None or info.staff_id != staff.id:  # pragma: no cover - just committed
        raise RuntimeError("the new session cannot be read back")
    return SignedIn(token, info)


async def session_for(p: Platform, token: str | None) -> StaffSessionInfo | None:
    """The signed-in staff member behind a cookie token, or None when the session is unknown,
    expired, idle for too long, or the account was disabled."""
    if not token:
        return None
    now = p.clock.now()
    idle = timedelta(minutes=p.settings.admin_idle_minutes)
    token_hash = _hash(token)
    # Read without a write transaction: on SQLite that would take the database's write lock
    # for every page a staff member opens. Writes happen only when there is one to make.
    async with p.db.sessions() as session:
        row = (await session.execute(
            select(t.StaffSession.expires_at, t.StaffSession.last_seen_at,
                   t.StaffSession.csrf_token, t.Staff)
            .join(t.Staff, t.Staff.id == t.StaffSession.staff_id)
            .where(t.StaffSession.token_hash == token_hash))).one_or_none()
        if row is None:
            return None
        expires_at, last_seen_at, csrf_token, staff = row
        roles = (await session.execute(
            select(t.StaffRole.organisation_id, t.StaffRole.role)
            .where(t.StaffRole.staff_id == staff.id)
            .order_by(t.StaffRole.organisation_id, t.StaffRole.role))).all()
    if expires_at <= now or last_seen_at + idle <= now or not staff.is_active:
        await sign_out(p, token)
        return None
    if now - last_seen_at >= TOUCH_EVERY:
        async with p.db.transaction() as session:
            await session.execute(update(t.StaffSession)
                                  .where(t.StaffSession.token_hash == token_hash)
                                  .values(last_seen_at=now))
    d = await p.directory.get()
    memberships = tuple(
        Membership(org_id, d.organisations[org_id].name if org_id in d.organisations
                   else f"Организация {org_id}", Role(role))
        for org_id, role in roles)
    return StaffSessionInfo(staff.id, staff.login, staff.full_name, csrf_token, memberships)


async def sign_out(p: Platform, token: str | None) -> None:
    if not token:
        return
    async with p.db.transaction() as session:
        await session.execute(delete(t.StaffSession)
                              .where(t.StaffSession.token_hash == _hash(token)))


def password_problem(new: str, *, login: str) -> str | None:
    """Why a new password will not do, in words for the person choosing it."""
    if len(new) < max(MIN_PASSWORD, 10):
        return "Пароль должен быть не короче 10 символов"
    if new.strip().lower() == login.lower():
        return "Пароль не должен совпадать с логином"
    if len(set(new)) < 4:
        return "Пароль слишком простой: возьмите больше разных символов"
    if not any(c.isalpha() for c in new) or not any(c.isdigit() for c in new):
        return "В пароле нужны и буквы, и цифры"
    return None


async def change_password(p: Platform, token: str, *, current: str, new: str,
                          repeated: str) -> None:
    """Change the signed-in person's password; their other sessions end (a stolen session
    does not outlive the change), this one stays."""
    info = await session_for(p, token)
    if info is None:
        raise SignInError("Сеанс завершён — войдите снова")
    if new != repeated:
        raise SignInError("Новый пароль и повтор не совпадают")
    if problem := password_problem(new, login=info.login):
        raise SignInError(problem)
    async with p.db.sessions() as session:
        staff = await session.get(t.Staff, info.staff_id)
    if staff is None:
        raise SignInError("Сеанс завершён — войдите снова")
    if staff.locked_until is not None and staff.locked_until > p.clock.now():
        raise SignInError(await _locked_message(p, staff.locked_until))
    # A wrong current password counts like a wrong sign-in: a stolen session cannot be used
    # to guess the password without the lockout.
    if not await _verify(staff.password_hash, current):
        await _failed(p, staff.id)
        raise SignInError("Текущий пароль введён неверно")
    if current == new:
        raise SignInError("Новый пароль должен отличаться от текущего")
    new_hash = await asyncio.to_thread(hash_password, new)
    async with p.db.transaction() as session:
        await session.execute(update(t.Staff).where(t.Staff.id == staff.id).values(
            password_hash=new_hash, failed_logins=0, locked_until=None))
        await session.execute(delete(t.StaffSession).where(
            t.StaffSession.staff_id == info.staff_id,
            t.StaffSession.token_hash != _hash(token)))


async def purge_sessions(p: Platform) -> int:
    """Forget expired sessions (a maintenance job); idle ones are dropped when next used."""
    async with p.db.transaction() as session:
        result = await session.execute(delete(t.StaffSession)
                                       .where(t.StaffSession.expires_at <= p.clock.now()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
