"""历史提案导入: the service and the command, with real xlsx files built in memory."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from zhengxie.accounts.models import AuditLog, User
from zhengxie.org.models import HandlingUnit, Member, Party, Sector, Session, Term
from zhengxie.proposals.importer import parse_chinese_int, parse_date, proposals_import
from zhengxie.proposals.models import (
    Assignment,
    CoSigner,
    Feedback,
    Proposal,
    Reply,
    State,
    Supervision,
    Transition,
)

HEADER = [
    "提案号",
    "年度",
    "届次",
    "案由",
    "提案人",
    "提案类型",
    "提案者类别",
    "界别",
    "提交日期",
    "审查结果",
    "主办单位",
    "会办单位",
    "答复日期",
    "办理结果",
    "满意度",
    "重点提案",
    "督办领导",
    "优秀提案",
    "内容",
    "备注",  # extra column, ignored
]


def xlsx(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    header = HEADER if header is None else header
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.create_sheet("说明").append(["第二个工作表不读"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "提案号": f"{n:04d}",
        "年度": 2023,
        "届次": "十四",
        "案由": f"关于历史问题{n}的建议",
        "提案人": "张三",
        "提交日期": "2023-01-10",
        "审查结果": "立案",
        "内容": "情况说明。\n建议如下。",
        "备注": "忽略",
    }
    values.update(overrides)
    return values


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e) for e in result.errors]


@pytest.fixture
def city(world):  # type: ignore[no-untyped-def]
    return world.city


def imported(city) -> int:  # type: ignore[no-untyped-def]
    return Proposal.objects.filter(committee=city).count()


def full_file() -> bytes:
    return xlsx(
        [
            row(1, 审查结果="待审查"),
            row(2, 审查结果="不立案"),
            row(3, 审查结果="并案"),
            row(4),  # filed
            row(5, 主办单位="江门市教育局", 会办单位="江门市财政局、江门市民政局"),  # assigned
            row(
                6,
                提案人="张三、李四、新委员甲",
                主办单位="江门市教育局",
                答复日期="2023/5/1",
                办理结果="B",
            ),  # replied
            row(
                7,
                提案人="新委员乙",
                界别="经济界",
                主办单位="江门市交通运输局",
                答复日期="2023年6月2日",
                办理结果="A",
                满意度="满意",
                重点提案="是",
                督办领导="李四",
                优秀提案="是",
            ),  # closed
            row(
                12,
                年度=2024,
                届次=None,  # inferred from the term the file creates
                提案人="民建江门市委",
                提案类型="集体",
                提案者类别="党派团体",
                主办单位="江门市教育局",
                答复日期=datetime.datetime(2024, 7, 3),
                办理结果="C",
                满意度="基本满意",
            ),
            row(99, 年度=2024, 届次=None, 提案号=None),  # numbered after 12
        ]
    )


def test_import_happy_path_states_units_numbers(world, city):  # type: ignore[no-untyped-def]
    result = proposals_import(committee=city, data=full_file(), filename="2023提案.xlsx")
    assert messages(result) == []
    assert result.created == 9
    counts = {
        s: Proposal.objects.filter(committee=city, state=s).count()
        for s in ("submitted", "not_filed", "merged", "filed", "assigned", "replied", "closed")
    }
    assert counts == {
        "submitted": 1,
        "not_filed": 1,
        "merged": 1,
        "filed": 2,
        "assigned": 1,
        "replied": 1,
        "closed": 2,
    }
    assert result.by_state == {k: v for k, v in counts.items()}

    term = Term.objects.get(committee=city, number=14)
    assert (term.start_year, term.end_year) == (2023, 2027)
    s2023 = Session.objects.get(committee=city, year=2023)
    s2024 = Session.objects.get(committee=city, year=2024)
    assert (s2023.term, s2023.number, s2024.term, s2024.number) == (term, 1, term, 2)
    assert sorted(Proposal.objects.filter(session=s2023).values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    assert sorted(Proposal.objects.filter(session=s2024).values_list("number", flat=True)) == [12, 13]
    assert Proposal.objects.get(session=s2023, number=1).number_display == "十四届一次会议第0001号"

    units = set(HandlingUnit.objects.filter(committee=city).values_list("name", flat=True))
    assert {"江门市教育局", "江门市财政局", "江门市民政局", "江门市交通运输局"} <= units
    assert sorted(result.created_units) == ["江门市交通运输局", "江门市民政局", "江门市财政局"]
    assert HandlingUnit.objects.filter(committee=city, name="江门市教育局").count() == 1  # existing reused

    replied = Proposal.objects.get(session=s2023, number=6)
    assert replied.author == world.member
    assert set(
        CoSigner.objects.filter(proposal=replied, status="confirmed").values_list("member__name", flat=True)
    ) == {"李四", "新委员甲"}
    reply = Reply.objects.get(proposal=replied)
    assert (reply.result, reply.role, reply.unit.name) == ("B", "lead", "江门市教育局")
    assert reply.replied_at.date() == datetime.date(2023, 5, 1)
    assert set(Assignment.objects.filter(proposal=replied).values_list("status", flat=True)) == {"done"}

    assigned = Proposal.objects.get(session=s2023, number=5)
    assert {(a.unit.name, a.role, a.status) for a in assigned.assignments.all()} == {
        ("江门市教育局", "lead", "active"),
        ("江门市财政局", "co", "active"),
        ("江门市民政局", "co", "active"),
    }
    assert assigned.deadline == datetime.date(2023, 1, 10) + datetime.timedelta(days=91)

    closed = Proposal.objects.get(session=s2023, number=7)
    assert closed.is_key and closed.is_excellent
    assert closed.author.name == "新委员乙" and closed.author.sector.name == "经济界"
    assert Feedback.objects.get(proposal=closed).rating == "satisfied"
    assert Supervision.objects.get(proposal=closed).leader == world.other_member

    collective = Proposal.objects.get(session=s2024, number=12)
    assert collective.kind == "collective" and collective.author is None
    assert collective.party == Party.objects.get(committee=city, name="民建江门市委")
    assert collective.proposer_name == "民建江门市委"
    assert Reply.objects.get(proposal=collective).replied_at.date() == datetime.date(2024, 7, 3)

    new_member = Member.objects.get(committee=city, name="新委员甲")
    assert new_member.sector == Sector.objects.get(committee=city, name="其他")

    system = User.objects.get(username="import")
    assert not system.is_active
    assert set(Proposal.objects.filter(committee=city).values_list("created_by", flat=True)) == {system.pk}
    transitions = Transition.objects.filter(proposal__committee=city)
    assert transitions.count() == 9
    assert set(transitions.values_list("action", "from_state")) == {("import", "draft")}
    assert transitions.get(proposal=closed).to_state == State.CLOSED


def test_import_writes_audit_rows(city):  # type: ignore[no-untyped-def]
    proposals_import(committee=city, data=full_file(), filename="2023提案.xlsx")
    summary = AuditLog.objects.get(action="import", committee=city)
    assert summary.after["count"] == 9
    assert summary.after["filename"] == "2023提案.xlsx"
    assert AuditLog.objects.filter(action="create", object_type="proposals.Proposal").count() == 9
    for label in ("Reply", "Assignment", "Feedback", "Transition", "CoSigner", "Supervision"):
        assert AuditLog.objects.filter(action="create", object_type=f"proposals.{label}").exists(), label
    new_units = ["江门市财政局", "江门市民政局", "江门市交通运输局"]
    assert (
        AuditLog.objects.filter(
            action="create", object_type="org.HandlingUnit", object_repr__in=new_units
        ).count()
        == 3
    )


def test_import_one_bad_row_imports_nothing_and_names_row_and_column(city):  # type: ignore[no-untyped-def]
    data = xlsx([row(1), row(2, 主办单位="某局", 答复日期="2023-05-01", 办理结果="D"), row(3)])
    result = proposals_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == ["第3行「办理结果」：应为A、B或C，而不是“D”"]
    assert imported(city) == 0
    assert not HandlingUnit.objects.filter(name="某局").exists()
    assert not Term.objects.filter(committee=city).exists()
    assert not AuditLog.objects.filter(action="import").exists()


def test_import_bad_date_format_reported(city):  # type: ignore[no-untyped-def]
    data = xlsx([row(1, 提交日期="2023.5.1"), row(2, 提交日期="2023-02-30")])
    result = proposals_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == [
        "第2行「提交日期」：日期格式应为2023-05-01、2023/5/1或2023年5月1日，而不是“2023.5.1”",
        "第3行「提交日期」：不是有效日期：“2023-02-30”",
    ]
    assert imported(city) == 0


def test_import_every_bad_cell_reported(city):  # type: ignore[no-untyped-def]
    data = xlsx(
        [
            row(1, 年度="二三年", 案由=None, 满意度="很好", 重点提案="对"),
            row(2, 审查结果="不立案", 主办单位="某局"),
            row(3, 办理结果="A"),
            row(5),
            row(5),  # duplicate number
        ]
    )
    result = proposals_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == [
        f"第2行「年度」：应为四位年份（1949—{timezone.localdate().year + 1}），而不是“二三年”",
        "第2行「案由」：不能为空",
        "第2行「满意度」：应为满意、基本满意或不满意，而不是“很好”",
        "第2行「重点提案」：应为是或否，而不是“对”",
        "第3行「主办单位」：审查结果为“不立案”的提案不能填写",
        "第4行「主办单位」：已交办或已答复的提案须填写主办单位",
        "第4行「答复日期」：填写了办理结果时须填写答复日期",
        "第6行「提案号」：与第5行重复",
    ]


def test_import_number_taken_in_database_reported(pw):  # type: ignore[no-untyped-def]
    pw.bring_to(State.SUBMITTED)  # 十四届二次会议 (2026) 第0001号
    data = xlsx([row(1, 年度=2026), row(2, 年度=2026)])
    result = proposals_import(committee=pw.world.city, data=data, filename="a.xlsx")
    assert messages(result) == ["第2行「提案号」：本次会议已有该编号的提案"]


def test_import_uses_existing_term_and_session(pw):  # type: ignore[no-untyped-def]
    data = xlsx([row(5, 年度=2026, 届次=None), row(6, 年度=2025, 届次=None)])
    result = proposals_import(committee=pw.world.city, data=data, filename="a.xlsx")
    assert messages(result) == []
    assert Proposal.objects.get(number=5).session == pw.session
    assert str(Proposal.objects.get(number=6).session) == "十四届三次会议"  # term 14 starts in 2023
    assert Term.objects.filter(committee=pw.world.city).count() == 1


def test_import_without_term_and_no_terms_reported(city):  # type: ignore[no-untyped-def]
    result = proposals_import(committee=city, data=xlsx([row(1, 届次=None)]), filename="a.xlsx")
    assert messages(result) == ["第2行「届次」：本政协尚未设置届次，请填写届次"]


def test_import_missing_required_column_reported(city):  # type: ignore[no-untyped-def]
    data = xlsx([{"年度": 2023, "案由": "关于某事的建议"}], header=["年度", "案由"])
    result = proposals_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == ["第1行「提案人」：缺少必填列「提案人」"]


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.4 not a workbook"])
def test_import_not_xlsx_refused(city, data):  # type: ignore[no-untyped-def]
    result = proposals_import(committee=city, data=data, filename="a.xlsx")
    assert len(result.errors) == 1
    assert "花名册" not in str(result.errors[0])
    assert imported(city) == 0


def test_import_not_xlsx_message(city):  # type: ignore[no-untyped-def]
    result = proposals_import(committee=city, data=b"hello", filename="a.xlsx")
    assert messages(result) == ["文件不是有效的Excel（.xlsx）文件，请在Excel中保存为.xlsx后导入"]


def test_import_zip_bomb_refused(city):  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    result = proposals_import(committee=city, data=buffer.getvalue(), filename="a.xlsx")
    assert messages(result) == ["文件解压后过大（超过50 MB），疑似异常文件，已拒绝导入"]


def test_import_file_too_large_refused(city, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 1024
    result = proposals_import(committee=city, data=xlsx([row(1)]), filename="a.xlsx")
    assert str(result.errors[0]).startswith("文件过大")
    assert imported(city) == 0


def test_parse_date_accepts_the_documented_forms():  # type: ignore[no-untyped-def]
    expected = datetime.date(2023, 5, 1)
    for value in ("2023-05-01", "2023/5/1", "2023年5月1日", datetime.datetime(2023, 5, 1), expected, 45047):
        assert parse_date(value) == expected, value


def test_parse_chinese_int():  # type: ignore[no-untyped-def]
    assert [
        parse_chinese_int(t) for t in ("14", "十四", "第十四届", "十", "二十一", "九", "零", "十四五", "x")
    ] == [
        14,
        14,
        14,
        10,
        21,
        9,
        None,
        None,
        None,
    ]


def test_import_proposals_command(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "p.xlsx"
    path.write_bytes(full_file())
    out = io.StringIO()
    call_command("import_proposals", str(path), "--committee", "440700", stdout=out)
    assert "成功导入9件提案到江门市政协" in out.getvalue()
    assert imported(city) == 9
    summary = AuditLog.objects.get(action="import", committee=city)
    assert summary.actor_label == "import_proposals"


def test_import_proposals_command_bad_row_fails(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "p.xlsx"
    path.write_bytes(xlsx([row(1, 满意度="满意")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何提案"):
        call_command("import_proposals", str(path), "--committee", "440700", stderr=err)
    assert "第2行「满意度」：尚未答复的提案不能填写满意度" in err.getvalue()
    assert imported(city) == 0


def test_import_proposals_command_unknown_committee_fails(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "p.xlsx"
    path.write_bytes(xlsx([row(1)]))
    with pytest.raises(CommandError, match="未找到"):
        call_command("import_proposals", str(path), "--committee", "999999")
