"""A concern in a browser: a person raises it on the public form on a phone, a member of the station takes
it up and resolves it, the person looks the number up and reads the result."""

import pytest
from django.core.cache import cache

from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.testing.factories import DEFAULT_PASSWORD, StationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESULT = "已联系街道城管办，朝翠路东段6盏路灯已全部修复，并纳入每月巡查。"


@pytest.fixture
def phones(browser):
    contexts = []

    def open_page():
        context = browser.new_context(
            viewport={"width": 375, "height": 740}, device_scale_factor=1, locale="zh-CN"
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def submit(page, text):
    with page.expect_navigation():
        page.click(f"button:text-is('{text}')")


def test_person_raises_member_resolves_person_reads_result(live_server, world, phones, shot):
    cache.clear()  # the rate limits count in the cache the live server shares with this process
    base = live_server.url
    station = StationFactory(committee=world.city, name="江海区“有事来协商”委员工作室")
    StationFactory(committee=world.city, name="新会区委员工作室")
    world.member.station = station
    world.member.save()

    # 1. A person, not logged in, raises a concern on a phone.
    person = phones()
    person.goto(f"{base}/concerns/public/")
    assert person.is_visible("text=我要反映")
    person.select_option("#id_committee", label="江门市政协")
    shot(person, "c01-public-choose-committee-375")
    submit(person, "下一步")
    person.select_option("#id_station", label=station.name)
    person.fill("#id_title", "朝翠路东段路灯不亮")
    person.select_option("#id_category", "urban")
    person.fill("#id_content", "朝翠路东段有6盏路灯坏了一个多月，晚上出行很不安全。")
    person.fill("#id_name", "赵大妈")
    person.fill("#id_phone", "13800138000")
    box = person.locator("#id_website").bounding_box()
    assert box["x"] + box["width"] <= 0  # the honeypot stays out of sight
    assert no_horizontal_scroll(person)
    shot(person, "c02-public-form-375")
    submit(person, "提交")
    assert "请记下编号用于查询" in person.inner_text("main")
    number = person.inner_text("#concern-number").strip()
    concern = Concern.objects.get()
    assert number == concern.number and concern.state == ConcernState.OPEN
    assert no_horizontal_scroll(person)
    shot(person, "c03-public-number-375")

    # 2. A member of that station logs in on a phone, sees it, takes it up and resolves it.
    member = phones()
    member.goto(f"{base}/accounts/login/?next=/concerns/")
    member.fill("#id_username", "member1")
    member.fill("#id_password", DEFAULT_PASSWORD)
    submit(member, "登录")
    assert "朝翠路东段路灯不亮" in member.inner_text("main")
    assert no_horizontal_scroll(member)
    shot(member, "c04-member-list-375")
    with member.expect_navigation():
        member.click("text=朝翠路东段路灯不亮")
    assert "赵*" in member.inner_text("main") and "13800138000" not in member.inner_text("main")
    shot(member, "c05-member-detail-before-taking-375")
    submit(member, "认领")
    assert "已认领" in member.inner_text(".message")
    assert "13800138000" in member.inner_text("main")  # the taker may call the person back
    member.fill("textarea[name=result]", RESULT)
    assert no_horizontal_scroll(member)
    shot(member, "c06-member-taken-375")
    submit(member, "办结")
    assert "已办结" in member.inner_text("h1 + .proposal-meta")
    shot(member, "c07-member-resolved-375")

    # 3. The person looks the number up and reads the result.
    person.goto(f"{base}/concerns/lookup/")
    person.fill("#id_number", number.lower())
    submit(person, "查询")
    status = person.inner_text(".concern-status")
    assert "已办结" in status and RESULT in status and "直接解决" in status
    assert "赵大妈" not in person.inner_text("body") and "13800138000" not in person.inner_text("body")
    assert no_horizontal_scroll(person)
    shot(person, "c08-public-lookup-result-375")
