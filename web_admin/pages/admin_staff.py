"""Administration: staff accounts and their roles (``core.services.admin.staff_accounts``).

The accounts of the admin's organisations (filtered by one of them) with a form for a new
account and its first role; a page per account with its roles (each with a revoke button), a
form to grant one, deactivation and reactivation, and a new password set by the admin.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.domain.enums import ROLE_TITLES
from core.domain.errors import DomainError, ValidationError
from core.services.admin import staff_accounts as sa
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.pages.administration import (
    PREFIX,
    base_context,
    fields,
    loaded,
    notice,
    organisation_options,
    organisation_tree,
    redirect,
    ref,
    required,
    status_for,
)
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/staff")
NOTICES = {
    "created": "Учётная запись создана. Сообщите сотруднику логин и пароль.",
    "granted": "Роль выдана.",
    "had": "Эта роль у сотрудника уже есть.",
    "revoked": "Роль снята.",
    "not_held": "Этой роли у сотрудника уже нет.",
    "deactivated": "Учётная запись отключена, все её сеансы завершены.",
    "activated": "Учётная запись снова включена.",
    "password": "Новый пароль задан, блокировка входа снята, все сеансы сотрудника завершены.",
}


async def render_list(request: Request, p: Platform, staff: StaffSessionInfo, *,
                      status_code: int = 200, done: str | None = None,
                      error: str | None = None, form: dict[str, str] | None = None
                      ) -> Response:
    chosen = ref(request.query_params.get("organisation"))
    accounts = await loaded(sa.list_staff(p, staff_id=staff.staff_id, organisation=chosen))
    nodes = await organisation_tree(p, staff)
    ctx = await base_context(p, staff, "staff")
    return templates.TemplateResponse(request, "admin_staff.html", {
        **ctx, "accounts": accounts, "organisations": organisation_options(nodes),
        "chosen": str(chosen or ""), "roles": ROLE_TITLES, "notice": done, "error": error,
        "form": form or {}}, status_code=status_code)


async def render_one(request: Request, p: Platform, staff: StaffSessionInfo, account_id: int,
                     *, status_code: int = 200, done: str | None = None,
                     error: str | None = None, error_form: str | None = None,
                     form: dict[str, str] | None = None) -> Response:
    account = await loaded(sa.get_staff_account(p, staff_id=staff.staff_id,
                                                account_id=account_id))
    nodes = await organisation_tree(p, staff)
    ctx = await base_context(p, staff, "staff")
    return templates.TemplateResponse(request, "admin_account.html", {
        **ctx, "account": account, "organisations": organisation_options(nodes),
        "roles": ROLE_TITLES, "is_self": account.id == staff.staff_id, "notice": done,
        "error": error, "error_form": error_form, "form": form or {}},
        status_code=status_code)


@router.get("")
async def staff_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    return await render_list(request, p, staff, done=notice(request, NOTICES))


@router.post("")
async def create_account(request: Request, staff: CheckedStaff, p: PlatformDep) -> Response:
    f = await fields(request)
    try:
        new_id = await sa.create_staff_account(
            p, staff_id=staff.staff_id, login=f.get("login", ""),
            full_name=f.get("full_name", ""), password=f.get("password", ""),
            organisation=required(f, "organisation", "организацию"),
            role=f.get("role", ""), email=f.get("email"))
    except DomainError as e:
        f.pop("password", None)  # never sent back into the page
        return await render_list(request, p, staff, status_code=status_for(e), error=e.message,
                                 form=f)
    return redirect(f"{PREFIX}/staff/{new_id}", done="created")


@router.get("/{account_id}")
async def account_page(request: Request, account_id: int, staff: Staff, p: PlatformDep
                       ) -> Response:
    return await render_one(request, p, staff, account_id, done=notice(request, NOTICES))


@router.post("/{account_id}/roles")
async def grant_role(request: Request, account_id: int, staff: CheckedStaff, p: PlatformDep
                     ) -> Response:
    f = await fields(request)
    try:
        granted = await sa.grant_role(p, staff_id=staff.staff_id, account_id=account_id,
                                      organisation=required(f, "organisation", "организацию"),
                                      role=f.get("role", ""))
    except DomainError as e:
        return await render_one(request, p, staff, account_id, status_code=status_for(e),
                                error=e.message, error_form="grant", form=f)
    return redirect(f"{PREFIX}/staff/{account_id}", done="granted" if granted else "had")


@router.post("/{account_id}/roles/revoke")
async def revoke_role(request: Request, account_id: int, staff: CheckedStaff, p: PlatformDep
                      ) -> Response:
    f = await fields(request)
    try:
        revoked = await sa.revoke_role(p, staff_id=staff.staff_id, account_id=account_id,
                                       organisation=required(f, "organisation", "организацию"),
                                       role=f.get("role", ""))
    except DomainError as e:
        return await render_one(request, p, staff, account_id, status_code=status_for(e),
                                error=e.message, error_form="roles", form=f)
    return redirect(f"{PREFIX}/staff/{account_id}", done="revoked" if revoked else "not_held")


@router.post("/{account_id}/active")
async def set_account_active(request: Request, account_id: int, staff: CheckedStaff,
                             p: PlatformDep) -> Response:
    f = await fields(request)
    active = f.get("active") == "1"
    try:
        if active:
            await sa.reactivate_staff(p, staff_id=staff.staff_id, account_id=account_id)
        else:
            await sa.deactivate_staff(p, staff_id=staff.staff_id, account_id=account_id)
    except DomainError as e:
        return await render_one(request, p, staff, account_id, status_code=status_for(e),
                                error=e.message, error_form="active", form=f)
    return redirect(f"{PREFIX}/staff/{account_id}",
                    done="activated" if active else "deactivated")


@router.post("/{account_id}/password")
async def reset_password(request: Request, account_id: int, staff: CheckedStaff,
                         p: PlatformDep) -> Response:
    f = await fields(request)
    try:
        if f.get("password", "") != f.get("password_repeated", ""):
            raise ValidationError("Пароли не совпадают: введите новый пароль дважды одинаково",
                                  field="password_repeated")
        await sa.reset_staff_password(p, staff_id=staff.staff_id, account_id=account_id,
                                      new_password=f.get("password", ""))
    except DomainError as e:
        return await render_one(request, p, staff, account_id, status_code=status_for(e),
                                error=e.message, error_form="password")
    return redirect(f"{PREFIX}/staff/{account_id}", done="password")
