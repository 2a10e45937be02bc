"""The dashboard's tables as an Excel workbook: one sheet per table, each with a title line naming the
committee, year and scope, the column headers, the rows (合计 in bold) and the table's note underneath.
Counts are numbers, rates are fractions formatted as percentages, so the sheet can be summed and charted
again. Pure: tables in, bytes out; access checks and the audit row are the view's."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhengxie.proposals.documents import XLSX_CONTENT_TYPE, clean_text
from zhengxie.reports.dashboard import Dashboard, Table

__all__ = ["XLSX_CONTENT_TYPE", "dashboard_xlsx"]

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TITLE_FONT = Font(name="黑体", bold=True, size=14)
_HEADER_FONT = Font(name="宋体", bold=True, size=11)
_BODY_FONT = Font(name="宋体", size=11)
_TOTAL_FONT = Font(name="宋体", bold=True, size=11)
_NOTE_FONT = Font(name="宋体", size=10, color="666666")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
FORMATS = {
    "int": "#,##0",
    "num": "#,##0.00",
    "rate": "0.00%",
    "delta": "+#,##0.00;-#,##0.00;0",
    "delta_rate": "+0.00%;-0.00%;0.00%",
}
# A whole number in a num or delta column is shown without decimals.
WHOLE = {"num": "#,##0", "delta": "+#,##0;-#,##0;0"}
_RIGHT = Alignment(horizontal="right", vertical="center")
_WRAP = Alignment(vertical="center", wrap_text=True)


def _styles(workbook: Workbook) -> None:
    """One named style per kind of body cell and row: setting a cell's style by name is a lookup, where
    setting font, border and alignment on each cell hashes them again (seconds for a province's units)."""
    for total in (False, True):
        for kind, fmt in [
            ("text", "General"),
            *FORMATS.items(),
            *((f"{k}_whole", v) for k, v in WHOLE.items()),
        ]:
            style = NamedStyle(
                name=_style_name(kind, total),
                font=_TOTAL_FONT if total else _BODY_FONT,
                border=_BORDER,
                number_format=fmt,
                alignment=_WRAP if kind == "text" else _RIGHT,
            )
            if total:
                style.fill = _TOTAL_FILL
            workbook.add_named_style(style)


def _style_name(kind: str, total: bool) -> str:
    return f"dash_{kind}{'_total' if total else ''}"


def _cell_style(kind: str, value: object, total: bool) -> str:
    if kind not in FORMATS or isinstance(value, str):
        return _style_name("text", total)
    if isinstance(value, int) and kind in WHOLE:
        return _style_name(f"{kind}_whole", total)
    return _style_name(kind, total)


# A cell starting with one of these is a formula to Excel or LibreOffice once edited (formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses these in a sheet name, and a name longer than 31 characters.
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("", title)[:31] or "表"
    name, n = base, 2
    while name in taken:
        tail = f"({n})"
        name, n = f"{base[: 31 - len(tail)]}{tail}", n + 1
    taken.add(name)
    return name


def _write(sheet: Worksheet, dash: Dashboard, table: Table, scope_label: str) -> None:
    width = len(table.columns)
    scope = f"（{scope_label}）" if scope_label else ""
    title = sheet.cell(
        row=1, column=1, value=clean_text(f"{dash.committee.name}{dash.year}年度{table.title}{scope}")
    )
    if str(title.value).startswith(FORMULA_START):
        # The committee's name comes first, and an administrator typed it: text, never a formula.
        title.data_type = "s"
        title.quotePrefix = True
    sheet.cell(row=1, column=1).font = _TITLE_FONT
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    if width > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.row_dimensions[1].height = 28

    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=2, column=index, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        text = column.kind == "text"
        longest = max((len(str(r.cells[index - 1] or "")) for r in table.rows), default=0) if text else 0
        sheet.column_dimensions[get_column_letter(index)].width = (
            min(max(12, longest * 2 + 2), 48) if text else max(11, len(column.header) * 2 + 2)
        )
    sheet.row_dimensions[2].height = 24

    row_number = 2
    for row in table.rows:
        row_number += 1
        for index, (value, column) in enumerate(zip(row.cells, table.columns, strict=True), start=1):
            if isinstance(value, str):
                value = clean_text(value)
            cell = sheet.cell(row=row_number, column=index, value=value)
            cell.style = _cell_style(column.kind, value, row.total)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                # A name typed by a user is never a formula, and stays text when someone edits the cell.
                cell.data_type = "s"
                cell.quotePrefix = True

    notes = [n for n in (table.note, "“—”表示无可计算的数据（分母为 0）。") if n]
    for note in notes:
        row_number += 1
        cell = sheet.cell(row=row_number + 1, column=1, value=f"说明：{note}")
        cell.font = _NOTE_FONT
        if width > 1:
            sheet.merge_cells(
                start_row=row_number + 1, start_column=1, end_row=row_number + 1, end_column=width
            )

    sheet.freeze_panes = "B3"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape" if width > 6 else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def dashboard_xlsx(dash: Dashboard, tables: list[Table], scope_label: str = "") -> bytes:
    workbook = Workbook()
    _styles(workbook)
    taken: set[str] = set()
    for i, table in enumerate(tables):
        sheet = workbook.active if i == 0 else workbook.create_sheet()
        sheet.title = _sheet_name(table.title, taken)
        _write(sheet, dash, table, scope_label)
    workbook.properties.title = f"{dash.committee.name}{dash.year}年度统计数据"
    workbook.properties.creator = ""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
