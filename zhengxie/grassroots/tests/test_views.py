"""Concern pages: the public form (rate limit, size cap, honeypot, links, CSRF), the look-up by number and
its throttle, who opens which concern, masking and the audit of unmasked views, the actions, receptions."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import AuditLog, Role
from zhengxie.consultations.models import Form
from zhengxie.grassroots import services
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.org.models import Session, Term
from zhengxie.proposals.models import State
from zhengxie.testing.factories import CommitteeFactory, StationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def form_data(cw, **extra):
    return {
        "station": str(cw.station.pk),
        "title": "学校门口上下学拥堵",
        "category": "transport",
        "content": "每天早上七点半学校门口车辆乱停，孩子过马路很危险。",
        "name": "李女士",
        "phone": "13912345678",
        "website": "",
        **extra,
    }


def raise_url(cw):
    return reverse("grassroots:public_raise", args=[cw.world.city.pk])


def texts(response):
    """The message this request added (earlier ones wait in the cookie, unrendered, after redirects)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


def detail_url(concern):
    return reverse("grassroots:detail", args=[concern.pk])


def act_url(concern, action):
    return reverse("grassroots:act", args=[concern.pk, action])


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- public form


def test_public_start_lists_active_committees_with_stations(cw, client):
    CommitteeFactory(name="没有站点的政协")
    inactive = CommitteeFactory(name="停用的政协")
    StationFactory(committee=inactive)
    inactive.is_active = False
    inactive.save()
    r = client.get(reverse("grassroots:public"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "江门市政协" in body and "没有站点的政协" not in body and "停用的政协" not in body
    r = client.get(reverse("grassroots:public"), {"committee": cw.world.city.pk})
    assert r.status_code == 302 and r["Location"] == raise_url(cw)
    r = client.get(reverse("grassroots:public_raise", args=[cw.world.sibling.pk]))
    assert r.status_code == 404


def test_public_form_raises_and_shows_the_number_once(cw, client):
    r = client.get(raise_url(cw))
    assert r.status_code == 200
    body = r.content.decode()
    assert (
        cw.station.name in body and "不超过2000字" in body and "仅办理该诉求的委员和政协工作人员可见" in body
    )
    r = client.post(raise_url(cw), form_data(cw))
    assert r.status_code == 302 and r["Location"] == reverse("grassroots:public_done")
    concern = Concern.objects.get()
    assert concern.state == ConcernState.OPEN and concern.channel == Concern.Channel.WEB
    assert concern.station == cw.station and concern.name == "李女士" and concern.created_by is None
    assert concern.source_hash == services.source_hash("127.0.0.1")
    r = client.get(reverse("grassroots:public_done"))
    body = r.content.decode()
    assert concern.number in body and "请记下编号用于查询" in body and "等待审核" not in body
    # Shown once: the next person at a shared terminal does not see it.
    r = client.get(reverse("grassroots:public_done"))
    assert r.status_code == 302 and concern.number not in r.content.decode()


def test_public_form_without_station_waits_for_routing(cw, client):
    r = client.post(raise_url(cw), form_data(cw, station=""))
    assert r.status_code == 302
    assert Concern.objects.get().station is None


def test_public_form_refuses_another_committees_station(cw, client):
    foreign = StationFactory(committee=cw.world.sibling)
    r = client.post(raise_url(cw), form_data(cw, station=str(foreign.pk)))
    assert r.status_code == 400 and "请选择本政协的站点" in r.content.decode()
    assert Concern.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"title": ""}, "标题不能为空"),
        ({"content": "长" * 2001}, "诉求内容不能超过2000字"),
        ({"phone": "打我电话"}, "联系电话格式不正确"),
        ({"category": "nope"}, "诉求类别无效"),
    ],
)
def test_public_form_bad_input_gets_chinese_message_and_saves_nothing(cw, client, extra, message):
    r = client.post(raise_url(cw), form_data(cw, **extra))
    assert r.status_code == 400 and message in r.content.decode()
    assert Concern.objects.count() == 0


def test_public_form_counts_a_line_break_once(cw, client):
    content = ("第一行\r\n" * 400)[:2000]  # 2000 characters once CRLF is one line break
    r = client.post(raise_url(cw), form_data(cw, content=content + "\r\n" * 0))
    assert r.status_code == 302
    assert "\r" not in Concern.objects.get().content


def test_public_form_rate_limit_refuses_in_chinese_and_saves_nothing(cw, client):
    for i in range(services.RATE_LIMIT):
        r = client.post(raise_url(cw), form_data(cw, title=f"问题{i}", content=f"具体情况{i}"))
        assert r.status_code == 302
    before = Concern.objects.count()
    r = client.post(raise_url(cw), form_data(cw, title="再来一条", content="另外的情况"))
    assert r.status_code == 429 and "提交过于频繁，请一小时后再试" in r.content.decode()
    assert Concern.objects.count() == before
    # Another address is not affected.
    r = client.post(
        raise_url(cw), form_data(cw, title="别处来的", content="别处的情况"), REMOTE_ADDR="198.51.100.20"
    )
    assert r.status_code == 302


def test_rate_limit_ignores_forwarded_for_unless_trusted(cw, client, settings):
    for i in range(services.RATE_LIMIT):
        client.post(
            raise_url(cw),
            form_data(cw, title=f"问题{i}", content=f"情况{i}"),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    r = client.post(
        raise_url(cw), form_data(cw, title="换个头", content="换个头"), HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert r.status_code == 429
    settings.CONCERN_TRUST_X_FORWARDED_FOR = True
    r = client.post(
        raise_url(cw),
        form_data(cw, title="代理之后", content="代理之后"),
        HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.99",
    )
    assert r.status_code == 302
    assert Concern.objects.get(title="代理之后").source_hash == services.source_hash("203.0.113.99")


def test_public_form_refuses_an_oversize_body_before_parsing(cw, client):
    # The test client posts multipart: 3 bytes a character.
    r = client.post(raise_url(cw), form_data(cw, content="大" * 12000))
    assert r.status_code == 413
    assert "提交内容过大" in r.content.decode()
    assert Concern.objects.count() == 0


def test_public_form_needs_the_csrf_token(cw):
    client = Client(enforce_csrf_checks=True)
    r = client.post(raise_url(cw), form_data(cw))
    assert r.status_code == 403
    assert Concern.objects.count() == 0
    client.get(raise_url(cw))
    token = client.cookies["csrftoken"].value
    r = client.post(raise_url(cw), form_data(cw, csrfmiddlewaretoken=token))
    assert r.status_code == 302 and Concern.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        ({"website": "http://bot.example"}, "疑似自动提交"),
        ({"content": "低价代办，详情见 www.spam-shop.top"}, "含有链接或联系方式"),
    ],
)
def test_suspicious_public_input_goes_to_the_review_queue(cw, client, extra, flag):
    r = client.post(raise_url(cw), form_data(cw, **extra))
    assert r.status_code == 302
    concern = Concern.objects.get()
    assert concern.state == ConcernState.REVIEW and flag in concern.flags
    body = client.get(reverse("grassroots:public_done")).content.decode()
    assert concern.number in body and "等待审核" in body
    # Not published to the station; waiting in the office's queue.
    member = as_user(cw.world.member_user)
    assert member.get(detail_url(concern)).status_code == 404
    office = as_user(cw.world.office)
    r = office.get(reverse("grassroots:list"), {"tab": "review"})
    assert list(r.context["page"]) == [concern]
    assert flag in office.get(detail_url(concern)).content.decode()


def test_repeated_post_goes_to_the_review_queue(cw, client):
    client.post(raise_url(cw), form_data(cw))
    client.post(raise_url(cw), form_data(cw), REMOTE_ADDR="192.0.2.44")
    first, again = Concern.objects.order_by("id")
    assert first.state == ConcernState.OPEN
    assert again.state == ConcernState.REVIEW and "与近期诉求内容重复" in again.flags


# ---------------------------------------------------------------- look-up


def test_lookup_shows_state_result_and_history_but_no_personal_data(cw, client):
    concern = services.concern_resolve(
        concern=cw.taken(), user=cw.world.member_user, result="路灯已修复，感谢反映"
    )
    r = client.post(reverse("grassroots:lookup"), {"number": concern.number.lower()})
    assert r.status_code == 200
    body = r.content.decode()
    assert "已办结" in body and "路灯已修复，感谢反映" in body and "诉求已提交" in body
    assert "张三委员已认领" in body
    assert "赵大妈" not in body and "13800138000" not in body and "赵*" not in body


def test_lookup_wrong_number_gets_a_neutral_message(cw, client):
    cw.raise_one()
    for number in ("2026ABCDEFGH", "xyz", ""):
        r = client.post(reverse("grassroots:lookup"), {"number": number})
        body = r.content.decode()
        assert r.status_code == 200 and "未查询到该编号的诉求，请核对编号后重试" in body
        assert "小区门口路灯不亮" not in body


def test_lookup_is_throttled_per_address(cw, client):
    concern = cw.raise_one()
    for i in range(services.LOOKUP_LIMIT):
        client.post(reverse("grassroots:lookup"), {"number": f"2026AAAA{i:04d}"})
    r = client.post(reverse("grassroots:lookup"), {"number": concern.number})
    body = r.content.decode()
    assert r.status_code == 429 and "查询过于频繁" in body and concern.title not in body
    r = client.post(reverse("grassroots:lookup"), {"number": concern.number}, REMOTE_ADDR="192.0.2.8")
    assert r.status_code == 200 and concern.title in r.content.decode()


def test_lookup_refuses_an_oversize_body(cw, client):
    r = client.post(reverse("grassroots:lookup"), {"number": "x" * 40000})
    assert r.status_code == 413 and "提交内容过大" in r.content.decode()


def test_anonymous_visitor_sees_public_links_in_the_header(client):
    body = client.get(reverse("grassroots:lookup")).content.decode()
    assert reverse("grassroots:public") in body and "我要反映" in body and "诉求查询" in body


# ---------------------------------------------------------------- access matrix


def test_who_opens_a_concern(cw, client):
    w = cw.world
    concern = cw.raise_one()
    r = client.get(detail_url(concern))
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:login"))
    expected = {
        "station member": (w.member_user, 200),
        "colleague at the station": (cw.colleague_user, 200),
        "member of another station": (cw.other_station_user, 404),
        "member without station": (UserFactory(), 404),
        "office": (w.office, 200),
        "sibling office": (w.sibling_office, 404),
        "parent office": (w.province_office, 404),
        "leader": (w.leader, 200),
        "unit": (w.unit_user, 404),
        "auditor": (w.auditor, 404),
    }
    seen = {who: as_user(user).get(detail_url(concern)).status_code for who, (user, _) in expected.items()}
    assert seen == {who: status for who, (_, status) in expected.items()}
    # Taking it up: the taker keeps it, the member of another station still cannot see it.
    concern = services.concern_take(concern=concern, user=cw.colleague_user)
    cw.colleague.station = cw.other_station  # moved on, still the taker
    cw.colleague.save()
    assert as_user(cw.colleague_user).get(detail_url(concern)).status_code == 200
    assert as_user(cw.other_station_user).get(detail_url(concern)).status_code == 404


def test_personal_data_masked_except_for_taker_and_office_each_view_audited(cw):
    w = cw.world
    concern = cw.raise_one()

    def seen(user):
        before = AuditLog.objects.filter(action="view_personal").count()
        body = as_user(user).get(detail_url(concern)).content.decode()
        audited = AuditLog.objects.filter(action="view_personal").count() - before
        return ("13800138000" in body, "赵大妈" in body, "138****8000" in body, "赵*" in body, audited)

    assert seen(w.member_user) == (False, False, True, True, 0)  # before taking it up
    assert seen(w.leader) == (False, False, True, True, 0)
    assert seen(w.office) == (True, True, False, False, 1)
    concern = services.concern_take(concern=concern, user=w.member_user)
    assert seen(w.member_user) == (True, True, False, False, 1)
    assert seen(cw.colleague_user) == (False, False, True, True, 0)
    row = AuditLog.objects.filter(action="view_personal", actor=w.member_user).get()
    assert row.object_id == str(concern.pk) and row.committee_id == w.city.pk
    assert row.object_type == "grassroots.Concern" and row.result


def test_list_shows_what_each_role_may_see(cw):
    w = cw.world
    mine = cw.raise_one(title="本站点的诉求", content="一")
    elsewhere = cw.raise_one(station=cw.other_station, title="别的站点", content="二")
    held = cw.raise_one(title="含链接 www.x.top", content="三", source="192.0.2.1")
    assert held.state == ConcernState.REVIEW

    def listed(user, **params):
        return {c.title for c in as_user(user).get(reverse("grassroots:list"), params).context["page"]}

    assert listed(w.member_user) == {mine.title}
    assert listed(cw.other_station_user) == {elsewhere.title}
    assert listed(w.office) == {mine.title, elsewhere.title, held.title}
    assert listed(w.office, tab="review") == {held.title}
    assert listed(w.office, station=cw.other_station.pk) == {elsewhere.title}
    assert listed(w.office, category="urban", state="open") == {mine.title, elsewhere.title}
    assert listed(w.leader) == {mine.title, elsewhere.title}
    assert listed(w.sibling_office) == set()
    assert listed(w.unit_user) == set()
    body = as_user(w.leader).get(reverse("grassroots:list")).content.decode()
    assert "赵大妈" not in body and "13800138000" not in body
    services.concern_take(concern=mine, user=w.member_user)
    assert listed(w.member_user, tab="mine") == {mine.title}
    assert listed(w.member_user, tab="open") == set()


@pytest.mark.parametrize("role", ["office", "member"])
def test_list_query_count_does_not_grow_with_rows(cw, django_assert_max_num_queries, role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = cw.world.office if role == "office" else cw.world.member_user
    client = as_user(user)
    first = cw.raise_one(title="第1件", content="1")
    services.concern_take(concern=first, user=cw.world.member_user)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("grassroots:list")).status_code == 200
    for i in range(2, 5):
        concern = cw.raise_one(title=f"第{i}件", content=str(i))
        services.concern_take(concern=concern, user=cw.world.member_user)
    with django_assert_max_num_queries(len(one.captured_queries)):
        r = client.get(reverse("grassroots:list"))
    assert len(r.context["page"]) == 4


# ---------------------------------------------------------------- actions


def test_member_takes_up_and_resolves_in_the_pages(cw):
    w = cw.world
    concern = cw.raise_one()
    member = as_user(w.member_user)
    body = member.get(detail_url(concern)).content.decode()
    assert act_url(concern, "take") in body and act_url(concern, "resolve") not in body
    r = member.post(act_url(concern, "take"))
    assert r.status_code == 302 and texts(r) == ["已认领，请尽快联系反映人办理"]
    body = member.get(detail_url(concern)).content.decode()
    assert act_url(concern, "resolve") in body and act_url(concern, "to_proposal") in body
    # A colleague may not close what another took up.
    r = as_user(cw.colleague_user).post(act_url(concern, "resolve"), {"result": "我来办"})
    assert texts(r) == ["只有认领该诉求的委员可以办结"]
    r = member.post(act_url(concern, "resolve"), {"result": "  "})
    assert texts(r) == ["办理结果不能为空"]
    r = member.post(act_url(concern, "resolve"), {"result": "已联系街道办，路灯已修复。\r\n感谢反映。"})
    concern.refresh_from_db()
    assert concern.state == ConcernState.CLOSED and concern.outcome == Concern.Outcome.RESOLVED
    assert concern.result == "已联系街道办，路灯已修复。\n感谢反映。"


def test_member_turns_it_into_a_proposal_an_opinion_report_or_a_consultation(cw):
    w = cw.world
    term = Term.objects.create(committee=w.city, number=13, start_year=2022, end_year=2027)
    session = Session.objects.create(committee=w.city, term=term, number=4, year=timezone.localdate().year)
    closed_session = Session.objects.create(
        committee=w.city, term=term, number=3, year=timezone.localdate().year - 1, proposals_open=False
    )
    member = as_user(w.member_user)

    concern = cw.taken(title="老旧小区加装电梯难", content="楼上老人下楼难。")
    assert str(session.pk) in member.get(detail_url(concern)).content.decode()
    r = member.post(act_url(concern, "to_proposal"), {"session": closed_session.pk})
    assert texts(r) == ["请选择正在接受提案的会议"]
    member.post(act_url(concern, "to_proposal"), {"session": session.pk, "suggestions": "简化审批。"})
    concern.refresh_from_db()
    assert concern.outcome == Concern.Outcome.PROPOSAL and concern.proposal.state == State.DRAFT
    assert concern.proposal.suggestions == "简化审批。"
    assert (
        reverse("proposals:detail", args=[concern.proposal_id])
        in member.get(detail_url(concern)).content.decode()
    )

    concern = cw.taken(title="菜市场噪音扰民", content="凌晨卸货噪音大。")
    member.post(
        act_url(concern, "to_opinion"),
        {"title": "关于菜市场凌晨卸货噪音扰民的情况反映", "suggestion": "错峰卸货。"},
    )
    concern.refresh_from_db()
    assert concern.outcome == Concern.Outcome.OPINION
    assert concern.opinion_report.title == "关于菜市场凌晨卸货噪音扰民的情况反映"

    concern = cw.taken(title="社区停车位紧张", content="晚上停车难。")
    r = member.post(act_url(concern, "to_consultation"), {"held_on": "下周"})
    assert texts(r) == ["协商日期格式应为 年-月-日"]
    day = timezone.localdate() + timedelta(days=10)
    member.post(act_url(concern, "to_consultation"), {"held_on": day.isoformat(), "series": "有事来协商"})
    concern.refresh_from_db()
    assert concern.outcome == Concern.Outcome.CONSULTATION
    assert concern.consultation.form == Form.MICRO and concern.consultation.held_on == day


def test_office_reviews_and_routes_members_may_not(cw):
    w = cw.world
    held = cw.raise_one(trap="bot", source="192.0.2.3")
    r = as_user(w.member_user).post(act_url(held, "approve"))
    assert r.status_code == 404  # not published: the member cannot see it at all
    office = as_user(w.office)
    body = office.get(detail_url(held)).content.decode()
    assert act_url(held, "approve") in body and act_url(held, "reject") in body
    r = office.post(act_url(held, "route"), {"station": cw.other_station.pk})
    assert texts(r) == [f"已分派至{cw.other_station.name}"]
    r = office.post(act_url(held, "approve"))
    held.refresh_from_db()
    assert held.state == ConcernState.OPEN and held.station == cw.other_station
    assert as_user(cw.other_station_user).get(detail_url(held)).status_code == 200

    unrouted = cw.raise_one(station=None, title="无站点", content="无站点")
    r = as_user(w.leader).post(act_url(unrouted, "reject"), {"reason": "重复"})
    unrouted.refresh_from_db()
    assert unrouted.state == ConcernState.OPEN and texts(r) == ["您无权执行此操作"]
    r = office.post(act_url(unrouted, "reject"), {"reason": ""})
    assert texts(r) == ["不予受理理由不能为空"]
    office.post(act_url(unrouted, "reject"), {"reason": "属于司法程序事项"})
    unrouted.refresh_from_db()
    assert unrouted.state == ConcernState.REJECTED and unrouted.reject_reason == "属于司法程序事项"

    foreign = as_user(w.sibling_office)
    assert foreign.post(act_url(held, "reject"), {"reason": "x"}).status_code == 404
    assert as_user(w.member_user).post(act_url(held, "explode")).status_code == 404


def test_route_refuses_another_committees_station(cw):
    concern = cw.raise_one(station=None)
    foreign = StationFactory(committee=cw.world.sibling)
    r = as_user(cw.world.office).post(act_url(concern, "route"), {"station": foreign.pk})
    assert texts(r) == ["请选择本政协的站点"]
    concern.refresh_from_db()
    assert concern.station is None


# ---------------------------------------------------------------- reception


def test_member_records_a_reception_at_their_station(cw):
    w = cw.world
    member = as_user(w.member_user)
    r = member.get(reverse("grassroots:reception"))
    assert r.status_code == 200
    assert list(r.context["form"].fields["station"].queryset) == [cw.station]
    r = member.post(
        reverse("grassroots:reception"),
        {
            "station": cw.station.pk,
            "channel": "visit",
            "title": "村道坑洼",
            "category": "urban",
            # A link from a member's record is not spam: the member wrote it down.
            "content": "村口道路坑洼多，资料见 www.example.cn",
            "name": "王伯",
            "phone": "0750-3123456",
        },
    )
    concern = Concern.objects.get()
    assert r.status_code == 302 and r["Location"] == detail_url(concern)
    assert concern.state == ConcernState.OPEN and concern.channel == "visit"
    assert concern.created_by == w.member_user and concern.flags == []
    r = member.post(
        reverse("grassroots:reception"), {"station": cw.other_station.pk, "title": "x", "content": "y"}
    )
    assert texts(r) == ["请选择您所在的站点"]
    assert Concern.objects.count() == 1


def test_reception_needs_a_station_or_the_office(cw):
    w = cw.world
    for user in (w.unit_user, w.leader, w.auditor, w.sibling_office, UserFactory()):
        assert as_user(user).get(reverse("grassroots:reception")).status_code == 404
    r = as_user(w.office).get(reverse("grassroots:reception"))
    assert set(r.context["form"].fields["station"].queryset) == {cw.station, cw.other_station}


def test_reception_channel_web_is_not_offered(cw):
    r = as_user(cw.world.member_user).post(
        reverse("grassroots:reception"),
        {"station": cw.station.pk, "channel": "web", "title": "x", "content": "y", "category": "other"},
    )
    assert texts(r) == ["反映方式无效"]
    assert Concern.objects.count() == 0


def test_role_grant_alone_does_not_make_a_station_member(cw):
    # A member grant without a station gives no concern to see.
    user = UserFactory()
    grant(user, cw.world.city, Role.MEMBER)
    concern = cw.raise_one()
    assert as_user(user).get(detail_url(concern)).status_code == 404
