"""年度协商计划: the office drafts the year's plan and its topics, the Party committee approves it, and the
office publishes it to the members. Topics change only while the plan is a draft: once approved it is the
document the Party committee signed. Each function is atomic; errors are ConsultationError with a Chinese
message and change nothing."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import User
from zhengxie.consultations.models import ConsultationPlan, Form, Topic
from zhengxie.consultations.services import ConsultationError, _require_office, _text
from zhengxie.notices.services import member_users, notify_users
from zhengxie.org.models import Committee, Member, SpecialCommittee
from zhengxie.statemachine import ConcurrentChange

FIRST_YEAR = 2000


def plan_url(plan: ConsultationPlan) -> str:
    return reverse("consultations:plan_detail", args=[plan.pk])


def _locked(plan: ConsultationPlan) -> ConsultationPlan:
    locked = ConsultationPlan.objects.select_for_update(no_key=True).get(pk=plan.pk)
    if locked.version != plan.version:
        raise ConcurrentChange("该协商计划已被他人修改，请刷新后重试")
    return locked


def _require_draft(plan: ConsultationPlan) -> None:
    if plan.state != ConsultationPlan.State.DRAFT:
        raise ConsultationError(f"计划已{plan.get_state_display()}，不能再修改议题")


def _month(value: object) -> int:
    try:
        month = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ConsultationError("计划月份须为1到12") from None
    if not 1 <= month <= 12:
        raise ConsultationError("计划月份须为1到12")
    return month


def _topic_fields(
    plan: ConsultationPlan, title: str, form: str, month: object, lead_id: int | None, description: str
) -> dict[str, object]:
    if form not in Form.values:
        raise ConsultationError("请选择协商形式")
    lead = None
    if lead_id:
        lead = SpecialCommittee.objects.filter(pk=lead_id, committee_id=plan.committee_id).first()
        if lead is None:
            raise ConsultationError("请选择本政协的专门委员会")
    return {
        "title": _text(title, "议题", 200),
        "form": form,
        "month": _month(month),
        "lead": lead,
        "description": _text(description, "说明", 5000, required=False),
    }


@transaction.atomic
def plan_create(*, user: User, committee: Committee, year: int, title: str) -> ConsultationPlan:
    _require_office(user, committee.pk)
    if not isinstance(year, int) or not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise ConsultationError("年度无效")
    title = _text(title, "名称", 100)
    if ConsultationPlan.objects.filter(committee=committee, year=year).exists():
        raise ConsultationError(f"{year}年度协商计划已存在")
    try:
        with transaction.atomic():
            return ConsultationPlan.objects.create(
                committee=committee, year=year, title=title, created_by=user
            )
    except IntegrityError:  # the same plan created at the same moment elsewhere
        raise ConsultationError(f"{year}年度协商计划已存在") from None


@transaction.atomic
def topic_add(
    *,
    plan: ConsultationPlan,
    user: User,
    title: str,
    form: str,
    month: int,
    lead_id: int | None = None,
    description: str = "",
) -> Topic:
    _require_office(user, plan.committee_id)
    locked = ConsultationPlan.objects.select_for_update(no_key=True).get(pk=plan.pk)
    _require_draft(locked)
    fields = _topic_fields(locked, title, form, month, lead_id, description)
    order = (locked.topics.aggregate(n=Max("order"))["n"] or 0) + 1
    return Topic.objects.create(plan=locked, committee_id=locked.committee_id, order=order, **fields)


@transaction.atomic
def topic_update(
    *,
    topic: Topic,
    user: User,
    title: str,
    form: str,
    month: int,
    lead_id: int | None = None,
    description: str = "",
) -> Topic:
    _require_office(user, topic.committee_id)
    plan = ConsultationPlan.objects.select_for_update(no_key=True).get(pk=topic.plan_id)
    _require_draft(plan)
    fields = _topic_fields(plan, title, form, month, lead_id, description)
    for name, value in fields.items():
        setattr(topic, name, value)
    topic.save()
    return topic


@transaction.atomic
def topic_remove(*, topic: Topic, user: User) -> None:
    _require_office(user, topic.committee_id)
    plan = ConsultationPlan.objects.select_for_update(no_key=True).get(pk=topic.plan_id)
    _require_draft(plan)
    if topic.consultations.exists():
        raise ConsultationError("该议题已安排协商活动，不能删除")
    topic.delete()


@transaction.atomic
def plan_approve(
    *, plan: ConsultationPlan, user: User, approved_on: date, approval_document: str = ""
) -> ConsultationPlan:
    """Record the Party committee's approval (党委批准): the plan is fixed from now on."""
    _require_office(user, plan.committee_id)
    if plan.state != ConsultationPlan.State.DRAFT:
        raise ConsultationError(f"当前状态“{plan.get_state_display()}”不能登记批准")
    if not isinstance(approved_on, date) or approved_on > timezone.localdate():
        raise ConsultationError("批准日期不能晚于今天")
    approval_document = _text(approval_document, "批准文件", 100, required=False)
    locked = _locked(plan)
    if not locked.topics.exists():
        raise ConsultationError("计划还没有协商议题，不能报批")
    locked.state = ConsultationPlan.State.APPROVED
    locked.approved_on = approved_on
    locked.approval_document = approval_document
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def plan_publish(*, plan: ConsultationPlan, user: User) -> ConsultationPlan:
    """公布: every active member of the committee with a login is told."""
    _require_office(user, plan.committee_id)
    if plan.state != ConsultationPlan.State.APPROVED:
        raise ConsultationError("计划经党委批准后才能公布")
    locked = _locked(plan)
    locked.state = ConsultationPlan.State.PUBLISHED
    locked.published_at = timezone.now()
    locked.version += 1
    locked.save()
    members = Member.objects.filter(
        committee_id=locked.committee_id, status=Member.Status.ACTIVE, user__isnull=False
    ).only("user_id")
    notify_users(
        committee_id=locked.committee_id,
        users=member_users(members),
        verb="plan_published",
        title=f"{locked.title}已公布",
        key=f"plan{locked.pk}:published",
        url=plan_url(locked),
    )
    return locked
