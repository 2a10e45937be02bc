"""The annual report page, its record lists, editing, publishing and downloads.

The central promise: every figure links to the records it counts, and each list holds exactly as many rows
as the figure says, for a committee alone and with its children."""

import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document

from zhengxie.accounts.models import AuditLog
from zhengxie.proposals.models import Proposal, State
from zhengxie.reports import content
from zhengxie.reports.figures import committee_ids, sections
from zhengxie.reports.models import AnnualReport
from zhengxie.reports.records import DRILLS, part_rows
from zhengxie.reports.tests.test_figures import YEAR, build_year

pytestmark = pytest.mark.django_db


def _count_for(key: str, computed: dict) -> int:
    target = DRILLS[key].counts or key
    value = content.value_of(computed, target)
    assert value is not None, target
    return int(value)


@pytest.mark.parametrize("include_children", [False, True])
def test_every_record_list_holds_what_its_figure_counts(world, include_children):
    build_year(world.city, "江门")
    build_year(world.county, "江海")
    ids = committee_ids(world.city, include_children)
    computed = sections(ids, YEAR)
    for key, drill in DRILLS.items():
        listed = sum(part_rows(part, ids, YEAR).count() for part in drill.parts)
        assert listed == _count_for(key, computed), key
    # The year before has instructions too: the previous-year list is that year's.
    assert _count_for("opinions.instructions_previous_year", computed) > 0


def test_every_figure_of_the_report_has_a_record_list():
    missing = [key for key in content.FIGURES if key not in DRILLS]
    assert missing == []


def _url(name: str, world, **params) -> str:
    from django.urls import reverse

    query = {"committee": world.city.pk, "year": YEAR, **params}
    return reverse(name) + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_office_follows_every_figure_to_its_records(client, world):
    build_year(world.city, "江门")
    client.force_login(world.office)
    page = client.get(_url("reports:report", world))
    assert page.status_code == 200
    html = page.content.decode()
    figures = page.context["view"].figures
    computed = sections([world.city.pk], YEAR)
    links = [card for s in page.context["sections"] for card in s["cards"]]
    assert len(links) == len(content.FIGURES) and all(card["url"] for card in links)
    for card in links:
        assert f'href="{card["url"]}"'.replace("&", "&amp;") in html
        listing = client.get(card["url"])
        assert listing.status_code == 200, card["key"]
        assert listing.context["total"] == _count_for(card["key"], computed), card["key"]
    # The narrative's numbers are links too, and read the same figures.
    assert 'data-figure="proposals.received"' in html
    assert figures["proposals"]["received"] == 10


def test_record_list_shows_rows_and_pages_in_fixed_queries(client, world):
    build_year(world.city, "江门")
    client.force_login(world.office)
    url = "/reports/records/proposals.received/?" + f"committee={world.city.pk}&year={YEAR}"
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert "江门提案" in response.content.decode()
    session = Proposal.objects.filter(committee=world.city).first().session
    for i in range(60):
        Proposal.objects.create(
            committee=world.city,
            session=session,
            title=f"补充提案{i}",
            background="案据",
            suggestions="建议",
            created_by=world.office,
            state=State.FILED,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["total"] == 70
    assert len(many) == len(few)
    assert client.get(url + "&page0=2").status_code == 200


@pytest.mark.parametrize(
    "who, status",
    [
        ("office", 200),
        ("leader", 200),
        ("admin", 200),
        ("province_office", 200),
        ("sibling_office", 404),
        ("member_user", 404),
        ("unit_user", 404),
        ("auditor", 404),
    ],
)
def test_who_reads_the_draft_report_and_its_lists(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(_url("reports:report", world)).status_code == status
    assert (
        client.get("/reports/records/proposals.filed/?" + f"committee={world.city.pk}").status_code == status
    )
    assert client.get(_download(world, "docx")).status_code in (
        status,
        404,
    )


def test_anonymous_is_sent_to_login_and_city_office_cannot_read_the_province(client, world):
    response = client.get(_url("reports:report", world))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world.office)
    assert client.get(f"/reports/annual/?committee={world.province.pk}").status_code == 404
    assert client.get(f"/reports/records/proposals.filed/?committee={world.province.pk}").status_code == 404
    assert (
        client.get("/reports/records/proposals.nothing/?" + f"committee={world.city.pk}").status_code == 404
    )
    assert client.get("/reports/annual/?committee=abc").status_code == 404
    assert client.get(f"/reports/annual/?committee={world.city.pk}&year=abc").status_code == 200


def _download(world, fmt: str) -> str:
    return f"/reports/annual/report.{fmt}?committee={world.city.pk}&year={YEAR}"


def _post(client, name, world, **data):
    from django.urls import reverse

    return client.post(reverse(name), {"committee": world.city.pk, "year": YEAR, "scope": "own", **data})


def _narrative(**texts):
    base = {f"section_{s.key}": s.default for s in content.SECTIONS}
    base.update({f"section_{k}": v for k, v in texts.items()})
    return base


def test_office_edits_publishes_and_the_figures_freeze(client, world):
    build_year(world.city, "江门")
    client.force_login(world.office)
    response = _post(
        client,
        "reports:edit",
        world,
        title="江门市政协2025年度工作报告",
        version="0",
        **_narrative(summary="今年收到提案{proposals.received}件。"),
    )
    assert response.status_code == 302
    report = AnnualReport.objects.get(committee=world.city, year=YEAR)
    assert report.narrative["summary"] == "今年收到提案{proposals.received}件。" and report.state == "draft"
    page = client.get(_url("reports:report", world)).content.decode()
    assert "今年收到提案" in page and ">10</a>件" in page

    assert _post(client, "reports:publish", world, version=str(report.version)).status_code == 302
    report.refresh_from_db()
    assert report.state == "published" and report.figures["proposals"]["received"] == 10
    session = Proposal.objects.filter(committee=world.city).first().session
    Proposal.objects.create(
        committee=world.city,
        session=session,
        title="发布后的提案",
        background="案据",
        suggestions="建议",
        created_by=world.office,
        state=State.FILED,
    )
    # Published: the text and the cards read the frozen figures, not the new count.
    page = client.get(_url("reports:report", world))
    assert page.context["view"].figures["proposals"]["received"] == 10
    data = json.loads(client.get(_download(world, "json")).content)
    assert data["proposals"]["received"] == 10 and data["report"]["status"] == "published"
    assert data["report"]["sections"][0]["text"] == "今年收到提案10件。"
    # Editing a published report is refused and changes nothing.
    _post(client, "reports:edit", world, title="改", version=str(report.version), **_narrative(summary="改"))
    report.refresh_from_db()
    assert report.narrative["summary"] == "今年收到提案{proposals.received}件。"
    # Taken back to a draft, the figures are live again.
    assert _post(client, "reports:unpublish", world, version=str(report.version)).status_code == 302
    report.refresh_from_db()
    assert report.state == "draft" and report.figures is None
    assert client.get(_url("reports:report", world)).context["view"].figures["proposals"]["received"] == 11
    changes = AuditLog.objects.filter(object_type__icontains="annualreport")
    assert changes.count() >= 3


def test_bad_narrative_and_stale_versions_change_nothing(client, world):
    client.force_login(world.office)
    _post(client, "reports:edit", world, title="报告", version="0", **_narrative())
    report = AnnualReport.objects.get(committee=world.city, year=YEAR)
    before = (report.title, report.narrative, report.version)
    cases = [
        (
            {"title": "报告", "version": str(report.version), **_narrative(summary="{proposals.nothing}件")},
            "无法识别",
        ),
        ({"title": "", "version": str(report.version), **_narrative()}, "标题"),
        ({"title": "报告", "version": str(report.version), **_narrative(summary="长" * 6000)}, "不能超过"),
        ({"title": "报告", "version": str(report.version - 1), **_narrative(summary="旧")}, "他人修改"),
    ]
    for data, message in cases:
        response = _post(client, "reports:edit", world, **data)
        assert response.status_code == 200
        assert message in response.content.decode(), message
        report.refresh_from_db()
        assert (report.title, report.narrative, report.version) == before
    stale = _post(client, "reports:publish", world, version=str(report.version - 1))
    assert stale.status_code == 302
    report.refresh_from_db()
    assert report.state == "draft"


def test_only_the_committees_office_edits_and_publishes(client, world):
    for who in ("leader", "admin", "province_office", "member_user", "sibling_office"):
        client.force_login(getattr(world, who))
        assert _post(client, "reports:edit", world, title="x", version="0", **_narrative()).status_code == 404
        assert _post(client, "reports:publish", world, version="0").status_code == 404
    assert not AnnualReport.objects.exists()


def test_members_and_auditors_read_the_published_report_without_record_lists(client, world):
    build_year(world.city, "江门")
    client.force_login(world.office)
    _post(client, "reports:publish", world, version="0")
    for who in ("member_user", "auditor"):
        client.force_login(getattr(world, who))
        page = client.get(_url("reports:report", world))
        assert page.status_code == 200
        assert not any(card["url"] for s in page.context["sections"] for card in s["cards"])
        assert "/reports/records/" not in page.content.decode()
        assert client.get(f"/reports/records/proposals.filed/?committee={world.city.pk}").status_code == 404
    client.force_login(world.sibling_office)
    assert client.get(_url("reports:report", world)).status_code == 404


def test_downloads_word_html_and_json_are_audited(client, world):
    build_year(world.city, "江门")
    client.force_login(world.office)
    docx = client.get(_download(world, "docx"))
    assert docx.status_code == 200 and docx["X-Content-Type-Options"] == "nosniff"
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "全年共收到提案10件" in text and "立案率70.00%" in text
    html = client.get(_download(world, "html")).content.decode()
    assert html.startswith("<!doctype html>") and "/reports/records/proposals.filed/" in html
    assert ".report-figure" in html  # the stylesheet travels with the file
    assert client.get(_download(world, "exe")).status_code == 404
    assert AuditLog.objects.filter(action="export", committee_id=world.city.pk).count() == 2


def test_command_writes_word_and_html(world, tmp_path):
    build_year(world.city, "江门")
    target = tmp_path / "report.docx"
    call_command(
        "annual_report",
        "--committee",
        "440700",
        "--year",
        str(YEAR),
        "--format",
        "docx",
        "--output",
        str(target),
    )
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    assert "江门市政协2025年度工作报告" in text and "全年共收到提案10件" in text
    out = StringIO()
    call_command(
        "annual_report", "--committee", "440700", "--year", str(YEAR), "--format", "html", stdout=out
    )
    assert 'data-figure="proposals.received"' in out.getvalue()
    out = StringIO()
    call_command("annual_report", "--committee", "440700", "--year", str(YEAR), stdout=out)
    assert json.loads(out.getvalue())["report"]["status"] == "draft"


def test_api_gives_the_report_json_with_the_same_access(client, world):
    build_year(world.city, "江门")
    url = f"/api/v1/reports/annual?committee={world.city.pk}&year={YEAR}"
    assert client.get(url).status_code == 401
    client.force_login(world.province_office)
    data = client.get(url).json()
    assert data["proposals"]["received"] == 10 and data["report"]["status"] == "draft"
    assert client.get(url + "&scope=all").json()["include_children"] is True
    for who in ("sibling_office", "member_user", "unit_user"):
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 404, who


def test_demo_publishes_last_year_and_drafts_this_year(world):
    from django.utils import timezone

    from zhengxie.reports.demo import seed_reports

    build_year(world.city, "江门")
    world.city.refresh_from_db()
    assert seed_reports() == 2
    this_year = timezone.localdate().year
    published = AnnualReport.objects.get(committee=world.city, year=this_year - 1)
    assert published.state == "published" and published.figures["proposals"]["received"] == (
        10 if this_year - 1 == YEAR else published.figures["proposals"]["received"]
    )
    assert AnnualReport.objects.get(committee=world.city, year=this_year).state == "draft"
