"""网络议政: a round is open for a window; members of the committee contribute and reply inside it, and each
member's taking part is one duty record per round."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengxie.consultations import rounds, services
from zhengxie.consultations.models import Contribution, OnlineRound
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.org.models import Member
from zhengxie.testing.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def open_round(cw, **kwargs):  # type: ignore[no-untyped-def]
    now = timezone.now()
    data = {
        "consultation": kwargs.pop("consultation", None) or cw.consultation(),
        "user": cw.world.office,
        "question": "如何破解老旧小区停车难？",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=7),
    }
    data.update(kwargs)
    return rounds.round_open(**data)


def test_members_contribute_and_reply_inside_the_window(cw):
    w = cw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    r = open_round(cw)
    assert rounds.is_open(r)
    first = rounds.contribute(round=r, user=w.member_user, text="建议利用边角地建立体停车场。")
    reply = rounds.contribute(round=r, user=w.other_member.user, text="赞同，还可错时共享。", reply_to=first)
    again = rounds.contribute(round=r, user=w.member_user, text="补充：机关单位停车场夜间开放。")
    assert reply.reply_to == first and list(first.replies.all()) == [reply]
    assert [c.member for c in r.contributions.all()] == [w.member, w.other_member, w.member]
    # One duty per member per round, however many times they write.
    rows = DutyRecord.objects.filter(kind=DutyKind.CONSULTATION)
    assert sorted(rows.values_list("member__name", flat=True)) == ["张三", "李四"]
    assert all(d.source == r and "停车难" in d.title for d in rows)
    assert again.member == w.member


def test_not_before_it_opens_nor_after_it_closes(cw):
    w = cw.world
    now = timezone.now()
    later = open_round(cw, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    with pytest.raises(services.ConsultationError, match="尚未开始"):
        rounds.contribute(round=later, user=w.member_user, text="提前发言")
    r = open_round(cw)
    # The window passes: the round's end is now behind us.
    OnlineRound.objects.filter(pk=r.pk).update(closes_at=now - timedelta(minutes=1))
    r.refresh_from_db()
    assert not rounds.is_open(r)
    with pytest.raises(services.ConsultationError, match="已截止"):
        rounds.contribute(round=r, user=w.member_user, text="迟到的发言")
    assert not Contribution.objects.exists() and not DutyRecord.objects.exists()


def test_contribution_refusals_change_nothing(cw):
    w = cw.world
    r = open_round(cw)
    other = open_round(cw, question="另一个议题")
    elsewhere = rounds.contribute(round=other, user=w.member_user, text="别处的发言")
    left = MemberFactory(
        committee=w.city, name="离任委员", user=UserFactory(username="left"), status=Member.Status.LEFT
    )
    sibling = UserFactory(username="wangwu")
    w.sibling_member.user = sibling
    w.sibling_member.save()
    before = sorted(Contribution.objects.values_list("pk", flat=True))
    duties = DutyRecord.objects.count()
    cases = [
        ({"user": w.office}, "本政协在任委员"),
        ({"user": w.unit_user}, "本政协在任委员"),
        ({"user": left.user}, "本政协在任委员"),
        ({"user": sibling}, "本政协在任委员"),
        ({"text": "   "}, "内容不能为空"),
        ({"text": "长" * 5001}, "不能超过5000字"),
        ({"reply_to": elsewhere}, "不属于本次网络议政"),
    ]
    for kwargs, message in cases:
        data = {"round": r, "user": w.member_user, "text": "发言", **kwargs}
        with pytest.raises(services.ConsultationError, match=message):
            rounds.contribute(**data)
    assert sorted(Contribution.objects.values_list("pk", flat=True)) == before
    assert DutyRecord.objects.count() == duties


def test_round_open_refusals_change_nothing(cw):
    w = cw.world
    now = timezone.now()
    c = cw.consultation()
    cancelled = services.consultation_cancel(consultation=cw.consultation(title="取消的"), user=w.office)
    cases = [
        ({"user": w.member_user}, "无权"),
        ({"user": w.sibling_office}, "无权"),
        ({"consultation": cancelled}, "已取消"),
        ({"question": ""}, "议题不能为空"),
        ({"closes_at": now - timedelta(hours=2)}, "晚于开始时间"),
        ({"opens_at": now - timedelta(days=3), "closes_at": now - timedelta(days=1)}, "晚于当前时间"),
        ({"opens_at": "明天"}, "开始时间无效"),
    ]
    for kwargs, message in cases:
        with pytest.raises(services.ConsultationError, match=message):
            open_round(cw, **{"consultation": c, **kwargs})
    assert not OnlineRound.objects.exists()


def test_a_cancelled_consultation_round_takes_no_contributions(cw):
    w = cw.world
    c = cw.consultation()
    r = open_round(cw, consultation=c)
    services.consultation_cancel(consultation=c, user=w.office)
    with pytest.raises(services.ConsultationError, match="已取消"):
        rounds.contribute(round=r, user=w.member_user, text="发言")
    assert not Contribution.objects.exists()
