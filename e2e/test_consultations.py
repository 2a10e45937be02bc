"""A micro consultation in a browser: the office calls it at a station, members attend, an agreed item goes
round the closed loop through a unit, and a participant sees it closed on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from e2e import auth
from zhengxie.accounts.models import Role
from zhengxie.consultations.models import Consultation, Outcome, Participant
from zhengxie.testing.factories import DEFAULT_PASSWORD, StationFactory, UserFactory, grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages(browser):
    contexts = []

    def open_page(width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def login(page, base, username):
    auth.login(page, base, username, DEFAULT_PASSWORD)


def submit(page, form_selector, button_text):
    with page.expect_navigation():
        page.click(f"{form_selector} button:text-is('{button_text}')")


def message(page):
    return page.inner_text(".message")


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_micro_consultation_closed_loop(live_server, world, pages, shot):
    w = world
    base = live_server.url
    StationFactory(committee=w.city, name="朝翠社区委员之家", address="江门市江海区朝翠路")
    lisi = UserFactory(username="lisi", display_name="李四")
    w.other_member.user = lisi
    w.other_member.save()
    grant(lisi, w.city, Role.MEMBER)

    # 1. The office calls a micro consultation at the station.
    office = pages()
    login(office, base, "office1")
    office.goto(f"{base}/consultations/")
    office.click("text=组织协商活动")
    office.select_option("#id_form", label="基层小微协商")
    office.fill("#id_series", "有事来协商")
    office.fill("#id_title", "朝翠路夜间照明不足怎么办")
    office.fill("#id_held_on", timezone.localdate().isoformat())
    office.select_option("#id_station", label="朝翠社区委员之家")
    shot(office, "c01-office-create-1280")
    submit(office, "form.consultation-form", "创建")
    c = Consultation.objects.get()
    detail = f"{base}/consultations/{c.pk}/"
    assert office.url == detail
    assert "朝翠社区委员之家" in office.inner_text(".facts")
    assert "有事来协商" in office.inner_text(".facts")

    # 2. Two members are invited and attend; it is recorded as held.
    for name in ("张三", "李四"):
        if not office.is_visible("#participants form.action-form select[name=member]"):
            office.click("#participants summary:text('添加参加人员')")
        office.select_option("#participants select[name=member]", label=name)
        submit(office, "#participants form.action-form", "添加")
        assert message(office) == f"已添加参加人员：{name}"
    for p in Participant.objects.filter(consultation=c):
        office.select_option(f"#att-{p.pk}", "attended")
    submit(office, "form.attendance-form", "保存出席情况")
    assert message(office) == "已登记出席情况（2人）"
    office.fill("#consultation-actions textarea[name=summary]", "居民代表和委员共商朝翠路照明问题。")
    office.fill("#consultation-actions textarea[name=minutes]", "议定：在朝翠路增设路灯12盏。")
    shot(office, "c02-office-attendance-1280")
    submit(office, "#consultation-actions", "登记召开")
    assert office.inner_text("h1 + .consultation-meta .state") == "已召开"

    # 3. The agreed item is recorded and transferred to the unit.
    office.fill("#outcomes textarea[name=text]", "在朝翠路增设路灯12盏，一个月内亮灯")
    submit(office, "#outcomes", "登记协商成果")
    outcome = Outcome.objects.get()
    office.select_option(f"#outcome-{outcome.pk} select[name=unit]", label=w.unit.name)
    office.fill(
        f"#outcome-{outcome.pk} input[name=deadline]", (timezone.localdate() + timedelta(days=30)).isoformat()
    )
    submit(office, f"#outcome-{outcome.pk}", "转办")
    assert message(office) == f"已转{w.unit.name}办理"
    shot(office, "c03-office-transferred-1280")

    # 4. The unit accepts it, reports progress and completes it (on a phone).
    unit = pages(375, 740)
    login(unit, base, "unit1")
    unit.goto(f"{base}/consultations/outcomes/")
    assert "在朝翠路增设路灯12盏" in unit.inner_text("main")
    assert no_horizontal_scroll(unit)
    shot(unit, "c04-unit-todo-375")
    unit.click("text=在朝翠路增设路灯12盏")
    item = f"#outcome-{outcome.pk}"
    unit.fill(f"{item} form[action$='/accept/'] textarea[name=response]", "同意，列入本月计划")
    submit(unit, f"{item} form[action$='/accept/']", "采纳")
    assert message(unit) == "已采纳"
    unit.fill(f"{item} input[name=percent]", "60")
    unit.fill(f"{item} form[action$='/progress/'] textarea[name=note]", "已安装8盏")
    submit(unit, f"{item} form[action$='/progress/']", "报送进展")
    assert unit.get_attribute(f"{item} progress", "value") == "60"
    assert no_horizontal_scroll(unit)
    shot(unit, "c05-unit-progress-375")
    unit.fill(f"{item} form[action$='/complete/'] textarea[name=note]", "12盏路灯已全部亮灯")
    submit(unit, f"{item} form[action$='/complete/']", "落实完成")
    assert unit.inner_text(f"{item} .state") == "已落实"

    # 5. The office reports back to the participants.
    office.goto(detail)
    office.fill(f"{item} textarea[name=feedback]", "已向参加协商的委员和居民反馈")
    submit(office, item, "反馈办结")
    assert office.inner_text(f"{item} .state") == "已反馈办结"

    # 6. A participant sees it closed on a phone; then the consultation can be closed.
    member = pages(375, 740)
    login(member, base, "lisi")
    member.goto(detail)
    assert member.inner_text(f"{item} .state") == "已反馈办结"
    assert member.get_attribute(f"{item} progress", "value") == "100"
    assert "张三" in member.inner_text("#participants") and "出席" in member.inner_text("#participants")
    assert no_horizontal_scroll(member)
    shot(member, "c06-member-item-closed-375")
    office.goto(detail)
    submit(office, "#consultation-actions", "办结活动")
    assert message(office) == "协商活动已办结"
    member.goto(detail)
    assert member.inner_text("h1 + .consultation-meta .state") == "已办结"
    shot(member, "c07-member-consultation-closed-375")
    assert Consultation.objects.get().state == Consultation.State.CLOSED
