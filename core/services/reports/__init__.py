"""Reports for staff: deadline compliance, satisfaction, problem hotspots and the regional
rating indicators, over one scope (period, territory, the viewer's organisations).

Every report is a few grouped statements in the database, filtered by the scope; the result is
plain data (:mod:`core.services.reports.model`) that pages, charts and exports share. Each
module's docstring defines its figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.services.platform import Platform
from core.services.reports.compliance import compliance_report
from core.services.reports.hotspots import hotspots_report
from core.services.reports.model import Chart, Column, ColumnKind, Report, Table
from core.services.reports.rating import rating_report
from core.services.reports.satisfaction import satisfaction_report
from core.services.reports.scope import ReportScope, resolve

ReportBuilder = Callable[..., Awaitable[Report]]

# slug -> (title for menus, builder); the web admin's report pages are these.
REPORTS: dict[str, tuple[str, ReportBuilder]] = {
    "compliance": ("Соблюдение сроков", compliance_report),
    "satisfaction": ("Удовлетворённость", satisfaction_report),
    "hotspots": ("Проблемные точки", hotspots_report),
    "rating": ("Показатели для рейтинга", rating_report),
}


async def build_report(p: Platform, *, kind: str, scope: ReportScope) -> Report:
    """The report named by ``kind`` (a key of :data:`REPORTS`)."""
    _, builder = REPORTS[kind]
    return await builder(p, scope=scope)


__all__ = [
    "REPORTS", "Chart", "Column", "ColumnKind", "Report", "ReportScope", "Table", "build_report",
    "compliance_report", "hotspots_report", "rating_report", "resolve", "satisfaction_report",
]
