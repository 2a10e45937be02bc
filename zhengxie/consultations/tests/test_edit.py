# ruff: noqa: F811  (the shared `cv` fixture is imported from test_queries)
"""The edit page (/consultations/<pk>/edit/): who may use it, what it saves, and what it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import AuditLog, Role
from zhengxie.consultations import plans, services
from zhengxie.consultations.models import Consultation, Form, Participant
from zhengxie.consultations.tests.test_queries import cv  # noqa: F401
from zhengxie.duties.models import DutyRecord
from zhengxie.testing.factories import MemberFactory, StationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def edit_url(c):
    return reverse("consultations:edit", args=[c.pk])


def detail_url(c):
    return reverse("consultations:detail", args=[c.pk])


def login(client, user):
    client.force_login(user)
    return client


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def fields(c, **changes):
    """The form as the page would post it, with the consultation's current values."""
    data = {
        "title": c.title,
        "held_on": c.held_on.isoformat(),
        "place": c.place,
        "series": c.series,
        "topic": c.topic_id or "",
        "summary": c.summary,
        "minutes": c.minutes,
        "version": c.version,
    }
    data.update(changes)
    return data


def saved(c):
    c = Consultation.objects.get(pk=c.pk)
    return (c.title, c.held_on, c.place, c.series, c.topic_id, c.summary, c.minutes, c.version)


def topic_of(committee, office, year, title="关于推进侨乡文化保护利用的协商"):
    plan = plans.plan_create(user=office, committee=committee, year=year, title=f"{year}年度协商计划")
    return plans.topic_add(plan=plan, user=office, title=title, form=Form.STANDING, month=6)


# ---------------------------------------------------------------- the office


def test_office_edits_every_field_and_the_save_is_audited(cv, client):
    w = cv.world
    c = cv.make(state="held", form=Form.STANDING, station_id=None)
    login(client, w.office)
    page = client.get(detail_url(c)).content.decode()
    assert edit_url(c) in page
    response = client.get(edit_url(c))
    assert response.status_code == 200
    page = response.content.decode()
    assert "朝翠路路灯亮化" in page
    assert f'value="{c.held_on.isoformat()}"' in page  # a date input shows only ISO dates
    new_date = c.held_on - timedelta(days=2)
    response = client.post(
        edit_url(c),
        fields(
            c,
            title="关于朝翠路路灯亮化的再协商",
            held_on=new_date.isoformat(),
            place="江门市政协三楼会议室",
            series="委员议事厅",
            summary="与会委员和居民代表充分协商。",
            minutes="会议纪要正文",
        ),
    )
    assert response.status_code == 302 and response["Location"] == detail_url(c)
    assert "活动信息已保存" in texts(response)
    c.refresh_from_db()
    assert (c.title, c.held_on, c.place, c.series, c.summary, c.minutes) == (
        "关于朝翠路路灯亮化的再协商",
        new_date,
        "江门市政协三楼会议室",
        "委员议事厅",
        "与会委员和居民代表充分协商。",
        "会议纪要正文",
    )
    log = AuditLog.objects.filter(action="update", object_type__icontains="consultation", object_id=str(c.pk))
    row = log.latest("id")
    assert row.actor_id == w.office.pk
    assert row.after["title"] == "关于朝翠路路灯亮化的再协商"
    assert row.before["title"] == "朝翠路路灯亮化"


def test_date_change_moves_the_attendance_duty_records(cv, client):
    w = cv.world
    c = cv.make(form=Form.STANDING, station_id=None)
    for member in (w.member, w.other_member):
        p = services.participant_add(consultation=c, user=w.office, member=member)
        services.attendance_set(
            consultation=c, user=w.office, participant=p, attendance=Participant.Attendance.ATTENDED
        )
    c = services.consultation_hold(consultation=c, user=w.office)
    assert DutyRecord.objects.filter(occurred_on=c.held_on).count() == 2
    earlier = c.held_on - timedelta(days=400)
    response = login(client, w.office).post(edit_url(c), fields(c, held_on=earlier.isoformat()))
    assert response.status_code == 302
    assert set(DutyRecord.objects.values_list("member_id", "occurred_on", "year")) == {
        (w.member.pk, earlier, earlier.year),
        (w.other_member.pk, earlier, earlier.year),
    }


def test_office_links_and_unlinks_a_plan_topic(cv, client):
    w = cv.world
    c = cv.make(form=Form.STANDING, station_id=None)
    topic = topic_of(w.city, w.office, c.held_on.year)
    login(client, w.office)
    page = client.get(edit_url(c)).content.decode()
    assert f"{c.held_on.year}年度协商计划：关于推进侨乡文化保护利用的协商" in page
    client.post(edit_url(c), fields(c, topic=topic.pk))
    c.refresh_from_db()
    assert c.topic_id == topic.pk
    assert "关于推进侨乡文化保护利用的协商" in client.get(detail_url(c)).content.decode()
    client.post(edit_url(c), fields(c, topic=""))
    c.refresh_from_db()
    assert c.topic_id is None


def test_another_committees_topic_is_refused_and_nothing_changes(cv, client):
    w = cv.world
    c = cv.make(form=Form.STANDING, station_id=None)
    foreign = topic_of(w.sibling, w.sibling_office, c.held_on.year, title="贺州议题")
    before = saved(c)
    response = login(client, w.office).post(edit_url(c), fields(c, title="改了", topic=foreign.pk))
    assert response.status_code == 200
    assert "请选择本政协年度计划中的议题" in response.content.decode()
    assert saved(c) == before
    # The service refuses it too, whoever calls it.
    with pytest.raises(services.ConsultationError, match="请选择本政协年度计划中的议题"):
        services.consultation_update(consultation=c, user=w.office, topic_id=foreign.pk)
    with pytest.raises(services.ConsultationError, match="请选择本政协年度计划中的议题"):
        services.consultation_update(consultation=c, user=w.office, topic_id="1")
    assert saved(c) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "请填写主题"),
        ({"title": "长" * 201}, "主题不能超过200字"),
        ({"held_on": "2026-13-45"}, "日期格式应为 年-月-日"),
        ({"held_on": ""}, "请填写日期"),
        ({"series": "长" * 41}, "协商品牌不能超过40字"),
        ({"topic": "999999"}, "请选择本政协年度计划中的议题"),
        ({"topic": "<script>"}, "请选择本政协年度计划中的议题"),
    ],
)
def test_bad_input_rerenders_with_the_message_and_changes_nothing(cv, client, change, message):
    c = cv.make(form=Form.STANDING, station_id=None)
    before = saved(c)
    response = login(client, cv.world.office).post(edit_url(c), fields(c, **change))
    assert response.status_code == 200
    assert message in response.content.decode() or message in texts(response)
    assert saved(c) == before


def test_a_future_date_for_a_held_consultation_is_refused(cv, client):
    c = cv.make(state="held", form=Form.STANDING, station_id=None)
    before = saved(c)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = login(client, cv.world.office).post(edit_url(c), fields(c, held_on=tomorrow.isoformat()))
    assert response.status_code == 200
    assert "活动已召开，日期不能晚于今天" in texts(response)
    assert saved(c) == before


def test_a_stale_page_is_refused(cv, client):
    w = cv.world
    c = cv.make(form=Form.STANDING, station_id=None)
    opened = fields(c, title="旧页面的修改")
    services.consultation_update(consultation=c, user=w.office, title="他人先改")
    response = login(client, w.office).post(edit_url(c), opened)
    assert response.status_code == 200
    assert "该协商活动已被他人修改，请刷新后重试" in texts(response)
    assert Consultation.objects.get(pk=c.pk).title == "他人先改"


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_or_cancelled_consultation_is_refused(cv, client, state):
    c = cv.make(state=state)
    before = saved(c)
    login(client, cv.world.office)
    assert edit_url(c) not in client.get(detail_url(c)).content.decode()
    label = "已办结" if state == "closed" else "已取消"
    for response in (client.get(edit_url(c)), client.post(edit_url(c), fields(c, title="改"))):
        assert response.status_code == 302 and response["Location"] == detail_url(c)
        assert f"活动{label}，不能再修改" in texts(response)
    assert saved(c) == before


# ---------------------------------------------------------------- station members and everyone else


def test_station_member_edits_their_micro_consultation(cv, client):
    c = cv.make()
    login(client, cv.station_user)
    assert edit_url(c) in client.get(detail_url(c)).content.decode()
    response = client.get(edit_url(c))
    assert response.status_code == 200
    # Micro consultations are not annual-plan topics; the station's members are not offered the plan.
    assert "计划议题" not in response.content.decode()
    response = client.post(edit_url(c), fields(c, title="朝翠路路灯亮化（第二次）", place="朝翠社区居委会"))
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.title, c.place) == ("朝翠路路灯亮化（第二次）", "朝翠社区居委会")
    assert AuditLog.objects.filter(action="update", object_id=str(c.pk), actor=cv.station_user).exists()


def test_station_member_may_not_edit_a_committee_consultation(cv, client):
    c = cv.make(form=Form.STANDING, station_id=None)
    before = saved(c)
    login(client, cv.station_user)
    assert client.get(detail_url(c)).status_code == 200
    assert client.get(edit_url(c)).status_code == 404
    assert client.post(edit_url(c), fields(c, title="改")).status_code == 404
    assert saved(c) == before


def other_station_member(cv):
    user = UserFactory(username="otherstation")
    station = StationFactory(committee=cv.world.city, name="新会区委员工作室")
    MemberFactory(committee=cv.world.city, user=user, name="孙七", station=station)
    grant(user, cv.world.city, Role.MEMBER)
    return user


def sibling_member(cv):
    w = cv.world
    user = UserFactory(username="wangwu")
    w.sibling_member.user = user
    w.sibling_member.save()
    grant(user, w.sibling, Role.MEMBER)
    return user


@pytest.mark.parametrize(
    "who",
    [
        "other_station",
        "member_user",
        "lisi",
        "leader",
        "unit_user",
        "sibling_office",
        "province_office",
        "sibling_member",
        "auditor",
        "admin",
    ],
)
def test_everyone_else_gets_404_and_nothing_changes(cv, client, who):
    w = cv.world
    c = cv.make(state="held")
    cv.item(c)  # the unit holds an item, so it can see the consultation
    user = {
        "other_station": lambda: other_station_member(cv),
        "lisi": lambda: cv.lisi_user,
        "sibling_member": lambda: sibling_member(cv),
    }.get(who, lambda: getattr(w, who))()
    c.refresh_from_db()
    before = saved(c)
    login(client, user)
    detail = client.get(detail_url(c))
    assert detail.status_code == 404 or edit_url(c) not in detail.content.decode()
    assert client.get(edit_url(c)).status_code == 404
    assert client.post(edit_url(c), fields(c, title="越权修改")).status_code == 404
    assert saved(c) == before


def test_anonymous_is_sent_to_login(cv, client):
    c = cv.make()
    before = saved(c)
    for response in (client.get(edit_url(c)), client.post(edit_url(c), fields(c, title="改"))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert saved(c) == before
