"""Consultations of every form and the trips, held with participants whose attendance becomes duty records;
speeches; the closed loop of an agreed item; a consultation closes only when its items have; the trip's report
receiving an instruction; good cases. Every refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengxie.consultations import services, workflow
from zhengxie.consultations.models import (
    Consultation,
    Form,
    Outcome,
    OutcomeProgress,
    OutcomeState,
    Participant,
    Speech,
    Visit,
)
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.notices.models import Notification
from zhengxie.opinions import services as opinions
from zhengxie.opinions.models import InstructionLevel, OpinionReport, ReportState
from zhengxie.org.models import Member
from zhengxie.statemachine import TransitionError
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

A = Participant.Attendance


def duties(member, kind=None):  # type: ignore[no-untyped-def]
    rows = DutyRecord.objects.filter(member=member)
    return rows.filter(kind=kind) if kind else rows


def snapshot(model, **filters):  # type: ignore[no-untyped-def]
    return sorted(model.objects.filter(**filters).values_list())


# ---------------------------------------------------------------------------------------- the forms


@pytest.mark.parametrize("form", Form.values)
def test_each_form_is_held_with_participants_and_attendance_duties(cw, form):
    w = cw.world
    kwargs = {"form": form}
    if form == Form.MICRO:
        kwargs.update(series="有事来协商", station_id=cw.station.pk)
    c = cw.consultation(**kwargs)
    assert c.state == Consultation.State.PLANNED and c.form == form
    people = [
        services.participant_add(consultation=c, user=w.office, member=w.member),
        services.participant_add(consultation=c, user=w.office, member=w.other_member),
        services.participant_add(
            consultation=c, user=w.office, name="王局长", kind="official", organisation="江门市教育局"
        ),
        services.participant_add(consultation=c, user=w.office, name="陈教授", kind="expert"),
        services.participant_add(consultation=c, user=w.office, name="黄阿姨", kind="public"),
    ]
    services.attendance_set(consultation=c, user=w.office, participant=people[0], attendance=A.ATTENDED)
    services.attendance_set(
        consultation=c, user=w.office, participant=people[1], attendance=A.LEAVE, leave_reason="出差"
    )
    for p in people[2:]:
        services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.ATTENDED)
    # Attendance before the consultation is held earns nothing yet.
    assert not DutyRecord.objects.exists()
    c = services.consultation_hold(consultation=c, user=w.office, summary="协商情况", minutes="会议纪要")
    assert c.state == Consultation.State.HELD and c.minutes == "会议纪要"
    record = duties(w.member).get()
    # Plenary and standing-committee meetings count as 出席会议; the other forms as taking part in a consultation.
    meeting = form in (Form.PLENARY, Form.STANDING)
    assert record.kind == (DutyKind.ATTENDANCE if meeting else DutyKind.CONSULTATION) and record.source == c
    assert record.occurred_on == c.held_on and Form(form).label in record.title
    assert duties(w.other_member).get().kind == DutyKind.LEAVE  # on leave: recorded, scored by the rules
    assert DutyRecord.objects.count() == 2  # officials, experts and the public have no duty record
    assert c.participants.count() == 5
    if form == Form.MICRO:
        assert c.series == "有事来协商" and c.station == cw.station and c.place == "江门市蓬江区"


def test_a_station_member_runs_a_micro_consultation_at_their_own_station_only(cw):
    w = cw.world
    Member.objects.filter(pk=w.member.pk).update(station=cw.station)
    c = cw.consultation(user=w.member_user, form=Form.MICRO, station_id=cw.station.pk, series="有事来协商")
    p = services.participant_add(consultation=c, user=w.member_user, name="黄阿姨", kind="public")
    services.attendance_set(consultation=c, user=w.member_user, participant=p, attendance=A.ATTENDED)
    services.consultation_hold(consultation=c, user=w.member_user)
    # Not another form, and not without a station.
    with pytest.raises(services.ConsultationError, match="无权"):
        cw.consultation(user=w.member_user, form=Form.OPEN)
    with pytest.raises(services.ConsultationError, match="无权"):
        cw.consultation(user=w.member_user, form=Form.MICRO)
    assert Consultation.objects.count() == 1


@pytest.mark.parametrize("kind", [Consultation.Kind.RESEARCH, Consultation.Kind.INSPECTION])
def test_research_and_inspection_trips_have_visits_and_research_duties(cw, kind):
    w = cw.world
    c = cw.held(kind=kind, form="", title="新会区乡村振兴调研")
    visit = services.visit_add(
        consultation=c, user=w.office, visited_on=cw.past, place="新会区大泽镇", note="察看农业园区"
    )
    assert list(c.visits.all()) == [visit]
    assert duties(w.member).get().kind == DutyKind.RESEARCH
    assert "调研" in duties(w.member).get().title or "视察" in duties(w.member).get().title


def test_create_refusals_change_nothing(cw):
    w = cw.world
    cases = [
        ({"user": w.member_user}, "无权"),
        ({"user": w.sibling_office}, "无权"),
        ({"user": w.province_office}, "无权"),
        ({"user": w.leader}, "无权"),
        ({"form": ""}, "协商形式"),
        ({"form": "nonsense"}, "协商形式"),
        ({"kind": "party"}, "活动类型"),
        ({"title": "  "}, "主题不能为空"),
        ({"title": "长" * 201}, "主题不能超过200字"),
        ({"station_id": 999999}, "站点"),
        ({"lead_id": 999999}, "专门委员会"),
        ({"topic_id": 999999}, "议题"),
    ]
    for kwargs, message in cases:
        with pytest.raises(services.ConsultationError, match=message):
            cw.consultation(**kwargs)
    assert not Consultation.objects.exists()


def test_participant_and_attendance_refusals_change_nothing(cw):
    w = cw.world
    c = cw.consultation()
    p = services.participant_add(consultation=c, user=w.office, member=w.member)
    before = snapshot(Participant)
    with pytest.raises(services.ConsultationError, match="无权"):
        services.participant_add(consultation=c, user=w.member_user, member=w.other_member)
    with pytest.raises(services.ConsultationError, match="已在参加人员中"):
        services.participant_add(consultation=c, user=w.office, member=w.member)
    with pytest.raises(services.ConsultationError, match="本政协委员"):
        services.participant_add(consultation=c, user=w.office, member=w.sibling_member)
    with pytest.raises(services.ConsultationError, match="请选择委员"):
        services.participant_add(consultation=c, user=w.office, name="某人")
    with pytest.raises(services.ConsultationError, match="出席情况无效"):
        services.attendance_set(consultation=c, user=w.office, participant=p, attendance="maybe")
    with pytest.raises(services.ConsultationError, match="请假事由"):
        services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.LEAVE)
    future = cw.consultation(held_on=timezone.localdate() + timedelta(days=5))
    q = services.participant_add(consultation=future, user=w.office, member=w.member)
    with pytest.raises(services.ConsultationError, match="尚未举行"):
        services.attendance_set(consultation=future, user=w.office, participant=q, attendance=A.ATTENDED)
    with pytest.raises(services.ConsultationError, match="日期未到"):
        services.consultation_hold(consultation=future, user=w.office)
    assert snapshot(Participant, consultation=c) == [r for r in before]
    assert not DutyRecord.objects.exists()


def test_correcting_attendance_after_the_event_takes_the_duty_back(cw):
    w = cw.world
    c = cw.held()
    p = c.participants.get(member=w.other_member)
    assert duties(w.other_member).count() == 1
    services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.ABSENT)
    assert duties(w.other_member).get().kind == DutyKind.ABSENCE  # the attendance duty is replaced
    assert duties(w.member).count() == 1
    services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.ATTENDED)
    assert duties(w.other_member).count() == 1


def test_a_cancelled_consultation_records_no_attendance(cw):
    w = cw.world
    c = cw.consultation()
    p = services.participant_add(consultation=c, user=w.office, member=w.member)
    c = services.consultation_cancel(consultation=c, user=w.office)
    with pytest.raises(services.ConsultationError, match="已取消"):
        services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.ATTENDED)
    with pytest.raises(services.ConsultationError, match="已结束"):
        services.participant_add(consultation=c, user=w.office, member=w.other_member)
    p.refresh_from_db()
    assert p.attendance == A.INVITED and not DutyRecord.objects.exists()


# ------------------------------------------------------------------------------------------ speeches


def test_a_members_speech_is_a_speech_duty_and_a_guests_is_not(cw):
    w = cw.world
    c = cw.held()
    member_p = c.participants.get(member=w.member)
    guest = services.participant_add(consultation=c, user=w.office, name="陈教授", kind="expert")
    s1 = services.speech_add(consultation=c, user=w.office, participant=member_p, title="加装电梯要算好账")
    s2 = services.speech_add(
        consultation=c, user=w.office, participant=guest, title="专家意见", text="一是……"
    )
    assert (s1.order, s2.order) == (1, 2)
    record = duties(w.member, DutyKind.SPEECH).get()
    assert record.source == s1 and "加装电梯要算好账" in record.title
    assert DutyRecord.objects.filter(kind=DutyKind.SPEECH).count() == 1


def test_speech_refusals_change_nothing(cw):
    w = cw.world
    c = cw.held()
    p = c.participants.get(member=w.member)
    planned = cw.consultation(title="另一次协商")
    stranger = services.participant_add(consultation=planned, user=w.office, member=w.other_member)
    with pytest.raises(services.ConsultationError, match="无权"):
        services.speech_add(consultation=c, user=w.member_user, participant=p, title="发言")
    with pytest.raises(services.ConsultationError, match="参加人员"):
        services.speech_add(consultation=c, user=w.office, participant=stranger, title="发言")
    with pytest.raises(services.ConsultationError, match="召开后"):
        services.speech_add(consultation=planned, user=w.office, participant=stranger, title="发言")
    with pytest.raises(services.ConsultationError, match="发言题目不能为空"):
        services.speech_add(consultation=c, user=w.office, participant=p, title="\x00 ")
    assert not Speech.objects.exists()
    assert not DutyRecord.objects.filter(kind=DutyKind.SPEECH).exists()


# ---------------------------------------------------------------------------------- the closed loop


def actions(outcome):  # type: ignore[no-untyped-def]
    return list(outcome.progress.values_list("action", flat=True))


def test_the_closed_loop_from_transfer_to_report_back(cw):
    w = cw.world
    o = cw.transferred()
    assert o.state == OutcomeState.TRANSFERRED and o.unit == w.unit and o.transferred_at
    assert Notification.objects.filter(user=w.unit_user, verb="outcome_transferred").count() == 1
    assert [m.action for m in workflow.allowed_actions(w.unit_user, o)] == ["hand_back", "accept", "decline"]
    assert workflow.allowed_actions(w.office, o) == []

    o = services.outcome_respond(outcome=o, user=w.unit_user, accept=True, response="纳入年度计划")
    assert o.state == OutcomeState.ACCEPTED
    services.outcome_progress(outcome=o, user=w.unit_user, percent=30, note="已完成选址")
    services.outcome_progress(outcome=o, user=w.unit_user, percent=60, note="已安装一半")
    o.refresh_from_db()
    assert o.percent == 60 and o.state == OutcomeState.ACCEPTED
    o = services.outcome_complete(outcome=o, user=w.unit_user, note="路灯全部亮起")
    assert (o.state, o.percent) == (OutcomeState.DONE, 100)
    o = services.outcome_report_back(outcome=o, user=w.office, feedback="已向参加协商的委员和群众反馈")
    assert o.state == OutcomeState.CLOSED and o.closed_at and o.feedback.startswith("已向")
    assert actions(o) == ["transfer", "accept", "progress", "progress", "complete", "report_back"]
    notes = list(o.progress.values_list("percent", "note"))
    assert notes[2:4] == [(30, "已完成选址"), (60, "已安装一半")]
    # 张三 took part and has a login: they hear the item closed (李四 has no login).
    told = Notification.objects.filter(verb="outcome_closed")
    assert list(told.values_list("user", flat=True)) == [w.member_user.pk]


def test_report_back_tells_the_member_participants_with_logins(cw):
    w = cw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    o = cw.transferred()
    o = services.outcome_respond(outcome=o, user=w.unit_user, accept=True, response="")
    o = services.outcome_complete(outcome=o, user=w.unit_user, note="已落实")
    services.outcome_report_back(outcome=o, user=w.office, feedback="已反馈")
    told = set(Notification.objects.filter(verb="outcome_closed").values_list("user__username", flat=True))
    assert told == {"member1", "lisi"}


def test_hand_back_then_transfer_to_the_right_unit(cw):
    w = cw.world
    o = cw.transferred()
    o = services.outcome_hand_back(outcome=o, user=w.unit_user, reason="不属于本单位职责")
    assert (o.state, o.unit, o.deadline) == (OutcomeState.DRAFT, None, None)
    # The first unit has no say any more.
    with pytest.raises(TransitionError):
        services.outcome_respond(outcome=o, user=w.unit_user, accept=True, response="")
    o = services.outcome_transfer(
        outcome=o, user=w.office, unit=cw.other_unit, deadline=timezone.localdate() + timedelta(days=10)
    )
    o = services.outcome_respond(outcome=o, user=cw.other_unit_user, accept=True, response="同意")
    assert o.state == OutcomeState.ACCEPTED and o.unit == cw.other_unit
    assert actions(o) == ["transfer", "hand_back", "transfer", "accept"]


def test_decline_then_report_back(cw):
    w = cw.world
    o = cw.transferred()
    with pytest.raises(services.ConsultationError, match="采纳情况不能为空"):
        services.outcome_respond(outcome=o, user=w.unit_user, accept=False, response=" ")
    o = services.outcome_respond(outcome=o, user=w.unit_user, accept=False, response="资金不足，列入明年计划")
    assert o.state == OutcomeState.NOT_ACCEPTED and o.response == "资金不足，列入明年计划"
    o = services.outcome_report_back(outcome=o, user=w.office, feedback="已向委员说明未采纳原因")
    assert o.state == OutcomeState.CLOSED
    assert actions(o) == ["transfer", "decline", "report_back"]


def test_overdue_items_are_flagged_until_they_are_done(cw):
    w = cw.world
    c = cw.held()
    late = cw.transferred(c)
    on_time = cw.transferred(c)
    draft = cw.outcome(c)
    later = late.deadline + timedelta(days=1)
    assert set(services.overdue_outcomes(w.city.pk, today=later)) == {late, on_time}
    assert not services.overdue_outcomes(w.city.pk).exists()  # nothing is late today
    assert not services.overdue_outcomes(w.sibling.pk, today=later).exists()
    services.outcome_respond(outcome=on_time, user=w.unit_user, accept=True, response="")
    on_time = services.outcome_complete(outcome=on_time, user=w.unit_user, note="已落实")
    assert set(services.overdue_outcomes(w.city.pk, today=later)) == {late}
    services.outcome_respond(outcome=late, user=w.unit_user, accept=True, response="")
    assert set(services.overdue_outcomes(today=later)) == {late}  # accepted but still being implemented
    assert draft.state == OutcomeState.DRAFT


def test_closed_loop_refusals_change_nothing(cw):
    w = cw.world
    o = cw.outcome()
    soon = timezone.localdate() + timedelta(days=5)
    sibling_unit_user = UserFactory(username="hzunit")
    with pytest.raises(TransitionError, match="无权"):
        services.outcome_transfer(outcome=o, user=w.member_user, unit=w.unit, deadline=soon)
    with pytest.raises(TransitionError, match="无权"):
        services.outcome_transfer(outcome=o, user=w.sibling_office, unit=w.unit, deadline=soon)
    with pytest.raises(services.ConsultationError, match="期限"):
        services.outcome_transfer(
            outcome=o, user=w.office, unit=w.unit, deadline=timezone.localdate() - timedelta(days=1)
        )
    inactive = cw.other_unit
    inactive.is_active = False
    inactive.save()
    with pytest.raises(services.ConsultationError, match="承办单位"):
        services.outcome_transfer(outcome=o, user=w.office, unit=inactive, deadline=soon)
    with pytest.raises(TransitionError, match="不能执行"):
        services.outcome_report_back(outcome=o, user=w.office, feedback="x")
    o.refresh_from_db()
    assert o.state == OutcomeState.DRAFT and o.unit is None and not o.progress.exists()

    o = services.outcome_transfer(outcome=o, user=w.office, unit=w.unit, deadline=soon)
    before = snapshot(Outcome)
    for user in (w.office, w.member_user, sibling_unit_user, w.leader):
        with pytest.raises(TransitionError, match="无权"):
            services.outcome_respond(outcome=o, user=user, accept=True, response="")
    with pytest.raises(services.ConsultationError, match="已采纳"):
        services.outcome_progress(outcome=o, user=w.unit_user, percent=10, note="进展")
    o = services.outcome_respond(outcome=o, user=w.unit_user, accept=True, response="")
    services.outcome_progress(outcome=o, user=w.unit_user, percent=40, note="进展")
    o.refresh_from_db()
    before = snapshot(Outcome)
    progress = snapshot(OutcomeProgress)
    for percent, message in ((100, "0到99"), (-1, "0到99"), (20, "不能低于已报的40%")):
        with pytest.raises(services.ConsultationError, match=message):
            services.outcome_progress(outcome=o, user=w.unit_user, percent=percent, note="进展")
    with pytest.raises(services.ConsultationError, match="无权"):
        services.outcome_progress(outcome=o, user=w.office, percent=50, note="进展")
    with pytest.raises(services.ConsultationError, match="进展情况不能为空"):
        services.outcome_progress(outcome=o, user=w.unit_user, percent=50, note="")
    with pytest.raises(TransitionError, match="无权"):
        services.outcome_complete(outcome=o, user=w.office, note="完成")
    with pytest.raises(TransitionError, match="不能执行"):
        services.outcome_report_back(outcome=o, user=w.office, feedback="反馈")  # not done yet
    assert snapshot(Outcome) == before and snapshot(OutcomeProgress) == progress


def test_a_stale_copy_cannot_move_an_item_twice(cw):
    w = cw.world
    o = cw.transferred()
    stale = Outcome.objects.get(pk=o.pk)
    services.outcome_respond(outcome=o, user=w.unit_user, accept=True, response="")
    with pytest.raises(TransitionError):
        services.outcome_respond(outcome=stale, user=w.unit_user, accept=False, response="不采纳")
    assert Outcome.objects.get(pk=o.pk).state == OutcomeState.ACCEPTED


def test_outcomes_are_added_only_to_a_held_consultation_by_its_managers(cw):
    w = cw.world
    planned = cw.consultation()
    with pytest.raises(services.ConsultationError, match="召开后"):
        services.outcome_add(consultation=planned, user=w.office, text="成果")
    c = cw.held()
    with pytest.raises(services.ConsultationError, match="无权"):
        services.outcome_add(consultation=c, user=w.member_user, text="成果")
    with pytest.raises(services.ConsultationError, match="协商成果不能为空"):
        services.outcome_add(consultation=c, user=w.office, text="")
    assert not Outcome.objects.exists()
    first, second = cw.outcome(c), cw.outcome(c, text="第二项")
    assert (first.number, second.number) == (1, 2)


# ------------------------------------------------------------------------------------- closing


def test_a_consultation_closes_only_when_every_item_has(cw):
    w = cw.world
    c = cw.held()
    done = cw.transferred(c)
    declined = cw.transferred(c)
    draft = cw.outcome(c)
    c.refresh_from_db()

    def refused(count):  # type: ignore[no-untyped-def]
        nonlocal c
        with pytest.raises(services.ConsultationError, match=f"还有{count}项协商成果未办结"):
            services.consultation_close(consultation=c, user=w.office)
        c.refresh_from_db()
        assert c.state == Consultation.State.HELD

    refused(3)
    done = services.outcome_respond(outcome=done, user=w.unit_user, accept=True, response="")
    done = services.outcome_complete(outcome=done, user=w.unit_user, note="已落实")
    refused(3)  # done is not closed until reported back
    services.outcome_report_back(outcome=done, user=w.office, feedback="已反馈")
    declined = services.outcome_respond(outcome=declined, user=w.unit_user, accept=False, response="不采纳")
    services.outcome_report_back(outcome=declined, user=w.office, feedback="已说明")
    refused(1)
    draft = services.outcome_transfer(
        outcome=draft, user=w.office, unit=w.unit, deadline=timezone.localdate() + timedelta(days=3)
    )
    draft = services.outcome_respond(outcome=draft, user=w.unit_user, accept=False, response="不采纳")
    services.outcome_report_back(outcome=draft, user=w.office, feedback="已说明")
    with pytest.raises(services.ConsultationError, match="无权"):
        services.consultation_close(consultation=c, user=w.member_user)
    c = services.consultation_close(consultation=c, user=w.office)
    assert c.state == Consultation.State.CLOSED
    with pytest.raises(services.ConsultationError, match="召开后、办结前"):
        services.outcome_add(consultation=c, user=w.office, text="再加一项")
    with pytest.raises(services.ConsultationError, match="已召开"):
        services.consultation_close(consultation=c, user=w.office)


def test_a_planned_consultation_cannot_close_and_only_a_planned_one_can_be_cancelled(cw):
    w = cw.world
    planned = cw.consultation()
    with pytest.raises(services.ConsultationError, match="只有已召开"):
        services.consultation_close(consultation=planned, user=w.office)
    held = cw.held()
    with pytest.raises(services.ConsultationError, match="筹备中"):
        services.consultation_cancel(consultation=held, user=w.office)
    with pytest.raises(services.ConsultationError, match="无权"):
        services.consultation_cancel(consultation=planned, user=w.sibling_office)
    assert set(Consultation.objects.values_list("state", flat=True)) == {"planned", "held"}


# -------------------------------------------------------------------------------------- editing


def test_update_edits_fields_and_moves_duty_dates_with_the_date(cw):
    w = cw.world
    c = cw.held()
    earlier = c.held_on - timedelta(days=400)
    c = services.consultation_update(
        consultation=c, user=w.office, title="新主题", minutes="纪要", series="委员议事厅", held_on=earlier
    )
    c.refresh_from_db()
    assert (c.title, c.minutes, c.series, c.held_on) == ("新主题", "纪要", "委员议事厅", earlier)
    assert set(DutyRecord.objects.values_list("occurred_on", "year")) == {(earlier, earlier.year)}


def test_update_refusals_change_nothing(cw):
    w = cw.world
    c = cw.held()
    before = snapshot(Consultation)
    cases = [
        ({"user": w.member_user, "title": "x"}, "无权"),
        ({"title": ""}, "主题不能为空"),
        ({"state": "closed"}, "不能修改"),
        ({"held_on": "2026-01-01"}, "日期"),
        ({"held_on": timezone.localdate() + timedelta(days=1)}, "不能晚于今天"),
        ({"summary": "长" * 20001}, "不能超过"),
    ]
    for kwargs, message in cases:
        data = {"consultation": c, "user": w.office, **kwargs}
        with pytest.raises(services.ConsultationError, match=message):
            services.consultation_update(**data)
    assert snapshot(Consultation) == before
    closed = services.consultation_close(consultation=c, user=w.office)
    with pytest.raises(services.ConsultationError, match="已办结"):
        services.consultation_update(consultation=closed, user=w.office, title="改")


def test_visits_only_for_trips(cw):
    w = cw.world
    c = cw.held()
    with pytest.raises(services.ConsultationError, match="只有调研、视察"):
        services.visit_add(consultation=c, user=w.office, visited_on=cw.past, place="某地")
    trip = cw.held(kind=Consultation.Kind.INSPECTION, form="")
    with pytest.raises(services.ConsultationError, match="地点不能为空"):
        services.visit_add(consultation=trip, user=w.office, visited_on=cw.past, place="")
    with pytest.raises(services.ConsultationError, match="无权"):
        services.visit_add(consultation=trip, user=w.member_user, visited_on=cw.past, place="某地")
    assert not Visit.objects.exists()


# --------------------------------------------------------------------------- report and instruction


def test_a_research_trip_report_is_forwarded_and_receives_an_instruction(cw):
    w = cw.world
    absent = MemberFactory(committee=w.city, name="缺席委员")
    c = cw.held(kind=Consultation.Kind.RESEARCH, form="", title="江门市华侨文化遗产保护调研")
    p = services.participant_add(consultation=c, user=w.office, member=absent)
    services.attendance_set(consultation=c, user=w.office, participant=p, attendance=A.ABSENT)
    services.visit_add(consultation=c, user=w.office, visited_on=cw.past, place="开平碉楼")
    services.visit_add(consultation=c, user=w.office, visited_on=cw.past, place="台山侨批馆")
    report = services.report_attach(
        consultation=c,
        user=w.office,
        title="关于加强华侨文化遗产保护的调研报告",
        situation="调研组走访了开平、台山两地。",
        suggestion="建议设立专项资金。",
    )
    c.refresh_from_db()
    assert c.report == report and report.kind == OpinionReport.Kind.RESEARCH
    assert set(report.authors.all()) == {w.member, w.other_member}
    assert report.state == ReportState.SUBMITTED
    with pytest.raises(services.ConsultationError, match="已形成调研报告"):
        services.report_attach(consultation=c, user=w.office, title="又一份", situation="内容")

    opinions.report_forward(report=report, user=w.office, target="party_committee", receiver="江门市委")
    instruction = opinions.instruction_add(
        report=report,
        user=w.office,
        level=InstructionLevel.CITY,
        leader_name="李书记",
        text="请市文广旅局研究",
    )
    report.refresh_from_db()
    assert report.state == ReportState.ADOPTED and instruction.report == c.report
    assert duties(w.member, DutyKind.INSTRUCTION).get().source == instruction
    assert not duties(absent).exclude(kind=DutyKind.ABSENCE).exists()


def test_report_refusals_change_nothing(cw):
    w = cw.world
    standing = cw.held()
    trip = cw.held(kind=Consultation.Kind.RESEARCH, form="")
    nobody = cw.held(kind=Consultation.Kind.INSPECTION, form="", members=[])
    planned = cw.consultation(kind=Consultation.Kind.RESEARCH, form="")
    cases = [
        ({"consultation": standing}, "只有调研"),
        ({"consultation": trip, "user": w.member_user}, "无权"),
        ({"consultation": trip, "user": w.sibling_office}, "无权"),
        ({"consultation": planned}, "召开后"),
        ({"consultation": trip, "kind": "opinion"}, "报告类别"),
        ({"consultation": trip, "title": ""}, "标题不能为空"),
        ({"consultation": nobody}, "出席的本政协委员"),
    ]
    for kwargs, message in cases:
        data = {"user": w.office, "title": "调研报告", "situation": "情况", **kwargs}
        with pytest.raises(services.ConsultationError, match=message):
            services.report_attach(**data)
    assert not OpinionReport.objects.exists()
    assert not Consultation.objects.filter(report__isnull=False).exists()


# ------------------------------------------------------------------------------------- good cases


def test_good_cases_are_marked_by_the_office_once_held(cw):
    w = cw.world
    c = cw.held()
    planned = cw.consultation()
    with pytest.raises(services.ConsultationError, match="已召开或已办结"):
        services.case_mark(consultation=planned, user=w.office, summary="简介")
    with pytest.raises(services.ConsultationError, match="无权"):
        services.case_mark(consultation=c, user=w.member_user, summary="简介")
    with pytest.raises(services.ConsultationError, match="案例简介不能为空"):
        services.case_mark(consultation=c, user=w.office, summary="")
    with pytest.raises(services.ConsultationError, match="不是优秀案例"):
        services.case_unmark(consultation=c, user=w.office)
    assert not Consultation.objects.filter(is_good_case=True).exists()
    c = services.case_mark(consultation=c, user=w.office, summary="一次协商解决了加装电梯的难题。")
    assert c.is_good_case and c.case_summary.startswith("一次协商")
    c = services.case_unmark(consultation=c, user=w.office)
    assert not Consultation.objects.get(pk=c.pk).is_good_case


def test_another_committees_office_manages_nothing_here(cw):
    w = cw.world
    c = cw.held()
    grant(w.sibling_office, w.county, "member")  # a grant elsewhere gives nothing here
    with pytest.raises(services.ConsultationError, match="无权"):
        services.participant_add(consultation=c, user=w.sibling_office, name="某人", kind="public")
    with pytest.raises(services.ConsultationError, match="无权"):
        services.consultation_hold(consultation=cw.consultation(), user=w.province_office)
    assert c.participants.count() == 2
