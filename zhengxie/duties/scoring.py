"""Annual evaluation (履职考评): computing a committee-year's points and ranks from its duty records under the
newest version of its scoring rules.

The computation replaces the year's Evaluation and EvaluationPoint rows in one transaction (readers see the
old ranking or the new one, never half), so it can run again whenever rules or records change. It reads
records with values_list and writes with bulk_create: a year of 10,000 members is a few hundred thousand
rows, and per-row ORM saves would take minutes (see bench/).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from zhengxie.duties.models import DutyRecord, Evaluation, EvaluationPoint, ScoringScheme
from zhengxie.org.models import Committee, Member

COUNTED = (DutyRecord.Status.CONFIRMED, DutyRecord.Status.CONTESTED)
BATCH = 5000


@dataclass
class Result:
    scheme: ScoringScheme | None
    members: int
    records: int
    points_rows: int


def current_scheme(committee_id: int, year: int) -> ScoringScheme | None:
    return ScoringScheme.objects.filter(committee_id=committee_id, year=year).order_by("-version").first()


def _award(points: Decimal, cap: Decimal | None, running: Decimal) -> Decimal:
    """The points this record adds given the kind's running total: a cap bounds the total's size, for
    deductions as for awards."""
    if cap is None:
        return points
    if points >= 0:
        return max(Decimal(0), min(points, cap - running))
    return min(Decimal(0), max(points, -cap - running))


def _ranks(totals: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4): equal points share a rank."""
    ordered = sorted(totals, key=lambda t: (-t[1], t[0]))
    ranks: dict[int, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (member_id, points) in enumerate(ordered, start=1):
        if points != previous:
            rank, previous = position, points
        ranks[member_id] = rank
    return ranks


def recompute(committee_id: int, year: int) -> Result:
    scheme = current_scheme(committee_id, year)
    with transaction.atomic():
        # One recomputation per committee at a time: a second waits here and then recomputes on top.
        Committee.objects.select_for_update(no_key=True).filter(pk=committee_id).first()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM duties_evaluationpoint WHERE evaluation_id IN "
                "(SELECT id FROM duties_evaluation WHERE committee_id = %s AND year = %s)",
                [committee_id, year],
            )
            cursor.execute(
                "DELETE FROM duties_evaluation WHERE committee_id = %s AND year = %s", [committee_id, year]
            )
        if scheme is None:
            return Result(scheme=None, members=0, records=0, points_rows=0)
        rules = {r.kind: (r.points, r.cap) for r in scheme.rules.all()}
        records = (
            DutyRecord.objects.filter(committee_id=committee_id, year=year, status__in=COUNTED)
            .order_by("member_id", "occurred_on", "id")
            .values_list("id", "member_id", "kind")
        )
        totals: dict[int, Decimal] = defaultdict(Decimal)
        counts: dict[int, int] = defaultdict(int)
        earned: list[tuple[int, int, Decimal, Decimal | None]] = []  # member, record, points, capped_from
        running: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for record_id, member_id, kind in records.iterator(chunk_size=BATCH):
            counts[member_id] += 1
            rule = rules.get(kind)
            if rule is None:
                continue
            points, cap = rule
            award = _award(points, cap, running[(member_id, kind)])
            running[(member_id, kind)] += award
            totals[member_id] += award
            earned.append((member_id, record_id, award, points if award != points else None))
        member_ids = set(
            Member.objects.filter(committee_id=committee_id, status=Member.Status.ACTIVE).values_list(
                "id", flat=True
            )
        )
        member_ids |= set(counts)
        ranks = _ranks([(m, totals[m]) for m in member_ids])
        now = timezone.now()
        evaluations = Evaluation.objects.bulk_create(
            [
                Evaluation(
                    committee_id=committee_id,
                    year=year,
                    member_id=m,
                    scheme=scheme,
                    points=totals[m],
                    rank=ranks[m],
                    records=counts[m],
                    computed_at=now,
                )
                for m in sorted(member_ids)
            ],
            batch_size=BATCH,
        )
        evaluation_of = {e.member_id: e.pk for e in evaluations}
        if evaluations and evaluations[0].pk is None:  # a backend that returns no ids from bulk inserts
            evaluation_of = dict(
                Evaluation.objects.filter(committee_id=committee_id, year=year).values_list("member_id", "id")
            )
        EvaluationPoint.objects.bulk_create(
            [
                EvaluationPoint(evaluation_id=evaluation_of[m], record_id=r, points=p, capped_from=c)
                for m, r, p, c in earned
            ],
            batch_size=BATCH,
        )
    return Result(
        scheme=scheme, members=len(member_ids), records=sum(counts.values()), points_rows=len(earned)
    )
