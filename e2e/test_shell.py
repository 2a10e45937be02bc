import pytest

from e2e import auth
from zhengxie.testing.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, base, username, password=DEFAULT_PASSWORD):
    auth.login(page, base, username, password)


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_office_on_phone_sees_home_and_roster(live_server, world, phone, shot):
    phone.goto(f"{live_server.url}/")
    assert "/accounts/login/" in phone.url
    shot(phone, "01-login-375")
    login(phone, live_server.url, "office1")
    phone.wait_for_selector("h1")
    assert phone.inner_text("h1") == "您好，用户" + world.office.display_name.removeprefix("用户")
    assert "江门市政协 · 机关工作人员" in phone.inner_text("main")
    assert no_horizontal_scroll(phone)
    shot(phone, "02-office-home-375")
    phone.click(".nav-toggle")
    phone.click("text=委员名单")
    phone.wait_for_selector("table")
    text = phone.inner_text("main")
    assert "张三" in text and "李四" in text and "王五" not in text
    assert world.member.mobile_masked in text
    shot(phone, "03-member-list-375")


def test_member_logs_in_by_mobile_and_sees_own_record(live_server, world, phone, shot):
    world.member_user.mobile = "13711112222"
    world.member_user.save()
    login(phone, live_server.url, "13711112222")
    phone.wait_for_selector(".panel")
    assert "江门市政协 · 委员" in phone.inner_text("main")
    phone.click("text=张三")
    phone.wait_for_selector(".facts")
    assert world.member.mobile_masked in phone.inner_text(".facts")
    assert no_horizontal_scroll(phone)
    shot(phone, "04-member-record-375")


def test_wrong_password_five_times_locks_in_browser(live_server, world, phone, shot):
    for _ in range(5):
        login(phone, live_server.url, "leader1", "Wrong-pass-1")
    login(phone, live_server.url, "leader1")
    assert "账号已锁定" in phone.inner_text("main")
    shot(phone, "05-locked-375")
