"""花名册导入: the service, the page and the command, with real xlsx files built in memory."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhengxie.accounts import crypto
from zhengxie.accounts.models import AuditLog
from zhengxie.org import roster_views
from zhengxie.org.models import Member, SpecialCommittee
from zhengxie.org.roster import COLUMNS, MAX_ROWS, RosterError, roster_import
from zhengxie.testing.factories import PartyFactory, SectorFactory, StationFactory

HEADER = [
    "姓名",
    "性别",
    "出生年份",
    "界别",
    "党派",
    "职务",
    "专门委员会",
    "中共党员",
    "港澳委员",
    "身份证号",
    "手机号",
]


def xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER if header is None else header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person(n: int, header: list[str] = HEADER, **overrides: Any) -> list[Any]:
    values = {
        "姓名": f"导入委员{n}",
        "性别": "女" if n % 2 else "男",
        "出生年份": 1970 + n,
        "界别": "经济界",
        "党派": "民建",
        "职务": "委员",
        "专门委员会": "经济委员会、提案委员会",
        "中共党员": "否",
        "港澳委员": "否",
        "身份证号": crypto.id_number_with_check(f"44070319800101{n:03d}"),
        "手机号": f"1370000{n:04d}",
        "工作单位": "",
    }
    values.update(overrides)
    return [values[c] for c in header]


@pytest.fixture
def city(world):  # type: ignore[no-untyped-def]
    SectorFactory(committee=world.city, name="经济界")
    SectorFactory(committee=world.city, name="教育界")
    PartyFactory(committee=world.city, name="中国民主建国会", short_name="民建")
    SpecialCommittee.objects.create(committee=world.city, name="经济委员会")
    SpecialCommittee.objects.create(committee=world.city, name="提案委员会")
    StationFactory(committee=world.city, name="江海区委员工作室")
    return world.city


def imported(committee) -> int:  # type: ignore[no-untyped-def]
    return Member.objects.filter(committee=committee, name__startswith="导入委员").count()


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e) for e in result.errors]


def test_roster_import_valid_rows_creates_members(city):  # type: ignore[no-untyped-def]
    before_audit = AuditLog.objects.count()
    result = roster_import(committee=city, data=xlsx([person(1), person(2), person(3)]), filename="名单.xlsx")
    assert messages(result) == []
    assert result.created == 3
    assert imported(city) == 3
    member = Member.objects.get(committee=city, name="导入委员2")
    assert member.gender == "M"
    assert member.birth_year == 1972
    assert member.sector.name == "经济界"
    assert member.party.short_name == "民建"
    assert member.position == Member.Position.MEMBER
    assert sorted(s.name for s in member.special_committees.all()) == ["提案委员会", "经济委员会"]
    assert member.mobile == "13700000002"
    assert member.mobile_index == crypto.blind_index("13700000002")
    assert member.id_number_index == crypto.blind_index(member.id_number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile, id_number FROM org_member WHERE id = %s", [member.pk])
        raw_mobile, raw_id = cursor.fetchone()
    assert raw_mobile.startswith("enc1:") is True
    assert raw_id.startswith("enc1:") is True
    creates = AuditLog.objects.filter(action="create", object_type="org.Member", result="花名册导入")
    assert creates.count() == 3
    assert "1370000" not in str(creates.get(object_id=str(member.pk)).after)
    summary = AuditLog.objects.get(action="import")
    assert summary.committee_id == city.pk
    assert summary.result == "花名册导入3人"
    assert summary.after == {"count": 3, "filename": "名单.xlsx"}
    assert AuditLog.objects.count() - before_audit == 4


def test_roster_import_columns_any_order_extra_ignored(city):  # type: ignore[no-untyped-def]
    header = ["备注", "界别", "姓名", "职务", "所属站点", "工作单位"]
    data = xlsx([["随便", "教育界", "导入委员1", "常委", "江海区委员工作室", "江门一中"]], header=header)
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == []
    member = Member.objects.get(committee=city, name="导入委员1")
    assert member.position == Member.Position.STANDING
    assert member.station.name == "江海区委员工作室"
    assert member.enterprise == "江门一中"
    assert member.mobile == ""
    assert member.id_number_index == ""


def test_roster_import_one_bad_row_imports_nothing(city):  # type: ignore[no-untyped-def]
    data = xlsx([person(1), person(2), person(3), person(4, 界别="外星界"), person(5)])
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert result.created == 0
    assert messages(result) == ["第5行「界别」：未知界别“外星界”"]
    assert result.errors[0] == RosterError(row=5, column="界别", message="未知界别“外星界”")
    assert imported(city) == 0
    assert AuditLog.objects.filter(action="import").count() == 0


def test_roster_import_several_bad_cells_all_reported(city):  # type: ignore[no-untyped-def]
    rows = [
        person(1, 性别="未知", 出生年份="七零"),
        person(2, 姓名="", 职务="会长", 专门委员会="经济委员会、不存在委员会"),
        person(3, 身份证号="440703198001010000", 手机号="12345"),
        person(4, 党派="某党", 中共党员="也许"),
    ]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "性别"),
        (2, "出生年份"),
        (3, "姓名"),
        (3, "职务"),
        (3, "专门委员会"),
        (4, "身份证号"),
        (4, "手机号"),
        (5, "党派"),
        (5, "中共党员"),
    ]
    assert "第3行「专门委员会」：未知专门委员会“不存在委员会”" in messages(result)
    assert imported(city) == 0


def test_roster_import_too_long_cell_reports_error(city):  # type: ignore[no-untyped-def]
    header = [*HEADER, "工作单位"]
    rows = [person(1, header, 姓名="长" * 5000, 工作单位="单" * 101, 身份证号="4" * 30000)]
    result = roster_import(committee=city, data=xlsx(rows, header=header), filename="a.xlsx")
    assert messages(result) == [
        "第2行「姓名」：内容过长（最多30个字符）",
        "第2行「工作单位」：内容过长（最多100个字符）",
        "第2行「身份证号」：内容过长（最多200个字符）",
    ]


@pytest.mark.parametrize(
    "data",
    [b"hello", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"PK\x03\x04 not really a zip", b""],
)
def test_roster_import_not_xlsx_refused(city, data):  # type: ignore[no-untyped-def]
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert result.created == 0
    assert len(result.errors) == 1
    assert result.errors[0].row is None
    assert "文件" in str(result.errors[0])
    assert imported(city) == 0


def test_roster_import_zip_not_workbook_refused(city):  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    result = roster_import(committee=city, data=buffer.getvalue(), filename="a.xlsx")
    assert messages(result) == ["文件已损坏或不是有效的Excel（.xlsx）文件"]


def test_roster_import_legacy_xls_refused(city):  # type: ignore[no-untyped-def]
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    result = roster_import(committee=city, data=data, filename="a.xls")
    assert messages(result) == ["不支持旧版Excel（.xls）文件，请在Excel中“另存为”.xlsx格式后再导入"]


def test_roster_import_zip_bomb_refused(city):  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == ["文件解压后过大（超过50 MB），疑似异常文件，已拒绝导入"]


def test_roster_import_high_ratio_entry_refused(city):  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    result = roster_import(committee=city, data=buffer.getvalue(), filename="a.xlsx")
    assert messages(result) == ["文件压缩比异常，疑似压缩炸弹，已拒绝导入"]


def test_roster_import_file_too_large_refused(city, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 1024
    result = roster_import(committee=city, data=xlsx([person(1)]), filename="a.xlsx")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith("文件过大") is True
    assert imported(city) == 0


def test_roster_import_missing_header_reported(city):  # type: ignore[no-untyped-def]
    data = xlsx([["导入委员1", "男"]], header=["姓名", "性别"])
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == ["第1行「界别」：缺少必填列「界别」"]


def test_roster_import_empty_sheet_reported(city):  # type: ignore[no-untyped-def]
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = roster_import(committee=city, data=buffer.getvalue(), filename="a.xlsx")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith("表格为空") is True


def test_roster_import_header_only_reported(city):  # type: ignore[no-untyped-def]
    result = roster_import(committee=city, data=xlsx([]), filename="a.xlsx")
    assert messages(result) == ["表格中没有委员数据（表头以下为空）"]


def test_roster_import_blank_rows_keep_excel_row_numbers(city):  # type: ignore[no-untyped-def]
    data = xlsx([person(1), [], [None] * len(HEADER), person(2, 界别="外星界")])
    result = roster_import(committee=city, data=data, filename="a.xlsx")
    assert messages(result) == ["第5行「界别」：未知界别“外星界”"]


def test_roster_import_too_many_rows_refused(city):  # type: ignore[no-untyped-def]
    rows = [["导入委员", "经济界"]] * (MAX_ROWS + 1)
    result = roster_import(committee=city, data=xlsx(rows, header=["姓名", "界别"]), filename="a.xlsx")
    assert messages(result) == [f"数据行超过{MAX_ROWS}行，请分批导入"]
    assert imported(city) == 0


def test_roster_import_duplicate_id_in_file_reported(city):  # type: ignore[no-untyped-def]
    same_id = crypto.id_number_with_check("44070319800101001")
    rows = [person(1), person(2, 身份证号=same_id)]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert messages(result) == ["第3行「身份证号」：与第2行重复"]
    assert imported(city) == 0


def test_roster_import_duplicate_mobile_in_file_reported(city):  # type: ignore[no-untyped-def]
    rows = [person(1), person(2, 手机号="137-0000-0001")]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert messages(result) == ["第3行「手机号」：与第2行重复"]


def test_roster_import_existing_member_id_reported(world, city):  # type: ignore[no-untyped-def]
    rows = [person(1), person(2, 身份证号=world.member.id_number)]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert messages(result) == ["第3行「身份证号」：本政协已有该身份证号的委员（张三），不能重复导入"]
    assert imported(city) == 0


def test_roster_import_same_id_in_other_committee_allowed(world, city):  # type: ignore[no-untyped-def]
    rows = [person(1, 身份证号=world.sibling_member.id_number)]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert messages(result) == []
    assert result.created == 1


def test_roster_import_numeric_cells_accepted(city):  # type: ignore[no-untyped-def]
    rows = [person(1, 手机号=13700000001, 出生年份=1980.0)]
    result = roster_import(committee=city, data=xlsx(rows), filename="a.xlsx")
    assert messages(result) == []
    assert Member.objects.get(committee=city, name="导入委员1").mobile == "13700000001"


def test_roster_import_view_office_imports(world, city, client):  # type: ignore[no-untyped-def]
    client.force_login(world.office)
    upload = SimpleUploadedFile("名单.xlsx", xlsx([person(1), person(2)]))
    response = client.post(reverse("org:roster_import"), {"committee": city.pk, "file": upload})
    assert response.status_code == 200
    assert "成功导入2名委员" in response.content.decode()
    assert imported(city) == 2
    assert AuditLog.objects.get(action="import").actor_id == world.office.pk


def test_roster_import_view_lists_all_errors(world, city, client):  # type: ignore[no-untyped-def]
    client.force_login(world.office)
    upload = SimpleUploadedFile("名单.xlsx", xlsx([person(1, 界别="外星界"), person(2, 性别="未知")]))
    response = client.post(reverse("org:roster_import"), {"committee": city.pk, "file": upload})
    content = response.content.decode()
    assert response.status_code == 200
    assert "第2行「界别」：未知界别“外星界”" in content
    assert "第3行「性别」" in content
    assert imported(city) == 0


def test_roster_import_view_get_defaults_to_own_committee(world, city, client):  # type: ignore[no-untyped-def]
    client.force_login(world.office)
    response = client.get(reverse("org:roster_import"))
    assert response.status_code == 200
    assert response.context["committee"] == city
    assert "花名册导入" in response.content.decode()


def test_roster_import_view_member_gets_404(world, city, client):  # type: ignore[no-untyped-def]
    client.force_login(world.member_user)
    assert client.get(reverse("org:roster_import")).status_code == 404
    upload = SimpleUploadedFile("名单.xlsx", xlsx([person(1)]))
    response = client.post(reverse("org:roster_import"), {"committee": city.pk, "file": upload})
    assert response.status_code == 404
    assert imported(city) == 0


def test_roster_import_view_sibling_office_gets_404(world, city, client):  # type: ignore[no-untyped-def]
    client.force_login(world.sibling_office)
    upload = SimpleUploadedFile("名单.xlsx", xlsx([person(1)]))
    response = client.post(reverse("org:roster_import"), {"committee": city.pk, "file": upload})
    assert response.status_code == 404
    assert imported(city) == 0


def test_roster_import_view_anonymous_redirected(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("org:roster_import"))
    assert response.status_code == 302


def test_roster_template_view_returns_workbook(world, rf):  # type: ignore[no-untyped-def]
    request = rf.get("/roster/template/")
    request.user = world.office
    response = roster_views.roster_template(request)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%A7%94%E5%91%98%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 2


def test_roster_template_example_imports_cleanly(city):  # type: ignore[no-untyped-def]
    from zhengxie.org.roster import template_workbook_bytes

    result = roster_import(committee=city, data=template_workbook_bytes(), filename="模板.xlsx")
    assert messages(result) == []
    assert result.created == 1


def test_import_roster_command_imports(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([person(1), person(2), person(3)]))
    out = io.StringIO()
    call_command("import_roster", str(path), "--committee", "440700", stdout=out)
    assert "成功导入3名委员" in out.getvalue()
    assert imported(city) == 3


def test_import_roster_command_bad_row_fails(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([person(1), person(2, 界别="外星界")]))
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_roster", str(path), "--committee", "440700", stderr=err)
    assert str(excinfo.value) == "导入失败：共1处错误，未导入任何委员"
    assert err.getvalue().strip() == "第3行「界别」：未知界别“外星界”"
    assert imported(city) == 0


def test_import_roster_command_unknown_committee_fails(city, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([person(1)]))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_roster", str(path), "--committee", "999999")
    assert str(excinfo.value) == "未找到行政区划代码为“999999”的政协"
