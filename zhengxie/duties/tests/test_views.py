"""Pages: the member's own file, office rankings, claims, contests, staff entry and rules, with the access
rule of each."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import Role
from zhengxie.duties.models import Contest, DutyKind, DutyRecord, Evaluation, ScoringRule, ScoringScheme
from zhengxie.duties.tests.conftest import YEAR, texts
from zhengxie.testing.factories import MemberFactory, PartyFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def records_snapshot():
    return sorted(DutyRecord.objects.values_list("id", "status", "title", "review_note"))


# ---------------------------------------------------------------- the member's own file


def test_member_file_shows_duties_points_rank_and_caps(dw, client):
    response = as_user(client, dw.world.member_user).get(reverse("duties:mine"), {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    mine = Evaluation.objects.get(member=dw.world.member, year=YEAR)
    assert mine.points == 9 and mine.rank == 1
    assert response.context["evaluation"] == mine
    assert response.context["total_members"] == 2
    assert [g.label for g in response.context["groups"]] == ["学习培训", "招商引资"]
    assert [g.points for g in response.context["groups"]] == [4, 5]
    assert "封顶" in html and "合同金额（万元）：32000" in html
    assert "参加履职培训第3期" in html and "未请假缺席全体会议" not in html
    assert "约谈" not in html  # the threshold is the office's business


def test_member_below_threshold_sees_no_threshold_office_does(dw, client):
    other = dw.world.other_member
    other.user = UserFactory(username="lisi")
    other.save()
    html = as_user(client, other.user).get(reverse("duties:mine")).content.decode()
    assert "-5分" in html and "约谈" not in html
    office_html = (
        as_user(client, dw.world.office).get(reverse("duties:member", args=[other.pk])).content.decode()
    )
    assert "低于约谈分数线（10分）" in office_html


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member_user", 200),
        ("office", 200),
        ("leader", 200),
        ("sibling_office", 404),
        ("province_office", 404),
        ("unit_user", 404),
        ("auditor", 404),
        ("admin", 404),
    ],
)
def test_member_file_access(dw, client, who, status):
    response = as_user(client, getattr(dw.world, who)).get(
        reverse("duties:member", args=[dw.world.member.pk])
    )
    assert response.status_code == status


def test_member_cannot_open_another_members_file(dw, client):
    c = as_user(client, dw.world.member_user)
    assert c.get(reverse("duties:member", args=[dw.world.other_member.pk])).status_code == 404
    assert c.get(reverse("duties:member", args=[dw.world.sibling_member.pk])).status_code == 404
    assert c.get(reverse("duties:member", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(dw, client):
    for url in (reverse("duties:mine"), reverse("duties:office"), reverse("duties:member", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_mine_without_member_record(dw, client):
    assert as_user(client, dw.world.unit_user).get(reverse("duties:mine")).status_code == 404
    response = as_user(client, dw.world.office).get(reverse("duties:mine"))
    assert response.status_code == 302 and response["Location"] == reverse("duties:office")


# ---------------------------------------------------------------- claims


def claim_data(**extra):
    data = {
        "kind": DutyKind.VOLUNTEER,
        "title": "参加社区义诊志愿服务",
        "occurred_on": f"{YEAR}-01-01",
        "evidence": "社区居委会出具证明",
    }
    data.update(extra)
    return data


def test_claim_through_page_is_pending_until_office_confirms(dw, client):
    c = as_user(client, dw.world.member_user)
    response = c.post(reverse("duties:claim"), claim_data())
    assert response.status_code == 302
    record = DutyRecord.objects.get(title="参加社区义诊志愿服务")
    assert (record.status, record.origin, record.member) == ("pending", "member", dw.world.member)
    html = c.get(reverse("duties:mine")).content.decode()
    assert "待确认" in html and "社区居委会出具证明" in html
    # Another member may not decide it; the office confirms it.
    assert (
        c.post(reverse("duties:review_claim", args=[record.pk]), {"decision": "approve"}).status_code == 404
    )
    as_user(client, dw.world.office).post(
        reverse("duties:review_claim", args=[record.pk]), {"decision": "approve"}
    )
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.CONFIRMED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "请填写事项"),
        ({"title": "长" * 201}, "事项不能超过200字"),
        ({"evidence": "  "}, "请填写佐证材料"),
        ({"occurred_on": "2026-13-40"}, "日期格式应为 年-月-日"),
        ({"occurred_on": str(timezone.localdate() + timedelta(days=2))}, "履职日期不能晚于今天"),
        ({"kind": DutyKind.ABSENCE}, "履职类型无效"),
        ({"kind": DutyKind.PROPOSAL_EXCELLENT}, "履职类型无效"),
        ({"kind": "<script>"}, "履职类型无效"),
    ],
)
def test_bad_claim_changes_nothing(dw, client, change, message):
    before = records_snapshot()
    response = as_user(client, dw.world.member_user).post(reverse("duties:claim"), claim_data(**change))
    assert texts(response) == [message]
    assert records_snapshot() == before


def test_claim_by_non_member_is_404(dw, client):
    before = records_snapshot()
    assert as_user(client, dw.world.office).post(reverse("duties:claim"), claim_data()).status_code == 404
    assert records_snapshot() == before


def test_office_rejects_claim_only_with_a_note(dw, client):
    record = DutyRecord.objects.create(
        committee=dw.world.city,
        member=dw.world.member,
        year=YEAR,
        kind=DutyKind.VISIT,
        title="走访企业",
        occurred_on=dw.scheme.created_at.date(),
        status=DutyRecord.Status.PENDING,
        origin=DutyRecord.Origin.MEMBER,
        evidence="无",
    )
    c = as_user(client, dw.world.office)
    url = reverse("duties:review_claim", args=[record.pk])
    assert texts(c.post(url, {"decision": "reject"})) == ["审核意见不能为空"]
    assert texts(c.post(url, {"decision": "maybe"}))[-1] == "请选择确认或不予确认"
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.PENDING
    c.post(url, {"decision": "reject", "note": "缺少企业签字确认单"})
    record.refresh_from_db()
    assert (record.status, record.review_note) == ("rejected", "缺少企业签字确认单")
    for outsider in (dw.world.sibling_office, dw.world.leader, dw.world.province_office):
        assert as_user(client, outsider).post(url, {"decision": "approve"}).status_code == 404


# ---------------------------------------------------------------- contests


def test_contest_through_page_and_office_upholds_it(dw, client):
    record = DutyRecord.objects.get(title="参加履职培训第1期")
    c = as_user(client, dw.world.member_user)
    c.post(reverse("duties:contest", args=[record.pk]), {"reason": "当天在外地出差，未参加"})
    contest = Contest.objects.get(record=record)
    record.refresh_from_db()
    assert (contest.state, record.status) == ("open", "contested")
    html = c.get(reverse("duties:mine")).content.decode()
    assert "当天在外地出差，未参加" in html and "待处理" in html
    # A second contest on the same record is refused with a message.
    assert texts(c.post(reverse("duties:contest", args=[record.pk]), {"reason": "再次"})) == [
        "该记录当前不能提出异议"
    ]
    office = as_user(client, dw.world.office)
    assert "当天在外地出差" in office.get(reverse("duties:review")).content.decode()
    url = reverse("duties:resolve_contest", args=[contest.pk])
    assert texts(office.post(url, {"decision": "uphold", "resolution": ""})) == ["处理意见不能为空"]
    office.post(url, {"decision": "uphold", "resolution": "核实未参加"})
    contest.refresh_from_db()
    record.refresh_from_db()
    assert (contest.state, record.status, record.review_note) == ("upheld", "rejected", "核实未参加")


def test_contest_someone_elses_record_is_404(dw, client):
    theirs = DutyRecord.objects.get(member=dw.world.other_member)
    before = records_snapshot()
    c = as_user(client, dw.world.member_user)
    assert c.post(reverse("duties:contest", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    office = as_user(client, dw.world.office)
    assert office.post(reverse("duties:contest", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    assert records_snapshot() == before and not Contest.objects.exists()


def test_contest_empty_or_huge_reason_changes_nothing(dw, client):
    record = DutyRecord.objects.get(title="参加履职培训第1期")
    c = as_user(client, dw.world.member_user)
    assert texts(c.post(reverse("duties:contest", args=[record.pk]), {"reason": " "})) == ["请填写异议理由"]
    huge = c.post(reverse("duties:contest", args=[record.pk]), {"reason": "长" * 2001})
    assert texts(huge)[-1] == "异议理由不能超过2000字"
    assert not Contest.objects.exists()


# ---------------------------------------------------------------- office pages


def test_rankings_for_office_and_read_only_for_leader(dw, client):
    office = as_user(client, dw.world.office).get(reverse("duties:office"))
    assert office.status_code == 200
    assert [e.member.name for e in office.context["page"]] == ["张三", "李四"]
    assert "重新计算" in office.content.decode() and "考评办法" in office.content.decode()
    leader = as_user(client, dw.world.leader).get(reverse("duties:office"))
    assert [e.member.name for e in leader.context["page"]] == ["张三", "李四"]
    html = leader.content.decode()
    assert "重新计算" not in html and "录入履职" not in html
    for name in ("review", "add", "rules"):
        assert client.get(reverse(f"duties:{name}")).status_code == 404
    assert client.post(reverse("duties:recompute"), {"year": YEAR}).status_code == 404


@pytest.mark.parametrize("who", ["member_user", "unit_user", "auditor", "sibling_office", "province_office"])
def test_rankings_hidden_from_others(dw, client, who):
    c = as_user(client, getattr(dw.world, who))
    assert c.get(reverse("duties:office"), {"committee": dw.world.city.pk}).status_code == 404
    assert c.get(reverse("duties:export"), {"committee": dw.world.city.pk}).status_code == 404


def test_rankings_filters_and_below_threshold_tab(dw, client):
    w = dw.world
    party = PartyFactory(committee=w.city, name="民盟")
    w.other_member.party = party
    w.other_member.save()
    rich = MemberFactory(committee=w.city, name="赵六")
    for i in range(3):
        dw.staff(rich, DutyKind.INVESTMENT, f"引进项目{i}")  # 15 points, above the threshold of 10
    dw.recompute()
    c = as_user(client, w.office)
    everyone = c.get(reverse("duties:office"))
    assert [(e.member.name, e.rank) for e in everyone.context["page"]] == [
        ("赵六", 1),
        ("张三", 2),
        ("李四", 3),
    ]
    below = c.get(reverse("duties:office"), {"tab": "below"})
    assert [e.member.name for e in below.context["page"]] == ["张三", "李四"]
    by_party = c.get(reverse("duties:office"), {"party": party.pk})
    assert [e.member.name for e in by_party.context["page"]] == ["李四"]
    by_sector = c.get(reverse("duties:office"), {"sector": w.member.sector_id, "tab": "below"})
    assert [e.member.name for e in by_sector.context["page"]] == ["张三"]
    # Junk parameters fall back to no filter, never an error.
    junk = c.get(reverse("duties:office"), {"sector": "x;drop", "party": "-1", "year": "abc", "page": "zz"})
    assert junk.status_code == 200 and junk.context["page"].paginator.count == 3


def test_rankings_query_count_does_not_grow(dw, client):
    c = as_user(client, dw.world.office)
    url = reverse("duties:office")
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    for i in range(12):
        m = MemberFactory(
            committee=dw.world.city, name=f"委员{i}", party=PartyFactory(committee=dw.world.city)
        )
        dw.staff(m, DutyKind.TRAINING, "培训")
    dw.recompute()
    with CaptureQueriesContext(connection) as many:
        response = c.get(url)
    assert response.context["page"].paginator.count == 14
    assert len(many) == len(few)


def test_rules_page_publishes_a_new_version_with_every_kind(dw, client):
    c = as_user(client, dw.world.office)
    page = c.get(reverse("duties:rules"))
    assert page.status_code == 200 and "第1版" in page.content.decode()
    assert page.context["form"].initial["points_training"] == "2"
    data = {"name": "修订后的考评办法", "threshold": "12", "note": "提高培训分值", "year": YEAR}
    data.update({"points_training": "3", "cap_training": "9", "points_absence": "-5", "cap_absence": "20"})
    response = c.post(reverse("duties:rules"), data)
    assert response.status_code == 302
    latest = ScoringScheme.objects.get(committee=dw.world.city, year=YEAR, version=2)
    assert (latest.name, latest.threshold, latest.note) == ("修订后的考评办法", 12, "提高培训分值")
    assert sorted(latest.rules.values_list("kind", "points", "cap")) == [
        ("absence", -5, 20),
        ("training", 3, 9),
    ]
    assert ScoringRule.objects.filter(scheme=dw.scheme).count() == 3  # the first version stays


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"points_training": "abc"}, "“学习培训”的分值须为数字"),
        ({"points_training": "", "cap_training": "5"}, "“学习培训”设置了年度上限，请同时填写分值"),
        ({"cap_training": "-1"}, "“学习培训”的年度上限不能小于0"),
        ({"points_training": "1e9"}, "“学习培训”的分值不能大于9999"),
        ({"points_training": ""}, "请至少设置一项计分规则"),
        ({"name": ""}, "请填写名称"),
        ({"threshold": "x"}, "约谈分数线须为数字"),
    ],
)
def test_bad_rules_change_nothing(dw, client, change, message):
    data = {"name": "新版", "threshold": "10", "year": YEAR, "points_training": "2"}
    data.update(change)
    response = as_user(client, dw.world.office).post(reverse("duties:rules"), data)
    assert texts(response) == [message]
    assert ScoringScheme.objects.count() == 1


def test_rules_for_another_committee_are_404(dw, client):
    data = {
        "name": "新版",
        "threshold": "10",
        "year": YEAR,
        "points_training": "2",
        "committee": dw.world.city.pk,
    }
    for who in (dw.world.sibling_office, dw.world.leader, dw.world.member_user):
        assert as_user(client, who).post(reverse("duties:rules"), data).status_code == 404
    assert ScoringScheme.objects.count() == 1


def test_staff_entry_limited_to_the_committee(dw, client):
    c = as_user(client, dw.world.office)
    page = c.get(reverse("duties:add"))
    names = [m.name for m in page.context["form"].fields["member"].queryset]
    assert names == sorted(["张三", "李四"])
    data = {
        "member": dw.world.other_member.pk,
        "kind": DutyKind.INVESTMENT,
        "title": "引进新能源电池项目",
        "occurred_on": f"{YEAR}-01-01",
        "contract_value": "85000",
        "note": "已签约",
    }
    assert c.post(reverse("duties:add"), data).status_code == 302
    record = DutyRecord.objects.get(title="引进新能源电池项目")
    assert (record.origin, record.detail) == ("staff", {"note": "已签约", "contract_value": "85000"})
    before = records_snapshot()
    outside = c.post(reverse("duties:add"), {**data, "member": dw.world.sibling_member.pk, "title": "x"})
    assert texts(outside)[-1] == "只能为本政协委员录入"
    assert texts(c.post(reverse("duties:add"), {**data, "contract_value": "-3"})) == [
        "合同金额（万元）不能小于0"
    ]
    assert texts(c.post(reverse("duties:add"), {**data, "kind": DutyKind.PROPOSAL})) == ["履职类型无效"]
    assert records_snapshot() == before


def test_recompute_button_enqueues_the_recomputation(dw, client, django_capture_on_commit_callbacks):
    DutyRecord.objects.filter(member=dw.world.member, kind=DutyKind.INVESTMENT).delete()
    c = as_user(client, dw.world.office)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("duties:recompute"), {"year": YEAR})
    assert response.status_code == 302
    assert Evaluation.objects.get(member=dw.world.member, year=YEAR).points == 4
    assert c.post(reverse("duties:recompute"), {"year": "abc"}).status_code == 404


def test_office_of_two_committees_picks_with_parameter(dw, client):
    grant(dw.world.office, dw.world.county, Role.OFFICE)
    c = as_user(client, dw.world.office)
    assert (
        c.get(reverse("duties:office"), {"committee": dw.world.county.pk}).context["committee"]
        == dw.world.county
    )
    assert c.get(reverse("duties:office"), {"committee": dw.world.sibling.pk}).status_code == 404
