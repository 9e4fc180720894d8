"""Administration: where a message would go, and why (``core.services.admin.dry_run``).

A GET form — nothing changes, so the result is a link one can share: the subcategory, the
territory or an address, the source and the text; the answer is the dry run's explanation
line by line, the organisation, the executor, fast-track and the answer deadline.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.domain.enums import Source
from core.domain.errors import DomainError, ValidationError
from core.services.admin.auto_rules import SOURCE_TITLES
from core.services.admin.dry_run import DryRunResult, dry_run
from web_admin.pages.administration import (
    PREFIX,
    ref,
    region_context,
    status_for,
    subcategory_groups,
    territory_options,
)
from web_admin.security import PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix=f"{PREFIX}/dry-run")
FIELDS = ("subcategory", "territory", "address", "source", "text")


@router.get("")
async def dry_run_page(request: Request, staff: Staff, p: PlatformDep) -> Response:
    ctx = await region_context(request, p, staff, "dry-run")
    q = request.query_params
    form = {name: q.get(name, "").strip() for name in FIELDS}
    form["source"] = form["source"] or Source.TELEGRAM.value
    result: DryRunResult | None = None
    error: str | None = None
    status_code = 200
    if "subcategory" in q:  # the form was sent
        try:
            subcategory = ref(form["subcategory"])
            if subcategory is None:
                raise ValidationError("Выберите подкатегорию", field="subcategory")
            result = await dry_run(p, staff_id=staff.staff_id, subcategory=subcategory,
                                   source=form["source"], territory=ref(form["territory"]),
                                   address=form["address"] or None, text=form["text"])
        except DomainError as e:
            error, status_code = e.message, status_for(e)
    d = ctx["d"]
    return templates.TemplateResponse(request, "admin_dry_run.html", {
        **ctx, "form": form, "result": result, "error": error,
        "subjects": subcategory_groups(d), "sources": SOURCE_TITLES,
        "territories": territory_options(d, {ctx["region_id"]})}, status_code=status_code)
