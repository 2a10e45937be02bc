"""The figures of a committee's year (the "数读" of its annual work report), counted from the records.

Every figure is a count over rows any capability writes, whether entered through the platform or imported
from a historical ledger, so both give the same numbers. Counts are integers, rates fractions rounded to 4
decimals, and a rate whose denominator is zero is None. With include_children the counts of the committee
and every committee below it are summed and the rates recomputed from the sums.

Year boundaries: proposals by their session's year, opinion reports by their year, instructions by the date
they were given, consultations by the date held, duty records by their year, concerns by the day raised.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from zhengxie.consultations.models import Consultation, Form, Outcome, OutcomeState, Participant
from zhengxie.duties.models import DutyRecord, Evaluation
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.opinions.models import Instruction, OpinionReport, ReportState
from zhengxie.org.models import Committee, Member
from zhengxie.proposals.models import Assignment, CoSigner, Feedback, Proposal, Reply, State

FILED_STATES = (State.FILED, State.ASSIGNED, State.RETURNED, State.REPLIED, State.REHANDLING, State.CLOSED)
REPLIED_STATES = (State.REPLIED, State.REHANDLING, State.CLOSED)
# Not received: a draft never reached the office, a withdrawn one was taken back before review.
NOT_RECEIVED = (State.DRAFT, State.WITHDRAWN)


def rate(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float(
        (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    )


def _proposals(committees: list[int], year: int) -> dict[str, Any]:
    received = Proposal.objects.filter(committee_id__in=committees, session__year=year).exclude(
        state__in=NOT_RECEIVED
    )
    by = received.aggregate(
        received=Count("id"),
        individual=Count("id", filter=Q(kind=Proposal.Kind.INDIVIDUAL)),
        collective=Count("id", filter=Q(kind=Proposal.Kind.COLLECTIVE)),
        collective_by_party=Count(
            "id", filter=Q(kind=Proposal.Kind.COLLECTIVE, proposer_kind=Proposal.ProposerKind.PARTY)
        ),
        filed=Count("id", filter=Q(state__in=FILED_STATES)),
        not_filed=Count("id", filter=Q(state=State.NOT_FILED)),
        merged=Count("id", filter=Q(state=State.MERGED)),
        replied=Count("id", filter=Q(state__in=REPLIED_STATES)),
        key=Count("id", filter=Q(is_key=True)),
        key_by_party=Count("id", filter=Q(is_key=True, proposer_kind=Proposal.ProposerKind.PARTY)),
        excellent=Count("id", filter=Q(is_excellent=True)),
        authored=Count("id", filter=Q(author__isnull=False)),
    )
    cosigned = CoSigner.objects.filter(proposal__in=received, status=CoSigner.Status.CONFIRMED).count()
    results = Counter(
        _latest_per_proposal(Reply.objects.filter(proposal__in=received, role="lead"), "result")
    )
    ratings = Counter(_latest_per_proposal(Feedback.objects.filter(proposal__in=received), "rating"))
    assigned = Assignment.objects.filter(proposal__in=received).exclude(status=Assignment.Status.RETURNED)
    units = set(assigned.values_list("unit_id", flat=True))
    units_waiting = set(assigned.filter(status=Assignment.Status.ACTIVE).values_list("unit_id", flat=True))
    rated = ratings["satisfied"] + ratings["basic"] + ratings["dissatisfied"]
    return {
        "received": by["received"],
        "individual": by["individual"],
        "collective": by["collective"],
        "collective_by_party": by["collective_by_party"],
        "collective_by_party_share": rate(by["collective_by_party"], by["collective"]),
        "member_participations": by["authored"] + cosigned,
        "filed": by["filed"],
        "not_filed": by["not_filed"],
        "merged": by["merged"],
        "filing_rate": rate(by["filed"], by["received"]),
        "replied": by["replied"],
        "reply_rate": rate(by["replied"], by["filed"]),
        "result_a": results["A"],
        "result_b": results["B"],
        "result_c": results["C"],
        "satisfied": ratings["satisfied"],
        "basically_satisfied": ratings["basic"],
        "dissatisfied": ratings["dissatisfied"],
        "satisfaction_rate": rate(ratings["satisfied"] + ratings["basic"], rated),
        "key": by["key"],
        "key_by_party_share": rate(by["key_by_party"], by["key"]),
        "excellent": by["excellent"],
        "handling_units": len(units),
        "handling_units_all_replied": bool(units) and not units_waiting,
        "_key_by_party": by["key_by_party"],
        "_rated": rated,
    }


def _latest_per_proposal(rows: QuerySet[Any], field: str) -> list[str]:
    """The value of `field` on each proposal's latest row (a re-handled proposal counts its last answer)."""
    latest: dict[int, str] = {}
    for proposal_id, value in rows.order_by("proposal_id", "round", "id").values_list("proposal_id", field):
        latest[proposal_id] = value
    return list(latest.values())


def _opinions(committees: list[int], year: int) -> dict[str, Any]:
    received = OpinionReport.objects.filter(committee_id__in=committees, year=year).exclude(
        state__in=(ReportState.DRAFT, ReportState.WITHDRAWN)
    )
    by = received.aggregate(
        received=Count("id"),
        forwarded=Count("id", filter=Q(state__in=(ReportState.FORWARDED, ReportState.ADOPTED))),
        adopted=Count("id", filter=Q(state=ReportState.ADOPTED)),
        by_party=Count("id", filter=Q(source_kind=OpinionReport.SourceKind.PARTY)),
    )
    instructions = Instruction.objects.filter(committee_id__in=committees)
    this_year = instructions.filter(instructed_on__year=year).count()
    previous = instructions.filter(instructed_on__year=year - 1).count()
    return {
        "received": by["received"],
        "forwarded": by["forwarded"],
        "adopted": by["adopted"],
        "instructions": this_year,
        "instructions_previous_year": previous,
        "instructions_yoy": rate(this_year - previous, previous),
        "by_party_share": rate(by["by_party"], by["received"]),
        "_by_party": by["by_party"],
    }


def _consultations(committees: list[int], year: int) -> dict[str, Any]:
    held = Consultation.objects.filter(
        committee_id__in=committees,
        kind=Consultation.Kind.CONSULTATION,
        held_on__year=year,
        state__in=(Consultation.State.HELD, Consultation.State.CLOSED),
    )
    by_form = dict.fromkeys(Form.values, 0)
    for form, n in held.values_list("form").annotate(n=Count("id")).order_by():
        by_form[form] = n
    outcomes = Outcome.objects.filter(consultation__in=held)
    return {
        "held": sum(by_form.values()),
        "by_form": by_form,
        "participant_person_times": Participant.objects.filter(
            consultation__in=held, attendance=Participant.Attendance.ATTENDED
        ).count(),
        "outcome_items": outcomes.count(),
        "outcome_items_closed": outcomes.filter(state=OutcomeState.CLOSED).count(),
    }


def _duties(committees: list[int], year: int) -> dict[str, Any]:
    evaluations = Evaluation.objects.filter(committee_id__in=committees, year=year).aggregate(
        n=Count("id"), total=Sum("points")
    )
    total = evaluations["total"] or Decimal(0)
    return {
        "members": Member.objects.filter(committee_id__in=committees, status=Member.Status.ACTIVE).count(),
        "records": DutyRecord.objects.filter(
            committee_id__in=committees,
            year=year,
            status__in=(DutyRecord.Status.CONFIRMED, DutyRecord.Status.CONTESTED),
        ).count(),
        "average_points": float((total / evaluations["n"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if evaluations["n"]
        else None,
        "_evaluated": evaluations["n"],
        "_points": float(total),
    }


def _concerns(committees: list[int], year: int) -> dict[str, Any]:
    raised = Concern.objects.filter(committee_id__in=committees, created_at__year=year).exclude(
        state__in=(ConcernState.REVIEW, ConcernState.REJECTED)
    )
    return {"raised": raised.count(), "resolved": raised.filter(state=ConcernState.CLOSED).count()}


def committee_ids(committee: Committee, include_children: bool) -> list[int]:
    if not include_children:
        return [committee.pk]
    return list(Committee.objects.filter(path__startswith=committee.path).values_list("pk", flat=True))


def annual_figures(committee: Committee, year: int, *, include_children: bool = False) -> dict[str, Any]:
    """The report's figures as JSON-ready data. Keys starting with "_" are the numerators behind rates that
    a parent's sum needs; they are dropped from the public result."""
    ids = committee_ids(committee, include_children)
    sections = {
        "proposals": _proposals(ids, year),
        "opinions": _opinions(ids, year),
        "consultations": _consultations(ids, year),
        "duties": _duties(ids, year),
        "concerns": _concerns(ids, year),
    }
    return {
        "committee": committee.division_code,
        "year": year,
        "include_children": include_children,
        "generated_on": timezone.localdate().isoformat(),
        **{
            name: {k: v for k, v in section.items() if not k.startswith("_")}
            for name, section in sections.items()
        },
    }
