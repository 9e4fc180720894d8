"""Report tables as CSV and XLSX files for Excel."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

from core.services.reports.model import Column, Report, Table
from web_admin.exports import (
    cell_text,
    report_to_xlsx,
    sheet_name,
    table_to_csv,
    table_to_xlsx,
)

TABLE = Table("Сроки по организациям", [
    Column("organisation", "Организация"),
    Column("total", "Поступило", "int"),
    Column("share", "Доля ответов в срок", "percent"),
    Column("median", "Медиана, дн.", "duration_days"),
    Column("average", "Средняя оценка", "float"),
    Column("day", "День", "date"),
], [
    {"organisation": "Мэрия Новосибирска", "total": 8, "share": 0.8333, "median": 3.0,
     "average": 2.8, "day": date(2026, 6, 1), "hidden": "не выгружается"},
    {"organisation": "=HYPERLINK(\"http://evil\")", "total": 0, "share": None, "median": None,
     "average": -1.25, "day": None},
    {"organisation": "Минтранс; «НСО»\nвторая строка", "total": 1234567, "share": 1.0,
     "median": 12.345, "average": 0.05, "day": date(2026, 12, 31)},
])


def _xlsx_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist()
                if name.endswith(".xml")}


def test_csv_is_excel_friendly_and_parses_back() -> None:
    data = table_to_csv(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [
        ["Организация", "Поступило", "Доля ответов в срок", "Медиана, дн.", "Средняя оценка",
         "День"],
        ["Мэрия Новосибирска", "8", "83,3%", "3,0", "2,8", "01.06.2026"],
        ["'=HYPERLINK(\"http://evil\")", "0", "", "", "-1,25", ""],  # never a formula
        ["Минтранс; «НСО»\nвторая строка", "1234567", "100,0%", "12,3", "0,05", "31.12.2026"],
    ]


def test_cell_text() -> None:
    int_col, text_col = Column("n", "N", "int"), Column("t", "T")
    assert cell_text(int_col, None) == ""
    assert cell_text(int_col, 5) == "5"
    assert cell_text(text_col, 5) == "5"
    assert cell_text(Column("f", "F", "float"), 3.0) == "3"
    assert cell_text(Column("f", "F", "float"), 0.1234) == "0,1234"
    assert cell_text(Column("p", "P", "percent"), 0.0769) == "7,7%"


def test_xlsx_keeps_numbers_percents_and_dates() -> None:
    parts = _xlsx_parts(table_to_xlsx(TABLE))
    sheet, strings = parts["xl/worksheets/sheet1.xml"], parts["xl/sharedStrings.xml"]
    styles, book = parts["xl/styles.xml"], parts["xl/workbook.xml"]
    for title in ("Организация", "Поступило", "Доля ответов в срок", "День"):
        assert f"<t>{title}</t>" in strings
    assert 'name="Сроки по организациям"' in book
    assert "не выгружается" not in strings  # only the table's columns are written
    cells = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', sheet))
    # Numbers are numbers (no t="s"), the share a fraction under a percent format.
    assert cells["B2"] == "<v>8</v>" and cells["C2"] == "<v>0.8333</v>"
    assert cells["D2"] == "<v>3</v>" and cells["E3"] == "<v>-1.25</v>"
    assert cells["F2"] == "<v>46174</v>"  # 01.06.2026 as an Excel serial date
    assert 'r="A3" t="s"' in sheet  # a text that looks like a formula stays a string
    assert "<f>" not in sheet
    assert 'formatCode="0.0%"' in styles and 'formatCode="dd.mm.yyyy"' in styles
    assert "<b/>" in styles  # the bold header
    assert 'state="frozen"' in sheet and "<autoFilter" in sheet
    widths = [float(w) for w in re.findall(r'<col [^>]*width="([\d.]+)"', sheet)]
    assert len(widths) == 6 and all(8 <= w <= 61 for w in widths)


def test_report_workbook_has_a_sheet_per_table() -> None:
    long = Table("Очень длинное название таблицы: больше тридцати одного символа", [], [])
    data = report_to_xlsx(Report("Отчёт", [TABLE, TABLE, long]))
    book = _xlsx_parts(data)["xl/workbook.xml"]
    names = re.findall(r'<sheet name="([^"]+)"', book)
    assert names == ["Сроки по организациям", "Сроки по организациям (2)",
                     "Очень длинное название таблицы "]
    assert all(len(n) <= 31 for n in names)


def test_sheet_name_rules() -> None:
    assert sheet_name("Итоги [1/2]: сроки?") == "Итоги  1 2   сроки"
    assert sheet_name("") == "Лист"
    assert sheet_name("лист", ["Лист"]) == "лист (2)"
