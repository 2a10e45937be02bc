# ruff: noqa: F811  (the shared `cv` fixture is imported from test_queries)
"""Consultation pages: the access matrix, every action through the page, bad input, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import AuditLog, Role
from zhengxie.consultations import services
from zhengxie.consultations.models import (
    Consultation,
    ConsultationPlan,
    Contribution,
    DemocraticReview,
    Outcome,
    OutcomeProgress,
    Participant,
    ReviewScore,
    Speech,
    Topic,
    Visit,
)
from zhengxie.consultations.tests.test_queries import cv  # noqa: F401
from zhengxie.testing.factories import MemberFactory, StationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def detail_url(c):
    return reverse("consultations:detail", args=[c.pk])


def act_url(c, action):
    return reverse("consultations:act", args=[c.pk, action])


def outcome_url(o, action):
    return reverse("consultations:outcome_act", args=[o.consultation_id, o.pk, action])


def login(client, user):
    client.force_login(user)
    return client


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def wangwu(cv):
    w = cv.world
    user = UserFactory(username="wangwu")
    w.sibling_member.user = user
    w.sibling_member.save()
    grant(user, w.sibling, Role.MEMBER)
    return user


# ---------------------------------------------------------------- access matrix


def test_anonymous_is_sent_to_login(cv, client):
    c = cv.make()
    for url in (reverse("consultations:list"), detail_url(c), reverse("consultations:plan_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(act_url(c, "hold"))
    assert response.status_code == 302 and Consultation.objects.get(pk=c.pk).state == "planned"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 200),
        ("leader", 200),
        ("member_user", 200),
        ("sibling_office", 404),
        ("province_office", 404),
        ("admin", 404),
        ("auditor", 404),
        ("unit_user", 404),
    ],
)
def test_detail_access_matrix(cv, client, who, status):
    c = cv.make(state="held")
    assert login(client, getattr(cv.world, who)).get(detail_url(c)).status_code == status


def test_detail_member_of_another_committee_gets_404(cv, client):
    c = cv.make(state="held")
    assert login(client, wangwu(cv)).get(detail_url(c)).status_code == 404


def test_detail_cancelled_hidden_from_members_but_shown_to_participants(cv, client):
    w = cv.world
    c = cv.make()
    services.participant_add(consultation=c, user=w.office, member=w.member)
    c.refresh_from_db()
    services.consultation_cancel(consultation=c, user=w.office)
    assert login(client, w.member_user).get(detail_url(c)).status_code == 200
    assert login(client, cv.lisi_user).get(detail_url(c)).status_code == 404


def test_member_sees_participant_names_but_no_personal_data(cv, client):
    w = cv.world
    c = cv.make()
    services.participant_add(consultation=c, user=w.office, member=w.other_member)
    page = login(client, w.member_user).get(detail_url(c)).content.decode()
    assert "李四" in page
    assert w.other_member.mobile not in page
    assert "保存出席情况" not in page and "添加参加人员" not in page


def test_unit_holding_an_item_sees_only_its_items_and_no_participants(cv, client):
    w = cv.world
    c = cv.make(state="held")
    services.participant_add(consultation=c, user=w.office, member=w.other_member)
    c.refresh_from_db()
    mine = cv.item(c)
    theirs = cv.item(c, unit=cv.other_unit)
    response = login(client, w.unit_user).get(detail_url(c))
    assert response.status_code == 200
    assert [o.pk for o in response.context["outcomes"]] == [mine.pk]
    page = response.content.decode()
    assert "李四" not in page and "参加人员" not in page
    assert f"outcome-{theirs.pk}" not in page
    assert "采纳" in page
    # An item of another unit cannot be acted on through this consultation.
    response = client.post(outcome_url(theirs, "accept"), {"response": "好"})
    assert response.status_code == 404
    assert Outcome.objects.get(pk=theirs.pk).state == "transferred"


def test_list_shows_each_role_what_it_may_see(cv, client):
    w = cv.world
    held, cancelled = cv.make(state="held"), cv.make(state="cancelled")

    def ids(user):
        return [c.pk for c in login(client, user).get(reverse("consultations:list")).context["page"]]

    assert sorted(ids(w.office)) == sorted([held.pk, cancelled.pk])
    assert ids(w.member_user) == [held.pk]
    assert ids(w.sibling_office) == []
    assert ids(w.auditor) == []
    assert ids(w.unit_user) == []
    cv.item(held)
    assert ids(w.unit_user) == [held.pk]


def test_list_filters_and_overdue_badge(cv, client):
    w = cv.world
    c = cv.make(state="held", series="委员议事厅")
    cv.make(state="held")
    item = cv.item(c)
    Outcome.objects.filter(pk=item.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    response = login(client, w.office).get(reverse("consultations:list"), {"overdue": "1"})
    assert [x.pk for x in response.context["page"]] == [c.pk]
    assert "超期 1 项" in response.content.decode()
    response = client.get(reverse("consultations:list"), {"series": "委员议事厅", "form": "micro"})
    assert [x.pk for x in response.context["page"]] == [c.pk]


def test_list_query_count_does_not_grow_with_rows(cv, client, django_assert_max_num_queries):
    w = cv.world
    login(client, w.office)
    c = cv.make(state="held")
    cv.item(c)
    client.get(reverse("consultations:list"))  # warm caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("consultations:list"))
    for _ in range(4):
        more = cv.make(state="held", station_id=StationFactory(committee=w.city).pk)
        cv.item(more)
    with django_assert_max_num_queries(len(one)):
        response = client.get(reverse("consultations:list"))
    assert len(response.context["page"]) == 5


def test_unit_page_query_count_does_not_grow_with_rows(cv, client, django_assert_max_num_queries):
    w = cv.world
    login(client, w.unit_user)
    c = cv.make(state="held")
    cv.item(c)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("consultations:unit_outcomes"))
    for _ in range(3):
        cv.item(cv.make(state="held"))
    with django_assert_max_num_queries(len(one)):
        response = client.get(reverse("consultations:unit_outcomes"))
    assert len(response.context["page"]) == 4


def test_unit_page_lists_overdue_first_and_is_404_for_non_units(cv, client):
    w = cv.world
    c = cv.make(state="held")
    later = cv.item(c, deadline=timezone.localdate() + timedelta(days=20))
    overdue = cv.item(c)
    Outcome.objects.filter(pk=overdue.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    response = login(client, w.unit_user).get(reverse("consultations:unit_outcomes"))
    assert [o.pk for o in response.context["page"]] == [overdue.pk, later.pk]
    assert "已超期" in response.content.decode()
    assert login(client, w.member_user).get(reverse("consultations:unit_outcomes")).status_code == 404


# ---------------------------------------------------------------- create


def test_office_creates_a_micro_consultation_at_a_station(cv, client):
    w = cv.world
    response = login(client, w.office).post(
        reverse("consultations:create"),
        {
            "kind": "consultation",
            "form": "micro",
            "series": "有事来协商",
            "title": "朝翠路路灯",
            "held_on": timezone.localdate().isoformat(),
            "station": cv.station.pk,
        },
    )
    c = Consultation.objects.get()
    assert response["Location"] == detail_url(c)
    assert (c.committee, c.form, c.series, c.station, c.created_by) == (
        w.city,
        "micro",
        "有事来协商",
        cv.station,
        w.office,
    )


def test_station_member_may_create_only_a_micro_consultation_at_their_station(cv, client):
    other_station = StationFactory(committee=cv.world.city)
    data = {
        "kind": "consultation",
        "form": "micro",
        "title": "小区停车",
        "held_on": timezone.localdate().isoformat(),
        "station": other_station.pk,
    }
    login(client, cv.station_user)
    response = client.post(reverse("consultations:create"), data)
    assert Consultation.objects.count() == 0
    assert "站点无效" in response.content.decode()
    response = client.post(
        reverse("consultations:create"), {**data, "form": "plenary", "station": cv.station.pk}
    )
    assert Consultation.objects.count() == 0
    assert "协商形式无效" in response.content.decode()
    client.post(reverse("consultations:create"), {**data, "station": cv.station.pk})
    assert Consultation.objects.get().station == cv.station


def test_member_without_station_cannot_create(cv, client):
    assert login(client, cv.world.member_user).get(reverse("consultations:create")).status_code == 404
    assert login(client, cv.world.unit_user).get(reverse("consultations:create")).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "请填写主题"),
        ("title", "长" * 201, "主题不能超过200字"),
        ("held_on", "2026-13-40", "日期格式应为 年-月-日"),
        ("form", "<script>", "协商形式无效"),
        ("kind", "party", "活动类型无效"),
    ],
)
def test_create_bad_input_gets_a_message_and_creates_nothing(cv, client, field, value, message):
    data = {
        "kind": "consultation",
        "form": "micro",
        "title": "标题",
        "held_on": timezone.localdate().isoformat(),
        field: value,
    }
    response = login(client, cv.world.office).post(reverse("consultations:create"), data)
    assert response.status_code == 200
    assert message in texts(response)
    assert Consultation.objects.count() == 0


def test_create_consultation_without_form_is_refused(cv, client):
    data = {"kind": "consultation", "form": "", "title": "标题", "held_on": timezone.localdate().isoformat()}
    response = login(client, cv.world.office).post(reverse("consultations:create"), data)
    assert "请选择协商形式" in texts(response)
    assert Consultation.objects.count() == 0


# ---------------------------------------------------------------- consultation actions


def test_office_walks_a_consultation_through_the_pages(cv, client):
    w = cv.world
    c = cv.make()
    login(client, w.office)
    client.post(act_url(c, "participant"), {"kind": "member", "member": w.member.pk})
    client.post(act_url(c, "participant"), {"kind": "public", "name": "陈伯", "organisation": "朝翠社区居民"})
    assert sorted(Participant.objects.filter(consultation=c).values_list("name", "kind")) == sorted(
        [("张三", "member"), ("陈伯", "public")]
    )
    p1, p2 = Participant.objects.filter(consultation=c).order_by("id")
    client.post(
        act_url(c, "attendance_all"),
        {f"attendance-{p1.pk}": "attended", f"attendance-{p2.pk}": "leave", f"leave_reason-{p2.pk}": "出差"},
    )
    assert list(
        Participant.objects.filter(consultation=c).order_by("id").values_list("attendance", flat=True)
    ) == [
        "attended",
        "leave",
    ]
    response = client.post(act_url(c, "speech"), {"participant": p1.pk, "title": "关于路灯的建议"})
    assert "活动召开后才能登记发言" in texts(response)
    client.post(act_url(c, "hold"), {"summary": "与居民充分协商", "minutes": "议定增设路灯"})
    c.refresh_from_db()
    assert (c.state, c.minutes) == ("held", "议定增设路灯")
    client.post(act_url(c, "speech"), {"participant": p1.pk, "title": "关于路灯的建议"})
    assert Speech.objects.get(consultation=c).title == "关于路灯的建议"
    client.post(act_url(c, "outcome"), {"text": "增设路灯12盏"})
    o = Outcome.objects.get(consultation=c)
    response = client.post(act_url(c, "close"))
    assert "还有1项协商成果未办结，不能办结该活动" in texts(response)
    deadline = timezone.localdate() + timedelta(days=30)
    client.post(outcome_url(o, "transfer"), {"unit": w.unit.pk, "deadline": deadline.isoformat()})
    o.refresh_from_db()
    assert (o.state, o.unit, o.deadline) == ("transferred", w.unit, deadline)

    login(client, w.unit_user)
    client.post(outcome_url(o, "accept"), {"response": "同意实施"})
    response = client.post(outcome_url(o, "progress"), {"percent": "40", "note": "已采购灯具"})
    assert "进展已报送" in texts(response)
    client.post(outcome_url(o, "complete"), {"note": "已全部亮灯"})
    o.refresh_from_db()
    assert (o.state, o.percent) == ("done", 100)

    login(client, w.office)
    client.post(outcome_url(o, "report_back"), {"feedback": "已告知居民"})
    response = client.post(act_url(c, "close"))
    assert "协商活动已办结" in texts(response)
    c.refresh_from_db()
    assert c.state == "closed"
    assert list(OutcomeProgress.objects.filter(outcome=o).values_list("action", flat=True)) == [
        "transfer",
        "accept",
        "progress",
        "complete",
        "report_back",
    ]

    login(client, w.member_user)
    page = client.get(detail_url(c)).content.decode()
    assert "已反馈办结" in page and '<progress max="100" value="100">' in page


def test_unit_hands_back_and_is_sent_to_its_list(cv, client):
    w = cv.world
    o = cv.item(cv.make(state="held"))
    response = login(client, w.unit_user).post(outcome_url(o, "hand_back"), {"reason": "不属于本单位职责"})
    assert response["Location"] == reverse("consultations:unit_outcomes")
    o.refresh_from_db()
    assert (o.state, o.unit) == ("draft", None)


def test_unit_declines_and_office_reports_back(cv, client):
    w = cv.world
    o = cv.item(cv.make(state="held"))
    response = login(client, w.unit_user).post(outcome_url(o, "decline"), {"response": ""})
    assert "采纳情况不能为空" in texts(response)
    client.post(outcome_url(o, "decline"), {"response": "无资金"})
    assert Outcome.objects.get(pk=o.pk).state == "not_accepted"
    login(client, w.office).post(outcome_url(o, "report_back"), {"feedback": "已说明"})
    assert Outcome.objects.get(pk=o.pk).state == "closed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"percent": "100", "note": "x"}, "进度须在0到99之间；完成请点“落实完成”"),
        ({"percent": "abc", "note": "x"}, "进度须为0到99之间的整数"),
        ({"percent": "10", "note": ""}, "请填写进展情况"),
        ({"percent": "10", "note": "长" * 5001}, "进展情况不能超过5000字"),
    ],
)
def test_progress_bad_input_changes_nothing(cv, client, data, message):
    o = cv.item(cv.make(state="held"), to="accepted")
    response = login(client, cv.world.unit_user).post(outcome_url(o, "progress"), data)
    assert message in texts(response)
    assert OutcomeProgress.objects.filter(outcome=o, action="progress").count() == 0
    assert Outcome.objects.get(pk=o.pk).percent == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit": "", "deadline": "2099-01-01"}, "请选择承办单位"),
        ({"unit": "999999", "deadline": "2099-01-01"}, "承办单位无效"),
        ({"unit": "UNIT", "deadline": "2020-01-01"}, "办理期限不能早于今天"),
        ({"unit": "UNIT", "deadline": "tomorrow"}, "办理期限格式应为 年-月-日"),
    ],
)
def test_transfer_bad_input_changes_nothing(cv, client, data, message):
    o = cv.item(cv.make(state="held"), to="draft")
    data = {k: (str(cv.world.unit.pk) if v == "UNIT" else v) for k, v in data.items()}
    response = login(client, cv.world.office).post(outcome_url(o, "transfer"), data)
    assert message in texts(response)
    assert Outcome.objects.get(pk=o.pk).state == "draft"


def test_transfer_to_a_unit_of_another_committee_is_refused(cv, client):
    from zhengxie.testing.factories import HandlingUnitFactory

    foreign = HandlingUnitFactory(committee=cv.world.sibling)
    o = cv.item(cv.make(state="held"), to="draft")
    response = login(client, cv.world.office).post(
        outcome_url(o, "transfer"), {"unit": foreign.pk, "deadline": "2099-01-01"}
    )
    assert "承办单位无效" in texts(response)
    assert Outcome.objects.get(pk=o.pk).unit is None


@pytest.mark.parametrize("who", ["member_user", "leader", "unit_user"])
def test_non_managers_cannot_run_consultation_actions(cv, client, who):
    w = cv.world
    c = cv.make()
    cv.item(cv.make(state="held"))
    user = getattr(w, who)
    response = login(client, user).post(act_url(c, "hold"), {"summary": "x"})
    if who == "unit_user":
        assert response.status_code == 404
    else:
        assert "您无权执行此操作" in texts(response)
    assert Consultation.objects.get(pk=c.pk).state == "planned"


def test_member_cannot_transfer_an_item(cv, client):
    w = cv.world
    o = cv.item(cv.make(state="held"), to="draft")
    response = login(client, w.member_user).post(
        outcome_url(o, "transfer"), {"unit": w.unit.pk, "deadline": "2099-01-01"}
    )
    assert "您无权执行此操作" in texts(response)
    assert Outcome.objects.get(pk=o.pk).state == "draft"


def test_other_office_gets_404_on_actions(cv, client):
    c = cv.make()
    o = cv.item(cv.make(state="held"), to="draft")
    login(client, cv.world.sibling_office)
    assert client.post(act_url(c, "hold")).status_code == 404
    assert client.post(outcome_url(o, "transfer"), {"unit": cv.world.unit.pk}).status_code == 404


def test_unknown_action_is_404(cv, client):
    c = cv.make()
    assert login(client, cv.world.office).post(act_url(c, "explode")).status_code == 404


def test_station_member_runs_the_micro_consultation_at_their_station(cv, client):
    w = cv.world
    c = cv.make()
    login(client, cv.station_user)
    response = client.post(act_url(c, "participant"), {"kind": "member", "member": w.member.pk})
    assert "已添加参加人员：张三" in texts(response)
    client.post(act_url(c, "hold"), {"summary": "居民代表到场"})
    assert Consultation.objects.get(pk=c.pk).state == "held"


def test_participant_add_bad_input(cv, client):
    w = cv.world
    c = cv.make()
    login(client, w.office)
    response = client.post(act_url(c, "participant"), {"kind": "member", "member": ""})
    assert "请选择委员" in texts(response)
    response = client.post(act_url(c, "participant"), {"kind": "member", "member": w.sibling_member.pk})
    assert "委员无效" in texts(response)
    response = client.post(act_url(c, "participant"), {"kind": "expert", "name": ""})
    assert "姓名不能为空" in texts(response)
    assert Participant.objects.filter(consultation=c).count() == 0


def test_cancel_and_case_marking(cv, client):
    w = cv.world
    c = cv.make()
    login(client, w.office).post(act_url(c, "cancel"))
    assert Consultation.objects.get(pk=c.pk).state == "cancelled"
    held = cv.make(state="held")
    response = client.post(act_url(held, "case_mark"), {"summary": "路灯一个月亮起"})
    assert texts(response)[-1] == "已列为优秀案例"
    held.refresh_from_db()
    assert (held.is_good_case, held.case_summary) == (True, "路灯一个月亮起")
    client.post(act_url(held, "case_unmark"))
    assert Consultation.objects.get(pk=held.pk).is_good_case is False


def test_research_trip_visits_and_report(cv, client):
    w = cv.world
    c = cv.make(kind="research", form="", station_id=None, title="乡村振兴专题调研")
    p = services.participant_add(consultation=c, user=w.office, member=w.member)
    services.attendance_set(consultation=c, user=w.office, participant=p, attendance="attended")
    c = services.consultation_hold(consultation=c, user=w.office)
    login(client, w.office)
    client.post(act_url(c, "visit"), {"visited_on": "2026-03-02", "place": "荷塘镇", "note": "走访农户"})
    assert list(Visit.objects.filter(consultation=c).values_list("place", flat=True)) == ["荷塘镇"]
    response = client.post(act_url(c, "visit"), {"visited_on": "", "place": "x"})
    assert "请填写日期" in texts(response)
    client.post(
        act_url(c, "report"), {"title": "关于乡村振兴的调研报告", "situation": "情况", "suggestion": "建议"}
    )
    c.refresh_from_db()
    assert c.report is not None and c.report.title == "关于乡村振兴的调研报告"
    page = client.get(detail_url(c)).content.decode()
    assert "荷塘镇" in page and "关于乡村振兴的调研报告" in page


def test_online_round_contributions_and_replies(cv, client):
    w = cv.world
    c = cv.make(state="held")
    now = timezone.localtime()
    login(client, w.office).post(
        act_url(c, "round"),
        {
            "question": "如何改善夜间出行",
            "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    r = c.online_rounds.get()
    response = client.post(act_url(c, "round"), {"question": "x", "opens_at": "yesterday", "closes_at": ""})
    assert "开始时间格式应为 年-月-日 时:分" in texts(response)
    login(client, w.member_user)
    assert "提交发言" in client.get(detail_url(c)).content.decode()
    client.post(act_url(c, "contribute"), {"round": r.pk, "text": "建议增设路灯"})
    first = Contribution.objects.get()
    login(client, cv.lisi_user).post(
        act_url(c, "contribute"), {"round": r.pk, "text": "赞同", "reply_to": first.pk}
    )
    assert Contribution.objects.get(reply_to=first).text == "赞同"
    page = client.get(detail_url(c)).content.decode()
    assert "建议增设路灯" in page and "赞同" in page
    # outside the window no form, and the service refuses
    type(r).objects.filter(pk=r.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert "提交发言" not in client.get(detail_url(c)).content.decode()
    response = client.post(act_url(c, "contribute"), {"round": r.pk, "text": "迟到"})
    assert "网络议政已截止" in texts(response)
    assert Contribution.objects.count() == 2


def test_democratic_review_scoring_and_results(cv, client):
    w = cv.world
    c = cv.make(form="supervisory", station_id=None, series="")
    services.participant_add(consultation=c, user=w.office, member=w.member)
    c.refresh_from_db()
    login(client, w.office)
    response = client.post(act_url(c, "review"), {"unit": w.unit.pk, "questions": "依法行政 2 10\n服务态度"})
    assert texts(response)[-1] == f"已发起对{w.unit.name}的民主评议"
    review = DemocraticReview.objects.get()
    assert list(review.questions.values_list("text", "weight", "max_score")) == [
        ("依法行政", 2, 10),
        ("服务态度", 1, 10),
    ]
    q1, q2 = review.questions.order_by("order")
    login(client, w.member_user)
    assert "提交评分" in client.get(detail_url(c)).content.decode()
    response = client.post(
        act_url(c, "review_score"), {"review": review.pk, f"score-{q1.pk}": "11", f"score-{q2.pk}": "8"}
    )
    assert "“依法行政”的得分须为0到10" in texts(response)
    response = client.post(
        act_url(c, "review_score"), {"review": review.pk, f"score-{q1.pk}": "", f"score-{q2.pk}": "8"}
    )
    assert "请为“依法行政”打分（0到10分）" in texts(response)
    assert ReviewScore.objects.count() == 0
    client.post(
        act_url(c, "review_score"), {"review": review.pk, f"score-{q1.pk}": "9", f"score-{q2.pk}": "6"}
    )
    assert ReviewScore.objects.count() == 2
    page = client.get(detail_url(c)).content.decode()
    assert "您已评分" in page and "综合得分" not in page
    page = login(client, w.leader).get(detail_url(c)).content.decode()
    assert "综合得分 <strong>80.0</strong>" in page
    login(client, w.office).post(act_url(c, "review_close"), {"review": review.pk})
    assert DemocraticReview.objects.get().is_open is False


# ---------------------------------------------------------------- plans


def test_plan_pages_from_draft_to_published(cv, client):
    w = cv.world
    login(client, w.office)
    client.post(reverse("consultations:plan_list"), {"year": "2026", "title": "2026年度协商计划"})
    plan = ConsultationPlan.objects.get()
    url = reverse("consultations:plan_act", args=[plan.pk, "topic_add"])
    client.post(url, {"title": "老旧小区改造", "form": "standing", "month": "5"})
    client.post(url, {"title": "待删除", "form": "micro", "month": "7"})
    response = client.post(url, {"title": "", "form": "standing", "month": "13"})
    assert texts(response)[-1] == "请填写议题"
    keep, drop = Topic.objects.order_by("id")
    client.post(
        reverse("consultations:plan_act", args=[plan.pk, "topic_update"]),
        {
            "topic": keep.pk,
            f"t{keep.pk}-title": "老旧小区改造提升",
            f"t{keep.pk}-form": "standing",
            f"t{keep.pk}-month": "6",
        },
    )
    client.post(reverse("consultations:plan_act", args=[plan.pk, "topic_remove"]), {"topic": drop.pk})
    assert list(Topic.objects.values_list("title", "month")) == [("老旧小区改造提升", 6)]
    assert (
        login(client, w.member_user).get(reverse("consultations:plan_detail", args=[plan.pk])).status_code
        == 404
    )
    login(client, w.office)
    client.post(reverse("consultations:plan_act", args=[plan.pk, "approve"]), {"approved_on": "2026-01-20"})
    client.post(reverse("consultations:plan_act", args=[plan.pk, "publish"]))
    plan.refresh_from_db()
    assert plan.state == "published"
    response = login(client, w.member_user).get(reverse("consultations:plan_detail", args=[plan.pk]))
    assert response.status_code == 200 and "老旧小区改造提升" in response.content.decode()
    assert reverse("consultations:plan_act", args=[plan.pk, "topic_add"]) not in response.content.decode()
    assert (
        login(client, w.sibling_office).get(reverse("consultations:plan_detail", args=[plan.pk])).status_code
        == 404
    )


def test_plan_actions_by_a_leader_are_refused(cv, client):
    w = cv.world
    plan = ConsultationPlan.objects.create(committee=w.city, year=2026, title="计划", created_by=w.office)
    response = login(client, w.leader).post(
        reverse("consultations:plan_act", args=[plan.pk, "topic_add"]),
        {"title": "议题", "form": "standing", "month": "5"},
    )
    assert "您无权执行此操作" in texts(response)
    assert Topic.objects.count() == 0
    response = client.post(reverse("consultations:plan_list"), {"year": "2027", "title": "x"})
    assert response.status_code == 404


# ---------------------------------------------------------------- case collection


def test_case_collection_download_is_audited_and_office_only(cv, client):
    w = cv.world
    c = cv.make(state="held")
    services.case_mark(consultation=c, user=w.office, summary="路灯一个月亮起")
    login(client, w.office)
    page = client.get(reverse("consultations:cases")).content.decode()
    assert c.title in page
    year = timezone.localdate().year
    response = client.get(reverse("consultations:cases_docx"), {"year": str(year)})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    log = AuditLog.objects.filter(action="export").get()
    assert (log.committee_id, log.actor_id) == (w.city.pk, w.office.pk)
    for who in ("member_user", "leader", "unit_user", "auditor"):
        assert login(client, getattr(w, who)).get(reverse("consultations:cases_docx")).status_code == 404


def test_resident_member_of_a_higher_committee_can_be_invited(cv, client):
    w = cv.world
    resident = MemberFactory(committee=w.province, name="住区委员甲", resident_committee=w.city)
    c = cv.make()
    login(client, w.office).post(act_url(c, "participant"), {"kind": "member", "member": resident.pk})
    assert Participant.objects.get(consultation=c).member == resident
