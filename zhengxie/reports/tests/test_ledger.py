"""Figures from imported ledgers reproduce a committee's published numbers. The example follows DOMAIN.md's
reports: 社情民意 315条 with 批示80次，同比增长515% (13 the year before), and 党派团体提出的集体提案19件，占集体提案总数
的八成 (19 of 24)."""

import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from zhengxie.opinions.importer import opinions_import
from zhengxie.proposals.importer import proposals_import
from zhengxie.reports.figures import annual_figures

pytestmark = pytest.mark.django_db


def xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def opinion_ledger(year: int, reports: int, instructed: list[int]) -> bytes:
    """`reports` rows; the first len(instructed) are adopted with that many instructions each."""
    header = ["年度", "标题", "反映人", "反映人类别", "报送情况", "采用情况", "批示数", "最高批示级别"]
    rows: list[list[object]] = []
    for i in range(reports):
        if i < len(instructed):
            rows.append([year, f"{year}年信息{i}", "张三", "委员", "已报送", "已采用", instructed[i], "市级"])
        else:
            rows.append(
                [year, f"{year}年信息{i}", "张三", "委员", "已报送" if i % 2 else "未报送", None, None, None]
            )
    return xlsx(header, rows)


def proposal_ledger(year: int) -> bytes:
    header = ["提案号", "年度", "届次", "案由", "提案人", "提案类型", "提案者类别", "审查结果"]
    parties = ["民革江门市委", "民盟江门市委", "民建江门市委", "民进江门市委", "农工党江门市委"]
    rows: list[list[object]] = []
    number = 0
    for i in range(19):
        number += 1
        rows.append(
            [f"{number:04d}", year, "十四", f"党派提案{i}", parties[i % 5], "集体", "党派团体", "立案"]
        )
    for i in range(5):
        number += 1
        rows.append([f"{number:04d}", year, "十四", f"界别提案{i}", "经济界", "集体", "界别", "立案"])
    for i in range(40):
        number += 1
        rows.append([f"{number:04d}", year, "十四", f"个人提案{i}", "张三", "个人", "委员", "立案"])
    return xlsx(header, rows)


def test_imported_ledgers_reproduce_the_published_figures(world):
    for data in (opinion_ledger(2021, 60, [1] * 13), opinion_ledger(2022, 315, [2] * 40)):
        result = opinions_import(committee=world.city, data=data, filename="台账.xlsx")
        assert result.ok, [str(e) for e in result.errors]
    result = proposals_import(committee=world.city, data=proposal_ledger(2022), filename="提案.xlsx")
    assert result.ok, [str(e) for e in result.errors]

    figures = annual_figures(world.city, 2022)
    assert figures["opinions"]["received"] == 315
    assert figures["opinions"]["instructions"] == 80
    assert figures["opinions"]["instructions_previous_year"] == 13
    assert figures["opinions"]["instructions_yoy"] == 5.1538  # 同比增长515%
    assert figures["proposals"]["collective"] == 24
    assert figures["proposals"]["collective_by_party"] == 19
    assert figures["proposals"]["collective_by_party_share"] == 0.7917  # 八成
    assert figures["proposals"]["received"] == 64 and figures["proposals"]["filing_rate"] == 1.0

    out = StringIO()
    call_command("annual_report", "--committee", "440700", "--year", "2022", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["opinions"]["instructions"] == 80 and printed["opinions"]["instructions_yoy"] == 5.1538
    assert printed["proposals"]["collective_by_party_share"] == 0.7917


def test_platform_entered_year_and_its_imported_ledger_agree(world):
    """A year of proposals entered through the platform's services, written out as the ledger an office would
    import, and imported into another committee: the two committees' figures are the same."""
    from zhengxie.org.models import Session, Term
    from zhengxie.proposals import services
    from zhengxie.proposals.models import CoSigner, Proposal

    term = Term.objects.create(committee=world.city, number=14, start_year=2022, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=4, year=2025)

    def proposal(title, *, cosign=False):
        p = services.proposal_draft_create(
            user=world.member_user,
            author=world.member,
            session=session,
            title=title,
            background="案据" * 10,
            suggestions="建议" * 10,
            category="social",
        )
        if cosign:
            services.cosigner_invite(proposal=p, user=world.member_user, members=[world.other_member])
            CoSigner.objects.filter(proposal=p).update(status=CoSigner.Status.CONFIRMED)
        return services.proposal_submit(proposal=p, user=world.member_user)

    def handled(title, result, rating=None, *, cosign=False):
        p = proposal(title, cosign=cosign)
        services.review_file(proposal=p, user=world.office)
        services.assignment_create(proposal=p, user=world.office, lead=world.unit)
        if result:
            services.reply_record(proposal=p, user=world.unit_user, letter="答复函", result=result)
        if rating:
            services.feedback_record(proposal=p, user=world.member_user, rating=rating)
        return Proposal.objects.get(pk=p.pk)

    first = handled("关于加强校园安全的建议", "A", "satisfied", cosign=True)
    services.key_mark(proposal=first, user=world.office, leaders=[world.other_member])
    services.excellent_mark(proposal=Proposal.objects.get(pk=first.pk), user=world.office)
    handled("关于改善学校供餐的建议", "B", "basic")
    handled("关于规范课后服务的建议", "C", "basic", cosign=True)
    handled("关于增加学位供给的建议", "")
    services.review_file(proposal=proposal("关于完善图书馆开放时间的建议"), user=world.office)
    services.review_not_file(
        proposal=proposal("关于个人待遇的建议"), user=world.office, reason="不属于提案范围"
    )
    platform = annual_figures(world.city, 2025)["proposals"]

    results = {"A": "A", "B": "B", "C": "C", "": ""}
    ratings = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
    header = ["年度", "届次", "提案号", "案由", "提案人", "提案类型", "提案者类别", "审查结果", "主办单位"]
    header += ["答复日期", "办理结果", "满意度", "重点提案", "督办领导", "优秀提案"]
    rows = []
    for p in Proposal.objects.filter(committee=world.city).order_by("number"):
        reply = p.replies.order_by("-round", "-id").first()
        feedback = p.feedback.order_by("-round", "-id").first()
        names = [p.author.name, *(c.member.name for c in p.cosigners.filter(status="confirmed"))]
        lead = p.assignments.exclude(status="returned").first()
        rows.append(
            [
                2025,
                "十四",
                p.number,
                p.title,
                "、".join(names),
                "个人",
                "委员",
                {"not_filed": "不立案", "merged": "并案"}.get(p.state, "立案"),
                lead.unit.name if lead else None,
                reply.replied_at.date() if reply else None,
                results[reply.result] if reply else None,
                ratings[feedback.rating] if feedback else None,
                "是" if p.is_key else "否",
                "、".join(s.leader.name for s in p.supervisions.all()) or None,
                "是" if p.is_excellent else "否",
            ]
        )
    result = proposals_import(committee=world.sibling, data=xlsx(header, rows), filename="提案汇总表.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    imported = annual_figures(world.sibling, 2025)["proposals"]
    assert platform["received"] == 6 and platform["member_participations"] == 8
    assert platform["result_a"] == platform["result_b"] == platform["result_c"] == 1
    assert imported == platform
