"""The message page: the message, the citizen, photos, history, and the role's actions."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from core.domain.enums import ACTION_TITLES, REJECT_REASON_TITLES, Action
from core.domain.errors import (
    ConflictError,
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from core.services.actions import StaffActor, perform
from core.services.message_view import (
    attachment_for_staff,
    load_message_view,
    photo_for_staff,
)
from core.services.platform import Platform
from core.storage.images import validate_attachment
from web_admin.action_forms import MAX_MESSAGE_ID, command_for
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix="/admin/messages")
STALE = "Сообщение уже изменил другой сотрудник. Ниже — его текущее состояние; проверьте и, " \
        "если нужно, повторите действие."
MAX_ATTACHMENTS = 5
# Redirect and its request share one form; core decides which it is from the organisation tree.
MERGED = {Action.REQUEST_REDIRECT: Action.REDIRECT}


def _known(message_id: int) -> None:
    if not 0 < message_id <= MAX_MESSAGE_ID:
        raise HTTPException(404, "Сообщение не найдено")


def _forms(actions: tuple[Action, ...]) -> list[Action]:
    out: list[Action] = []
    for action in actions:
        shown = MERGED.get(action, action)
        if shown not in out:
            out.append(shown)
    return out


async def render(request: Request, p: Platform, staff: Any, message_id: int, *,
                 status_code: int = 200, notice: str | None = None, error: str | None = None,
                 error_action: str | None = None, form: dict[str, str] | None = None
                 ) -> Response:
    try:
        view = await load_message_view(p, staff_id=staff.staff_id, message_id=message_id)
    except NotFound:
        raise HTTPException(404, f"Сообщение {message_id} не найдено или недоступно вам") from None
    return templates.TemplateResponse(request, "message.html", {
        "staff": staff, "v": view, "m": view.message, "forms": _forms(view.staff.actions),
        "action_titles": ACTION_TITLES, "reject_reasons": REJECT_REASON_TITLES,
        "notice": notice, "error": error, "error_action": error_action, "form": form or {},
        "now": p.clock.now(),
    }, status_code=status_code)


@router.get("/{message_id}")
async def message_page(request: Request, message_id: int, staff: Staff, p: PlatformDep
                       ) -> Response:
    _known(message_id)
    done = request.query_params.get("done")
    notice = None
    if done:
        try:
            notice = f"Готово: «{ACTION_TITLES[Action(done)]}»."
        except ValueError:
            notice = None
    return await render(request, p, staff, message_id, notice=notice)


@router.get("/{message_id}/photos/{photo_id}")
async def photo(message_id: int, photo_id: int, staff: Staff, p: PlatformDep) -> Response:
    _known(message_id)
    return await _file(photo_for_staff(p, staff_id=staff.staff_id, message_id=message_id,
                                       photo_id=photo_id), "Фотография не найдена")


@router.get("/{message_id}/attachments/{index}")
async def attachment(message_id: int, index: int, staff: Staff, p: PlatformDep) -> Response:
    _known(message_id)
    return await _file(attachment_for_staff(p, staff_id=staff.staff_id, message_id=message_id,
                                            index=index), "Вложение не найдено",
                       name=f"answer-{message_id}-{index + 1}")


async def _file(load: Awaitable[tuple[bytes, str] | None], missing: str, *,
                name: str | None = None) -> Response:
    """A photo or an attachment of a message the staff member may see. Photos and documents
    may show a person or a home: nothing is kept in the browser's cache."""
    try:
        found = await load
    except NotFound:
        found = None
    if found is None:
        raise HTTPException(404, missing)
    data, content_type = found
    headers = {"Cache-Control": "no-store"}
    if name:  # shown in the browser only as an image or a PDF, never as a page of this site
        headers["Content-Disposition"] = f'inline; filename="{name}"'
    return Response(data, media_type=content_type, headers=headers)


async def _attachments(p: Platform, uploads: list[UploadFile]) -> tuple[str, ...]:
    files = [u for u in uploads if u.filename]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(f"Можно приложить не больше {MAX_ATTACHMENTS} файлов",
                              field="files")
    keys = []
    for upload in files:
        data = await upload.read(p.settings.max_photo_bytes + 1)
        content_type = validate_attachment(data, max_bytes=p.settings.max_photo_bytes)
        keys.append((await p.files.save(data, content_type=content_type)).key)
    return tuple(keys)


@router.post("/{message_id}/act/{action}")
async def act(request: Request, message_id: int, action: str, staff: CheckedStaff,
              p: PlatformDep) -> Response:
    _known(message_id)
    form_data = await request.form()
    fields = {k: v for k, v in form_data.items() if isinstance(v, str)}
    try:
        chosen = Action(action)
    except ValueError:
        raise HTTPException(404, "Такого действия нет") from None
    try:
        version = int(fields.get("version", ""))
    except ValueError:  # every form carries it; without it a stale page could overwrite
        return await render(request, p, staff, message_id, status_code=409, error=STALE)
    try:
        files: tuple[str, ...] = ()
        if chosen is Action.ANSWER:
            current = await load_message_view(p, staff_id=staff.staff_id,
                                              message_id=message_id)
            if current.message.version != version or Action.ANSWER not in current.staff.actions:
                return await render(request, p, staff, message_id, status_code=409,
                                    error=STALE)
            # Files are stored only once the action is allowed; a re-answer without new
            # files keeps the ones the answer had.
            uploads = [v for v in form_data.getlist("files") if isinstance(v, UploadFile)]
            files = (await _attachments(p, uploads)
                     or tuple(current.message.answer_attachments or ()))
        command = command_for(chosen, fields, files)
        await perform(p, message_id=message_id, actor=StaffActor(staff.staff_id),
                      command=command, expected_version=version)
    except (ConflictError, IllegalTransition):
        return await render(request, p, staff, message_id, status_code=409, error=STALE)
    except ValidationError as e:
        return await render(request, p, staff, message_id, status_code=422, error=e.message,
                            error_action=chosen.value, form=fields)
    except NotFound:
        raise HTTPException(404, f"Сообщение {message_id} не найдено или недоступно вам"
                            ) from None
    except PermissionDenied as e:
        # The role may not take this action in the current status: usually because the
        # status changed under the page.
        return await render(request, p, staff, message_id, status_code=409,
                            error=f"{e.message}. {STALE}")
    except DomainError as e:
        return await render(request, p, staff, message_id, status_code=422, error=e.message,
                            error_action=chosen.value, form=fields)
    return RedirectResponse(f"/admin/messages/{message_id}?done={chosen.value}",
                            status_code=303)
