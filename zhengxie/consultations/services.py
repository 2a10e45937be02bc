"""Consultation services: holding a consultation, its participants, and the closed loop of its agreed items.
Each validates, checks the actor and writes its rows, duty records and notifications in one transaction;
errors are ConsultationError with a Chinese message and change nothing."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.consultations import workflow
from zhengxie.consultations.models import (
    Consultation,
    Form,
    Outcome,
    OutcomeProgress,
    OutcomeState,
    Participant,
    Speech,
    Topic,
    Visit,
)
from zhengxie.duties.models import DutyKind
from zhengxie.duties.services import duties_of_source, record_duty
from zhengxie.notices.services import member_users, notify_users
from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Committee, HandlingUnit, Member, SpecialCommittee, Station
from zhengxie.text import clean_text


class ConsultationError(workflow.TransitionError):
    pass


def _text(value: str, label: str, limit: int, required: bool = True) -> str:
    return clean_text(value, label, limit, required=required, error=ConsultationError)


def _require_office(user: User, committee_id: int) -> None:
    if not access.has_role(user, committee_id, {Role.OFFICE}):
        raise ConsultationError("您无权执行此操作")


def consultation_url(consultation: Consultation) -> str:
    return reverse("consultations:detail", args=[consultation.pk])


def _locked(consultation: Consultation) -> Consultation:
    locked = Consultation.objects.select_for_update(no_key=True).get(pk=consultation.pk)
    if locked.version != consultation.version:
        raise workflow.statemachine.ConcurrentChange("该协商活动已被他人修改，请刷新后重试")
    return locked


@transaction.atomic
def consultation_create(
    *,
    user: User,
    committee: Committee,
    title: str,
    held_on: date,
    kind: str = Consultation.Kind.CONSULTATION,
    form: str = "",
    series: str = "",
    topic_id: int | None = None,
    place: str = "",
    station_id: int | None = None,
    lead_id: int | None = None,
    summary: str = "",
) -> Consultation:
    """The office organises a consultation (or a research or inspection trip). A station's members may
    also call a micro consultation at their own station, e.g. for a concern raised there."""
    station = Station.objects.filter(pk=station_id, committee=committee).first() if station_id else None
    if station_id and station is None:
        raise ConsultationError("请选择本政协的站点")
    if not workflow.may_manage(user, Consultation(committee=committee, form=form, station=station)):
        raise ConsultationError("您无权执行此操作")
    if kind not in Consultation.Kind.values:
        raise ConsultationError("活动类型无效")
    if kind == Consultation.Kind.CONSULTATION and form not in Form.values:
        raise ConsultationError("请选择协商形式")
    if form and form not in Form.values:
        raise ConsultationError("协商形式无效")
    topic = None
    if topic_id:
        from zhengxie.consultations.models import Topic

        topic = Topic.objects.filter(pk=topic_id, committee=committee).first()
        if topic is None:
            raise ConsultationError("请选择本政协年度计划中的议题")
    lead = SpecialCommittee.objects.filter(pk=lead_id, committee=committee).first() if lead_id else None
    if lead_id and lead is None:
        raise ConsultationError("请选择本政协的专门委员会")
    return Consultation.objects.create(
        committee=committee,
        kind=kind,
        form=form,
        series=_text(series, "协商品牌", 40, required=False),
        topic=topic,
        title=_text(title, "主题", 200),
        held_on=held_on,
        place=_text(place, "地点", 200, required=False)
        or (station.address or station.name if station else ""),
        station=station,
        lead=lead,
        summary=_text(summary, "协商情况", 20000, required=False),
        created_by=user,
    )


def _require_manager(user: User, consultation: Consultation) -> None:
    if not workflow.may_manage(user, consultation):
        raise ConsultationError("您无权执行此操作")


@transaction.atomic
def participant_add(
    *,
    consultation: Consultation,
    user: User,
    member: Member | None = None,
    name: str = "",
    kind: str = Participant.Kind.MEMBER,
    organisation: str = "",
) -> Participant:
    _require_manager(user, consultation)
    if consultation.state in (Consultation.State.CLOSED, Consultation.State.CANCELLED):
        raise ConsultationError("活动已结束，不能再添加参加人员")
    if kind not in Participant.Kind.values:
        raise ConsultationError("参加人员身份无效")
    if member is not None:
        if (
            member.committee_id != consultation.committee_id
            and member.resident_committee_id != consultation.committee_id
        ):
            raise ConsultationError("只能邀请本政协委员")
        if Participant.objects.filter(consultation=consultation, member=member).exists():
            raise ConsultationError(f"{member.name}已在参加人员中")
        name, kind = member.name, Participant.Kind.MEMBER
    elif kind == Participant.Kind.MEMBER:
        raise ConsultationError("请选择委员")
    return Participant.objects.create(
        consultation=consultation,
        committee_id=consultation.committee_id,
        member=member,
        name=_text(name, "姓名", 30),
        kind=kind,
        organisation=_text(organisation, "单位/身份", 100, required=False),
    )


def _duty_kind(consultation: Consultation) -> str:
    return DutyKind.CONSULTATION if consultation.kind == Consultation.Kind.CONSULTATION else DutyKind.RESEARCH


# Plenary sessions and standing-committee meetings are 出席会议 duties (with 请假 and 无故缺席), the other forms
# count as taking part in a consultation, research or inspection.
MEETING_FORMS = frozenset({Form.PLENARY, Form.STANDING})
ATTENDANCE_KINDS = frozenset(
    {DutyKind.ATTENDANCE, DutyKind.CONSULTATION, DutyKind.RESEARCH, DutyKind.LEAVE, DutyKind.ABSENCE}
)


def _attendance_duty_kind(consultation: Consultation, attendance: str) -> str | None:
    if attendance == Participant.Attendance.ATTENDED:
        return DutyKind.ATTENDANCE if consultation.form in MEETING_FORMS else _duty_kind(consultation)
    if attendance == Participant.Attendance.LEAVE:
        return DutyKind.LEAVE
    if attendance == Participant.Attendance.ABSENT:
        return DutyKind.ABSENCE
    return None


def _record_attendance_duty(consultation: Consultation, participant: Participant) -> None:
    """Keep the member's one attendance duty for this event in step with their attendance: a correction
    after the event replaces the earlier record (attended -> leave takes back the points)."""
    if participant.member_id is None or consultation.state == Consultation.State.PLANNED:
        return
    kind = _attendance_duty_kind(consultation, participant.attendance)
    stale = duties_of_source(consultation).filter(member_id=participant.member_id, kind__in=ATTENDANCE_KINDS)
    if kind is not None:
        stale = stale.exclude(kind=kind)
    stale.delete()
    if kind is None:
        return
    label = {
        DutyKind.LEAVE: "请假",
        DutyKind.ABSENCE: "无故缺席",
    }.get(kind, "参加")  # type: ignore[call-overload]
    record_duty(
        member=participant.member,  # type: ignore[arg-type]
        kind=kind,
        source=consultation,
        title=f"{label}{consultation.get_form_display() or consultation.get_kind_display()}：{consultation.title}"[
            :200
        ],
        occurred_on=consultation.held_on,
        url=consultation_url(consultation),
        detail={"leave_reason": participant.leave_reason} if participant.leave_reason else None,
    )


@transaction.atomic
def attendance_set(
    *,
    consultation: Consultation,
    user: User,
    participant: Participant,
    attendance: str,
    leave_reason: str = "",
) -> Participant:
    _require_manager(user, consultation)
    if participant.consultation_id != consultation.pk:
        raise ConsultationError("参加人员不属于该活动")
    if attendance not in Participant.Attendance.values:
        raise ConsultationError("出席情况无效")
    if consultation.state == Consultation.State.CANCELLED:
        raise ConsultationError("活动已取消，不能登记出席情况")
    if attendance == Participant.Attendance.ATTENDED and consultation.held_on > timezone.localdate():
        raise ConsultationError("活动尚未举行，不能登记出席")
    participant.attendance = attendance
    participant.leave_reason = _text(
        leave_reason, "请假事由", 200, required=attendance == Participant.Attendance.LEAVE
    )
    participant.save()
    _record_attendance_duty(consultation, participant)
    return participant


@transaction.atomic
def consultation_hold(
    *, consultation: Consultation, user: User, summary: str = "", minutes: str = ""
) -> Consultation:
    """Record that it took place: the attendance so far earns the attendees their duty records."""
    _require_manager(user, consultation)
    if consultation.state != Consultation.State.PLANNED:
        raise ConsultationError(f"当前状态“{consultation.get_state_display()}”不能登记召开")
    if consultation.held_on > timezone.localdate():
        raise ConsultationError("活动日期未到，不能登记召开")
    locked = _locked(consultation)
    locked.state = Consultation.State.HELD
    if summary:
        locked.summary = _text(summary, "协商情况", 20000)
    if minutes:
        locked.minutes = _text(minutes, "会议纪要", 50000)
    locked.version += 1
    locked.save()
    for participant in locked.participants.filter(member__isnull=False).select_related("member"):
        _record_attendance_duty(locked, participant)
    return locked


@transaction.atomic
def consultation_cancel(*, consultation: Consultation, user: User) -> Consultation:
    _require_manager(user, consultation)
    if consultation.state != Consultation.State.PLANNED:
        raise ConsultationError("只有筹备中的活动可以取消")
    locked = _locked(consultation)
    locked.state = Consultation.State.CANCELLED
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def consultation_close(*, consultation: Consultation, user: User) -> Consultation:
    """办结: only when every agreed item has closed its loop."""
    _require_manager(user, consultation)
    if consultation.state != Consultation.State.HELD:
        raise ConsultationError("只有已召开的活动可以办结")
    locked = _locked(consultation)
    still_open = locked.outcomes.exclude(state=OutcomeState.CLOSED).count()
    if still_open:
        raise ConsultationError(f"还有{still_open}项协商成果未办结，不能办结该活动")
    locked.state = Consultation.State.CLOSED
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def outcome_add(*, consultation: Consultation, user: User, text: str) -> Outcome:
    _require_manager(user, consultation)
    if consultation.state != Consultation.State.HELD:
        raise ConsultationError("协商成果在活动召开后、办结前登记")
    locked = _locked(consultation)
    number = (locked.outcomes.aggregate(n=Max("number"))["n"] or 0) + 1
    return Outcome.objects.create(
        consultation=locked,
        committee_id=locked.committee_id,
        number=number,
        text=_text(text, "协商成果", 5000),
    )


def _unit_users(outcome: Outcome) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            grants__committee_id=outcome.committee_id,
            grants__role=Role.UNIT,
            grants__handling_unit_id=outcome.unit_id,
        ).distinct()
    )


def _office_or_manager(user: User, outcome: Outcome) -> None:
    _require_manager(user, outcome.consultation)


@transaction.atomic
def outcome_transfer(*, outcome: Outcome, user: User, unit: HandlingUnit, deadline: date) -> Outcome:
    _office_or_manager(user, outcome)
    if unit.committee_id != outcome.committee_id or not unit.is_active:
        raise ConsultationError("请选择本政协的承办单位")
    if deadline < timezone.localdate():
        raise ConsultationError("办理期限不能早于今天")
    outcome = workflow.transition(
        outcome=outcome,
        action="transfer",
        user=user,
        note=f"转{unit.name}办理",
        update_fields={"unit": unit, "deadline": deadline, "transferred_at": timezone.now()},
    )
    notify_users(
        committee_id=outcome.committee_id,
        users=_unit_users(outcome),
        verb="outcome_transferred",
        title=f"协商成果待办理：{outcome.text[:40]}",
        key=f"oc{outcome.pk}:v{outcome.version}:transfer",
        url=consultation_url(outcome.consultation),
    )
    return outcome


@transaction.atomic
def outcome_respond(*, outcome: Outcome, user: User, accept: bool, response: str) -> Outcome:
    response = _text(response, "采纳情况", 5000, required=not accept)
    return workflow.transition(
        outcome=outcome,
        action="accept" if accept else "decline",
        user=user,
        note=response,
        update_fields={"response": response},
    )


@transaction.atomic
def outcome_hand_back(*, outcome: Outcome, user: User, reason: str) -> Outcome:
    reason = _text(reason, "退回理由", 500)
    return workflow.transition(
        outcome=outcome,
        action="hand_back",
        user=user,
        note=reason,
        update_fields={"unit": None, "deadline": None},
    )


@transaction.atomic
def outcome_progress(*, outcome: Outcome, user: User, percent: int, note: str) -> OutcomeProgress:
    """A progress note while the item is being implemented; 100% is the complete step, not a note."""
    if not workflow.is_unit(user, outcome):
        raise ConsultationError("您无权执行此操作")
    if outcome.state != OutcomeState.ACCEPTED:
        raise ConsultationError("只有已采纳、落实中的成果可以报送进展")
    if not 0 <= percent < 100:
        raise ConsultationError("进度须在0到99之间；完成请点“落实完成”")
    locked = Outcome.objects.select_for_update(no_key=True).get(pk=outcome.pk)
    if percent < locked.percent:
        raise ConsultationError(f"进度不能低于已报的{locked.percent}%")
    locked.percent = percent
    locked.version += 1
    locked.save(update_fields=["percent", "version", "updated_at"])
    outcome.percent, outcome.version = locked.percent, locked.version
    return OutcomeProgress.objects.create(
        outcome=locked,
        committee_id=locked.committee_id,
        action="progress",
        from_state=locked.state,
        to_state=locked.state,
        percent=percent,
        note=_text(note, "进展情况", 5000),
        by=user,
    )


@transaction.atomic
def outcome_complete(*, outcome: Outcome, user: User, note: str) -> Outcome:
    return workflow.transition(
        outcome=outcome,
        action="complete",
        user=user,
        note=_text(note, "落实情况", 5000),
        update_fields={"percent": 100},
    )


@transaction.atomic
def outcome_report_back(*, outcome: Outcome, user: User, feedback: str) -> Outcome:
    """反馈: the office reports the result back to the participants, which closes the item's loop."""
    feedback = _text(feedback, "反馈情况", 5000)
    outcome = workflow.transition(
        outcome=outcome,
        action="report_back",
        user=user,
        note=feedback,
        update_fields={"feedback": feedback, "closed_at": timezone.now()},
    )
    consultation = outcome.consultation
    members = [p.member for p in consultation.participants.select_related("member") if p.member_id]
    notify_users(
        committee_id=outcome.committee_id,
        users=member_users(members),
        verb="outcome_closed",
        title=f"协商成果已办结：{outcome.text[:40]}",
        key=f"oc{outcome.pk}:closed",
        url=consultation_url(consultation),
    )
    return outcome


def overdue_outcomes(committee_id: int | None = None, today: date | None = None):  # type: ignore[no-untyped-def]
    today = today or timezone.localdate()
    queryset = Outcome.objects.filter(state__in=workflow.OPEN_STATES, deadline__lt=today)
    if committee_id is not None:
        queryset = queryset.filter(committee_id=committee_id)
    return queryset


# ------------------------------------------------------------------------ speeches, visits, reports, cases

ENDED = (Consultation.State.CLOSED, Consultation.State.CANCELLED)
TRIPS = (Consultation.Kind.RESEARCH, Consultation.Kind.INSPECTION)


@transaction.atomic
def speech_add(
    *, consultation: Consultation, user: User, participant: Participant, title: str, text: str = ""
) -> Speech:
    """A participant's speech (书面发言 too); a member's speech is a duty of its own."""
    _require_manager(user, consultation)
    if participant.consultation_id != consultation.pk:
        raise ConsultationError("发言人须为本次活动的参加人员")
    if consultation.state not in (Consultation.State.HELD, Consultation.State.CLOSED):
        raise ConsultationError("活动召开后才能登记发言")
    title = _text(title, "发言题目", 200)
    text = _text(text, "发言内容", 20000, required=False)
    order = (consultation.speeches.aggregate(n=Max("order"))["n"] or 0) + 1
    speech = Speech.objects.create(
        consultation=consultation,
        committee_id=consultation.committee_id,
        participant=participant,
        title=title,
        text=text,
        order=order,
    )
    if participant.member_id:
        record_duty(
            member=participant.member,  # type: ignore[arg-type]
            kind=DutyKind.SPEECH,
            source=speech,
            title=f"{consultation.title}发言：{title}"[:200],
            occurred_on=consultation.held_on,
            url=consultation_url(consultation),
        )
    return speech


@transaction.atomic
def visit_add(
    *, consultation: Consultation, user: User, visited_on: date, place: str, note: str = ""
) -> Visit:
    """A stop on a research or inspection trip."""
    _require_manager(user, consultation)
    if consultation.kind not in TRIPS:
        raise ConsultationError("只有调研、视察活动可以登记调研视察点")
    if consultation.state in ENDED:
        raise ConsultationError(f"活动{consultation.get_state_display()}，不能再登记调研视察点")
    if not isinstance(visited_on, date):
        raise ConsultationError("请填写日期")
    return Visit.objects.create(
        consultation=consultation,
        committee_id=consultation.committee_id,
        visited_on=visited_on,
        place=_text(place, "地点", 200),
        note=_text(note, "情况", 5000, required=False),
    )


def _plan_topic(committee_id: int, topic_id: object) -> Topic | None:
    if topic_id is None:
        return None
    topic = None
    if isinstance(topic_id, int) and not isinstance(topic_id, bool):
        topic = Topic.objects.filter(pk=topic_id, committee_id=committee_id).first()
    if topic is None:
        raise ConsultationError("请选择本政协年度计划中的议题")
    return topic


UPDATABLE = {
    "title": ("主题", 200, True),
    "place": ("地点", 200, False),
    "summary": ("协商情况", 20000, False),
    "minutes": ("会议纪要", 50000, False),
    "series": ("协商品牌", 40, False),
}


@transaction.atomic
def consultation_update(*, consultation: Consultation, user: User, **fields: object) -> Consultation:
    """Edit title, place, summary, minutes, series, date or the plan topic (topic_id; None unlinks) until the
    consultation is closed or cancelled."""
    _require_manager(user, consultation)
    unknown = sorted(set(fields) - set(UPDATABLE) - {"held_on", "topic_id"})
    if unknown:
        raise ConsultationError(f"不能修改：{'、'.join(unknown)}")
    if consultation.state in ENDED:
        raise ConsultationError(f"活动{consultation.get_state_display()}，不能再修改")
    changes: dict[str, object] = {}
    for name, value in fields.items():
        if name == "held_on":
            if not isinstance(value, date):
                raise ConsultationError("请填写日期")
            if consultation.state == Consultation.State.HELD and value > timezone.localdate():
                raise ConsultationError("活动已召开，日期不能晚于今天")
            changes[name] = value
        elif name == "topic_id":
            changes["topic"] = _plan_topic(consultation.committee_id, value)
        else:
            label, limit, required = UPDATABLE[name]
            changes[name] = _text(value if isinstance(value, str) else "", label, limit, required=required)
    locked = _locked(consultation)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save()
    if "held_on" in changes:
        # Attendance duties carry the date the members took part.
        duties_of_source(locked).update(occurred_on=locked.held_on, year=locked.held_on.year)
    return locked


@transaction.atomic
def report_attach(
    *,
    consultation: Consultation,
    user: User,
    title: str,
    situation: str,
    suggestion: str = "",
    kind: str = "research",
) -> OpinionReport:
    """The trip's report (调研报告/视察报告/建言资政报告), written up by the office in the names of the members who
    went; it then goes through the opinion-report path, so it can be forwarded and receive instructions."""
    from zhengxie.opinions.services import OpinionError, report_create

    _require_office(user, consultation.committee_id)
    if consultation.kind not in TRIPS and consultation.form != Form.RESEARCH:
        raise ConsultationError("只有调研、视察和专题调研协商可以形成调研报告")
    if consultation.state not in (Consultation.State.HELD, Consultation.State.CLOSED):
        raise ConsultationError("活动召开后才能形成调研报告")
    if kind not in (OpinionReport.Kind.RESEARCH, OpinionReport.Kind.ADVICE, OpinionReport.Kind.INSPECTION):
        raise ConsultationError("报告类别无效")
    locked = _locked(consultation)
    if locked.report_id:
        raise ConsultationError("该活动已形成调研报告")
    authors = [
        p.member
        for p in locked.participants.filter(
            member__isnull=False,
            member__committee_id=locked.committee_id,
            attendance=Participant.Attendance.ATTENDED,
        ).select_related("member")
    ]
    if not authors:
        raise ConsultationError("请先登记出席的本政协委员，报告以他们的名义报送")
    try:
        report = report_create(
            user=user,
            committee=locked.committee,
            title=title,
            situation=situation,
            suggestion=suggestion,
            kind=kind,
            authors=authors,  # type: ignore[arg-type]
        )
    except OpinionError as error:
        raise ConsultationError(str(error)) from error
    locked.report = report
    locked.version += 1
    locked.save()
    consultation.report, consultation.version = report, locked.version
    return report


def _case_allowed(user: User, consultation: Consultation) -> None:
    _require_office(user, consultation.committee_id)
    if consultation.state not in (Consultation.State.HELD, Consultation.State.CLOSED):
        raise ConsultationError("只有已召开或已办结的活动可以评为优秀案例")


@transaction.atomic
def case_mark(*, consultation: Consultation, user: User, summary: str) -> Consultation:
    """优秀案例, for the year's 案例选编."""
    _case_allowed(user, consultation)
    summary = _text(summary, "案例简介", 5000)
    locked = _locked(consultation)
    locked.is_good_case = True
    locked.case_summary = summary
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def case_unmark(*, consultation: Consultation, user: User) -> Consultation:
    _case_allowed(user, consultation)
    if not consultation.is_good_case:
        raise ConsultationError("该活动不是优秀案例")
    locked = _locked(consultation)
    locked.is_good_case = False
    locked.version += 1
    locked.save()
    return locked
