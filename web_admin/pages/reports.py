"""Reports: period and territory filters, charts (Chart.js), tables, CSV and XLSX downloads."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from core.domain.errors import PermissionDenied, ValidationError
from core.services.access import memberships
from core.services.reports import REPORTS, ReportScope, build_report
from core.services.reports.viewer import viewer_scope
from web_admin.action_forms import MAX_ID, parse_date
from web_admin.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    cell_text,
    report_to_xlsx,
    table_to_csv,
)
from web_admin.security import PlatformDep, Staff
from web_admin.templating import templates

router = APIRouter(prefix="/admin/reports")
DEFAULT_DAYS = 30
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _download(data: bytes, content_type: str, name: str) -> Response:
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("")
async def reports_index(staff: Staff) -> Response:
    return RedirectResponse("/admin/reports/compliance", status_code=303)


@router.get("/{kind}")
async def report_page(request: Request, kind: str, staff: Staff, p: PlatformDep) -> Response:
    if kind not in REPORTS:
        raise HTTPException(404, "Такого отчёта нет")
    d = await p.directory.get()
    async with p.db.sessions() as session:
        member = await memberships(session, staff.staff_id)
    try:
        viewer = viewer_scope(d, member)
    except PermissionDenied as e:
        raise HTTPException(403, e.message) from None
    region_id, orgs = viewer.region_id, viewer.organisation_ids
    tz = d.regions[region_id].tz
    today = p.clock.now().astimezone(tz).date()
    q = request.query_params
    errors: list[str] = []
    date_to = _date(q.get("to"), today, errors, "«по»")
    date_from = _date(q.get("from"), date_to - timedelta(days=DEFAULT_DAYS - 1), errors, "«с»")
    territory = _number(q.get("territory"))
    if territory is not None and (territory not in d.territories
                                  or not viewer.allows_territory(d, territory)):
        errors.append("Территория не найдена среди доступных вам — показаны все доступные")
        territory = None
    territory = territory or viewer.territory_id
    scope = ReportScope(region_id, date_from, date_to, territory, orgs)
    try:
        report = await build_report(p, kind=kind, scope=scope)
    except ValidationError as e:
        errors.append(e.message)
        scope = ReportScope(region_id, today - timedelta(days=DEFAULT_DAYS - 1), today,
                            viewer.territory_id, orgs)
        report = await build_report(p, kind=kind, scope=scope)
    fmt = q.get("format")
    stem = f"{kind}_{scope.date_from:%Y%m%d}-{scope.date_to:%Y%m%d}"
    if fmt == "xlsx":
        return _download(report_to_xlsx(report), XLSX_CONTENT_TYPE, f"{stem}.xlsx")
    if fmt == "csv":
        index = _number(q.get("table")) or 0
        if not 0 <= index < len(report.tables):
            raise HTTPException(404, "Такой таблицы в отчёте нет")
        return _download(table_to_csv(report.tables[index]), CSV_CONTENT_TYPE,
                         f"{stem}_{index + 1}.csv")
    territories = sorted((x for x in d.territories.values()
                          if viewer.allows_territory(d, x.id)),
                         key=lambda x: (len(d.territory_path(x.id)), x.name))
    return templates.TemplateResponse(request, "report.html", {
        "staff": staff, "kind": kind, "reports": REPORTS, "report": report, "scope": scope,
        "errors": errors, "territories": territories, "cell": cell_text,
        "charts": [c.as_chartjs() for c in report.charts],
        "whole_region": orgs is None and viewer.territory_id is None,
        "query": "&".join(f"{k}={quote(v)}" for k, v in q.items() if k in ("from", "to",
                                                                            "territory")),
    })


def _date(raw: str | None, default: date, errors: list[str], label: str) -> date:
    if not raw:
        return default
    found = parse_date(raw)
    if found is not None and not FIRST_YEAR <= found.year <= LAST_YEAR:
        errors.append(f"Дата {label} вне {FIRST_YEAR}–{LAST_YEAR} годов")
        return default
    if found is None:
        errors.append(f"Дата {label} не распознана: укажите её как ДД.ММ.ГГГГ")
        return default
    return found


def _number(raw: str | None) -> int | None:
    try:
        number = int(raw) if raw else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= MAX_ID else None
