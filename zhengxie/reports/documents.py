"""The annual work report as a Word document in the layout of zhengxie.proposals.documents (GB/T 9704 page,
仿宋 body, 黑体 headings): the title, each section's narrative with its figures written in, and after each
section a table of the section's figures (数读). Pure: a ReportView in, bytes out; the caller checks access
and writes the audit row."""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from zhengxie.proposals.documents import (
    FONT_BODY,
    FONT_HEADING,
    _body,
    _new_document,
    _paragraph,
    _set_fonts,
    _title,
    _to_bytes,
    chinese_date,
)
from zhengxie.reports import content
from zhengxie.reports.services import ReportView

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECTION_NUMBERS = "一二三四五六七八九十"
TABLE_SIZE = Pt(12)


def _figure_table(doc: object, view: ReportView, section: content.Section) -> None:
    """Two figures per row (指标, 数值, 指标, 数值), so a section's 数读 stays on about a page."""
    table = doc.add_table(rows=1, cols=4)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, ("指标", "数值", "指标", "数值"), strict=True):
        cell.text = ""
        _set_fonts(cell.paragraphs[0].add_run(text), FONT_HEADING, TABLE_SIZE)
    cells: list[str] = []
    for figure in section.figures:
        value = content.format_value(figure.key, content.value_of(view.figures, figure.key))
        cells += [figure.label, f"{value} {figure.unit}" if figure.unit and value != "—" else value]
    for start in range(0, len(cells), 4):
        row = table.add_row().cells
        for index, text in enumerate(cells[start : start + 4]):
            row[index].text = ""
            _set_fonts(row[index].paragraphs[0].add_run(text), FONT_BODY, TABLE_SIZE)
            if index % 2:
                row[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def report_docx(view: ReportView) -> bytes:
    doc = _new_document()
    _title(doc, view.title)
    status = (
        f"{chinese_date(view.report.published_at)}发布"
        if view.published and view.report and view.report.published_at
        else "草稿（数据为生成时的实时统计）"
    )
    _paragraph(doc, f"{view.committee.name}　{status}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc)
    for number, section in enumerate(content.SECTIONS):
        _paragraph(doc, f"{SECTION_NUMBERS[number]}、{section.title}", font=FONT_HEADING, indent_chars=2)
        _body(doc, content.render_text(view.narrative.get(section.key, ""), view.figures))
        if section.figures:
            _figure_table(doc, view, section)
            _paragraph(doc)
    scope = "本级及所辖下级政协合计" if view.scope == "all" else "本级"
    _paragraph(
        doc,
        f"注：统计范围为{scope}；提案按会议年度、社情民意信息按年度、批示按批示日期、协商按举行日期、"
        "群众诉求按反映日期统计；比率保留两位小数。",
        size=Pt(12),
    )
    doc.core_properties.title = view.title
    return _to_bytes(doc)
