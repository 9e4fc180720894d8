"""Staff accounts and their roles, as an admin manages them.

A role is granted or revoked per organisation, so an organisation admin may do that for any
organisation in their scope. What changes the whole account — deactivating, reactivating,
resetting the password — needs every role of the account to be in the admin's scope
(a regional admin also manages accounts left with no role at all): otherwise an
organisation admin could lock out, or sign in as, someone who administers more than they do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import tables as t
from core.domain.enums import ROLE_TITLES, Role
from core.domain.errors import NotFound, PermissionDenied, ValidationError
from core.services.admin.audit import audit
from core.services.admin.authority import (
    AdminScope,
    OrgGraph,
    end_sessions,
    load_scope,
    require_admin,
    require_organisation,
)
from core.services.directory import Directory, OrgInfo
from core.services.platform import Platform
from core.services.staff import LOGIN_RE, hash_password
from core.services.staff_auth import password_problem

FULL_NAME_MAX, EMAIL_MAX = 255, 255


@dataclass(frozen=True, slots=True)
class RoleGrant:
    organisation_id: int
    organisation_code: str
    organisation_name: str
    role: Role
    role_title: str


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: int
    login: str
    full_name: str
    email: str | None
    is_active: bool
    locked_until: datetime | None  # a sign-in lockout after wrong passwords
    created_at: datetime
    roles: tuple[RoleGrant, ...]  # only the roles in the admin's scope
    roles_elsewhere: int  # roles in organisations outside the scope, not shown
    manageable: bool  # the admin may deactivate, reactivate and reset the password


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError("Неизвестная роль; допустимы: " + ", ".join(ROLE_TITLES.values()),
                              field="role") from None


def _manageable(scope: AdminScope, org_ids: Sequence[int]) -> bool:
    if not org_ids:
        return bool(scope.regions)
    return all(scope.administers(o) for o in org_ids)


async def _roles_by_staff(session: AsyncSession, staff_ids: Sequence[int] | None = None
                          ) -> dict[int, list[tuple[int, Role]]]:
    query = select(t.StaffRole.staff_id, t.StaffRole.organisation_id, t.StaffRole.role)
    if staff_ids is not None:
        query = query.where(t.StaffRole.staff_id.in_(staff_ids))
    out: dict[int, list[tuple[int, Role]]] = {}
    for sid, org, role in (await session.execute(query)).all():
        out.setdefault(sid, []).append((org, Role(role)))
    return out


def _account(scope: AdminScope, graph: OrgGraph, staff: t.Staff,
             roles: list[tuple[int, Role]]) -> StaffAccount:
    shown = sorted(((org, role) for org, role in roles if scope.administers(org)),
                   key=lambda x: (graph.nodes[x[0]].name, list(Role).index(x[1])))
    grants = tuple(RoleGrant(org, graph.nodes[org].code, graph.nodes[org].name, role,
                             ROLE_TITLES[role]) for org, role in shown)
    return StaffAccount(
        id=staff.id, login=staff.login, full_name=staff.full_name, email=staff.email,
        is_active=staff.is_active, locked_until=staff.locked_until,
        created_at=staff.created_at, roles=grants, roles_elsewhere=len(roles) - len(grants),
        manageable=_manageable(scope, [org for org, _ in roles]))


async def list_staff(p: Platform, *, staff_id: int, organisation: int | str | None = None
                     ) -> list[StaffAccount]:
    """Accounts with a role in the admin's scope (or in one organisation of it), by name.
    A regional admin also sees accounts left with no role, so that they can be found again."""
    d = await p.directory.get()
    async with p.db.sessions() as session:
        graph, scope = await load_scope(session, d, staff_id)
        require_admin(scope)
        only: int | None = None
        if organisation is not None:
            node = graph.get(organisation)
            require_organisation(scope, node)
            only = node.id
        roles = await _roles_by_staff(session)
        rows = (await session.scalars(select(t.Staff).order_by(t.Staff.full_name, t.Staff.id))
                ).all()
    accounts: list[StaffAccount] = []
    for staff in rows:
        held = roles.get(staff.id, [])
        if only is not None:
            visible = any(org == only for org, _ in held)
        else:
            visible = (any(scope.administers(org) for org, _ in held)
                       or (not held and bool(scope.regions)))
        if visible:
            accounts.append(_account(scope, graph, staff, held))
    return accounts


async def get_staff_account(p: Platform, *, staff_id: int, account_id: int) -> StaffAccount:
    d = await p.directory.get()
    async with p.db.sessions() as session:
        graph, scope = await load_scope(session, d, staff_id)
        staff, held = await _visible_account(session, scope, account_id)
    return _account(scope, graph, staff, held)


async def _visible_account(session: AsyncSession, scope: AdminScope, account_id: int
                           ) -> tuple[t.Staff, list[tuple[int, Role]]]:
    """An account the admin can see; any other is «not found», so that ids reveal nothing."""
    require_admin(scope)
    staff = await session.get(t.Staff, account_id)
    held = (await _roles_by_staff(session, [account_id])).get(account_id, [])
    visible = staff is not None and (any(scope.administers(org) for org, _ in held)
                                     or (not held and bool(scope.regions)))
    if staff is None or not visible:
        raise NotFound(f"Учётная запись {account_id} не найдена")
    return staff, held


async def _manageable_account(session: AsyncSession, scope: AdminScope, account_id: int
                              ) -> t.Staff:
    staff, held = await _visible_account(session, scope, account_id)
    if not _manageable(scope, [org for org, _ in held]):
        raise PermissionDenied(
            f"У «{staff.full_name}» есть роли в организациях вне вашей зоны: учётную запись "
            "целиком (отключение, пароль) меняет администратор, которому подчинены они все")
    return staff


def _check_password(password: str, login: str) -> None:
    if problem := password_problem(password, login=login):
        raise ValidationError(problem, field="password")


async def create_staff_account(
    p: Platform, *, staff_id: int, login: str, full_name: str, password: str,
    organisation: int | str, role: Role | str, email: str | None = None,
) -> int:
    """A new account with its first role in an organisation of the admin's scope. The login
    follows the rules of ``pos staff add``; the password the rules of a password change."""
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise ValidationError("Логин: латиница, цифры, точка, дефис или _; от 3 до 64 символов",
                              field="login")
    full_name = " ".join(full_name.split())
    if not full_name or len(full_name) > FULL_NAME_MAX:
        raise ValidationError(f"ФИО — от 1 до {FULL_NAME_MAX} символов", field="full_name")
    email = (email or "").strip() or None
    if email is not None and ("@" not in email or len(email) > EMAIL_MAX or " " in email):
        raise ValidationError("Адрес электронной почты указан неверно", field="email")
    granted = _role(role)
    _check_password(password, login)
    # argon2 costs tens of milliseconds of CPU on purpose: off the event loop, outside the
    # transaction.
    password_hash = await asyncio.to_thread(hash_password, password)
    d = await p.directory.get()
    async with p.db.transaction() as session:
        graph, scope = await load_scope(session, d, staff_id)
        node = graph.get(organisation)
        require_organisation(scope, node)
        taken = (await session.scalars(select(t.Staff.id).where(t.Staff.login == login))
                 ).one_or_none()
        if taken is not None:
            raise ValidationError(f"Логин «{login}» уже занят", field="login")
        staff = t.Staff(login=login, password_hash=password_hash, full_name=full_name,
                        email=email, is_active=True, failed_logins=0,
                        created_at=p.clock.now())
        session.add(staff)
        try:
            await session.flush()
        except IntegrityError:
            raise ValidationError(f"Логин «{login}» уже занят", field="login") from None
        session.add(t.StaffRole(staff_id=staff.id, organisation_id=node.id,
                                role=granted.value))
        new_id = staff.id
    audit(scope, "staff.create",
          f"создана учётная запись «{login}» ({ROLE_TITLES[granted]}, {node.display_name})",
          account_id=new_id, login=login, organisation_id=node.id, role=granted.value)
    return new_id


async def _role_change(session: AsyncSession, d: Directory, staff_id: int, account_id: int,
                       organisation: int | str) -> tuple[AdminScope, OrgInfo, t.Staff]:
    """The admin's scope, the organisation of the role (which it must cover) and the account."""
    graph, scope = await load_scope(session, d, staff_id)
    node = graph.get(organisation)
    require_organisation(scope, node)
    staff = await session.get(t.Staff, account_id)
    if staff is None:
        raise NotFound(f"Учётная запись {account_id} не найдена")
    return scope, node, staff


async def grant_role(p: Platform, *, staff_id: int, account_id: int,
                     organisation: int | str, role: Role | str) -> bool:
    """Give the account a role in an organisation of the admin's scope; False when it
    already had it."""
    granted = _role(role)
    d = await p.directory.get()
    async with p.db.transaction() as session:
        scope, node, staff = await _role_change(session, d, staff_id, account_id, organisation)
        exists = (await session.scalars(select(t.StaffRole.id).where(
            t.StaffRole.staff_id == account_id, t.StaffRole.organisation_id == node.id,
            t.StaffRole.role == granted.value))).one_or_none()
        if exists is not None:
            return False
        session.add(t.StaffRole(staff_id=account_id, organisation_id=node.id,
                                role=granted.value))
        try:
            await session.flush()
        except IntegrityError:  # granted in parallel: the outcome is the same
            return False
        login = staff.login
    audit(scope, "staff.grant_role",
          f"«{login}» получил(а) роль «{ROLE_TITLES[granted]}» в «{node.display_name}»",
          account_id=account_id, organisation_id=node.id, role=granted.value)
    return True


async def revoke_role(p: Platform, *, staff_id: int, account_id: int,
                      organisation: int | str, role: Role | str) -> bool:
    """Take a role away; False when the account did not have it. An admin cannot take away
    their own last admin role (nobody would be left to give it back)."""
    revoked = _role(role)
    d = await p.directory.get()
    async with p.db.transaction() as session:
        scope, node, staff = await _role_change(session, d, staff_id, account_id, organisation)
        rows = (await session.scalars(select(t.StaffRole).where(
            t.StaffRole.staff_id == account_id))).all()
        target = next((r for r in rows if r.organisation_id == node.id
                       and r.role == revoked.value), None)
        if target is None:
            return False
        other_admin = any(r.role == Role.ADMIN.value and r is not target for r in rows)
        if account_id == staff_id and revoked is Role.ADMIN and not other_admin:
            raise ValidationError("Нельзя снять с себя последнюю роль администратора: "
                                  "попросите об этом другого администратора", field="role")
        await session.delete(target)
        login = staff.login
    audit(scope, "staff.revoke_role",
          f"у «{login}» снята роль «{ROLE_TITLES[revoked]}» в «{node.display_name}»",
          account_id=account_id, organisation_id=node.id, role=revoked.value)
    return True


async def deactivate_staff(p: Platform, *, staff_id: int, account_id: int) -> None:
    """Disable the account and end all its sessions at once. Nobody disables themselves."""
    if account_id == staff_id:
        raise ValidationError("Нельзя отключить собственную учётную запись")
    d = await p.directory.get()
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        staff = await _manageable_account(session, scope, account_id)
        was_active = staff.is_active
        staff.is_active = False
        await end_sessions(session, account_id)
        login = staff.login
    if was_active:
        audit(scope, "staff.deactivate", f"учётная запись «{login}» отключена",
              account_id=account_id)


async def reactivate_staff(p: Platform, *, staff_id: int, account_id: int) -> None:
    d = await p.directory.get()
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        staff = await _manageable_account(session, scope, account_id)
        if staff.is_active:
            return
        staff.is_active = True
        login = staff.login
    audit(scope, "staff.reactivate", f"учётная запись «{login}» снова включена",
          account_id=account_id)


async def reset_staff_password(p: Platform, *, staff_id: int, account_id: int,
                               new_password: str) -> None:
    """Set a new password chosen by the admin, lift a sign-in lockout and end every session
    of the account. One's own password is changed on the password page, which asks for the
    current one: a stolen session must not be able to take over the account."""
    if account_id == staff_id:
        raise ValidationError("Свой пароль меняйте на странице «Сменить пароль»",
                              field="password")
    d = await p.directory.get()
    async with p.db.sessions() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        staff = await _manageable_account(session, scope, account_id)
    _check_password(new_password, staff.login)
    password_hash = await asyncio.to_thread(hash_password, new_password)
    async with p.db.transaction() as session:
        _graph, scope = await load_scope(session, d, staff_id)
        staff = await _manageable_account(session, scope, account_id)
        staff.password_hash = password_hash
        staff.failed_logins = 0
        staff.locked_until = None
        await end_sessions(session, account_id)
        login = staff.login
    audit(scope, "staff.reset_password", f"администратор задал новый пароль «{login}»",
          account_id=account_id)
