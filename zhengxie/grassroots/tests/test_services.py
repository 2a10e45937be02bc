"""A concern's paths: raised, taken up by a member of its station, closed by each of the four outcomes; the
person's look-up by number; the abuse check and the rate limit; who sees the person's name and phone."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from zhengxie.consultations.models import Consultation, Form
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.grassroots import queries, services
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.opinions.models import ReportState
from zhengxie.org.models import Session, Term
from zhengxie.proposals.models import State
from zhengxie.statemachine import TransitionError
from zhengxie.testing.factories import MemberFactory, StationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def station(world):
    station = StationFactory(committee=world.city, name="江海区“有事来协商”委员工作室")
    world.member.station = station
    world.member.save()
    return station


def raise_one(world, station, **kwargs) -> Concern:
    data = {
        "committee": world.city,
        "station": station,
        "title": "小区门口路灯不亮",
        "content": "朝翠路东段路灯坏了两个月，晚上出行不安全。",
        "category": "urban",
        "name": "赵大妈",
        "phone": "13800138000",
        "source": "203.0.113.7",
    }
    data.update(kwargs)
    return services.concern_raise(**data)


def taken(world, station) -> Concern:
    concern = raise_one(world, station)
    return services.concern_take(concern=concern, user=world.member_user)


def test_raise_and_take_then_resolve_directly(world, station):
    concern = raise_one(world, station)
    assert concern.state == ConcernState.OPEN and len(concern.number) == 12
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, name FROM grassroots_concern WHERE id = %s", [concern.pk])
        stored = cursor.fetchone()
    assert "13800138000" not in stored[0] and "赵大妈" not in stored[1]  # encrypted at rest
    concern = services.concern_take(concern=concern, user=world.member_user)
    assert concern.state == ConcernState.TAKEN and concern.taken_by == world.member
    concern = services.concern_resolve(
        concern=concern, user=world.member_user, result="已联系街道，路灯已修复。"
    )
    assert concern.state == ConcernState.CLOSED and concern.outcome == Concern.Outcome.RESOLVED
    duty = DutyRecord.objects.get(member=world.member, kind=DutyKind.CONCERN)
    assert duty.source == concern


def test_only_station_members_take_and_only_the_taker_closes(world, station):
    concern = raise_one(world, station)
    outsider = UserFactory()
    MemberFactory(committee=world.city, user=outsider)  # a member of another (no) station
    for user in (outsider, world.office, world.unit_user, world.sibling_office):
        with pytest.raises(TransitionError):
            services.concern_take(concern=concern, user=user)
    concern = services.concern_take(concern=concern, user=world.member_user)
    colleague_user = UserFactory()
    MemberFactory(committee=world.city, user=colleague_user, station=station)
    with pytest.raises(TransitionError):
        services.concern_resolve(concern=concern, user=colleague_user, result="x")
    concern.refresh_from_db()
    assert concern.state == ConcernState.TAKEN


def test_turned_into_opinion_report(world, station):
    concern = services.concern_to_opinion(concern=taken(world, station), user=world.member_user)
    assert concern.outcome == Concern.Outcome.OPINION
    report = concern.opinion_report
    assert report.state == ReportState.SUBMITTED and list(report.authors.all()) == [world.member]
    assert report.situation == concern.content


def test_turned_into_proposal(world, station):
    term = Term.objects.create(committee=world.city, number=14, start_year=2022, end_year=2027)
    session = Session.objects.create(
        committee=world.city, term=term, number=5, year=timezone.localdate().year
    )
    concern = services.concern_to_proposal(
        concern=taken(world, station), user=world.member_user, session=session
    )
    assert concern.outcome == Concern.Outcome.PROPOSAL
    assert concern.proposal.state == State.DRAFT and concern.proposal.author == world.member
    assert "提案：草稿" in services.public_status(concern)["follow_up"]


def test_turned_into_micro_consultation(world, station):
    day = timezone.localdate() + timedelta(days=7)
    concern = services.concern_to_consultation(
        concern=taken(world, station), user=world.member_user, held_on=day
    )
    consultation = concern.consultation
    assert consultation.form == Form.MICRO and consultation.station == station
    assert consultation.series == "有事来协商" and consultation.state == Consultation.State.PLANNED
    assert consultation.participants.get().member == world.member
    assert "协商议事：筹备中" in services.public_status(concern)["follow_up"]


def test_lookup_by_number_shows_status_and_result_but_no_personal_data(world, station):
    concern = services.concern_resolve(
        concern=taken(world, station), user=world.member_user, result="路灯已修复"
    )
    found = services.concern_lookup(concern.number.lower()[:4] + "-" + concern.number[4:])
    assert found == concern
    status = services.public_status(found)
    assert status["state"] == "已办结" and status["result"] == "路灯已修复"
    assert "赵大妈" not in str(status) and "13800138000" not in str(status)
    assert next(note for _, note in status["events"]) == "诉求已提交"
    assert services.concern_lookup("2026AAAAAAAA") is None
    assert services.concern_lookup("") is None


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("content", "详情请看 http://spam.example.com 优惠", "含有链接或联系方式"),
        ("content", "加微信 abc123 领取补贴", "含有链接或联系方式"),
        ("title", "www.casino.top", "含有链接或联系方式"),
        ("content", "啊" * 30, "含有大量重复字符"),
        ("trap", "filled-by-a-bot", "疑似自动提交"),
    ],
)
def test_suspicious_input_waits_for_review(world, station, field, value, flag):
    concern = raise_one(world, station, **{field: value})
    assert concern.state == ConcernState.REVIEW and flag in concern.flags
    assert not queries.concerns_visible_to(world.member_user).filter(pk=concern.pk).exists()
    assert queries.concerns_visible_to(world.office).filter(pk=concern.pk).exists()
    services.concern_approve(concern=concern, user=world.office)
    assert queries.concerns_visible_to(world.member_user).filter(pk=concern.pk).exists()


def test_repeated_post_is_held(world, station):
    first = raise_one(world, station, source="198.51.100.1")
    again = raise_one(world, station, source="198.51.100.2")
    assert first.state == ConcernState.OPEN
    assert again.state == ConcernState.REVIEW and "与近期诉求内容重复" in again.flags


def test_rate_limit_refuses_and_saves_nothing(world, station):
    for i in range(services.RATE_LIMIT):
        raise_one(world, station, title=f"问题{i}", content=f"内容{i}")
    before = Concern.objects.count()
    with pytest.raises(services.RateLimited, match="过于频繁"):
        raise_one(world, station, title="再来一条", content="内容")
    assert Concern.objects.count() == before
    raise_one(world, station, title="另一来源", content="内容x", source="192.0.2.9")  # others unaffected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "标题不能为空"),
        ({"content": "  "}, "诉求内容不能为空"),
        ({"content": "长" * 2001}, "不能超过2000字"),
        ({"phone": "call me"}, "联系电话格式不正确"),
        ({"category": "x"}, "类别无效"),
    ],
)
def test_bad_input_gets_chinese_message_and_saves_nothing(world, station, kwargs, message):
    with pytest.raises(services.ConcernError, match=message):
        raise_one(world, station, **kwargs)
    assert Concern.objects.count() == 0


def test_personal_data_only_for_taker_and_office(world, station):
    concern = raise_one(world, station)
    colleague_user = UserFactory()
    MemberFactory(committee=world.city, user=colleague_user, station=station)
    assert queries.concerns_visible_to(colleague_user).filter(pk=concern.pk).exists()
    assert not queries.can_see_personal_data(colleague_user, concern)
    assert not queries.can_see_personal_data(world.member_user, concern)
    assert queries.can_see_personal_data(world.office, concern)
    assert not queries.can_see_personal_data(world.leader, concern)
    concern = services.concern_take(concern=concern, user=world.member_user)
    assert queries.can_see_personal_data(world.member_user, concern)
    assert not queries.can_see_personal_data(colleague_user, concern)
    for user in (
        world.sibling_office,
        world.unit_user,
        world.other_member_user if hasattr(world, "other_member_user") else UserFactory(),
    ):
        assert not queries.concerns_visible_to(user).filter(pk=concern.pk).exists()
