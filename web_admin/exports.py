"""Report tables as files staff open in Excel: CSV and XLSX.

CSV is UTF-8 with a byte order mark and «;» between cells, which is what Excel with Russian
regional settings opens without an import dialog; numbers use a decimal comma, shares are
written as percents («83,3%»), dates as ДД.ММ.ГГГГ. XLSX keeps numbers as numbers (percents
with a percent format, dates as dates), a bold frozen header, a filter and fitted columns.

Citizens type addresses and texts that end up in cells: a text cell that starts like a formula
is written so that Excel does not run it (CSV: a leading apostrophe; XLSX: always a string).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from core.services.reports.model import Cell, Column, Report, Table

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 8, 60
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_NUMBER_FORMATS = {"int": "0", "float": "General", "percent": "0.0%", "duration_days": "0.0",
                   "date": "dd.mm.yyyy"}


def _decimal(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def cell_text(column: Column, value: Cell) -> str:
    """A cell as a person reads it in Russian: the CSV cell and the width of an XLSX column."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "date" and isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, bool):  # a bool is an int to Python, a word to a person
        return "да" if value else "нет"
    if isinstance(value, int | float) and kind != "text":
        if kind == "percent":
            return f"{value * 100:.1f}".replace(".", ",") + "%"
        if kind == "duration_days":
            return f"{value:.1f}".replace(".", ",")
        if kind == "int" and float(value).is_integer():
            return str(int(value))
        return _decimal(float(value), 4)
    return str(value)


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(column: Column, value: Cell) -> str:
    text = cell_text(column, value)
    # Only text can carry a formula: a negative number stays a number.
    return _safe_text(text) if isinstance(value, str) else text


def table_to_csv(table: Table) -> bytes:
    """The table's header and rows as CSV for Excel (UTF-8 with BOM, «;»)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([_safe_text(c.title) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c, row.get(c.key)) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")


def table_to_xlsx(table: Table) -> bytes:
    """The table as a one-sheet workbook."""
    return _workbook([table])


def report_to_xlsx(report: Report) -> bytes:
    """Every table of a report, one sheet each."""
    return _workbook(report.tables)


def sheet_name(title: str, taken: Iterable[str] = ()) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'") or "Лист"
    used = {t.casefold() for t in taken}
    name, n = base[:31], 1
    while name.casefold() in used:
        n += 1
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
    return name


def _workbook(tables: list[Table]) -> bytes:
    buffer = io.BytesIO()
    # Cells are never formulas or links, whatever text a citizen typed.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False,
                                        "strings_to_numbers": False})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                              "bottom": 1})
    formats = {kind: book.add_format({"num_format": fmt})
               for kind, fmt in _NUMBER_FORMATS.items()}
    names: list[str] = []
    for table in tables:
        names.append(sheet_name(table.title, names))
        _sheet(book.add_worksheet(names[-1]), table, header, formats)
    book.close()
    return buffer.getvalue()


def _sheet(sheet: Any, table: Table, header: Any, formats: dict[str, Any]) -> None:
    widths = [len(c.title) for c in table.columns]
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column.title, header)
    for r, row in enumerate(table.rows, start=1):
        for col, column in enumerate(table.columns):
            value = row.get(column.key)
            _write(sheet, r, col, column, value, formats=formats)
            widths[col] = max(widths[col], len(cell_text(column, value)))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)


def _write(sheet: Any, r: int, col: int, column: Column, value: Cell, *,
           formats: dict[str, Any]) -> None:
    kind = column.kind
    if value is None:
        sheet.write_blank(r, col, None)
    elif kind == "date" and isinstance(value, date):
        moment = value if isinstance(value, datetime) else datetime.combine(value, time())
        sheet.write_datetime(r, col, moment.replace(tzinfo=None), formats["date"])
    elif kind in _NUMBER_FORMATS and isinstance(value, int | float) \
            and not isinstance(value, bool):
        sheet.write_number(r, col, value, formats[kind])
    else:
        sheet.write_string(r, col, cell_text(column, value))
