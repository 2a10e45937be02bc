"""The annual plan: the office drafts topics, records the Party committee's approval, publishes to members."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengxie.consultations import plans, services
from zhengxie.consultations.models import ConsultationPlan, Form, Topic
from zhengxie.notices.models import Notification
from zhengxie.org.models import Member, SpecialCommittee
from zhengxie.statemachine import TransitionError
from zhengxie.testing.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def draft_plan(w, **kwargs):  # type: ignore[no-untyped-def]
    data = {"user": w.office, "committee": w.city, "year": YEAR, "title": f"江门市政协{YEAR}年度协商计划"}
    data.update(kwargs)
    return plans.plan_create(**data)


def add(plan, w, **kwargs):  # type: ignore[no-untyped-def]
    data = {"plan": plan, "user": w.office, "title": "推进城市更新", "form": Form.STANDING, "month": 5}
    data.update(kwargs)
    return plans.topic_add(**data)


def snapshot():  # type: ignore[no-untyped-def]
    return sorted(ConsultationPlan.objects.values_list()), sorted(Topic.objects.values_list())


def test_draft_approve_publish(world):
    w = world
    lead = SpecialCommittee.objects.create(committee=w.city, name="经济委员会")
    plan = draft_plan(w)
    assert plan.state == ConsultationPlan.State.DRAFT and plan.created_by == w.office
    t1 = add(plan, w, lead_id=lead.pk, description="围绕城市更新开展专题议政")
    t2 = add(plan, w, title="民主评议市教育局", form=Form.SUPERVISORY, month="9")
    t3 = add(plan, w, title="有事来协商", form=Form.MICRO, month=3)
    assert [t.order for t in (t1, t2, t3)] == [1, 2, 3] and t2.month == 9 and t1.lead == lead
    plans.topic_update(topic=t3, user=w.office, title="老旧小区停车难", form=Form.MICRO, month=4)
    plans.topic_remove(topic=t2, user=w.office)
    assert list(plan.topics.values_list("title", "month")) == [("推进城市更新", 5), ("老旧小区停车难", 4)]

    approved_on = timezone.localdate() - timedelta(days=2)
    plan = plans.plan_approve(
        plan=plan, user=w.office, approved_on=approved_on, approval_document="江委〔2026〕3号"
    )
    assert (plan.state, plan.approved_on, plan.approval_document) == (
        "approved",
        approved_on,
        "江委〔2026〕3号",
    )
    assert not Notification.objects.exists()  # approval is internal

    left = MemberFactory(committee=w.city, user=UserFactory(username="left"), status=Member.Status.LEFT)
    sibling_user = UserFactory(username="wangwu")
    w.sibling_member.user = sibling_user
    w.sibling_member.save()
    plan = plans.plan_publish(plan=plan, user=w.office)
    assert plan.state == ConsultationPlan.State.PUBLISHED and plan.published_at
    told = Notification.objects.filter(verb="plan_published")
    assert list(told.values_list("user__username", flat=True)) == ["member1"]
    assert not Notification.objects.filter(user=left.user).exists()
    assert told.get().dedupe_key.startswith(f"plan{plan.pk}:published")
    assert told.get().url == f"/consultations/plans/{plan.pk}/"


def test_topics_change_only_while_the_plan_is_a_draft(world):
    w = world
    plan = draft_plan(w)
    topic = add(plan, w)
    plan = plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate())
    before = snapshot()
    with pytest.raises(services.ConsultationError, match="不能再修改议题"):
        add(plan, w)
    with pytest.raises(services.ConsultationError, match="不能再修改议题"):
        plans.topic_update(topic=topic, user=w.office, title="改", form=Form.OPEN, month=1)
    with pytest.raises(services.ConsultationError, match="不能再修改议题"):
        plans.topic_remove(topic=topic, user=w.office)
    with pytest.raises(services.ConsultationError, match="不能登记批准"):
        plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate())
    assert snapshot() == before


def test_a_topic_with_a_consultation_cannot_be_removed(world):
    w = world
    plan = draft_plan(w)
    topic = add(plan, w)
    services.consultation_create(
        user=w.office, committee=w.city, title="城市更新协商", held_on=timezone.localdate(),
        form=Form.STANDING, topic_id=topic.pk,
    )  # fmt: skip
    with pytest.raises(services.ConsultationError, match="已安排协商活动"):
        plans.topic_remove(topic=topic, user=w.office)
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_plan_refusals_change_nothing(world):
    w = world
    plan = draft_plan(w)
    other_lead = SpecialCommittee.objects.create(committee=w.sibling, name="经济委员会")
    before = snapshot()
    for user in (w.member_user, w.leader, w.sibling_office, w.province_office, w.unit_user, w.admin):
        with pytest.raises(services.ConsultationError, match="无权"):
            draft_plan(w, user=user, year=YEAR - 1)
        with pytest.raises(services.ConsultationError, match="无权"):
            add(plan, w, user=user)
        with pytest.raises(services.ConsultationError, match="无权"):
            plans.plan_approve(plan=plan, user=user, approved_on=timezone.localdate())
    for kwargs, message in [
        ({}, "年度协商计划已存在"),
        ({"year": 1999}, "年度无效"),
        ({"year": YEAR + 2}, "年度无效"),
        ({"year": "2026"}, "年度无效"),
        ({"year": YEAR - 1, "title": " "}, "名称不能为空"),
        ({"year": YEAR - 1, "title": "长" * 101}, "不能超过100字"),
    ]:
        with pytest.raises(services.ConsultationError, match=message):
            draft_plan(w, **kwargs)
    for kwargs, message in [
        ({"form": "meeting"}, "协商形式"),
        ({"month": 13}, "1到12"),
        ({"month": 0}, "1到12"),
        ({"month": "五月"}, "1到12"),
        ({"title": ""}, "议题不能为空"),
        ({"lead_id": other_lead.pk}, "专门委员会"),
    ]:
        with pytest.raises(services.ConsultationError, match=message):
            add(plan, w, **kwargs)
    with pytest.raises(services.ConsultationError, match="还没有协商议题"):
        plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate())
    with pytest.raises(services.ConsultationError, match="党委批准后"):
        plans.plan_publish(plan=plan, user=w.office)
    add(plan, w)
    before = snapshot()
    with pytest.raises(services.ConsultationError, match="不能晚于今天"):
        plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate() + timedelta(days=1))
    assert snapshot() == before
    plan = plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate())
    with pytest.raises(services.ConsultationError, match="无权"):
        plans.plan_publish(plan=plan, user=w.sibling_office)
    plans.plan_publish(plan=plan, user=w.office)
    plan.refresh_from_db()
    with pytest.raises(services.ConsultationError, match="党委批准后"):
        plans.plan_publish(plan=plan, user=w.office)
    assert Notification.objects.filter(verb="plan_published").count() == 1


def test_a_stale_plan_cannot_be_approved_twice(world):
    w = world
    plan = draft_plan(w)
    add(plan, w)
    stale = ConsultationPlan.objects.get(pk=plan.pk)
    plans.plan_approve(plan=plan, user=w.office, approved_on=timezone.localdate())
    with pytest.raises(TransitionError, match="他人修改"):
        plans.plan_approve(plan=stale, user=w.office, approved_on=timezone.localdate())


def test_each_committee_has_its_own_plan_per_year(world):
    w = world
    draft_plan(w)
    other = plans.plan_create(
        user=w.sibling_office, committee=w.sibling, year=YEAR, title="贺州市政协年度协商计划"
    )
    assert other.committee == w.sibling and ConsultationPlan.objects.count() == 2
