"""案例选编: a committee's good consultation cases of one year as a Word document in the GB/T 9704 layout of
zhengxie.proposals.documents (whose page, font and paragraph helpers it reuses). No access checks and no
audit here: the caller decides who may export and logs it."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH

from zhengxie.consultations.models import Consultation, Outcome
from zhengxie.org.models import Committee
from zhengxie.proposals.documents import (
    FONT_HEADING,
    _body,
    _labelled,
    _new_document,
    _paragraph,
    _title,
    _to_bytes,
    chinese_date,
)

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 23 -> 二十三 (headings number cases this way; enough for a year's cases)."""
    if n < 10:
        return DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    return str(n)


def good_cases(committee: Committee, year: int) -> list[Consultation]:
    outcomes = Outcome.objects.select_related("unit").order_by("number")
    return list(
        Consultation.objects.filter(committee=committee, is_good_case=True, held_on__year=year)
        .exclude(state=Consultation.State.CANCELLED)
        .select_related("station", "lead")
        .prefetch_related(Prefetch("outcomes", queryset=outcomes))
        .order_by("held_on", "id")
    )


def collection_title(year: int) -> str:
    return f"{year}年度协商议政优秀案例选编"


def form_label(consultation: Consultation) -> str:
    """专题议政性常委会议, 基层小微协商（有事来协商）, 调研 ..."""
    label = consultation.get_form_display() or consultation.get_kind_display()
    if consultation.kind != Consultation.Kind.CONSULTATION and consultation.form:
        label = f"{consultation.get_kind_display()}（{label}）"
    return f"{label}（{consultation.series}）" if consultation.series else label


def place_label(consultation: Consultation) -> str:
    place = consultation.place
    if consultation.station_id and consultation.station.name not in place:  # type: ignore[union-attr]
        place = f"{consultation.station.name}（{place}）" if place else consultation.station.name  # type: ignore[union-attr]
    return place


def outcome_line(outcome: Outcome) -> str:
    parts = [f"办理状态：{outcome.get_state_display()}"]
    if outcome.unit_id:
        parts.insert(0, f"承办单位：{outcome.unit.name}")  # type: ignore[union-attr]
    if outcome.state not in ("draft", "not_accepted"):
        parts.append(f"落实进度：{outcome.percent}%")
    return "；".join(parts)


def _case(doc: object, number: int, case: Consultation) -> None:
    doc.add_page_break()  # type: ignore[attr-defined]
    _paragraph(doc, f"案例{chinese_number(number)}", font=FONT_HEADING, align=WD_ALIGN_PARAGRAPH.CENTER)
    _title(doc, case.title)
    _paragraph(doc)
    _labelled(doc, "协商形式", form_label(case))
    _labelled(doc, "时间", chinese_date(case.held_on))
    place = place_label(case)
    if place:
        _labelled(doc, "地点", place)
    if case.lead_id:
        _labelled(doc, "牵头单位", case.lead.name)  # type: ignore[union-attr]
    sections: list[tuple[str, object]] = [
        ("案例简介", case.case_summary),
        ("协商情况", case.summary),
        ("协商成果及办理情况", list(case.outcomes.all())),
    ]
    index = 0
    for label, content in sections:
        if not content and label != "协商成果及办理情况":
            continue
        index += 1
        _paragraph(doc, f"{chinese_number(index)}、{label}", font=FONT_HEADING, indent_chars=2)
        if isinstance(content, str):
            _body(doc, content)
            continue
        if not content:
            _paragraph(doc, "本次协商未形成协商成果。", indent_chars=2)
        for outcome in content:  # type: ignore[attr-defined]
            _paragraph(doc, f"{outcome.number}．{outcome.text}", indent_chars=2)
            _paragraph(doc, f"（{outcome_line(outcome)}）", indent_chars=2)
            if outcome.response:
                _paragraph(doc, f"采纳情况：{outcome.response}", indent_chars=2)
            if outcome.feedback:
                _paragraph(doc, f"反馈情况：{outcome.feedback}", indent_chars=2)


def case_collection_docx(*, committee: Committee, year: int) -> bytes:
    """Title page, 目录, then one section per good case held in the year, in date order."""
    cases = good_cases(committee, year)
    doc = _new_document()
    for _ in range(4):
        _paragraph(doc)
    _title(doc, committee.name)
    _title(doc, collection_title(year))
    for _ in range(8):
        _paragraph(doc)
    _paragraph(doc, f"{committee.name}办公室编", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, chinese_date(timezone.localdate()), align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_page_break()
    _title(doc, "目  录")
    _paragraph(doc)
    if not cases:
        _paragraph(doc, "本年度暂无优秀案例。", indent_chars=2)
    for number, case in enumerate(cases, start=1):
        _paragraph(doc, f"案例{chinese_number(number)}　{case.title}")
    for number, case in enumerate(cases, start=1):
        _case(doc, number, case)
    doc.core_properties.title = f"{committee.name}{collection_title(year)}"
    return _to_bytes(doc)
