"""The annual figures from a committee year built of known rows: every key of the JSON checked, a parent's
figures with its children equal to the sum of its own and its children's, and the command's output."""

import json
from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from zhengxie.consultations.models import Consultation, Form, Outcome, OutcomeState, Participant
from zhengxie.duties.models import DutyRecord, Evaluation, ScoringScheme
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.opinions.models import Instruction, OpinionReport, ReportState
from zhengxie.org.models import Committee, Member, Session, Term
from zhengxie.proposals.models import Assignment, CoSigner, Feedback, Proposal, Reply, State
from zhengxie.reports.figures import annual_figures
from zhengxie.testing.factories import HandlingUnitFactory, MemberFactory, PartyFactory, UserFactory

pytestmark = pytest.mark.django_db
YEAR = 2025
P = Proposal


def build_year(committee: Committee, tag: str) -> None:
    """One committee's 2025, row by row (the way an import writes them):
    proposals: 10 received (+1 draft, +1 withdrawn): 8 individual, 2 collective (1 by a party);
    7 filed, 2 not filed, 1 merged; 4 replied (A, B, B, C after re-handling a former A); 3 rated
    (satisfied, basic, dissatisfied); 2 key (1 by a party), 1 excellent; 2 units, one still handling."""
    user = UserFactory()
    term = Term.objects.create(committee=committee, number=14, start_year=2022, end_year=2027)
    session = Session.objects.create(committee=committee, term=term, number=4, year=YEAR)
    members = [MemberFactory(committee=committee, name=f"{tag}委员{i}") for i in range(4)]
    party = PartyFactory(committee=committee, name=f"{tag}民盟")
    units = [HandlingUnitFactory(committee=committee, name=f"{tag}局{i}") for i in range(2)]

    def proposal(state, *, kind=P.Kind.INDIVIDUAL, proposer_kind=P.ProposerKind.MEMBER, author=True, **extra):
        return Proposal.objects.create(
            committee=committee,
            session=session,
            title=f"{tag}提案",
            background="案据",
            suggestions="建议",
            kind=kind,
            proposer_kind=proposer_kind,
            author=members[0] if author else None,
            party=party if proposer_kind == P.ProposerKind.PARTY else None,
            created_by=user,
            state=state,
            **extra,
        )

    replied = [proposal(State.CLOSED, is_key=True, is_excellent=True), proposal(State.CLOSED)]
    replied += [proposal(State.REPLIED), proposal(State.CLOSED)]
    filed_open = [proposal(State.ASSIGNED), proposal(State.FILED)]
    party_collective = proposal(
        State.ASSIGNED, kind=P.Kind.COLLECTIVE, proposer_kind=P.ProposerKind.PARTY, author=False, is_key=True
    )
    proposal(State.NOT_FILED)
    proposal(State.NOT_FILED, kind=P.Kind.COLLECTIVE, proposer_kind=P.ProposerKind.SECTOR, author=False)
    proposal(State.MERGED)
    proposal(State.DRAFT)
    proposal(State.WITHDRAWN)
    for m in members[1:3]:  # two confirmed co-signers and one who declined
        CoSigner.objects.create(proposal=replied[0], member=m, status=CoSigner.Status.CONFIRMED)
    CoSigner.objects.create(proposal=replied[1], member=members[3], status=CoSigner.Status.DECLINED)
    for p, unit in zip([*replied, filed_open[0], party_collective], [0, 0, 1, 1, 1, 0], strict=True):
        done = p in replied
        Assignment.objects.create(
            proposal=p,
            committee=committee,
            unit=units[unit],
            role="lead",
            status=Assignment.Status.DONE if done else Assignment.Status.ACTIVE,
            deadline=date(YEAR, 6, 30),
        )
    for p, result in zip(replied, ["A", "B", "B", "A"], strict=True):
        Reply.objects.create(
            proposal=p, committee=committee, unit=units[0], role="lead", result=result, letter="答复"
        )
    Reply.objects.create(
        proposal=replied[3],
        committee=committee,
        unit=units[0],
        role="lead",
        result="C",
        letter="再次答复",
        round=2,
    )
    for p, rating in zip(replied[:2] + replied[3:], ["satisfied", "basic", "dissatisfied"], strict=True):
        Feedback.objects.create(proposal=p, committee=committee, rating=rating, by=user)

    # opinions: 6 received (+1 draft): 4 forwarded of which 2 adopted, 1 by a party; 3 instructions this year
    # (one report twice), 2 the year before.
    def report(state, source_kind=OpinionReport.SourceKind.MEMBER, year=YEAR):
        return OpinionReport.objects.create(
            committee=committee,
            year=year,
            title=f"{tag}信息",
            situation="情况",
            state=state,
            source_kind=source_kind,
        )

    adopted = [report(ReportState.ADOPTED), report(ReportState.ADOPTED, OpinionReport.SourceKind.PARTY)]
    report(ReportState.FORWARDED)
    report(ReportState.FORWARDED)
    report(ReportState.SUBMITTED)
    report(ReportState.ARCHIVED)
    report(ReportState.DRAFT)
    old = report(ReportState.ADOPTED, year=YEAR - 1)
    for r, day in [
        (adopted[0], date(YEAR, 3, 1)),
        (adopted[0], date(YEAR, 4, 1)),
        (adopted[1], date(YEAR, 5, 1)),
    ]:
        Instruction.objects.create(
            report=r, committee=committee, level="city", leader_name="李", instructed_on=day
        )
    for day in (date(YEAR - 1, 5, 1), date(YEAR - 1, 9, 1)):
        Instruction.objects.create(
            report=old, committee=committee, level="county", leader_name="王", instructed_on=day
        )

    # consultations: 3 held in 2025 (standing, micro, micro), one planned and one research trip not counted;
    # 5 attended participants, 3 outcome items of which 1 closed.
    def consultation(form, state=Consultation.State.HELD, kind=Consultation.Kind.CONSULTATION):
        return Consultation.objects.create(
            committee=committee,
            kind=kind,
            form=form,
            title=f"{tag}协商",
            held_on=date(YEAR, 7, 1),
            state=state,
        )

    held = [
        consultation(Form.STANDING),
        consultation(Form.MICRO),
        consultation(Form.MICRO, Consultation.State.CLOSED),
    ]
    consultation(Form.OPEN, Consultation.State.PLANNED)
    consultation("", kind=Consultation.Kind.RESEARCH)
    for c, n in zip(held, [3, 2, 0], strict=True):
        for i in range(n):
            Participant.objects.create(
                consultation=c,
                committee=committee,
                member=members[i],
                name=members[i].name,
                attendance=Participant.Attendance.ATTENDED,
            )
    Participant.objects.create(
        consultation=held[0],
        committee=committee,
        member=members[3],
        name="缺席者",
        attendance=Participant.Attendance.LEAVE,
    )
    for i, state in enumerate([OutcomeState.CLOSED, OutcomeState.ACCEPTED, OutcomeState.DRAFT]):
        Outcome.objects.create(
            consultation=held[0], committee=committee, number=i + 1, text="成果", state=state
        )

    # duties: 4 active members (+1 who left), 5 counted records (+1 pending), evaluations of 10 and 5 points.
    Member.objects.create(
        committee=committee, name=f"{tag}离任", sector=members[0].sector, status=Member.Status.LEFT
    )
    for i, status in enumerate(["confirmed"] * 4 + ["contested", "pending"]):
        DutyRecord.objects.create(
            committee=committee,
            member=members[i % 4],
            year=YEAR,
            kind="training",
            title="培训",
            occurred_on=date(YEAR, 2, 1),
            status=status,
        )
    scheme = ScoringScheme.objects.create(committee=committee, year=YEAR, version=1, name="办法")
    for m, points, rank in [(members[0], 10, 1), (members[1], 5, 2)]:
        Evaluation.objects.create(
            committee=committee,
            year=YEAR,
            member=m,
            scheme=scheme,
            points=Decimal(points),
            rank=rank,
            computed_at=timezone.now(),
        )

    # concerns: 4 raised in 2025 (2 closed), 1 held for review and 1 rejected not counted.
    for state in [
        ConcernState.CLOSED,
        ConcernState.CLOSED,
        ConcernState.TAKEN,
        ConcernState.OPEN,
        ConcernState.REVIEW,
        ConcernState.REJECTED,
    ]:
        concern = Concern.objects.create(
            committee=committee,
            number=f"{YEAR}{tag}{state[:3].upper()}{Concern.objects.count():03d}"[:12],
            title="诉求",
            content="内容",
            state=state,
            content_hash="x",
        )
        Concern.objects.filter(pk=concern.pk).update(created_at=timezone.make_aware(datetime(YEAR, 8, 1)))


EXPECTED = {
    "proposals": {
        "received": 10,
        "individual": 8,
        "collective": 2,
        "collective_by_party": 1,
        "collective_by_party_share": 0.5,
        "member_participations": 10,  # the authors of the 8 individual proposals + 2 confirmed co-signers
        "filed": 7,
        "not_filed": 2,
        "merged": 1,
        "filing_rate": 0.7,
        "replied": 4,
        "reply_rate": 0.5714,
        "result_a": 1,
        "result_b": 2,
        "result_c": 1,
        "satisfied": 1,
        "basically_satisfied": 1,
        "dissatisfied": 1,
        "satisfaction_rate": 0.6667,
        "key": 2,
        "key_by_party_share": 0.5,
        "excellent": 1,
        "handling_units": 2,
        "handling_units_all_replied": False,
    },
    "opinions": {
        "received": 6,
        "forwarded": 4,
        "adopted": 2,
        "instructions": 3,
        "instructions_previous_year": 2,
        "instructions_yoy": 0.5,
        "by_party_share": 0.1667,
    },
    "consultations": {
        "held": 3,
        "by_form": {
            "plenary": 0,
            "standing": 1,
            "research": 0,
            "proposal": 0,
            "supervisory": 0,
            "micro": 2,
            "open": 0,
        },
        "participant_person_times": 5,
        "outcome_items": 3,
        "outcome_items_closed": 1,
    },
    "duties": {"members": 4, "records": 5, "average_points": 7.5},
    "concerns": {"raised": 4, "resolved": 2},
}


def test_every_key_of_a_known_year(world):
    build_year(world.city, "江门")
    figures = annual_figures(world.city, YEAR)
    assert figures["committee"] == "440700" and figures["year"] == YEAR
    expected = {**EXPECTED, "duties": {**EXPECTED["duties"], "members": 6}}  # the world's 张三 and 李四 too
    for section, values in expected.items():
        assert figures[section] == values, section


def test_rates_with_zero_denominators_are_null(world):
    figures = annual_figures(world.county, YEAR)
    assert figures["proposals"]["received"] == 0
    for key in (
        "filing_rate",
        "reply_rate",
        "satisfaction_rate",
        "collective_by_party_share",
        "key_by_party_share",
    ):
        assert figures["proposals"][key] is None
    assert figures["opinions"]["instructions_yoy"] is None and figures["duties"]["average_points"] is None
    assert figures["proposals"]["handling_units_all_replied"] is False


def test_parent_with_children_is_the_sum(world):
    build_year(world.city, "江门")
    build_year(world.county, "江海")
    own = annual_figures(world.city, YEAR)
    child = annual_figures(world.county, YEAR)
    total = annual_figures(world.city, YEAR, include_children=True)
    for section in ("proposals", "opinions", "consultations", "duties", "concerns"):
        for key, value in own[section].items():
            if isinstance(value, bool) or value is None or isinstance(value, float):
                continue
            if isinstance(value, dict):
                assert total[section][key] == {k: value[k] + child[section][key][k] for k in value}
            else:
                assert total[section][key] == value + child[section][key], (section, key)
    # Rates come from the summed counts, not an average of rates.
    assert total["proposals"]["filing_rate"] == 0.7
    assert total["opinions"]["instructions_yoy"] == 0.5


def test_command_prints_json_and_refuses_bad_input(world, tmp_path):
    build_year(world.city, "江门")
    out = StringIO()
    call_command("annual_report", "--committee", "440700", "--year", str(YEAR), stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["proposals"] == EXPECTED["proposals"]
    target = tmp_path / "report.json"
    call_command(
        "annual_report",
        "--committee",
        "440700",
        "--year",
        str(YEAR),
        "--include-children",
        "--output",
        str(target),
        stdout=StringIO(),
    )
    assert json.loads(target.read_text(encoding="utf-8"))["include_children"] is True
    with pytest.raises(CommandError, match="未找到"):
        call_command("annual_report", "--committee", "999999", "--year", str(YEAR))
    with pytest.raises(CommandError, match="年度无效"):
        call_command("annual_report", "--committee", "440700", "--year", "3000")
