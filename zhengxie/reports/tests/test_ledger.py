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
