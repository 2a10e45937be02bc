"""While a member types a proposal on a phone, the panel of similar earlier proposals appears with their fate."""

import pytest

from e2e import auth
from zhengxie.org.models import Session
from zhengxie.proposals.models import Proposal, State
from zhengxie.proposals.tests.conftest import pw  # noqa: F401
from zhengxie.testing.factories import DEFAULT_PASSWORD
from zhengxie.textindex import dedup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_similar_panel_appears_while_the_member_types(live_server, pw, phone, shot):  # noqa: F811
    # The member's own 2023 proposal on lifts, answered B by the education bureau and closed.
    earlier = pw.bring_to(State.CLOSED)
    year_2023 = Session.objects.create(committee=pw.world.city, term=pw.session.term, number=1, year=2023)
    Proposal.objects.filter(pk=earlier.pk).update(session=year_2023)

    dedup.rebuild()  # the index as the database now stands (rebuild_dedup_index in a deployment)

    base = live_server.url
    auth.login(phone, base, "member1", DEFAULT_PASSWORD)
    phone.goto(f"{base}/proposals/new/")
    assert "输入案由和内容后" in phone.inner_text("#similar-panel")
    # Typed key by key, as a person would: the panel waits for a pause, then asks once.
    phone.locator("#id_title").press_sequentially("老旧小区加装电梯", delay=40)
    phone.locator("#id_background").press_sequentially("老年人上下楼困难，加装电梯难。", delay=20)
    item = phone.wait_for_selector("#similar-panel .similar-item", timeout=15000)
    text = phone.inner_text("#similar-panel")
    assert "机器提示" in text
    assert earlier.title in item.inner_text()
    assert "2023年提出，由江门市教育局主办，B类答复，已办结" in text
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.locator("#similar-panel").scroll_into_view_if_needed()
    shot(phone, "similar-draft")
