"""The whole proposal walk in a browser: draft with a co-signer, confirm, submit, file, assign, reply, rate."""

import pytest

from e2e import auth
from zhengxie.accounts.models import Role
from zhengxie.proposals.models import Proposal, State
from zhengxie.proposals.tests.conftest import pw  # noqa: F401
from zhengxie.testing.factories import DEFAULT_PASSWORD, UserFactory, grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desktop(browser):
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


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


def login(page, base, username):
    auth.login(page, base, username, DEFAULT_PASSWORD)


def post_form(page, button_text):
    with page.expect_navigation():
        page.click(f"button:text-is('{button_text}')")


def state_shown(page):
    return page.inner_text("h1 + .proposal-meta .state")


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_proposal_walk_from_draft_to_closed(live_server, pw, phones, desktop, shot):  # noqa: F811
    w = pw.world
    base = live_server.url
    lisi = UserFactory(username="lisi", display_name="李四")
    w.other_member.user = lisi
    w.other_member.save()
    grant(lisi, w.city, Role.MEMBER)

    # 1. The member drafts on a phone and invites 李四.
    member = phones()
    login(member, base, "member1")
    member.goto(f"{base}/proposals/new/")
    member.fill("#id_title", "关于加快江门市老旧小区加装电梯的建议")
    member.fill("#id_background", "全市老旧小区多，老年人上下楼困难。")
    member.fill("#id_suggestions", "一是简化审批；二是加大补贴。")
    member.select_option("#id_category", "society")
    member.select_option("#id_cosigners", label="李四")
    assert no_horizontal_scroll(member)
    shot(member, "p01-member-draft-form-375")
    post_form(member, "保存草稿")
    proposal = Proposal.objects.get()
    detail = f"{base}/proposals/{proposal.pk}/"
    assert member.url == detail
    assert state_shown(member) == "草稿"
    assert "李四 · 待确认" in member.inner_text("main")
    assert no_horizontal_scroll(member)
    shot(member, "p02-member-draft-detail-375")

    # 2. 李四 confirms the co-signature.
    cosigner = phones()
    login(cosigner, base, "lisi")
    cosigner.goto(detail)
    shot(cosigner, "p03-cosigner-invited-375")
    post_form(cosigner, "确认联名")
    assert "已确认联名" in cosigner.inner_text(".message")
    assert "李四 · 已确认" in cosigner.inner_text("main")
    shot(cosigner, "p04-cosigner-confirmed-375")

    # 3. The member submits: the proposal gets its number.
    member.goto(detail)
    post_form(member, "提交提案")
    assert state_shown(member) == "待审查"
    assert "十四届二次会议第0001号" in member.inner_text(".facts")
    shot(member, "p05-member-submitted-375")

    # 4. The office files it and assigns it to the education bureau (desktop).
    office = desktop()
    login(office, base, "office1")
    office.goto(f"{base}/proposals/")
    assert "关于加快江门市老旧小区加装电梯的建议" in office.inner_text("main")
    assert office.is_visible("text=导出台账（Excel）")
    shot(office, "p06-office-list-1280")
    office.click("text=关于加快江门市老旧小区加装电梯的建议")
    office.wait_for_selector(".actions")
    shot(office, "p07-office-review-1280")
    post_form(office, "立案")
    assert state_shown(office) == "已立案"
    office.select_option("select[name=lead]", label=w.unit.name)
    office.select_option("select[name=co_units]", label=pw.other_unit.name)
    shot(office, "p08-office-assign-form-1280")
    post_form(office, "交办")
    assert state_shown(office) == "办理中"
    assert w.unit.name in office.inner_text("main")
    shot(office, "p09-office-assigned-1280")

    # 5. The lead unit replies with result A.
    unit = desktop()
    login(unit, base, "unit1")
    unit.goto(detail)
    unit.fill("textarea[name=letter]", "经研究，已将加装电梯纳入年度民生实事，审批时限压缩至15个工作日。")
    unit.select_option("select[name=result]", "A")
    unit.fill("input[name=doc_number]", "江教函〔2026〕12号")
    shot(unit, "p10-unit-reply-form-1280")
    post_form(unit, "答复")
    assert state_shown(unit) == "已答复"
    assert "A 所提问题已经解决或采纳" in unit.inner_text("main")
    shot(unit, "p11-unit-replied-1280")

    # 6. The member rates 满意 and the proposal is closed.
    member.goto(detail)
    member.select_option("select[name=rating]", label="满意")
    shot(member, "p12-member-rate-form-375")
    post_form(member, "提交评价")
    assert state_shown(member) == "已办结"
    assert "满意" in member.inner_text("main")
    assert no_horizontal_scroll(member)
    shot(member, "p13-member-closed-375")
    assert Proposal.objects.get().state == State.CLOSED
