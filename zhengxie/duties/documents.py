"""The year's evaluation as Excel (年度履职考评表): one row per member with rank, points and points per kind of
duty, and a second sheet with every point and the record that earned it, so each figure can be traced.
Pure: rows in, bytes out; access checks and the audit row are the view's."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Sum
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhengxie.duties.models import DutyKind, DutyRecord, Evaluation, EvaluationPoint, ScoringScheme
from zhengxie.org.models import Committee
from zhengxie.proposals.documents import FORMULA_START, XLSX_CONTENT_TYPE, clean_text

__all__ = ["XLSX_CONTENT_TYPE", "evaluation_xlsx"]

SUMMARY_COLUMNS = [("排名", 7), ("姓名", 12), ("界别", 16), ("党派", 14), ("得分", 9), ("履职记录数", 11)]
DETAIL_COLUMNS = [
    ("排名", 7),
    ("姓名", 12),
    ("日期", 12),
    ("履职类型", 16),
    ("事项", 48),
    ("来源", 14),
    ("状态", 10),
    ("得分", 9),
    ("封顶前分值", 11),
    ("记录编号", 10),
]
DATE_COLUMNS = {"日期"}
WRAP_COLUMNS = {"事项"}
POINT_FORMAT = "0.00"


def _kinds(scheme: ScoringScheme | None, earned_kinds: set[str]) -> list[str]:
    """Columns per kind: every kind the scheme has a rule for, then any other kind that earned points."""
    ruled = set(scheme.rules.values_list("kind", flat=True)) if scheme else set()
    return [k.value for k in DutyKind if k.value in ruled | earned_kinds]


def evaluation_xlsx(committee: Committee, year: int) -> tuple[bytes, int]:
    """The workbook and the number of members in it. A fixed number of queries whatever the size."""
    evaluations = list(
        Evaluation.objects.filter(committee=committee, year=year)
        .select_related("member__sector", "member__party", "scheme")
        .order_by("rank", "member_id")
    )
    per_kind: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for evaluation_id, kind, points in (
        EvaluationPoint.objects.filter(evaluation__committee=committee, evaluation__year=year)
        .values_list("evaluation_id", "record__kind")
        .annotate(total=Sum("points"))
        .order_by()
    ):
        per_kind[evaluation_id][kind] = points
    scheme = evaluations[0].scheme if evaluations else None
    kinds = _kinds(scheme, {k for row in per_kind.values() for k in row})
    labels = dict(DutyKind.choices)

    workbook = Workbook()
    summary = workbook.active
    summary.title = "年度考评"
    columns = SUMMARY_COLUMNS + [(labels[k], 10) for k in kinds]
    _header(summary, columns)
    for row_number, e in enumerate(evaluations, start=2):
        member = e.member
        values: list[object] = [
            e.rank,
            member.name,
            member.sector.name if member.sector_id else "",
            member.party.name if member.party_id else "",
            e.points,
            e.records,
            *[per_kind[e.pk].get(k, Decimal(0)) for k in kinds],
        ]
        _write_row(summary, row_number, values, [c for c, _ in columns], numeric_from=4)
    _finish(summary, len(columns))

    detail = workbook.create_sheet("计分明细")
    _header(detail, DETAIL_COLUMNS)
    rank_of = {e.pk: (e.rank, e.member.name) for e in evaluations}
    status_labels = dict(DutyRecord.Status.choices)
    origin_labels = dict(DutyRecord.Origin.choices)
    rows = (
        EvaluationPoint.objects.filter(evaluation__committee=committee, evaluation__year=year)
        .values_list(
            "evaluation_id",
            "record__occurred_on",
            "record__kind",
            "record__title",
            "record__origin",
            "record__status",
            "points",
            "capped_from",
            "record_id",
        )
        .order_by(
            "evaluation__rank", "evaluation__member__name", "evaluation_id", "record__occurred_on", "id"
        )
    )
    row_number = 1
    for evaluation_id, on, kind, title, origin, status, points, capped_from, record_id in rows.iterator(
        chunk_size=2000
    ):
        rank, name = rank_of[evaluation_id]
        row_number += 1
        values = [
            rank,
            name,
            on,
            labels.get(kind, kind),
            title,
            origin_labels.get(origin, origin),
            status_labels.get(status, status),
            points,
            capped_from,
            record_id,
        ]
        _write_row(detail, row_number, values, [c for c, _ in DETAIL_COLUMNS], numeric_from=7)
    _finish(detail, len(DETAIL_COLUMNS))

    title = f"{committee.name}{year}年度委员履职考评"
    if scheme is not None:
        summary.oddHeader.center.text = f"{title}（{scheme}）"
    workbook.properties.title = title
    workbook.properties.creator = ""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), len(evaluations)


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(name="宋体", bold=True, size=11)
_BODY_FONT = Font(name="宋体", size=11)
_FILL = PatternFill("solid", fgColor="DDEBF7")


def _header(sheet: Worksheet, columns: Sequence[tuple[str, int]]) -> None:
    sheet.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _HEADER_FONT
        cell.fill = _FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 30


def _write_row(
    sheet: Worksheet, row_number: int, values: Sequence[object], names: list[str], *, numeric_from: int
) -> None:
    for column, (name, value) in enumerate(zip(names, values, strict=True), start=1):
        if isinstance(value, str):
            value = clean_text(value)
        cell = sheet.cell(row=row_number, column=column, value=value)
        if isinstance(value, str) and value.startswith(FORMULA_START):
            # Text typed by users is never a formula, and stays text when someone edits the cell.
            cell.data_type = "s"
            cell.quotePrefix = True
        cell.font = _BODY_FONT
        cell.border = _BORDER
        if name in DATE_COLUMNS:
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, Decimal) and column > numeric_from:
            cell.number_format = POINT_FORMAT
        cell.alignment = Alignment(vertical="center", wrap_text=name in WRAP_COLUMNS)


def _finish(sheet: Worksheet, width: int) -> None:
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{max(sheet.max_row, 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
