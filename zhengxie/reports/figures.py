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
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from zhengxie.consultations.models import Consultation, Form, Outcome, OutcomeState, Participant
from zhengxie.duties.models import DutyRecord, Evaluation
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.opinions.models import Instruction, OpinionReport, ReportState
from zhengxie.org.models import Committee, Member, Session
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


def _dates(field: str, years: tuple[int, ...]) -> Q:
    """The calendar years as one half-open range on a date field, which an index can serve (an OR of two
    years, or EXTRACT(year), cannot). Years are consecutive: the report's year, or it and the year before."""
    return Q(**{f"{field}__gte": date(min(years), 1, 1), f"{field}__lt": date(max(years) + 1, 1, 1)})


def _moments(field: str, years: tuple[int, ...]) -> Q:
    """As _dates for a timestamp, with the years' boundaries in the platform's time zone."""
    start = timezone.make_aware(datetime(min(years), 1, 1))
    end = timezone.make_aware(datetime(max(years) + 1, 1, 1))
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def received_proposals(committees: list[int], *years: int) -> QuerySet[Proposal]:
    # Through the years' sessions (a handful of rows) rather than a join on session.year: the planner can then
    # read the proposals of those sessions by index instead of scanning every proposal of every year.
    sessions = Session.objects.filter(committee_id__in=committees, year__in=years).values("id")
    return Proposal.objects.filter(committee_id__in=committees, session_id__in=sessions).exclude(
        state__in=NOT_RECEIVED
    )


# The proposal counts, each a filter on the year's received proposals. The report's aggregate and the record
# list behind each figure (zhengxie.reports.records) use the same filter, so the list holds what was counted.
PROPOSAL_COUNTS: dict[str, Q] = {
    "received": Q(),
    "individual": Q(kind=Proposal.Kind.INDIVIDUAL),
    "collective": Q(kind=Proposal.Kind.COLLECTIVE),
    "collective_by_party": Q(kind=Proposal.Kind.COLLECTIVE, proposer_kind=Proposal.ProposerKind.PARTY),
    "filed": Q(state__in=FILED_STATES),
    "not_filed": Q(state=State.NOT_FILED),
    "merged": Q(state=State.MERGED),
    "replied": Q(state__in=REPLIED_STATES),
    "key": Q(is_key=True),
    "key_by_party": Q(is_key=True, proposer_kind=Proposal.ProposerKind.PARTY),
    "excellent": Q(is_excellent=True),
    "authored": Q(author__isnull=False),
}


def received_reports(committees: list[int], *years: int) -> QuerySet[OpinionReport]:
    return OpinionReport.objects.filter(committee_id__in=committees, year__in=years).exclude(
        state__in=(ReportState.DRAFT, ReportState.WITHDRAWN)
    )


REPORT_COUNTS: dict[str, Q] = {
    "received": Q(),
    "forwarded": Q(state__in=(ReportState.FORWARDED, ReportState.ADOPTED)),
    "adopted": Q(state=ReportState.ADOPTED),
    "by_party": Q(source_kind=OpinionReport.SourceKind.PARTY),
}


def instructions_in(committees: list[int], *years: int) -> QuerySet[Instruction]:
    return Instruction.objects.filter(_dates("instructed_on", years), committee_id__in=committees)


def held_consultations(committees: list[int], *years: int) -> QuerySet[Consultation]:
    return Consultation.objects.filter(
        _dates("held_on", years),
        committee_id__in=committees,
        kind=Consultation.Kind.CONSULTATION,
        state__in=(Consultation.State.HELD, Consultation.State.CLOSED),
    )


def attended(committees: list[int], year: int) -> QuerySet[Participant]:
    return Participant.objects.filter(
        consultation__in=held_consultations(committees, year), attendance=Participant.Attendance.ATTENDED
    )


def outcome_items(committees: list[int], year: int) -> QuerySet[Outcome]:
    return Outcome.objects.filter(consultation__in=held_consultations(committees, year))


def active_members(committees: list[int]) -> QuerySet[Member]:
    return Member.objects.filter(committee_id__in=committees, status=Member.Status.ACTIVE)


def counted_duty_records(committees: list[int], *years: int) -> QuerySet[DutyRecord]:
    return DutyRecord.objects.filter(
        committee_id__in=committees,
        year__in=years,
        status__in=(DutyRecord.Status.CONFIRMED, DutyRecord.Status.CONTESTED),
    )


def raised_concerns(committees: list[int], *years: int) -> QuerySet[Concern]:
    return Concern.objects.filter(_moments("created_at", years), committee_id__in=committees).exclude(
        state__in=(ConcernState.REVIEW, ConcernState.REJECTED)
    )


def counted_assignments(committees: list[int], year: int) -> QuerySet[Assignment]:
    """The tasks of the year's proposals that count for a unit: a returned task was never the unit's."""
    return Assignment.objects.filter(proposal__in=received_proposals(committees, year)).exclude(
        status=Assignment.Status.RETURNED
    )


def _proposals(committees: list[int], year: int) -> dict[str, Any]:
    received = received_proposals(committees, year)
    by = received.aggregate(**{name: Count("id", filter=q) for name, q in PROPOSAL_COUNTS.items()})
    cosigned = CoSigner.objects.filter(proposal__in=received, status=CoSigner.Status.CONFIRMED).count()
    results = Counter(
        _latest_per_proposal(Reply.objects.filter(proposal__in=received, role="lead"), "result")
    )
    ratings = Counter(_latest_per_proposal(Feedback.objects.filter(proposal__in=received), "rating"))
    assigned = counted_assignments(committees, year)
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
        "_satisfied_or_basic": ratings["satisfied"] + ratings["basic"],
        "_units_waiting": len(units_waiting),
    }


def latest_lead_result() -> Subquery:
    """The SQL twin of _latest_per_proposal for the record lists: the result of a proposal's last lead reply."""
    return Subquery(
        Reply.objects.filter(proposal=OuterRef("pk"), role="lead")
        .order_by("-round", "-id")
        .values("result")[:1]
    )


def latest_rating() -> Subquery:
    return Subquery(
        Feedback.objects.filter(proposal=OuterRef("pk")).order_by("-round", "-id").values("rating")[:1]
    )


def _latest_per_proposal(rows: QuerySet[Any], field: str) -> list[str]:
    """The value of `field` on each proposal's latest row (a re-handled proposal counts its last answer)."""
    latest: dict[int, str] = {}
    for proposal_id, value in rows.order_by("proposal_id", "round", "id").values_list("proposal_id", field):
        latest[proposal_id] = value
    return list(latest.values())


def _opinions(committees: list[int], year: int) -> dict[str, Any]:
    by = received_reports(committees, year).aggregate(
        **{name: Count("id", filter=q) for name, q in REPORT_COUNTS.items()}
    )
    this_year = instructions_in(committees, year).count()
    previous = instructions_in(committees, year - 1).count()
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
    held = held_consultations(committees, year)
    by_form = dict.fromkeys(Form.values, 0)
    for form, n in held.values_list("form").annotate(n=Count("id")).order_by():
        by_form[form] = n
    outcomes = outcome_items(committees, year)
    return {
        "held": sum(by_form.values()),
        "by_form": by_form,
        "participant_person_times": attended(committees, year).count(),
        "outcome_items": outcomes.count(),
        "outcome_items_closed": outcomes.filter(state=OutcomeState.CLOSED).count(),
    }


def _duties(committees: list[int], year: int) -> dict[str, Any]:
    evaluations = Evaluation.objects.filter(committee_id__in=committees, year=year).aggregate(
        n=Count("id"), total=Sum("points")
    )
    total = evaluations["total"] or Decimal(0)
    return {
        "members": active_members(committees).count(),
        "records": counted_duty_records(committees, year).count(),
        "average_points": float((total / evaluations["n"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if evaluations["n"]
        else None,
        "_evaluated": evaluations["n"],
        "_points": float(total),
    }


def _concerns(committees: list[int], year: int) -> dict[str, Any]:
    raised = raised_concerns(committees, year)
    return {"raised": raised.count(), "resolved": raised.filter(state=ConcernState.CLOSED).count()}


def committee_ids(committee: Committee, include_children: bool) -> list[int]:
    if not include_children:
        return [committee.pk]
    return list(Committee.objects.filter(path__startswith=committee.path).values_list("pk", flat=True))


def sections(ids: list[int], year: int) -> dict[str, dict[str, Any]]:
    """Every section's figures over the given committees, with the "_" helper numerators a sum needs."""
    return {
        "proposals": _proposals(ids, year),
        "opinions": _opinions(ids, year),
        "consultations": _consultations(ids, year),
        "duties": _duties(ids, year),
        "concerns": _concerns(ids, year),
    }


def annual_figures(committee: Committee, year: int, *, include_children: bool = False) -> dict[str, Any]:
    """The report's figures as JSON-ready data. Keys starting with "_" are the numerators behind rates that
    a parent's sum needs; they are dropped from the public result."""
    computed = sections(committee_ids(committee, include_children), year)
    return {
        "committee": committee.division_code,
        "year": year,
        "include_children": include_children,
        "generated_on": timezone.localdate().isoformat(),
        **{
            name: {k: v for k, v in section.items() if not k.startswith("_")}
            for name, section in computed.items()
        },
    }
