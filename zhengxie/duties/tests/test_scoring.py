"""The annual evaluation: points from rules, caps, deductions, recomputation when rules or records change,
every point traceable to its record, ranks, and who may read them."""

from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from zhengxie.duties import queries, scoring, services
from zhengxie.duties.models import Contest, DutyKind, DutyRecord, Evaluation, EvaluationPoint
from zhengxie.testing.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


_capture = None


@pytest.fixture(autouse=True)
def _commit_hooks(django_capture_on_commit_callbacks):
    """These tests run inside one transaction; the recomputation is enqueued on commit. committed() runs a
    step's on-commit hooks as a real commit would, so the task (immediate backend) does the recomputing."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


def committed(step, **kwargs):
    with _capture(execute=True):
        return step(**kwargs)


YEAR = 2026
DAY = date(2026, 3, 1)


def staff_duty(world, member, kind, title="事项", on=DAY):
    return committed(
        services.duty_add_by_staff, user=world.office, member=member, kind=kind, title=title, occurred_on=on
    )


def rules_v1(world, **extra):
    rules = {
        DutyKind.PROPOSAL: (5, 20),
        DutyKind.OPINION_ADOPTED: (8, None),
        DutyKind.INSTRUCTION: (15, None),
        DutyKind.TRAINING: (2, 4),
        DutyKind.ABSENCE: (-10, 15),
    }
    rules.update(extra)
    return committed(
        services.scheme_create,
        user=world.office,
        committee=world.city,
        year=YEAR,
        name="2026年度履职考评办法",
        rules=rules,
        threshold=10,
    )


def evaluation(member) -> Evaluation:
    return Evaluation.objects.get(member=member, year=YEAR)


def test_points_caps_deductions_and_traceability(world):
    for i in range(5):
        staff_duty(world, world.member, DutyKind.PROPOSAL, f"提案{i}")  # 5 x 5 = 25, capped at 20
    for i in range(3):
        staff_duty(world, world.member, DutyKind.TRAINING, f"培训{i}")  # 3 x 2 = 6, capped at 4
    staff_duty(world, world.member, DutyKind.INSTRUCTION, "获市委书记批示")  # 15
    staff_duty(world, world.member, DutyKind.READING, "读书活动")  # no rule: 0, still a record
    for i in range(2):
        staff_duty(world, world.other_member, DutyKind.ABSENCE, f"无故缺席{i}")  # -20, capped at -15
    rules_v1(world)  # the immediate task backend recomputes on commit
    mine = evaluation(world.member)
    assert mine.points == Decimal("39.00") and mine.records == 10 and mine.rank == 1
    theirs = evaluation(world.other_member)
    assert theirs.points == Decimal("-15.00") and theirs.rank == 2
    details = EvaluationPoint.objects.filter(evaluation=mine).select_related("record")
    assert sum(d.points for d in details) == mine.points  # every point comes from a record
    assert {d.record.member_id for d in details} == {world.member.pk}
    proposal_points = sorted(d.points for d in details if d.record.kind == DutyKind.PROPOSAL)
    assert proposal_points == [0, 5, 5, 5, 5]
    capped = [d for d in details if d.capped_from is not None]
    assert {d.record.kind for d in capped} == {DutyKind.PROPOSAL, DutyKind.TRAINING}
    deduction = EvaluationPoint.objects.filter(evaluation=theirs).order_by("record__id")
    assert [d.points for d in deduction] == [Decimal("-10.00"), Decimal("-5.00")]


def test_changing_rules_recomputes_and_keeps_versions(world):
    staff_duty(world, world.member, DutyKind.OPINION_ADOPTED)
    staff_duty(world, world.other_member, DutyKind.TRAINING)
    first = rules_v1(world)
    assert evaluation(world.member).points == 8 and evaluation(world.member).scheme == first
    second = rules_v1(world, **{DutyKind.OPINION_ADOPTED: (1, None), DutyKind.TRAINING: (10, None)})
    assert second.version == 2
    assert evaluation(world.member).points == 1 and evaluation(world.other_member).points == 10
    assert evaluation(world.other_member).rank == 1 and evaluation(world.member).scheme == second
    assert first.rules.count() == 5  # the earlier version stays readable


def test_new_record_and_contest_recompute(world):
    rules_v1(world)
    assert evaluation(world.member).points == 0
    record = staff_duty(world, world.member, DutyKind.ABSENCE, "十四届五次会议缺席")
    assert evaluation(world.member).points == -10
    contest = services.contest_open(record=record, user=world.member_user, reason="已请假，有请假条")
    record.refresh_from_db()
    assert record.status == DutyRecord.Status.CONTESTED
    committed(
        services.contest_resolve, contest=contest, user=world.office, uphold=True, resolution="核实已请假"
    )
    assert Contest.objects.get().state == Contest.State.UPHELD
    assert evaluation(world.member).points == 0


def test_member_claim_counts_only_when_confirmed(world):
    rules_v1(world)
    claim = services.duty_claim(
        user=world.member_user,
        kind=DutyKind.TRAINING,
        title="参加省政协委员培训班",
        occurred_on=DAY,
        evidence="结业证书编号2026-18",
    )
    scoring.recompute(world.city.pk, YEAR)
    assert evaluation(world.member).points == 0
    with pytest.raises(services.DutyError):
        committed(services.duty_review, record=claim, user=world.member_user, approve=True)
    committed(services.duty_review, record=claim, user=world.office, approve=True)
    assert evaluation(world.member).points == 2


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({}, "至少设置一项"),
        ({"nonsense": (1, None)}, "履职类型"),
        ({DutyKind.PROPOSAL: ("abc", None)}, "须为数字"),
        ({DutyKind.PROPOSAL: (1, -3)}, "年度上限"),
        ({DutyKind.PROPOSAL: ("1e9", None)}, "超出范围"),
    ],
)
def test_bad_rules_change_nothing(world, rules, message):
    with pytest.raises(services.DutyError, match=message):
        committed(
            services.scheme_create, user=world.office, committee=world.city, year=YEAR, name="x", rules=rules
        )
    assert not world.city.scoring_schemes.exists()


def test_only_office_sets_rules_and_records(world):
    for user in (
        world.member_user,
        world.leader,
        world.sibling_office,
        world.province_office,
        world.unit_user,
    ):
        with pytest.raises(services.DutyError):
            committed(
                services.scheme_create,
                user=user,
                committee=world.city,
                year=YEAR,
                name="x",
                rules={DutyKind.PROPOSAL: (1, None)},
            )
        with pytest.raises(services.DutyError):
            staff_duty(type("W", (), {"office": user})(), world.member, DutyKind.TRAINING)
    assert DutyRecord.objects.count() == 0


def test_member_sees_own_record_only(world):
    staff_duty(world, world.member, DutyKind.TRAINING, "我的培训")
    staff_duty(world, world.other_member, DutyKind.TRAINING, "别人的培训")
    rules_v1(world)
    mine = queries.records_visible_to(world.member_user)
    assert [r.title for r in mine] == ["我的培训"]
    assert [e.member for e in queries.evaluations_visible_to(world.member_user)] == [world.member]
    assert queries.access_member_file(world.member_user, world.member.pk) == world.member
    with pytest.raises(Http404):
        queries.access_member_file(world.member_user, world.other_member.pk)
    with pytest.raises(Http404):
        queries.access_member_file(world.sibling_office, world.member.pk)
    assert queries.records_visible_to(world.office).count() == 2
    assert queries.records_visible_to(world.sibling_office).count() == 0
    assert queries.records_visible_to(world.unit_user).count() == 0
    with pytest.raises(services.DutyError, match="本人"):
        services.contest_open(record=mine.get(), user=UserFactory(), reason="x")


def test_ranks_share_ties_and_include_members_without_records(world):
    extra = MemberFactory(committee=world.city, name="赵六")
    staff_duty(world, world.member, DutyKind.TRAINING)
    staff_duty(world, world.other_member, DutyKind.TRAINING)
    rules_v1(world)
    assert evaluation(world.member).rank == evaluation(world.other_member).rank == 1
    assert evaluation(extra).rank == 3 and evaluation(extra).points == 0
