"""案例选编: the year's good cases of one committee as Word, opened with python-docx."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from zhengxie.consultations import documents, services
from zhengxie.consultations.models import Consultation, Form
from zhengxie.org.models import Member

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def good(cw, summary="一次协商办成一件实事。", **kwargs):  # type: ignore[no-untyped-def]
    c = cw.held(**kwargs)
    return services.case_mark(consultation=c, user=cw.world.office, summary=summary)


@pytest.fixture
def cases(cw):  # type: ignore[no-untyped-def]
    w = cw.world
    Member.objects.filter(pk=w.member.pk).update(station=cw.station)
    micro = good(
        cw,
        title="朝翠路路灯怎么亮起来",
        form=Form.MICRO,
        series="有事来协商",
        station_id=cw.station.pk,
        summary="村民反映朝翠路没有路灯。\n委员在工作室组织协商，一个月后路灯亮起。",
    )
    lit = cw.transferred(micro)
    lit = services.outcome_respond(outcome=lit, user=w.unit_user, accept=True, response="纳入亮化工程")
    services.outcome_progress(outcome=lit, user=w.unit_user, percent=50, note="已立杆")
    lit = services.outcome_complete(outcome=lit, user=w.unit_user, note="路灯亮起")
    services.outcome_report_back(outcome=lit, user=w.office, feedback="已向村民和委员反馈，群众满意")
    declined = cw.transferred(micro)
    services.outcome_respond(outcome=declined, user=w.unit_user, accept=False, response="列入明年计划")
    cw.outcome(micro, text="建立路灯日常巡查机制")
    standing = good(cw, title="推进城市更新专题议政", form=Form.STANDING, place="市政协常委会议室")
    cw.held(title="未评为案例的协商")
    old = good(cw, title="去年的案例", held_on=timezone.localdate() - timedelta(days=400))
    services.consultation_update(consultation=old, user=w.office, held_on=old.held_on)  # stays last year
    sibling = Consultation.objects.create(
        committee=w.sibling, title="贺州市的案例", held_on=cw.past, form=Form.OPEN, is_good_case=True,
        state=Consultation.State.HELD, case_summary="别人家的",
    )  # fmt: skip
    return micro, standing, sibling


def test_case_collection_has_title_page_contents_and_each_case(cw, cases):
    w = cw.world
    micro, standing, _ = cases
    year = cw.past.year
    data = documents.case_collection_docx(committee=w.city, year=year)
    doc = Document(io.BytesIO(data))
    text = text_of(data)
    assert f"{year}年度协商议政优秀案例选编" in text and "江门市政协办公室编" in text
    contents = text.index("目  录")
    first, second = sorted([micro, standing], key=lambda c: (c.held_on, c.pk))
    assert text.index(f"案例一　{first.title}", contents) < text.index(f"案例二　{second.title}", contents)
    body = text[text.index("案例一\n") :]
    for expected in [
        "朝翠路路灯怎么亮起来",
        "协商形式：基层小微协商（有事来协商）",
        f"时间：{cw.past.year}年{cw.past.month}月{cw.past.day}日",
        "地点：蓬江区委员工作室（江门市蓬江区）",
        "一、案例简介",
        "村民反映朝翠路没有路灯。",
        "二、协商情况",
        "三、协商成果及办理情况",
        "1．增设路灯",
        "（承办单位：江门市教育局；办理状态：已反馈办结；落实进度：100%）",
        "反馈情况：已向村民和委员反馈，群众满意",
        "（承办单位：江门市教育局；办理状态：未采纳）",
        "采纳情况：列入明年计划",
        "3．建立路灯日常巡查机制",
        "（办理状态：待转办）",
        "推进城市更新专题议政",
        "协商形式：专题议政性常委会议",
        "地点：市政协常委会议室",
    ]:
        assert expected in body, expected
    assert "未评为案例的协商" not in text and "去年的案例" not in text and "贺州市的案例" not in text
    # GB/T 9704: A4 with its margins, titles in 方正小标宋简体, headings in 黑体.
    section = doc.sections[0]
    sizes = (section.page_width, section.top_margin, section.left_margin)
    assert [round(size.mm) for size in sizes] == [210, 37, 28]
    title = next(p for p in doc.paragraphs if p.text == "朝翠路路灯怎么亮起来")
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    heading = next(p for p in doc.paragraphs if p.text == "一、案例简介")
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.core_properties.title == f"江门市政协{year}年度协商议政优秀案例选编"


def test_a_year_without_cases_says_so(cw, cases):
    text = text_of(documents.case_collection_docx(committee=cw.world.city, year=2001))
    assert "本年度暂无优秀案例。" in text and "案例一" not in text


def test_last_years_collection_holds_last_years_case(cw, cases):
    year = (timezone.localdate() - timedelta(days=400)).year
    text = text_of(documents.case_collection_docx(committee=cw.world.city, year=year))
    assert "去年的案例" in text and "朝翠路" not in text


def test_the_queries_do_not_grow_with_the_cases(cw, cases):
    w = cw.world
    with CaptureQueriesContext(connection) as many:
        documents.case_collection_docx(committee=w.city, year=cw.past.year)
    Consultation.objects.filter(committee=w.city).exclude(title="朝翠路路灯怎么亮起来").update(
        is_good_case=False
    )
    with CaptureQueriesContext(connection) as one:
        documents.case_collection_docx(committee=w.city, year=cw.past.year)
    assert len(one.captured_queries) == len(many.captured_queries) == 2


def test_pasted_control_characters_still_build(cw):
    c = good(cw)
    # Rows written before text was cleaned on the way in (or imported) may still hold them.
    Consultation.objects.filter(pk=c.pk).update(title="含控制字符\x0b的协商", case_summary="简介\x01内容")
    text = text_of(documents.case_collection_docx(committee=cw.world.city, year=c.held_on.year))
    assert "简介内容" in text and "含控制字符的协商" in text


def test_chinese_numbers():
    assert [documents.chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99)] == [
        "一", "九", "十", "十一", "二十", "二十三", "九十九",
    ]  # fmt: skip
