"""A demo member opens their 履职档案 on a phone and sees the duties, points and rank the demo gave them."""

import re

import pytest

from e2e import auth
from e2e.conftest import ARTIFACTS
from zhengxie.duties.demo import seed_duties
from zhengxie.duties.models import DutyRecord, Evaluation, EvaluationPoint
from zhengxie.org import demo as org_demo
from zhengxie.org.models import Member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, base, username, password):
    auth.login(page, base, username, password)


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def number(text):
    return float(re.sub(r"[^\d.\-]", "", text))


def test_demo_member_sees_own_duties_on_a_phone(live_server, phone, shot):
    org_demo.seed_demo()
    seed_duties(None, only_codes=["440700"])
    member = Member.objects.get(user__username="jm_member")
    evaluation = Evaluation.objects.select_related("scheme").filter(member=member).order_by("-year").first()
    year = evaluation.year
    records = DutyRecord.objects.filter(member=member, year=year)

    login(phone, live_server.url, "jm_member", org_demo.DEMO_PASSWORD)
    phone.click(".nav-toggle")
    phone.click("text=履职档案")
    phone.wait_for_selector(".duty-summary")
    assert phone.inner_text("h1") == "我的履职档案"
    assert number(phone.inner_text("#duty-points")) == float(evaluation.points)
    assert int(phone.inner_text("#duty-rank")) == evaluation.rank
    total = Evaluation.objects.filter(committee_id=member.committee_id, year=year).count()
    assert phone.inner_text(".duty-score > div:nth-child(2) .duty-unit") == f"/ {total}"
    assert int(phone.inner_text("#duty-records")) == records.count()
    assert "约谈" not in phone.inner_text("main")

    # Every record is on the page, with the points it earned.
    shown = {int(el.get_attribute("data-record")) for el in phone.query_selector_all(".duty-item")}
    assert shown == set(records.values_list("id", flat=True))
    earned = {p.record_id: p for p in EvaluationPoint.objects.filter(evaluation=evaluation)}
    investment = records.get(kind="investment")
    item = phone.locator(f".duty-item[data-record='{investment.pk}']")
    assert investment.title in item.inner_text()
    assert number(item.locator(".duty-points").inner_text()) == float(earned[investment.pk].points)
    assert "合同金额（万元）" in item.inner_text()
    capped = next(p for p in earned.values() if p.capped_from is not None)
    assert "封顶" in phone.locator(f".duty-item[data-record='{capped.record_id}']").inner_text()
    pending = records.filter(status="pending").first()
    assert "待确认" in phone.locator(f".duty-item[data-record='{pending.pk}']").inner_text()
    assert "待处理" in phone.inner_text(".duty-contests")
    assert no_horizontal_scroll(phone)
    shot(phone, "duties-01-member-file-375")
    # What the member sees first, and the claim form, as the phone shows them.
    phone.screenshot(path=str(ARTIFACTS / "duties-02-member-file-top-375.png"))
    phone.locator(".duty-claim").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "duties-03-claim-form-375.png"))

    # The member contests a record from the phone; the page says so.
    training = records.filter(kind="training", status="confirmed").order_by("id").first()
    item = phone.locator(f".duty-item[data-record='{training.pk}']")
    item.locator("summary").click()
    item.locator("textarea").fill("当天在外地出差，未参加该培训")
    with phone.expect_navigation():
        item.locator("button[type=submit]").click()
    assert "异议已提交" in phone.inner_text(".message")
    training.refresh_from_db()
    assert training.status == "contested"
    assert no_horizontal_scroll(phone)
