"""社情民意 pages: who sees what, each action through its form, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import Role
from zhengxie.opinions import services
from zhengxie.opinions.models import Forwarding, Instruction, OpinionReport, ReportState, ReportTransition
from zhengxie.org.models import Party
from zhengxie.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def detail_url(r):
    return reverse("opinions:detail", args=[r.pk])


def act_url(r, action):
    return reverse("opinions:act", args=[r.pk, action])


def login(client, user):
    client.force_login(user)
    return client


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(r):
    r = OpinionReport.objects.get(pk=r.pk)
    return (
        r.state,
        r.version,
        r.title,
        r.number,
        r.merged_into_id,
        r.archive_reason,
        ReportTransition.objects.filter(report=r).count(),
        Forwarding.objects.filter(report=r).count(),
        Forwarding.objects.filter(report=r, adopted=True).count(),
        Instruction.objects.filter(report=r).count(),
    )


def member_login(world, member, username):
    user = UserFactory(username=username)
    member.user = user
    member.save()
    grant(user, member.committee, Role.MEMBER)
    return user


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(reports, client):
    r = reports.bring_to(ReportState.SUBMITTED)
    for url in (
        reverse("opinions:list"),
        reverse("opinions:create"),
        detail_url(r),
        reverse("opinions:import"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    before = snapshot(r)
    response = client.post(act_url(r, "archive"), {"reason": "x"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert snapshot(r) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member_user", 200),  # the author
        ("other", 404),
        ("office", 200),
        ("sibling_office", 404),
        ("province_office", 404),
        ("leader", 200),
        ("unit_user", 404),
        ("auditor", 404),
        ("admin", 404),
    ],
)
def test_detail_access_matrix(reports, client, world, who, status):
    r = reports.bring_to(ReportState.FORWARDED)
    user = member_login(world, world.other_member, "lisi") if who == "other" else getattr(world, who)
    assert login(client, user).get(detail_url(r)).status_code == status


def test_draft_is_the_authors_alone(reports, client, world):
    r = reports.bring_to(ReportState.DRAFT)
    assert login(client, world.member_user).get(detail_url(r)).status_code == 200
    assert login(client, world.office).get(detail_url(r)).status_code == 404
    assert login(client, world.leader).get(detail_url(r)).status_code == 404


def test_foreign_committee_report_is_404_and_cannot_be_acted_on(reports, client, world):
    wangwu = member_login(world, world.sibling_member, "wangwu")
    r = reports.bring_to(ReportState.SUBMITTED, user=wangwu, committee=world.sibling)
    before = snapshot(r)
    assert login(client, world.office).get(detail_url(r)).status_code == 404
    assert client.post(act_url(r, "forward"), {"target": "government"}).status_code == 404
    assert client.post(act_url(r, "archive"), {"reason": "不报送"}).status_code == 404
    assert snapshot(r) == before
    assert login(client, world.sibling_office).get(detail_url(r)).status_code == 200


def test_list_shows_committee_to_office_and_own_to_members(reports, client, world):
    draft = reports.bring_to(ReportState.DRAFT)
    submitted = reports.bring_to(ReportState.SUBMITTED)
    entered = reports.draft(user=world.office, authors=[world.other_member])  # arrives submitted
    ids = lambda user: {r.pk for r in login(client, user).get(reverse("opinions:list")).context["page"]}  # noqa: E731
    assert ids(world.office) == {submitted.pk, entered.pk}
    assert ids(world.leader) == {submitted.pk, entered.pk}
    assert ids(world.member_user) == {draft.pk, submitted.pk}
    assert ids(member_login(world, world.other_member, "lisi")) == {entered.pk}
    for name in ("sibling_office", "province_office", "unit_user", "auditor"):
        assert ids(getattr(world, name)) == set()


def test_list_filters(reports, client, world):
    a = reports.bring_to(ReportState.SUBMITTED, title="关于治理河涌黑臭水体的建议")
    b = reports.bring_to(ReportState.FORWARDED, kind="research")
    OpinionReport.objects.filter(pk=b.pk).update(year=2023)
    c = login(client, world.office)
    page = lambda **q: {r.pk for r in c.get(reverse("opinions:list"), q).context["page"]}  # noqa: E731
    assert page(q="河涌") == {a.pk}
    assert page(state="forwarded") == {b.pk}
    assert page(kind="research") == {b.pk}
    assert page(year="2023") == {b.pk}
    assert page(year="abcd") == set()
    assert page(state="bogus") == set()
    response = c.get(reverse("opinions:list"))
    assert 2023 in response.context["years"]
    assert "调研报告" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(reports, client, world):
    c = login(client, world.office)
    reports.bring_to(ReportState.ADOPTED)
    with CaptureQueriesContext(connection) as one:
        assert c.get(reverse("opinions:list")).status_code == 200
    for state in (ReportState.SUBMITTED, ReportState.FORWARDED, ReportState.ADOPTED, ReportState.ARCHIVED):
        reports.bring_to(state)
    services.instruction_add(
        report=OpinionReport.objects.filter(state="adopted").first(),
        user=world.office,
        level="city",
        leader_name="李明",
    )
    with CaptureQueriesContext(connection) as many:
        response = c.get(reverse("opinions:list"))
    assert response.context["page"].paginator.count == 5
    assert len(many) == len(one)
    assert "批示1次" in response.content.decode()


# ---------------------------------------------------------------- create


def test_member_saves_draft_then_submits(client, world):
    c = login(client, world.member_user)
    assert "本人（张三）" in c.get(reverse("opinions:create")).content.decode()
    data = {
        "kind": "opinion",
        "title": "关于加强校园周边交通管理的建议",
        "situation": "拥堵。",
        "source": "member",
    }
    response = c.post(reverse("opinions:create"), {**data, "submit_now": "0", "client_token": "t1"})
    r = OpinionReport.objects.get()
    assert response["Location"] == detail_url(r)
    assert r.state == ReportState.DRAFT and list(r.authors.all()) == [world.member]
    # The same token twice makes one report.
    c.post(reverse("opinions:create"), {**data, "submit_now": "0", "client_token": "t1"})
    assert OpinionReport.objects.count() == 1
    page = c.get(detail_url(r)).content.decode()
    assert "提交" in page and "修改草稿" in page
    c.post(act_url(r, "submit"), {"version": r.version})
    r.refresh_from_db()
    assert r.state == ReportState.SUBMITTED and r.submitted_on == timezone.localdate()


def test_member_reports_for_own_party_only(client, world):
    party = Party.objects.create(committee=world.city, name="中国民主同盟江门市委员会", short_name="民盟")
    other = Party.objects.create(committee=world.city, name="中国民主建国会江门市委员会", short_name="民建")
    world.member.party = party
    world.member.save()
    c = login(client, world.member_user)
    base = {
        "kind": "opinion",
        "title": "关于发展夜间经济的建议",
        "situation": "夜间经济。",
        "submit_now": "1",
    }
    response = c.post(reverse("opinions:create"), {**base, "source": f"party:{other.pk}"})
    assert response.status_code == 200 and "请选择可以代表的反映人" in texts(response)
    assert not OpinionReport.objects.exists()
    c.post(reverse("opinions:create"), {**base, "source": f"party:{party.pk}"})
    r = OpinionReport.objects.get()
    assert r.party == party and r.source_kind == "party" and r.state == ReportState.SUBMITTED
    assert r.reflector_name == str(party)


def test_office_enters_on_behalf_of_members_and_it_arrives_submitted(client, world):
    c = login(client, world.office)
    base = {"kind": "advice", "title": "关于推进侨乡文旅融合的建议", "situation": "情况。", "submit_now": "1"}
    response = c.post(reverse("opinions:create"), {**base, "source": "member"})
    assert "请选择反映委员" in texts(response)
    response = c.post(
        reverse("opinions:create"),
        {**base, "source": "member", "authors": [world.member.pk, world.other_member.pk]},
    )
    r = OpinionReport.objects.get()
    assert response["Location"] == detail_url(r)
    assert r.state == ReportState.SUBMITTED and r.kind == "advice"
    assert set(r.authors.all()) == {world.member, world.other_member}
    # A member of another committee is not among the choices.
    response = c.post(
        reverse("opinions:create"),
        {**base, "title": "另一条", "source": "member", "authors": [world.sibling_member.pk]},
    )
    assert "反映人须为本政协委员" in texts(response)
    assert OpinionReport.objects.count() == 1


def test_create_refused_to_people_without_a_seat(client, world):
    assert login(client, world.unit_user).get(reverse("opinions:create")).status_code == 404
    assert login(client, world.leader).post(reverse("opinions:create"), {"title": "x"}).status_code == 404


def test_create_bad_input_changes_nothing(client, world):
    c = login(client, world.member_user)
    for data in (
        {"kind": "opinion", "title": "", "situation": "x", "source": "member"},
        {"kind": "opinion", "title": "标题" * 150, "situation": "x", "source": "member"},
        {"kind": "galactic", "title": "标题", "situation": "x", "source": "member"},
        {"kind": "opinion", "title": "标题", "situation": "", "source": "member"},
        {"kind": "opinion", "title": "\x00\x01", "situation": "x", "source": "member"},
    ):
        response = c.post(reverse("opinions:create"), data)
        assert response.status_code == 200 and texts(response)
    assert not OpinionReport.objects.exists()


# ---------------------------------------------------------------- actions


def test_author_withdraws_submitted(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    c = login(client, world.member_user)
    assert "撤回" in c.get(detail_url(r)).content.decode()
    c.post(act_url(r, "withdraw"), {"reason": "需补充材料", "version": r.version})
    r.refresh_from_db()
    assert r.state == ReportState.WITHDRAWN


def test_edit_by_author_in_draft_and_office_when_submitted(reports, client, world):
    r = reports.bring_to(ReportState.DRAFT)
    c = login(client, world.member_user)
    edit = reverse("opinions:edit", args=[r.pk])
    assert c.get(edit).status_code == 200
    c.post(edit, {"kind": "opinion", "title": "改过的标题", "situation": "新情况", "version": r.version})
    r.refresh_from_db()
    assert r.title == "改过的标题"
    services.report_submit(report=r, user=world.member_user)
    r.refresh_from_db()
    # The author no longer edits once submitted; the office does.
    response = c.post(edit, {"kind": "opinion", "title": "再改", "situation": "x", "version": r.version})
    assert response.status_code == 302 and OpinionReport.objects.get(pk=r.pk).title == "改过的标题"
    o = login(client, world.office)
    o.post(edit, {"kind": "research", "title": "编辑后的标题", "situation": "编辑后", "version": r.version})
    r.refresh_from_db()
    assert (r.title, r.kind) == ("编辑后的标题", "research")
    # A stale version (someone saved in between) is refused.
    before = snapshot(r)
    response = o.post(
        edit, {"kind": "opinion", "title": "旧页面", "situation": "x", "version": r.version - 1}
    )
    assert any("刷新" in t for t in texts(response))
    assert snapshot(r) == before


def test_office_archives_with_reason_then_reopens(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    c = login(client, world.office)
    before = snapshot(r)
    response = c.post(act_url(r, "archive"), {"reason": "  ", "version": r.version})
    assert "请填写不报送理由" in texts(response)
    assert snapshot(r) == before
    c.post(act_url(r, "archive"), {"reason": "内容已有反映", "version": r.version})
    r.refresh_from_db()
    assert r.state == ReportState.ARCHIVED and r.archive_reason == "内容已有反映"
    author_page = login(client, world.member_user).get(detail_url(r)).content.decode()
    assert "内容已有反映" in author_page
    login(client, world.office).post(act_url(r, "reopen"), {"version": r.version})
    r.refresh_from_db()
    assert r.state == ReportState.SUBMITTED and r.archive_reason == ""


def test_office_merges_into_another_of_the_committee(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    into = reports.bring_to(ReportState.FORWARDED)
    draft = reports.bring_to(ReportState.DRAFT)
    wangwu = member_login(world, world.sibling_member, "wangwu")
    foreign = reports.bring_to(ReportState.SUBMITTED, user=wangwu, committee=world.sibling)
    c = login(client, world.office)
    candidates = {x.pk for x in c.get(detail_url(r)).context["merge_candidates"]}
    assert into.pk in candidates and draft.pk not in candidates and foreign.pk not in candidates
    before = snapshot(r)
    for bad in (foreign.pk, draft.pk, "abc", r.pk):
        c.post(act_url(r, "merge"), {"into": bad, "version": r.version})
        assert snapshot(r) == before
    c.post(act_url(r, "merge"), {"into": into.pk, "version": r.version})
    r.refresh_from_db()
    assert r.state == ReportState.MERGED and r.merged_into == into
    page = login(client, world.member_user).get(detail_url(into)).content.decode()
    assert r.title in page  # listed under 并入本条的信息


def test_office_forwards_adopts_and_records_instructions_the_author_sees(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    c = login(client, world.office)
    before = snapshot(r)
    for bad in (
        {"target": "moon"},
        {"target": "government", "forwarded_on": (timezone.localdate() + timedelta(days=2)).isoformat()},
        {"target": "government", "forwarded_on": "2024-13-45"},
    ):
        c.post(act_url(r, "forward"), {**bad, "version": r.version})
        assert snapshot(r) == before
    c.post(
        act_url(r, "forward"),
        {"target": "party_committee", "receiver": "江门市委办公室", "issue": "第5期", "version": r.version},
    )
    r.refresh_from_db()
    assert r.state == ReportState.FORWARDED and r.number == 1
    c.post(act_url(r, "forward"), {"target": "higher_cppcc", "receiver": "广东省政协"})
    first, second = r.forwardings.order_by("id")
    c.post(
        act_url(r, "adopt"), {"forwarding": second.pk, "adopted_by": "广东省政协办公厅", "note": "全文采用"}
    )
    r.refresh_from_db()
    assert r.state == ReportState.ADOPTED
    c.post(act_url(r, "instruct"), {"level": "galactic", "leader_name": "李明"})
    assert not Instruction.objects.exists()
    for level, name in (("provincial", "王强"), ("city", "李明")):
        c.post(
            act_url(r, "instruct"),
            {
                "level": level,
                "leader_name": name,
                "leader_title": "书记",
                "text": f"{name}的批示：请研究落实。",
            },
        )
    assert Instruction.objects.filter(report=r).count() == 2
    page = login(client, world.member_user).get(detail_url(r)).content.decode()
    for text in (
        "广东省政协办公厅",
        "全文采用",
        "省级",
        "市级",
        "书记王强",
        "李明的批示：请研究落实。",
        "第5期",
    ):
        assert text in page
    assert (
        'name="leader_name"' not in page and 'name="adopted_by"' not in page
    )  # no office forms for the author
    # The other forwarding can still be adopted, once.
    c = login(client, world.office)
    c.post(act_url(r, "adopt"), {"forwarding": first.pk})
    c.post(act_url(r, "adopt"), {"forwarding": first.pk})
    assert r.forwardings.filter(adopted=True).count() == 2


def test_adopt_refuses_another_reports_forwarding(reports, client, world):
    a = reports.bring_to(ReportState.FORWARDED)
    b = reports.bring_to(ReportState.FORWARDED)
    before = snapshot(a)
    response = login(client, world.office).post(act_url(a, "adopt"), {"forwarding": b.forwardings.get().pk})
    assert "报送记录不属于该信息" in texts(response)
    assert snapshot(a) == before


@pytest.mark.parametrize("who", ["member_user", "leader"])
def test_non_office_cannot_run_office_actions(reports, client, world, who):
    r = reports.bring_to(ReportState.SUBMITTED)
    c = login(client, getattr(world, who))
    before = snapshot(r)
    for action, data in (
        ("archive", {"reason": "x"}),
        ("forward", {"target": "government"}),
        ("merge", {"into": reports.bring_to(ReportState.SUBMITTED).pk}),
    ):
        response = c.post(act_url(r, action), data)
        assert response.status_code == 302
        assert texts(response)
    assert snapshot(r) == before
    assert "报送对象" not in c.get(detail_url(r)).content.decode()


def test_other_member_and_unit_get_404_on_actions(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    before = snapshot(r)
    lisi = member_login(world, world.other_member, "lisi")
    for user in (lisi, world.unit_user, world.sibling_office, world.province_office):
        assert login(client, user).post(act_url(r, "withdraw"), {}).status_code == 404
    assert login(client, world.office).post(act_url(r, "fly"), {}).status_code == 404
    assert snapshot(r) == before


def test_stale_page_is_refused(reports, client, world):
    r = reports.bring_to(ReportState.SUBMITTED)
    c = login(client, world.office)
    stale = r.version
    c.post(act_url(r, "archive"), {"reason": "第一人", "version": stale})
    c.post(act_url(r, "reopen"), {"version": stale + 1})
    before = snapshot(r)
    response = c.post(act_url(r, "archive"), {"reason": "第二人", "version": stale})
    assert any("刷新" in t for t in texts(response))
    assert snapshot(r) == before


def test_import_page_is_for_office(client, world):
    assert login(client, world.member_user).get(reverse("opinions:import")).status_code == 404
    assert login(client, world.leader).get(reverse("opinions:import")).status_code == 404
    response = login(client, world.office).get(reverse("opinions:import"))
    assert response.status_code == 200 and "最高批示级别" in response.content.decode()
    response = client.post(reverse("opinions:import"), {})
    assert "请选择要导入的台账文件" in response.content.decode()
