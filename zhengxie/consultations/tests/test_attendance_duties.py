"""Attendance at plenary sessions and standing-committee meetings feeds the duty record: 出席会议, 请假 or
无故缺席 (a deduction under the scoring rules), one record per member and meeting, replaced on correction."""

import pytest

from zhengxie.consultations import services
from zhengxie.consultations.models import Form, Participant
from zhengxie.duties import scoring
from zhengxie.duties.models import DutyKind, DutyRecord, Evaluation, ScoringRule, ScoringScheme

pytestmark = pytest.mark.django_db
A = Participant.Attendance


def kinds(member, consultation):
    return sorted(
        DutyRecord.objects.filter(member=member, source_id=consultation.pk).values_list("kind", flat=True)
    )


def test_plenary_attendance_leave_and_absence(cw):
    w = cw.world
    plenary = cw.consultation(form=Form.PLENARY, title="十四届五次全体会议")
    present = services.participant_add(consultation=plenary, user=w.office, member=w.member)
    excused = services.participant_add(consultation=plenary, user=w.office, member=w.other_member)
    services.attendance_set(consultation=plenary, user=w.office, participant=present, attendance=A.ATTENDED)
    services.attendance_set(
        consultation=plenary, user=w.office, participant=excused, attendance=A.LEAVE, leave_reason="因公出差"
    )
    assert kinds(w.member, plenary) == []  # nothing counts before the meeting is recorded as held
    plenary = services.consultation_hold(consultation=plenary, user=w.office)
    assert kinds(w.member, plenary) == [DutyKind.ATTENDANCE]
    assert kinds(w.other_member, plenary) == [DutyKind.LEAVE]
    # A correction after the meeting: the leave was never approved, so it is an unexcused absence.
    excused.refresh_from_db()
    services.attendance_set(consultation=plenary, user=w.office, participant=excused, attendance=A.ABSENT)
    assert kinds(w.other_member, plenary) == [DutyKind.ABSENCE]
    scheme = ScoringScheme.objects.create(committee=w.city, year=plenary.held_on.year, version=1, name="办法")
    ScoringRule.objects.create(scheme=scheme, kind=DutyKind.ATTENDANCE, points=2)
    ScoringRule.objects.create(scheme=scheme, kind=DutyKind.ABSENCE, points=-5)
    scoring.recompute(w.city.pk, plenary.held_on.year)
    assert Evaluation.objects.get(member=w.member).points == 2
    assert Evaluation.objects.get(member=w.other_member).points == -5


def test_other_forms_count_as_consultation(cw):
    w = cw.world
    micro = cw.held(members=[w.member], form=Form.MICRO, station_id=cw.station.pk)
    assert kinds(w.member, micro) == [DutyKind.CONSULTATION]
    participant = micro.participants.get(member=w.member)
    services.attendance_set(consultation=micro, user=w.office, participant=participant, attendance=A.INVITED)
    assert kinds(w.member, micro) == []
