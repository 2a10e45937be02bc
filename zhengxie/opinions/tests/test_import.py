"""社情民意历史台账导入: the service, the command and the page, with real xlsx files built in memory."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from zhengxie.accounts.models import AuditLog
from zhengxie.duties.models import DutyRecord
from zhengxie.opinions import services
from zhengxie.opinions.importer import HISTORICAL_RECEIVER, opinions_import
from zhengxie.opinions.models import Forwarding, Instruction, OpinionReport, ReportState, ReportTransition
from zhengxie.org.models import Member, Party, Sector, Station
from zhengxie.testing.factories import MemberFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "年度",
    "标题",
    "反映人",
    "反映人类别",
    "提交日期",
    "报送情况",
    "采用情况",
    "批示数",
    "最高批示级别",
    "内容",
    "备注",
]


def xlsx(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    header = HEADER if header is None else header
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "年度": 2023,
        "标题": f"关于历史问题{n}的建议",
        "反映人": "张三",
        "内容": "情况与建议。",
    }
    values.update(overrides)
    return values


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e) for e in result.errors]


@pytest.fixture
def bodies(world):
    party = Party.objects.create(committee=world.city, name="中国民主同盟江门市委员会", short_name="民盟")
    station = Station.objects.create(committee=world.city, name="江海区委员工作室", kind="studio")
    return party, station


def test_good_file_imports_every_state_with_instructions(world, bodies):
    party, station = bodies
    sector = Sector.objects.get(pk=world.member.sector_id)
    data = xlsx(
        [
            row(1),  # 未报送 by default
            row(2, 报送情况="已报送", 提交日期="2023-03-01", 反映人="张三、李四"),
            row(3, 报送情况="已报送", 采用情况="已采用", 批示数=3, 最高批示级别="省级"),
            row(4, 反映人="民盟", 反映人类别="党派团体", 采用情况="已采用"),  # adoption implies forwarding
            row(5, 反映人=sector.name, 反映人类别="界别", 报送情况="已报送", 最高批示级别="市级"),
            row(6, 反映人="江海区委员工作室", 反映人类别="委员工作室", 年度="2022年", 内容=None),
        ]
    )
    result = opinions_import(committee=world.city, data=data, filename="台账.xlsx")
    assert result.ok, messages(result)
    assert result.created == 6 and result.instructions == 4
    reports = {r.title[6:7]: r for r in OpinionReport.objects.filter(imported=True)}
    assert reports["1"].state == ReportState.SUBMITTED and reports["1"].number is None
    assert reports["2"].state == ReportState.FORWARDED
    assert set(reports["2"].authors.values_list("name", flat=True)) == {"张三", "李四"}
    assert reports["2"].reflector_name == "张三、李四"
    assert reports["3"].state == ReportState.ADOPTED
    levels = list(
        Instruction.objects.filter(report=reports["3"]).order_by("id").values_list("level", flat=True)
    )
    assert levels == ["provincial", "", ""]
    assert all(i.imported for i in Instruction.objects.all())
    assert reports["4"].party == party and reports["4"].state == ReportState.ADOPTED
    assert (
        reports["5"].state == ReportState.ADOPTED
    )  # an instruction records adoption, as instruction_add does
    assert reports["6"].station == station and reports["6"].year == 2022 and reports["6"].situation
    forwarding = Forwarding.objects.get(report=reports["2"])
    assert (forwarding.target, forwarding.receiver, str(forwarding.forwarded_on)) == (
        "other",
        HISTORICAL_RECEIVER,
        "2023-03-01",
    )
    # Numbered per year like a live forwarding; every row has its import transition; no duty records.
    numbers = sorted(
        OpinionReport.objects.filter(year=2023, number__isnull=False).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4]
    assert ReportTransition.objects.filter(action="import").count() == 6
    assert not DutyRecord.objects.exists()
    summary = AuditLog.objects.get(action="import")
    assert summary.after["count"] == 6 and summary.committee_id == world.city.pk
    # A live forwarding later that year takes the next number.
    live = services.report_create(
        user=world.member_user, committee=world.city, title="新信息", situation="x", submit=True
    )
    OpinionReport.objects.filter(pk=live.pk).update(year=2023)
    live.refresh_from_db()
    services.report_forward(report=live, user=world.office, target="government")
    live.refresh_from_db()
    assert live.number == 5


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"年度": None}, "年度", "不能为空"),
        ({"年度": "二〇二三"}, "年度", "应为四位年份"),
        ({"年度": 2999}, "年度", "应为四位年份"),
        ({"标题": None}, "标题", "不能为空"),
        ({"标题": "长" * 201}, "标题", "内容过长"),
        ({"反映人": None}, "反映人", "不能为空"),
        ({"反映人": "赵六"}, "反映人", "没有名为“赵六”的在任委员"),
        ({"反映人": "民进", "反映人类别": "党派团体"}, "反映人", "没有名为“民进”的党派团体"),
        ({"反映人": "民盟、江海区委员工作室", "反映人类别": "党派团体"}, "反映人", "只能填写一个名称"),
        ({"反映人类别": "个人"}, "反映人类别", "应为委员、党派团体"),
        ({"提交日期": "2023-02-30"}, "提交日期", "不是有效日期"),
        ({"提交日期": "昨天"}, "提交日期", "日期格式"),
        ({"提交日期": "2019-05-01"}, "提交日期", "与年度2023不符"),
        ({"报送情况": "已经报了"}, "报送情况", "应为已报送或未报送"),
        ({"采用情况": "采用"}, "采用情况", "应为已采用或未采用"),
        ({"报送情况": "未报送", "采用情况": "已采用"}, "采用情况", "未报送的信息不能为已采用"),
        ({"批示数": "三", "报送情况": "已报送"}, "批示数", "应为0—99的整数"),
        ({"批示数": -1, "报送情况": "已报送"}, "批示数", "应为0—99的整数"),
        ({"批示数": 2}, "批示数", "未报送的信息不能有批示"),
        ({"批示数": 2, "报送情况": "已报送"}, "最高批示级别", "有批示时须填写最高批示级别"),
        ({"批示数": 0, "最高批示级别": "县级", "报送情况": "已报送"}, "批示数", "应大于0"),
        ({"最高批示级别": "乡级", "报送情况": "已报送"}, "最高批示级别", "应为国家级、省级、市级或县级"),
        ({"内容": "字" * 20001}, "内容", "内容过长"),
    ],
)
def test_each_bad_cell_is_named_and_nothing_is_saved(world, bodies, cells, column, message):
    data = xlsx([row(1), row(2, **cells), row(3)])
    result = opinions_import(committee=world.city, data=data, filename="台账.xlsx")
    texts = messages(result)
    assert any(t.startswith(f"第3行「{column}」：") and message in t for t in texts), texts
    assert not OpinionReport.objects.exists()
    assert not AuditLog.objects.filter(action="import").exists()


def test_every_error_is_reported_at_once(world):
    data = xlsx([row(1, 年度="abc"), row(2), row(3, 标题=None, 采用情况="x"), row(4, 反映人="查无此人")])
    result = opinions_import(committee=world.city, data=data, filename="台账.xlsx")
    assert messages(result) == [
        f"第2行「年度」：应为四位年份（1949—{timezone.localdate().year}），而不是“abc”",
        "第4行「标题」：不能为空",
        "第4行「采用情况」：应为已采用或未采用，而不是“x”",
        "第5行「反映人」：本政协没有名为“查无此人”的在任委员",
    ]
    assert not OpinionReport.objects.exists()


def test_ambiguous_and_inactive_members(world):
    MemberFactory(committee=world.city, name="张三")  # a second active 张三
    MemberFactory(
        committee=world.city,
        name="王七",
        status=Member.Status.LEFT,
    )
    result = opinions_import(
        committee=world.city, data=xlsx([row(1), row(2, 反映人="王七")]), filename="a.xlsx"
    )
    texts = messages(result)
    assert "第2行「反映人」：本政协有多名在任委员名为“张三”，无法确定是哪一位" in texts
    assert "第3行「反映人」：本政协没有名为“王七”的在任委员" in texts


def test_a_member_of_another_committee_is_unknown(world):
    result = opinions_import(committee=world.city, data=xlsx([row(1, 反映人="王五")]), filename="a.xlsx")
    assert messages(result) == ["第2行「反映人」：本政协没有名为“王五”的在任委员"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (b"just some text, not a spreadsheet", "不是有效的Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版Excel"),
        (b"PK\x03\x04broken", "已损坏"),
    ],
)
def test_hostile_or_wrong_files_are_refused(world, data, message):
    result = opinions_import(committee=world.city, data=data, filename="x.xlsx")
    assert len(result.errors) == 1 and message in str(result.errors[0])
    assert "花名册" not in str(result.errors[0])
    assert not OpinionReport.objects.exists()


def test_zip_bomb_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    result = opinions_import(committee=world.city, data=buffer.getvalue(), filename="bomb.xlsx")
    assert len(result.errors) == 1 and ("过大" in str(result.errors[0]) or "压缩" in str(result.errors[0]))


def test_header_problems(world):
    result = opinions_import(
        committee=world.city, data=xlsx([row(1)], header=["年度", "内容", "内容"]), filename="a"
    )
    texts = messages(result)
    assert "第1行「内容」：表头中该列出现了两次" in texts
    assert "第1行「标题」：缺少必填列「标题」" in texts and "第1行「反映人」：缺少必填列「反映人」" in texts
    result = opinions_import(committee=world.city, data=xlsx([]), filename="a.xlsx")
    assert messages(result) == ["表格中没有社情民意数据（表头以下为空）"]


def test_command(world, tmp_path):
    good = tmp_path / "ledger.xlsx"
    good.write_bytes(
        xlsx([row(1), row(2, 报送情况="已报送", 采用情况="已采用", 批示数=2, 最高批示级别="国家级")])
    )
    out = io.StringIO()
    call_command("import_opinions", str(good), "--committee", "440700", stdout=out)
    assert "成功导入2条" in out.getvalue() and "批示2次" in out.getvalue()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([row(1, 反映人="查无此人")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何信息"):
        call_command("import_opinions", str(bad), "--committee", "440700", stderr=err)
    assert "第2行「反映人」" in err.getvalue()
    with pytest.raises(CommandError, match="未找到行政区划代码"):
        call_command("import_opinions", str(good), "--committee", "999999")
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_opinions", str(tmp_path / "none.xlsx"), "--committee", "440700")
    assert OpinionReport.objects.count() == 2


def test_upload_page(world, client):
    client.force_login(world.office)
    url = reverse("opinions:import")
    bad = SimpleUploadedFile("bad.xlsx", xlsx([row(1, 年度="x")]))
    response = client.post(url, {"file": bad})
    assert "第2行「年度」" in response.content.decode() and not OpinionReport.objects.exists()
    good = SimpleUploadedFile("good.xlsx", xlsx([row(1), row(2, 报送情况="已报送")]))
    response = client.post(url, {"file": good})
    assert "成功导入2条" in response.content.decode()
    assert OpinionReport.objects.filter(committee=world.city, imported=True).count() == 2
    # Another committee's id in the form is not the caller's to import into.
    response = client.post(
        url, {"committee": world.sibling.pk, "file": SimpleUploadedFile("g.xlsx", xlsx([row(3)]))}
    )
    assert response.status_code == 404
    assert OpinionReport.objects.count() == 2
