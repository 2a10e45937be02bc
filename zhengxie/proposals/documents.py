"""Documents: a proposal and a reply letter as Word (.docx) in the GB/T 9704 layout, and the 提案汇总表
ledger as Excel (.xlsx). Pure functions: model objects in, bytes out; no access checks, no audit.

GB/T 9704 (党政机关公文格式): A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; body in
仿宋_GB2312 3号 (16 pt) at a fixed line pitch of 28.95 pt, 22 lines of 28 characters per page; titles in
方正小标宋简体 2号 (22 pt); first-level headings in 黑体. Chinese fonts are set through w:eastAsia, which is
what Word and LibreOffice use for CJK text; digits and Latin letters use Times New Roman.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Sequence

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from zhengxie.proposals.models import Assignment, CoSigner, Proposal, Reply

FONT_BODY = "仿宋_GB2312"
FONT_TITLE = "方正小标宋简体"
FONT_HEADING = "黑体"
FONT_LATIN = "Times New Roman"
FONT_PAGE_NUMBER = "宋体"
SIZE_BODY = Pt(16)  # 3号
SIZE_TITLE = Pt(22)  # 2号
SIZE_PAGE_NUMBER = Pt(14)  # 4号
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
RED = RGBColor(0xC0, 0x00, 0x00)

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Characters XML 1.0 forbids (python-docx and openpyxl refuse them); user text can carry them from a paste.
# A cell starting with one of these is a formula to Excel or LibreOffice once edited (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(value: object) -> str:
    return _ILLEGAL_XML.sub("", str(value or ""))


def chinese_date(value: datetime.date | datetime.datetime | None) -> str:
    """2026年3月5日 (GB/T 9704 writes dates in Arabic numerals, without leading zeros)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


# ---------------------------------------------------------------------------------------------- Word


def _set_fonts(rpr_parent: object, east_asia: str, size: Pt | None = None) -> None:
    """Set ascii/hAnsi to Times New Roman and eastAsia to the Chinese font on a run or a style."""
    font = rpr_parent.font  # type: ignore[attr-defined]
    font.name = FONT_LATIN
    if size is not None:
        font.size = size
    rpr = rpr_parent.element.get_or_add_rPr()  # type: ignore[attr-defined]
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:ascii"), FONT_LATIN)
    rfonts.set(qn("w:hAnsi"), FONT_LATIN)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def _new_document() -> Document:  # type: ignore[valid-type]
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(15)
    section.footer_distance = Mm(20)
    _set_doc_grid(section)

    normal = doc.styles["Normal"]
    _set_fonts(normal, FONT_BODY, SIZE_BODY)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.widow_control = False

    core = doc.core_properties
    core.author = ""
    core.last_modified_by = ""
    core.comments = ""
    _add_page_number(section)
    return doc


def _set_doc_grid(section: object) -> None:
    """22 lines a page: a line grid at 28.95 pt. The 156 mm text width holds 27-28 characters of 16 pt;
    a character grid (linesAndChars) would force exactly 28, but Word and LibreOffice read its
    charSpace differently and LibreOffice then spreads the characters far apart, so it is left out."""
    sect_pr = section._sectPr  # type: ignore[attr-defined]
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    sect_pr.append(grid)


def _add_page_number(section: object) -> None:
    """— 1 — centred in the footer, 4号 宋体."""
    footer = section.footer  # type: ignore[attr-defined]
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(paragraph.add_run("— "), FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)
    run = paragraph.add_run()
    _set_fonts(run, FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)
    _set_fonts(paragraph.add_run(" —"), FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)


def _paragraph(
    doc: object,
    text: str = "",
    *,
    font: str = FONT_BODY,
    size: Pt = SIZE_BODY,
    align: int | None = None,
    indent_chars: float = 0,
    right_indent_chars: float = 0,
    bold: bool = False,
    color: RGBColor | None = None,
) -> Paragraph:
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    if align is not None:
        paragraph.alignment = align
    if indent_chars:
        paragraph.paragraph_format.first_line_indent = Pt(SIZE_BODY.pt * indent_chars)
    if right_indent_chars:
        paragraph.paragraph_format.right_indent = Pt(SIZE_BODY.pt * right_indent_chars)
    if text:
        run = paragraph.add_run(clean_text(text))
        _set_fonts(run, font, size)
        run.bold = bold or None
        if color is not None:
            run.font.color.rgb = color
    return paragraph


def _labelled(doc: object, label: str, value: str) -> Paragraph:
    """提案人：张三 — the label in 黑体, the value in 仿宋."""
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    _set_fonts(paragraph.add_run(f"{label}："), FONT_HEADING, SIZE_BODY)
    _set_fonts(paragraph.add_run(clean_text(value)), FONT_BODY, SIZE_BODY)
    return paragraph


def _body(doc: object, text: str) -> None:
    """Each non-empty line of user text is one paragraph, first line indented two characters."""
    for line in clean_text(text).splitlines():
        line = line.strip()
        if line:
            _paragraph(doc, line, indent_chars=2)


def _title(doc: object, text: str, *, color: RGBColor | None = None) -> Paragraph:
    paragraph = _paragraph(
        doc, text, font=FONT_TITLE, size=SIZE_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, color=color
    )
    # A 22 pt title needs more than the 28.95 pt body pitch between its own lines.
    paragraph.paragraph_format.line_spacing = Pt(35)
    return paragraph


def _to_bytes(doc: object) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def confirmed_cosigner_names(proposal: Proposal) -> list[str]:
    """Confirmed co-signers in invitation order (uses the prefetch cache when there is one)."""
    rows = sorted(proposal.cosigners.all(), key=lambda c: c.pk)
    return [c.member.name for c in rows if c.status == CoSigner.Status.CONFIRMED]


def proposal_docx(proposal: Proposal) -> bytes:
    """The proposal as filed: committee and number, 案由 as the title, proposer and confirmed co-signers,
    category, then 案据 and 建议."""
    doc = _new_document()
    _paragraph(doc, proposal.committee.name, font=FONT_HEADING)
    _paragraph(doc, proposal.number_display, font=FONT_HEADING)
    _paragraph(doc)
    _title(doc, proposal.title)
    _paragraph(doc)
    proposer = proposal.proposer_name
    if proposal.kind == Proposal.Kind.COLLECTIVE and proposal.author_id:
        proposer = f"{proposer}（联系人：{proposal.author.name}）"  # type: ignore[union-attr]
    _labelled(doc, "提案人", proposer)
    cosigners = confirmed_cosigner_names(proposal)
    if cosigners:
        _labelled(doc, "联名人", "、".join(cosigners))
    _labelled(doc, "类别", proposal.get_category_display())
    if proposal.submitted_at:
        _labelled(doc, "提交日期", chinese_date(proposal.submitted_at))
    sections = [("案据", proposal.background), ("建议", proposal.suggestions)]
    numerals = "一二三四五六"
    for index, (label, text) in enumerate(s for s in sections if (s[1] or "").strip()):
        _paragraph(doc, f"{numerals[index]}、{label}", font=FONT_HEADING, indent_chars=2)
        _body(doc, text)
    return _to_bytes(doc)


def reply_salutation(proposal: Proposal) -> str:
    if proposal.kind == Proposal.Kind.INDIVIDUAL and proposal.author_id:
        return f"{proposal.author.name}委员："  # type: ignore[union-attr]
    return f"{proposal.proposer_name}："


def reply_title(proposal: Proposal) -> str:
    return f"关于{proposal.committee.name}{proposal.number_display}提案的答复"


def reply_docx(reply: Reply) -> bytes:
    """The unit's reply letter (信函格式): unit name, 文号, title, salutation, body, result, date, signature."""
    proposal = reply.proposal
    unit = reply.unit
    doc = _new_document()
    _title(doc, unit.name, color=RED)
    if reply.doc_number:
        _paragraph(doc, reply.doc_number, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc)
    if reply.result:
        _paragraph(doc, f"{reply.result}类", font=FONT_HEADING)
    _title(doc, reply_title(proposal))
    _paragraph(doc)
    _paragraph(doc, reply_salutation(proposal))
    _paragraph(
        doc,
        f"《{proposal.title}》（{proposal.number_display}）收悉。现答复如下：",
        indent_chars=2,
    )
    _body(doc, reply.letter)
    if reply.result:
        _paragraph(doc, f"办理结果：{reply.get_result_display()}", indent_chars=2)
    if unit.contact_name:
        _paragraph(doc, f"联系人：{unit.contact_name}", indent_chars=2)
    _paragraph(doc)
    _paragraph(doc, unit.name, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4)
    _paragraph(doc, chinese_date(reply.replied_at), align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4)
    return _to_bytes(doc)


# --------------------------------------------------------------------------------------------- Excel

LEDGER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("提案号", 26),
    ("案由", 48),
    ("提案人", 16),
    ("联名人", 24),
    ("类别", 12),
    ("状态", 10),
    ("主办单位", 24),
    ("会办单位", 28),
    ("办理期限", 12),
    ("答复日期", 12),
    ("办理结果", 9),
    ("满意度", 9),
    ("重点提案", 9),
    ("优秀提案", 9),
)
DATE_COLUMNS = frozenset({"办理期限", "答复日期"})
WRAP_COLUMNS = frozenset({"案由", "联名人", "主办单位", "会办单位"})


def _current_assignments(proposal: Proposal) -> list[Assignment]:
    """The assignments of the latest handling round: returned ones are history, not the handlers."""
    rows = sorted(proposal.assignments.all(), key=lambda a: (a.assigned_at, a.pk))
    live = [a for a in rows if a.status != Assignment.Status.RETURNED]
    return live or rows


def lead_unit_name(proposal: Proposal) -> str:
    leads = [a for a in _current_assignments(proposal) if a.role == Assignment.Role.LEAD]
    return leads[-1].unit.name if leads else ""


def co_unit_names(proposal: Proposal) -> list[str]:
    names: list[str] = []
    for a in _current_assignments(proposal):
        if a.role == Assignment.Role.CO and a.unit.name not in names:
            names.append(a.unit.name)
    return names


def latest_lead_reply(proposal: Proposal) -> Reply | None:
    leads = [r for r in proposal.replies.all() if r.role == Assignment.Role.LEAD]
    return max(leads, key=lambda r: (r.round, r.replied_at, r.pk)) if leads else None


def latest_rating(proposal: Proposal) -> str:
    rows = list(proposal.feedback.all())
    return max(rows, key=lambda f: (f.round, f.pk)).get_rating_display() if rows else ""


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    if value is None:
        return None
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def ledger_row(proposal: Proposal) -> list[object]:
    reply = latest_lead_reply(proposal)
    return [
        proposal.number_display if proposal.number is not None else "",
        proposal.title,
        proposal.proposer_name,
        "、".join(confirmed_cosigner_names(proposal)),
        proposal.get_category_display(),
        proposal.get_state_display(),
        lead_unit_name(proposal),
        "、".join(co_unit_names(proposal)),
        proposal.deadline,
        _local_date(reply.replied_at) if reply else None,
        reply.result if reply else "",
        latest_rating(proposal),
        "是" if proposal.is_key else "否",
        "是" if proposal.is_excellent else "否",
    ]


def ledger_xlsx(proposals: Iterable[Proposal], *, title: str = "提案汇总表") -> bytes:
    """One header row and one row per proposal. Expects the proposals prefetched (see
    queries/export_views): committee, session__term, author, party, sector, special_committee;
    cosigners__member, assignments__unit, replies, feedback."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "提案汇总表"
    header_font = Font(name="宋体", bold=True, size=11)
    body_font = Font(name="宋体", size=11)
    fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    names = [name for name, _ in LEDGER_COLUMNS]
    sheet.append(names)
    for index, (_, width) in enumerate(LEDGER_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = header_font
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 24
    for row_number, proposal in enumerate(proposals, start=2):
        _write_row(sheet, row_number, ledger_row(proposal), names, body_font, border)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(LEDGER_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    workbook.properties.title = title
    workbook.properties.creator = ""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_row(
    sheet: object, row_number: int, values: Sequence[object], names: list[str], font: Font, border: Border
) -> None:
    for column, (name, value) in enumerate(zip(names, values, strict=True), start=1):
        if isinstance(value, str):
            value = clean_text(value)
        cell = sheet.cell(row=row_number, column=column, value=value)  # type: ignore[attr-defined]
        if isinstance(value, str) and value.startswith(FORMULA_START):
            # Text typed by users is never a formula, and stays text when someone edits the cell.
            cell.data_type = "s"
            cell.quotePrefix = True
        cell.font = font
        cell.border = border
        if name in DATE_COLUMNS:
            cell.number_format = "yyyy-mm-dd"
        cell.alignment = Alignment(vertical="center", wrap_text=name in WRAP_COLUMNS)
