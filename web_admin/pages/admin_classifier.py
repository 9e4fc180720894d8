"""Administration: a region's classifier policy (``core.services.admin.classifier_policy``).

Every category with its subcategories (one ``<details>`` per category, 400 subcategories stay
usable): the answer days, fast-track and fast-track days messages of the region get, the
classifier's own values, and per subcategory a form that sets the region's override or clears
it. An empty field keeps the classifier's value.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.domain.errors import DomainError, ValidationError
from core.services.admin import classifier_policy as cp
from core.services.platform import Platform
from core.services.staff_auth import StaffSessionInfo
from web_admin.pages.administration import (
    PREFIX,
    fields,
    loaded,
    notice,
    number,
    redirect,
    region_context,
    status_for,
)
from web_admin.security import CheckedStaff, PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/classifier")
NOTICES = {"saved": "Сроки подкатегории в регионе сохранены.",
           "cleared": "Для подкатегории снова действуют значения классификатора."}
FAST_TRACK = {"": None, "1": True, "0": False}


async def render(request: Request, p: Platform, staff: StaffSessionInfo, *,
                 status_code: int = 200, done: str | None = None, error: str | None = None,
                 error_sub: int | None = None, form: dict[str, str] | None = None
                 ) -> Response:
    ctx = await region_context(request, p, staff, "classifier")
    categories = await loaded(cp.list_classifier_policy(p, staff_id=staff.staff_id,
                                                        region=ctx["region_id"]))
    opened = error_sub or _int(request.query_params.get("open"))
    return templates.TemplateResponse(request, "admin_classifier.html", {
        **ctx, "categories": categories, "opened": opened, "notice": done, "error": error,
        "error_sub": error_sub, "form": form or {}}, status_code=status_code)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@router.get("")
async def classifier_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    return await render(request, p, staff, done=notice(request, NOTICES))


@router.post("/{subcategory_id}")
async def set_policy(request: Request, subcategory_id: int, staff: CheckedStaff,
                     p: PlatformDep) -> Response:
    f = await fields(request)
    clear = f.get("op") == "clear"
    region = (await region_context(request, p, staff, "classifier"))["region_id"]
    try:
        if clear:
            await cp.clear_region_policy(p, staff_id=staff.staff_id, region=region,
                                         subcategory=subcategory_id)
        else:
            if f.get("fast_track", "") not in FAST_TRACK:
                raise ValidationError("Ускоренное рассмотрение: выберите из списка",
                                      field="fast_track")
            await cp.set_region_policy(
                p, staff_id=staff.staff_id, region=region, subcategory=subcategory_id,
                answer_days=number(f, "answer_days", "Срок ответа"),
                fast_track=FAST_TRACK[f.get("fast_track", "")],
                fast_track_days=number(f, "fast_track_days", "Ускоренный срок"))
    except DomainError as e:
        return await render(request, p, staff, status_code=status_for(e), error=e.message,
                            error_sub=subcategory_id, form=f)
    return redirect(f"{PREFIX}/classifier", anchor=f"sub-{subcategory_id}",
                    region=request.query_params.get("region"),
                    done="cleared" if clear else "saved", open=subcategory_id)
