"""The statistics dashboard: each table's numbers for a known year (the year test_figures builds, plus a few
details it leaves out), a parent's figures with its children, who may open it, a query count that does not
grow with the data, the Excel export and bad parameters."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhengxie.accounts.models import AuditLog
from zhengxie.grassroots.models import Concern
from zhengxie.org.models import Committee, HandlingUnit, Member, Party, Sector, Session
from zhengxie.proposals.models import Assignment, Category, Feedback, Proposal, Reply, State
from zhengxie.reports.dashboard import Dashboard, dashboard, dashboard_tables
from zhengxie.reports.figures import annual_figures
from zhengxie.reports.tests.test_figures import YEAR, build_year
from zhengxie.testing.factories import HandlingUnitFactory, StationFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reports/"
EXPORT = "/reports/dashboard.xlsx"


def enrich(committee: Committee, tag: str) -> None:
    """What build_year leaves at its defaults: categories, a sector and a party on proposals, one reply on time,
    concerns at a station."""
    received = Proposal.objects.filter(committee=committee, session__year=YEAR)
    received.filter(state=State.CLOSED).update(category=Category.ECONOMY)
    received.filter(state=State.NOT_FILED, kind=Proposal.Kind.INDIVIDUAL).update(category=Category.SOCIETY)
    sector = Sector.objects.create(committee=committee, name="经济界")
    received.filter(proposer_kind=Proposal.ProposerKind.SECTOR).update(sector=sector)
    party = Party.objects.get(committee=committee, name=f"{tag}民盟")
    author = received.filter(author__isnull=False).first().author  # every individual proposal's author
    Member.objects.filter(pk=author.pk).update(party=party)
    # The excellent proposal's reply came on 1 June, before the 30 June deadline; the others came today.
    Reply.objects.filter(proposal__committee=committee, proposal__is_excellent=True).update(
        replied_at=timezone.make_aware(datetime(YEAR, 6, 1, 10))
    )
    station = StationFactory(committee=committee, name=f"{tag}委员工作室")
    Concern.objects.filter(committee=committee, state__in=["closed", "taken", "open"]).update(station=station)
    Concern.objects.filter(committee=committee, state="open").update(station=None)


def cells(d: Dashboard, key: str) -> dict[str, list]:
    """A table as {first cell: the other cells}."""
    table = d.table(key)
    assert table is not None, key
    return {str(r.cells[0]): r.cells[1:] for r in table.rows}


def test_tables_of_a_known_year(world):
    build_year(world.city, "江门")
    enrich(world.city, "江门")
    d = dashboard(world.city, YEAR)
    figures = annual_figures(world.city, YEAR)
    p = figures["proposals"]
    assert d.has_children and d.committee == world.city
    assert [t.key for t in d.tables] == [
        "rates",
        "yoy",
        "proposals.by_state",
        "proposals.by_category",
        "proposals.by_sector",
        "proposals.by_party",
        "proposals.topics",  # 热点议题 (textindex.topics)
        "proposals.by_unit",
        "opinions.summary",
        "opinions.instructions_by_level",
        "consultations.by_form",
        "consultations.outcomes_by_state",
        "duties.by_sector",
        "concerns.by_month",
        "concerns.by_station",
        "children",  # 江门 has 江海 below it
    ]

    by_state = cells(d, "proposals.by_state")
    assert by_state["已办结"] == [3, 0.3]
    assert by_state["已答复"] == [1, 0.1]
    assert by_state["办理中"] == [2, 0.2]
    assert by_state["已立案"] == [1, 0.1]
    assert by_state["不立案"] == [2, 0.2]
    assert by_state["已并案"] == [1, 0.1]
    assert by_state["待审查"] == [0, 0.0]
    assert "草稿" not in by_state and "已撤回" not in by_state
    assert by_state["合计"] == [p["received"], 1.0] == [10, 1.0]

    by_category = cells(d, "proposals.by_category")
    assert by_category["经济建设"] == [3, 0.3, 3, 3]
    assert by_category["社会建设"] == [1, 0.1, 0, 0]
    assert by_category["其他"] == [6, 0.6, 4, 1]
    assert by_category["政治建设"] == [0, 0.0, 0, 0]
    assert by_category["合计"] == [10, 1.0, p["filed"], p["replied"]]

    author_sector = (
        Proposal.objects.filter(committee=world.city, author__isnull=False).first().author.sector.name
    )
    assert cells(d, "proposals.by_sector") == {
        author_sector: [8, 0.8, 6, 4],  # the 8 individual proposals, through their author
        "经济界": [1, 0.1, 0, 0],  # the sector's own (not filed) proposal
        "未注明": [1, 0.1, 1, 0],  # the party's proposal names no sector
        "合计": [10, 1.0, 7, 4],
    }
    party = Party.objects.get(committee=world.city, name="江门民盟").short_name
    assert cells(d, "proposals.by_party") == {
        party: [9, 0.9, 7, 4],  # its own collective proposal and its member's 8
        "未注明": [1, 0.1, 0, 0],
        "合计": [10, 1.0, 7, 4],
    }

    # 局0 led 3 tasks (2 replied, one of them by the deadline; both rated satisfied or basic), 局1 led 3
    # (2 marked done, but the replies were 局0's, so none on time; one rated dissatisfied).
    assert cells(d, "proposals.by_unit") == {
        "江门局0": [3, 3, 2, 1, 0.3333, 2, 1.0],
        "江门局1": [3, 3, 2, 0, 0.0, 1, 0.0],
        "合计（2个单位）": [6, 6, 4, 1, 0.1667, 3, p["satisfaction_rate"]],
    }

    rates = cells(d, "rates")
    assert rates["提案立案率"][:3] == [7, 10, p["filing_rate"]] == [7, 10, 0.7]
    assert rates["提案答复率"][:3] == [4, 7, p["reply_rate"]]
    assert rates["提案办理满意率"][:3] == [2, 3, p["satisfaction_rate"]]
    assert rates["承办单位按期答复率"][:3] == [1, 6, 0.1667]
    assert rates["社情民意报送率"][:3] == [4, 6, 0.6667]
    assert rates["社情民意采用率"][:3] == [2, 4, 0.5]
    assert rates["协商成果办结率"][:3] == [1, 3, 0.3333]
    assert rates["群众诉求办结率"][:3] == [2, 4, 0.5]

    o = figures["opinions"]
    assert cells(d, "opinions.summary") == {
        "收到信息": [o["received"], 1.0],
        "报送": [o["forwarded"], 0.6667],
        "采用": [o["adopted"], 0.3333],
        "领导批示（次）": [o["instructions"], None],
    }
    levels = cells(d, "opinions.instructions_by_level")
    assert levels["市级"] == [3, 1.0] and levels["县级"] == [0, 0.0] and levels["合计"] == [3, 1.0]

    c = figures["consultations"]
    by_form = cells(d, "consultations.by_form")
    assert by_form["专题议政性常委会议"] == [1, 3, 3]
    assert by_form["基层小微协商"] == [2, 2, 0]
    assert by_form["开放式协商"] == [0, 0, 0]  # planned, not held
    assert by_form["合计"] == [c["held"], c["participant_person_times"], c["outcome_items"]] == [3, 5, 3]
    stages = cells(d, "consultations.outcomes_by_state")
    assert stages["已反馈办结"] == [1, 0.3333] and stages["已采纳，落实中"] == [1, 0.3333]
    assert stages["待转办"] == [1, 0.3333] and stages["未采纳"] == [0, 0.0]
    assert stages["合计"] == [3, 1.0]

    duties = cells(d, "duties.by_sector")
    m = {m.name: m.sector.name for m in Member.objects.filter(committee=world.city).select_related("sector")}
    assert duties[m["江门委员0"]] == [1, 2, 1, 10.0]
    assert duties[m["江门委员1"]] == [1, 1, 1, 5.0]
    assert duties[m["江门委员3"]] == [1, 1, 0, None]
    assert duties[m["张三"]] == [1, 0, 0, None]
    dt = figures["duties"]
    assert duties["合计"] == [dt["members"], dt["records"], 2, dt["average_points"]] == [6, 5, 2, 7.5]

    months = cells(d, "concerns.by_month")
    assert months["8月"] == [4, 2, 0.5] and months["1月"] == [0, 0, None]
    assert months["合计"] == [figures["concerns"]["raised"], figures["concerns"]["resolved"], 0.5]
    assert cells(d, "concerns.by_station") == {
        "江门委员工作室": [3, 2, 0.6667],
        "未指定站点": [1, 0, 0.0],
        "合计": [4, 2, 0.5],
    }

    yoy = cells(d, "yoy")
    assert yoy["收到提案"] == [10, 0, 10, None]
    assert yoy["领导批示（次）"] == [3, 2, 1, 0.5]  # = the report's instructions_yoy
    assert yoy["社情民意信息"] == [6, 1, 5, 5.0]  # last year's one adopted report
    assert yoy["委员平均得分"] == [7.5, None, None, None]

    children = cells(d, "children")
    assert children["本级（江门市政协）"][:6] == [10, 7, 0.7, 4, 0.5714, 0.6667]
    assert children["江海区政协"] == [0, 0, None, 0, None, None, 0, 0, 0, 0, 0, 0]


def test_drill_keys_name_report_figures(world):
    build_year(world.city, "江门")
    tables = dashboard_tables(world.city, YEAR)
    by_key = {t.key: t for t in tables}
    total = by_key["proposals.by_state"].rows[-1]
    assert total.total and total.drill == "proposals.received"
    assert by_key["consultations.by_form"].rows[0].drill == "consultations.by_form.plenary"
    assert by_key["rates"].rows[0].links[1].key == "proposals.filed"
    yoy_last = by_key["yoy"].rows[0].links[2]
    assert (yoy_last.key, yoy_last.year) == ("proposals.received", YEAR - 1)


def test_parent_scope_is_the_sum_of_its_children(world):
    build_year(world.city, "江门")
    enrich(world.city, "江门")
    build_year(world.county, "江海")
    enrich(world.county, "江海")
    own = dashboard(world.city, YEAR)
    child = dashboard(world.county, YEAR)
    total = dashboard(world.city, YEAR, include_children=True)
    assert not child.has_children and child.table("children") is None

    # Every count of every table sums (rates are recomputed from the sums, so they are checked apart).
    for table in total.tables:
        if table.key in ("children", "proposals.by_unit", "proposals.by_sector", "proposals.by_party"):
            continue  # rows named by unit, sector, party: checked below
        a, b, t = cells(own, table.key), cells(child, table.key), cells(total, table.key)
        assert set(t) == set(a) | set(b), table.key
        for label, values in t.items():
            for i, column in enumerate(table.columns[1:]):
                if column.kind in ("int",) or (column.kind == "num" and isinstance(values[i], int)):
                    expected = (a.get(label, [0] * 9)[i] or 0) + (b.get(label, [0] * 9)[i] or 0)
                    assert values[i] == expected, (table.key, label, column.header)
    assert cells(total, "rates")["提案立案率"] == [14, 20, 0.7, "立案 ÷ 收到提案"]
    assert cells(total, "yoy")["委员平均得分"][0] == 7.5

    units = cells(total, "proposals.by_unit")
    assert units["江门局0"] == cells(own, "proposals.by_unit")["江门局0"]
    assert units["江海局0（江海区政协）"] == cells(child, "proposals.by_unit")["江海局0"]
    assert units["合计（4个单位）"][:4] == [12, 12, 8, 2]
    # A sector of the same name in each committee is one row.
    assert cells(total, "proposals.by_sector")["经济界"] == [2, 0.1, 0, 0]

    # The children table: 本级, each child with its own children, 合计 = the scope with children.
    children = cells(own, "children")
    assert children["本级（江门市政协）"][0] == 10
    assert children["江海区政协"][0] == 10
    assert children["合计"] == cells(total, "children")["合计"]
    figures = annual_figures(world.city, YEAR, include_children=True)
    p = figures["proposals"]
    assert children["合计"][:6] == [
        p["received"],
        p["filed"],
        p["filing_rate"],
        p["replied"],
        p["reply_rate"],
        p["satisfaction_rate"],
    ]
    assert children["合计"][6:] == [
        figures["opinions"]["received"],
        figures["opinions"]["adopted"],
        figures["opinions"]["instructions"],
        figures["consultations"]["held"],
        figures["concerns"]["raised"],
        figures["concerns"]["resolved"],
    ]
    # The province's table has 江门 (with 江海) and 贺州 as children.
    province = cells(dashboard(world.province, YEAR), "children")
    assert province["江门市政协"][0] == 20 and province["贺州市政协"][0] == 0 and province["合计"][0] == 20


def _more_proposals(committee: Committee, n: int) -> None:
    session = Session.objects.get(committee=committee, year=YEAR)
    user = UserFactory()
    unit = HandlingUnitFactory(committee=committee)
    member = Member.objects.filter(committee=committee).first()
    for i in range(n):
        p = Proposal.objects.create(
            committee=committee,
            session=session,
            title=f"追加{i}",
            background="案据",
            suggestions="建议",
            author=member,
            created_by=user,
            state=State.CLOSED,
            category=Category.values[i % 6],
        )
        Assignment.objects.create(
            proposal=p,
            committee=committee,
            unit=unit,
            role="lead",
            status="done",
            deadline=datetime(YEAR, 9, 1),
        )
        Reply.objects.create(
            proposal=p, committee=committee, unit=unit, role="lead", result="A", letter="答复"
        )
        Feedback.objects.create(proposal=p, committee=committee, rating="satisfied", by=user)


def test_query_count_does_not_grow_with_the_data(world, client):
    build_year(world.city, "江门")
    build_year(world.county, "江海")
    client.force_login(world.office)
    query = {"committee": world.city.pk, "year": YEAR, "scope": "all"}

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as pure:
            dashboard(world.city, YEAR, include_children=True)
        with CaptureQueriesContext(connection) as page:
            assert client.get(URL, query).status_code == 200
        return len(pure), len(page)

    before = count()
    _more_proposals(world.city, 30)
    _more_proposals(world.county, 30)
    after = count()
    assert after == before
    assert before[0] <= 25
    assert cells(dashboard(world.city, YEAR, include_children=True), "proposals.by_state")["合计"][0] == 80


def test_page_shows_every_table_and_chart_without_inline_script(world, client):
    build_year(world.city, "江门")
    client.force_login(world.office)
    response = client.get(URL, {"committee": world.city.pk, "year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    for table in dashboard_tables(world.city, YEAR):
        assert f'data-table="{table.key}"' in html
        if table.chart:
            assert f'data-chart="{table.key}"' in html
    assert 'id="dashboard-data"' in html and 'type="application/json"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []
    assert " style=" not in html
    # A count links to its records when the records page knows the figure.
    from zhengxie.reports import records

    received = f"{reverse('reports:records', args=['proposals.received'])}?committee={world.city.pk}"
    assert "proposals.received" in records.DRILLS and received in html
    link = (
        re.search(r'href="(/reports/records/proposals\.received/[^"]+)"', html).group(1).replace("&amp;", "&")
    )
    records_page = client.get(link)
    assert records_page.status_code == 200 and 'data-records-total="10"' in records_page.content.decode()
    # A zero is not a link (no 全体会议协商 was held); a count is (one 常委会议).
    assert "/reports/records/consultations.by_form.plenary/" not in html
    assert "/reports/records/consultations.by_form.standing/" in html
    assert 'data-kpi="proposals.received"' in html
    # The scope switch shows for a committee with children; 江海 has none.
    assert 'data-scope="all"' in html
    client.force_login(world.province_office)
    html = client.get(URL, {"committee": world.county.pk, "year": YEAR}).content.decode()
    assert 'data-scope="all"' not in html and 'data-table="children"' not in html


def test_long_tables_show_their_first_rows_and_export_them_all(world, client):
    """A province with all its counties has thousands of stations and units: the page shows the first 50
    rows and the 合计, the Excel sheet every row."""
    stations = [StationFactory(committee=world.city, name=f"站点{i:02d}") for i in range(53)]
    for i, station in enumerate(stations):
        concern = Concern.objects.create(
            committee=world.city,
            station=station,
            number=f"T{i:05d}",
            title="诉求",
            content="内容",
            state="closed" if i % 2 else "open",
            content_hash="x",
        )
        Concern.objects.filter(pk=concern.pk).update(created_at=timezone.make_aware(datetime(YEAR, 3, 1)))
    client.force_login(world.office)
    query = {"committee": world.city.pk, "year": YEAR}
    html = client.get(URL, query).content.decode()
    table = html.split('data-table="concerns.by_station"')[1].split("</table>")[0]
    assert table.count("<tr") == 1 + 50 + 1  # header, 50 stations, 合计
    assert 'data-hidden="3"' in html
    book = load_workbook(io.BytesIO(client.get(EXPORT, {**query, "table": "concerns.by_station"}).content))
    rows = list(book.active.iter_rows(min_row=3, max_col=4, values_only=True))
    assert rows[53] == ("合计", 53, 26, 0.4906)
    assert sum(1 for r in rows if r[0] and r[0].startswith("站点")) == 53


def test_who_may_open_the_dashboard(world, client):
    query = {"committee": world.city.pk, "year": YEAR}
    response = client.get(URL, query)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.get(EXPORT, query).status_code == 302
    for user in (world.member_user, world.unit_user, world.auditor, world.sibling_office):
        client.force_login(user)
        assert client.get(URL, query).status_code == 404, user
        assert client.get(EXPORT, query).status_code == 404, user
    for user in (world.office, world.leader, world.admin, world.province_office):
        client.force_login(user)
        assert client.get(URL, query).status_code == 200, user
    client.force_login(world.office)
    assert client.get(URL, {"committee": world.province.pk}).status_code == 404
    assert client.get(URL, {"committee": world.county.pk}).status_code == 200
    # Without ?committee= the user's own highest committee.
    assert client.get(URL).context["committee"] == world.city
    client.force_login(world.province_office)
    response = client.get(URL)
    assert response.context["committee"] == world.province
    names = [c["name"] for c in response.context["committees"]]
    assert names == ["广东省政协", "江门市政协", "江海区政协", "贺州市政协"]


def test_bad_parameters(world, client):
    client.force_login(world.office)
    response = client.get(URL, {"committee": world.city.pk, "year": "abc"})
    assert response.status_code == 200
    this_year = timezone.localdate().year
    assert response.context["year"] == this_year
    assert "年度参数无效" in response.content.decode()
    assert client.get(URL, {"committee": "xyz"}).status_code == 404
    assert client.get(URL, {"committee": "999999"}).status_code == 404
    response = client.get(URL, {"committee": world.city.pk, "year": "3000", "scope": "bogus"})
    assert response.status_code == 200 and response.context["year"] == this_year
    assert response.context["scope"] == "own"
    assert client.get(EXPORT, {"committee": "xyz"}).status_code == 404
    assert client.post(URL, {"committee": world.city.pk}).status_code == 405


def test_excel_export(world, client):
    build_year(world.city, "江门")
    client.force_login(world.office)
    query = {"committee": world.city.pk, "year": YEAR, "scope": "all"}
    before = AuditLog.objects.filter(action="export").count()
    response = client.get(EXPORT, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    tables = dashboard_tables(world.city, YEAR, include_children=True)
    assert len(book.sheetnames) == len(tables) == 16
    assert book.sheetnames[2] == "提案按办理状态统计"
    sheet = book["提案按办理状态统计"]
    assert sheet["A1"].value == f"江门市政协{YEAR}年度提案按办理状态统计（含下级合计）"
    assert [c.value for c in sheet[2]] == ["办理状态", "提案数", "占比"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=3, max_col=3, values_only=True) if r[0]}
    assert rows["已办结"] == (3, 0.3) and rows["合计"] == (10, 1)
    assert sheet["C3"].number_format == "0.00%"
    units = book["承办单位办理情况"]
    assert [c.value for c in units[3]][:3] == ["江门局0", 3, 3]
    log = AuditLog.objects.filter(action="export").order_by("-id").first()
    assert AuditLog.objects.filter(action="export").count() == before + 1
    assert log.committee_id == world.city.pk and log.after["tables"] == [t.key for t in tables]
    assert log.actor_id == world.office.pk

    one = client.get(EXPORT, {**query, "table": "consultations.by_form"})
    book = load_workbook(io.BytesIO(one.content))
    assert book.sheetnames == ["协商活动按形式统计"]
    assert book.active["B3"].value == 0 and book.active["B4"].value == 1  # 全体会议协商, 常委会议
    assert AuditLog.objects.filter(action="export").count() == before + 2

    assert client.get(EXPORT, {**query, "table": "nope"}).status_code == 404
    assert AuditLog.objects.filter(action="export").count() == before + 2

    # A name typed by a user is text, never a formula.
    HandlingUnit.objects.filter(name="江门局0").update(name="=SUM(1,2)")
    book = load_workbook(io.BytesIO(client.get(EXPORT, {**query, "table": "proposals.by_unit"}).content))
    cell = book.active["A3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=SUM(1,2)", "s", True)
