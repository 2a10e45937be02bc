"""网络议政: an online round on a consultation's topic. Members of the committee write contributions and
replies while the round is open; taking part earns a consultation duty record once per round."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.models import User
from zhengxie.consultations.models import Consultation, Contribution, OnlineRound
from zhengxie.consultations.services import (
    ConsultationError,
    _require_manager,
    _text,
    consultation_url,
)
from zhengxie.duties.models import DutyKind
from zhengxie.duties.services import record_duty
from zhengxie.org.models import Member

ENDED = (Consultation.State.CLOSED, Consultation.State.CANCELLED)


def _aware(value: object, label: str) -> datetime:
    if not isinstance(value, datetime):
        raise ConsultationError(f"{label}无效")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@transaction.atomic
def round_open(
    *, consultation: Consultation, user: User, question: str, opens_at: datetime, closes_at: datetime
) -> OnlineRound:
    _require_manager(user, consultation)
    if consultation.state in ENDED:
        raise ConsultationError(f"活动{consultation.get_state_display()}，不能再发起网络议政")
    question = _text(question, "议题", 200)
    opens_at, closes_at = _aware(opens_at, "开始时间"), _aware(closes_at, "截止时间")
    if closes_at <= opens_at:
        raise ConsultationError("截止时间须晚于开始时间")
    if closes_at <= timezone.now():
        raise ConsultationError("截止时间须晚于当前时间")
    return OnlineRound.objects.create(
        consultation=consultation,
        committee_id=consultation.committee_id,
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
    )


def is_open(round: OnlineRound, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return round.opens_at <= now < round.closes_at


@transaction.atomic
def contribute(
    *, round: OnlineRound, user: User, text: str, reply_to: Contribution | None = None
) -> Contribution:
    member = (
        Member.objects.filter(user_id=user.pk, committee_id=round.committee_id, status=Member.Status.ACTIVE)
        .order_by("pk")
        .first()
        if user.is_authenticated
        else None
    )
    if member is None:
        raise ConsultationError("只有本政协在任委员可以参加网络议政")
    consultation = Consultation.objects.get(pk=round.consultation_id)
    if consultation.state == Consultation.State.CANCELLED:
        raise ConsultationError("活动已取消")
    now = timezone.now()
    if now < round.opens_at:
        raise ConsultationError("网络议政尚未开始")
    if now >= round.closes_at:
        raise ConsultationError("网络议政已截止")
    if reply_to is not None and reply_to.round_id != round.pk:
        raise ConsultationError("回复的发言不属于本次网络议政")
    contribution = Contribution.objects.create(
        round=round,
        committee_id=round.committee_id,
        member=member,
        reply_to=reply_to,
        text=_text(text, "内容", 5000),
    )
    record_duty(
        member=member,
        kind=DutyKind.CONSULTATION,
        source=round,
        title=f"参加网络议政：{round.question}"[:200],
        occurred_on=timezone.localdate(now),
        url=consultation_url(consultation),
    )
    return contribution
