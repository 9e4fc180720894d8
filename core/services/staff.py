"""Staff accounts and their roles per organisation."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import tables as t
from core.domain.enums import Role
from core.domain.errors import ValidationError
from core.services.platform import Platform

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Пароль — не короче {MIN_PASSWORD} символов", field="password")
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with weaker parameters than today's: rehash on the next sign-in."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def add_staff(
    p: Platform, *, org: str, role: Role | str, login: str, password: str | None = None,
    full_name: str | None = None,
) -> int:
    """Create the account if the login is new (a password is then required) and grant the role
    in the organisation. Granting a role the account already has changes nothing."""
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise ValidationError("Логин: латиница, цифры, точка, дефис или _; от 3 до 64 символов",
                              field="login")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"Неизвестная роль «{role}»: допустимы "
                              + ", ".join(r.value for r in Role), field="role") from None
    d = await p.directory.get()
    organisation = d.organisation(org)
    now = p.clock.now()
    async with p.db.transaction() as session:
        staff = (await session.scalars(select(t.Staff).where(t.Staff.login == login))
                 ).one_or_none()
        if staff is None:
            if password is None:
                raise ValidationError("Для новой учётной записи нужен пароль", field="password")
            staff = t.Staff(login=login, password_hash=hash_password(password),
                            full_name=full_name or login, created_at=now, failed_logins=0,
                            is_active=True)
            session.add(staff)
            await session.flush()
        elif password is not None:
            staff.password_hash = hash_password(password)
        exists = (await session.scalars(select(t.StaffRole.id).where(
            t.StaffRole.staff_id == staff.id, t.StaffRole.organisation_id == organisation.id,
            t.StaffRole.role == role.value))).one_or_none()
        if exists is None:
            session.add(t.StaffRole(staff_id=staff.id, organisation_id=organisation.id,
                                    role=role.value))
        try:
            await session.flush()
        except IntegrityError:
            raise ValidationError(f"Логин «{login}» уже занят", field="login") from None
        return staff.id
