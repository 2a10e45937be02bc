"""The office opens the statistics dashboard and the annual report, and follows a figure to its records."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from e2e.test_duties import login, no_horizontal_scroll
from zhengxie.reports.figures import annual_figures
from zhengxie.reports.tests.test_figures import YEAR, build_year

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Report@2026x"  # noqa: S105 - a test login's password


def _office(world):
    world.office.set_password(PASSWORD)
    world.office.save()
    return world.office.username


def test_dashboard_and_report_figures_lead_to_their_records(live_server, browser, world, shot):
    build_year(world.city, "江门")
    build_year(world.county, "江海")
    figures = annual_figures(world.city, YEAR)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server.url, _office(world), PASSWORD)

    # The dashboard: charts drawn by the locally served ECharts, tables with the year's counts.
    page.goto(f"{live_server.url}/reports/?committee={world.city.pk}&year={YEAR}")
    page.wait_for_selector("[data-chart] canvas")
    assert page.locator("[data-chart] canvas").count() >= 5
    assert page.locator("[data-table]").count() >= 8
    shot(page, "reports-dashboard")
    # Every table of the dashboard comes out in the Excel export, one sheet each.
    with page.expect_download() as download:
        page.click("#dash-export")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert len(workbook.sheetnames) == page.locator("[data-table]").count()
    # A headline count leads to its records.
    received = page.locator("a.dash-drill[data-drill='proposals.received']").first
    assert int(re.sub(r"\D", "", received.inner_text())) == figures["proposals"]["received"]
    with page.expect_navigation():
        received.click()
    assert (
        int(page.get_attribute("[data-records-total]", "data-records-total"))
        == figures["proposals"]["received"]
    )
    page.goto(f"{live_server.url}/reports/?committee={world.city.pk}&year={YEAR}&scope=all")
    page.wait_for_selector("[data-chart] canvas")
    shot(page, "reports-dashboard-with-children")

    # The report: every figure is a link; follow 立案 to the filed proposals.
    page.goto(f"{live_server.url}/reports/annual/?committee={world.city.pk}&year={YEAR}")
    page.wait_for_selector(".annual-report")
    assert "全年共收到提案" in page.inner_text("#section-proposals")
    cards = page.locator(".report-figure a[data-figure]")
    assert cards.count() == page.locator(".report-figure").count() > 30
    filed = page.locator(".report-figure a[data-figure='proposals.filed']")
    assert (
        int(re.sub(r"\D", "", filed.locator(".report-figure-value").inner_text()))
        == figures["proposals"]["filed"]
    )
    shot(page, "reports-annual")
    with page.expect_navigation():
        filed.click()
    page.wait_for_selector("[data-records-total]")
    assert (
        int(page.get_attribute("[data-records-total]", "data-records-total")) == figures["proposals"]["filed"]
    )
    assert page.locator("table.table tbody tr").count() == figures["proposals"]["filed"]
    assert "江门提案" in page.inner_text("table.table")
    shot(page, "reports-records-filed")

    # The number inside the narrative links to the same list.
    page.go_back()
    with page.expect_navigation():
        page.locator("#section-proposals .report-text a[data-figure='proposals.received']").click()
    assert (
        int(page.get_attribute("[data-records-total]", "data-records-total"))
        == figures["proposals"]["received"]
    )
    assert errors == []
    context.close()


def test_report_reads_well_on_a_phone(live_server, phone, world, shot):
    build_year(world.city, "江门")
    login(phone, live_server.url, _office(world), PASSWORD)
    phone.goto(f"{live_server.url}/reports/annual/?committee={world.city.pk}&year={YEAR}")
    phone.wait_for_selector(".annual-report")
    assert no_horizontal_scroll(phone)
    shot(phone, "reports-annual-phone")
