"""The report's path: submitted, edited, forwarded, adopted, instructed, with each step reaching the authors'
duty records and inboxes; merging keeps credit; a not-filed proposal converts under its author."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.notices.models import Notification
from zhengxie.opinions import services
from zhengxie.opinions.models import Forwarding, Instruction, InstructionLevel, OpinionReport, ReportState
from zhengxie.statemachine import TransitionError

pytestmark = pytest.mark.django_db


def draft(world, **kwargs) -> OpinionReport:
    data = {
        "user": world.member_user,
        "committee": world.city,
        "title": "关于解决江海区学校周边交通拥堵的建议",
        "situation": "上下学高峰期学校周边道路拥堵严重。",
        "suggestion": "增设临时停车位，错峰放学。",
    }
    data.update(kwargs)
    return services.report_create(**data)


def forwarded(world) -> tuple[OpinionReport, Forwarding]:
    report = services.report_submit(report=draft(world), user=world.member_user)
    forwarding = services.report_forward(
        report=report, user=world.office, target="party_committee", receiver="江门市委办公室"
    )
    report.refresh_from_db()
    return report, forwarding


def duty_kinds(member) -> list[str]:
    return sorted(DutyRecord.objects.filter(member=member).values_list("kind", flat=True))


def test_member_drafts_and_submits_own_report(world):
    report = draft(world)
    assert report.state == ReportState.DRAFT
    assert list(report.authors.all()) == [world.member]
    services.report_submit(report=report, user=world.member_user)
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.submitted_on == timezone.localdate()
    assert duty_kinds(world.member) == [DutyKind.OPINION]
    assert Notification.objects.filter(user=world.office, verb="opinion_submitted").count() == 1


def test_member_cannot_submit_in_another_members_name(world):
    with pytest.raises(services.OpinionError, match="本人名义"):
        draft(world, authors=[world.other_member])


def test_forward_numbers_report_and_credits_authors(world):
    report, forwarding = forwarded(world)
    assert report.state == ReportState.FORWARDED
    assert report.number == 1
    assert forwarding.get_target_display() == "党委"
    assert DutyKind.OPINION_FORWARDED in duty_kinds(world.member)
    # A second receiver adds a row, not a move; the same receiver twice is refused.
    services.report_forward(report=report, user=world.office, target="higher_cppcc", receiver="广东省政协")
    with pytest.raises(services.OpinionError, match="已向该对象报送过"):
        services.report_forward(
            report=report, user=world.office, target="higher_cppcc", receiver="广东省政协"
        )
    assert report.forwardings.count() == 2
    second = services.report_submit(report=draft(world, title="第二条"), user=world.member_user)
    services.report_forward(report=second, user=world.office, target="government")
    second.refresh_from_db()
    assert second.number == 2


def test_only_office_forwards(world):
    report = services.report_submit(report=draft(world), user=world.member_user)
    for user in (world.member_user, world.leader, world.sibling_office, world.unit_user):
        with pytest.raises(TransitionError):
            services.report_forward(report=report, user=user, target="government")
    assert report.forwardings.count() == 0


def test_adoption_and_instruction_reach_duty_record_and_author(world):
    report, forwarding = forwarded(world)
    services.report_adopt(
        report=report, user=world.office, forwarding=forwarding, adopted_by="江门市委办公室"
    )
    report.refresh_from_db()
    assert report.state == ReportState.ADOPTED
    instruction = services.instruction_add(
        report=report,
        user=world.office,
        level=InstructionLevel.CITY,
        leader_name="李明",
        leader_title="市委书记",
        text="请市教育局、市公安局研究落实。",
    )
    services.instruction_add(
        report=report, user=world.office, level=InstructionLevel.PROVINCIAL, leader_name="王强"
    )
    records = DutyRecord.objects.filter(member=world.member, kind=DutyKind.INSTRUCTION)
    assert records.count() == 2  # every instruction counts
    first = records.get(source_id=instruction.pk)
    assert first.source == instruction and "市委书记李明" in first.title
    assert DutyKind.OPINION_ADOPTED in duty_kinds(world.member)
    titles = list(Notification.objects.filter(user=world.member_user).values_list("title", flat=True))
    assert any("批示" in t for t in titles) and any("采用" in t for t in titles)


def test_instruction_on_forwarded_report_records_adoption(world):
    report, _ = forwarded(world)
    services.instruction_add(
        report=report, user=world.office, level=InstructionLevel.COUNTY, leader_name="陈刚"
    )
    report.refresh_from_db()
    assert report.state == ReportState.ADOPTED
    assert DutyRecord.objects.filter(member=world.member, kind=DutyKind.OPINION_ADOPTED).count() == 1


def test_instruction_rules(world):
    report = services.report_submit(report=draft(world), user=world.member_user)
    with pytest.raises(services.OpinionError, match="已报送"):
        services.instruction_add(report=report, user=world.office, level="city", leader_name="李明")
    report, _ = forwarded(world)
    with pytest.raises(services.OpinionError, match="批示级别"):
        services.instruction_add(report=report, user=world.office, level="galactic", leader_name="李明")
    with pytest.raises(services.OpinionError, match="晚于今天"):
        services.instruction_add(
            report=report,
            user=world.office,
            level="city",
            leader_name="李明",
            instructed_on=timezone.localdate() + timedelta(days=1),
        )
    with pytest.raises(TransitionError):
        services.instruction_add(report=report, user=world.member_user, level="city", leader_name="李明")
    assert Instruction.objects.count() == 0


def test_office_edits_then_archives_or_merges(world):
    report = services.report_submit(report=draft(world), user=world.member_user)
    edited = services.report_update(
        report=report, user=world.office, title="学校周边交通拥堵亟待治理", situation="（编辑后）"
    )
    assert edited.title == "学校周边交通拥堵亟待治理"
    with pytest.raises(services.OpinionError):
        services.report_update(report=edited, user=world.member_user, title="x", situation="y")
    other = services.report_create(
        user=world.office,
        committee=world.city,
        title="同类问题",
        situation="同上",
        authors=[world.other_member],
    )
    assert other.state == ReportState.SUBMITTED  # staff entering a paper report
    services.report_merge(report=other, user=world.office, into=edited)
    services.report_forward(report=edited, user=world.office, target="government")
    # The merged report's author shares the credit of the one it went into.
    assert DutyRecord.objects.filter(member=world.other_member, kind=DutyKind.OPINION_FORWARDED).count() == 1
    third = services.report_submit(report=draft(world, title="第三条"), user=world.member_user)
    services.report_archive(report=third, user=world.office, reason="内容已有反映")
    third.refresh_from_db()
    assert third.state == ReportState.ARCHIVED and third.archive_reason == "内容已有反映"


def test_not_filed_proposal_converts_under_its_author(world):
    from zhengxie.org.models import Session, Term
    from zhengxie.proposals import services as proposal_services

    term = Term.objects.create(committee=world.city, number=14, start_year=2022, end_year=2027)
    session = Session.objects.create(
        committee=world.city, term=term, number=5, year=timezone.localdate().year
    )
    proposal = proposal_services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title="关于小区停车难的建议",
        background="停车难。",
        suggestions="建停车场。",
    )
    proposal_services.proposal_submit(proposal=proposal, user=world.member_user)
    with pytest.raises(services.OpinionError, match="不立案"):
        services.report_from_proposal(proposal=proposal, user=world.office)
    proposal_services.review_not_file(proposal=proposal, user=world.office, reason="属个案问题")
    report = services.report_from_proposal(proposal=proposal, user=world.office)
    assert report.proposal == proposal and list(report.authors.all()) == [world.member]
    assert report.state == ReportState.SUBMITTED
    proposal.refresh_from_db()
    assert proposal.conversion == "opinion"
    with pytest.raises(services.OpinionError, match="已转为"):
        services.report_from_proposal(proposal=proposal, user=world.office)
