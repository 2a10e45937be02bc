"""Duty-record API (/api/v1/duties): a member's own file, claims and contests; the office's rankings.
Access goes through queries (404 outside the caller's reach); service errors become {"detail": "…"}:
403 when the caller may not act, 400 otherwise."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengxie.accounts import access
from zhengxie.accounts.models import User
from zhengxie.api.errors import error_status
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import ErrorOut
from zhengxie.duties import forms, queries, services
from zhengxie.duties.models import Contest, DutyKind, DutyRecord, Evaluation, EvaluationPoint
from zhengxie.duties.schemas import (
    ClaimIn,
    ContestIn,
    ContestOut,
    EvaluationOut,
    MyFileOut,
    RankingOut,
    RecordOut,
)
from zhengxie.duties.views import own_member, ranking_rows

router = Router(tags=["履职档案"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
FORBIDDEN_PREFIXES = ("您无权", "只有委员", "只能对本人")
CLAIMABLE = {k.value for k in forms.CLAIMABLE}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _error(exc: services.DutyError) -> HttpError:
    return HttpError(error_status(exc, FORBIDDEN_PREFIXES), str(exc))


def _year(year: int | None) -> int:
    if year is None:
        return timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise HttpError(400, "年度无效")
    return year


def _record_out(record: DutyRecord, point: EvaluationPoint | None) -> RecordOut:
    return RecordOut(
        id=record.pk,
        year=record.year,
        kind=record.kind,
        kind_label=record.get_kind_display(),
        title=record.title,
        occurred_on=record.occurred_on,
        status=record.status,
        status_label=record.get_status_display(),
        origin=record.origin,
        url=record.url,
        detail=record.detail or {},
        evidence=record.evidence,
        review_note=record.review_note,
        points=point.points if point else None,
        capped_from=point.capped_from if point else None,
    )


def _contest_out(contest: Contest) -> ContestOut:
    return ContestOut(
        id=contest.pk,
        record_id=contest.record_id,
        record_title=contest.record.title,
        reason=contest.reason,
        state=contest.state,
        state_label=contest.get_state_display(),
        resolution=contest.resolution,
        created_at=contest.created_at,
    )


@router.get(
    "/me",
    response={200: MyFileOut, 400: ErrorOut, 404: ErrorOut},
    summary="我的履职档案（记录、得分、排名、异议）",
)
def my_file(request: HttpRequest, year: int | None = None) -> Any:
    user = _user(request)
    member = own_member(user)
    if member is None:
        raise Http404("只有委员有履职档案")
    year = _year(year)
    evaluation = Evaluation.objects.filter(member=member, year=year).select_related("scheme").first()
    points: dict[int, EvaluationPoint] = {}
    evaluation_out = None
    if evaluation is not None:
        points = {p.record_id: p for p in EvaluationPoint.objects.filter(evaluation=evaluation)}
        evaluation_out = EvaluationOut(
            points=evaluation.points,
            rank=evaluation.rank,
            of=Evaluation.objects.filter(committee_id=evaluation.committee_id, year=year).count(),
            records=evaluation.records,
            scheme=evaluation.scheme.name,
            scheme_version=evaluation.scheme.version,
            computed_at=evaluation.computed_at,
        )
    records = (
        queries.records_visible_to(user).filter(member=member, year=year).order_by("-occurred_on", "-id")
    )
    contests = Contest.objects.filter(member=member, record__year=year).select_related("record")
    return MyFileOut(
        member_id=member.pk,
        name=member.name,
        committee=member.committee.name,
        year=year,
        evaluation=evaluation_out,
        records=[_record_out(r, points.get(r.pk)) for r in records],
        contests=[_contest_out(c) for c in contests.order_by("-created_at", "-id")],
    )


@router.get("/rankings", response={200: list[RankingOut], 400: ErrorOut, 404: ErrorOut}, summary="考评排名")
@paginate(Pagination)
def rankings(
    request: HttpRequest,
    committee: int | None = None,
    year: int | None = None,
    sector: int | None = None,
    party: int | None = None,
    below: bool = False,
) -> Any:
    user = _user(request)
    if committee is None:
        allowed = access.committee_ids_with(user, queries.READ_ALL_ROLES)
        if not allowed:
            raise Http404("未找到该政协")
        committee = min(allowed)
    target = access.access_committee(user, committee, queries.READ_ALL_ROLES)
    rows = ranking_rows(target, _year(year), sector=sector, party=party, below=below)
    return [
        RankingOut(
            rank=e.rank,
            member_id=e.member_id,
            name=e.member.name,
            sector=e.member.sector.name if e.member.sector_id else "",
            party=e.member.party.name if e.member.party_id else "",
            points=e.points,
            records=e.records,
            below_threshold=e.points < e.scheme.threshold,
        )
        for e in rows
    ]


@router.post("/claims", response={201: RecordOut, **ERRORS}, summary="委员申报履职（待确认）")
def claim(request: HttpRequest, data: ClaimIn) -> Any:
    if data.kind not in CLAIMABLE:
        raise HttpError(400, "该履职类型不能由委员申报" if data.kind in DutyKind.values else "履职类型无效")
    try:
        record = services.duty_claim(
            user=_user(request),
            kind=data.kind,
            title=data.title,
            occurred_on=data.occurred_on,
            evidence=data.evidence,
        )
    except services.DutyError as exc:
        raise _error(exc) from exc
    return Status(201, _record_out(record, None))


@router.post(
    "/records/{record_id}/contest", response={201: ContestOut, **ERRORS}, summary="对本人履职记录提出异议"
)
def contest(request: HttpRequest, record_id: int, data: ContestIn) -> Any:
    user = _user(request)
    record = queries.records_visible_to(user).filter(pk=record_id, member__user_id=user.pk).first()
    if record is None:
        raise Http404("未找到该履职记录")
    try:
        item = services.contest_open(record=record, user=user, reason=data.reason)
    except services.DutyError as exc:
        raise _error(exc) from exc
    return Status(201, _contest_out(item))
