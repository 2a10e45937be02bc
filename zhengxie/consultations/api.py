"""HTTP API for 协商议政 (/api/v1/consultations). Each operation: parse, access_consultation (404 outside the
caller's reach), one service inside one transaction, then the item or the detail. Service errors become
{"detail": "…"}: 409 when someone else changed the record first, 403 when the caller may not act, 400
otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengxie.accounts import access
from zhengxie.accounts.models import User
from zhengxie.api.errors import error_status
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import ErrorOut
from zhengxie.consultations import queries, services, workflow
from zhengxie.consultations.models import Consultation, Outcome, OutcomeProgress
from zhengxie.consultations.schemas import (
    ConsultationListOut,
    ConsultationOut,
    ConsultationReasonIn,
    FeedbackIn,
    NoteIn,
    OutcomeOut,
    PlanListOut,
    PlanOut,
    ProgressIn,
    RespondIn,
    TransferIn,
)
from zhengxie.org.models import HandlingUnit

router = Router(tags=["协商议政"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ACT = {200: OutcomeOut, **ERRORS}
FORBIDDEN_PREFIXES = ("您无权", "只有")
PROGRESS = Prefetch("progress", queryset=OutcomeProgress.objects.order_by("at", "id"))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _status(exc: workflow.TransitionError) -> int:
    return error_status(exc, FORBIDDEN_PREFIXES)


def _with_actions(
    user: User, outcomes: list[Outcome], consultation: Consultation | None = None
) -> list[Outcome]:
    for o in outcomes:
        if consultation is not None:
            o.consultation = consultation
        o.api_actions = [m.action for m in workflow.allowed_actions(user, o)]  # type: ignore[attr-defined]
    return outcomes


@router.get("", response=list[ConsultationListOut], summary="协商活动列表（本人可见）")
@paginate(Pagination)
def consultation_list(
    request: HttpRequest,
    year: int | None = None,
    form: str = "",
    kind: str = "",
    state: str = "",
    series: str = "",
    station: int | None = None,
    overdue: bool = False,
) -> Any:
    params = {
        "year": str(year or ""),
        "form": form,
        "kind": kind,
        "state": state,
        "series": series,
        "station": str(station or ""),
        "overdue": "1" if overdue else "",
    }
    rows = queries.filter_consultations(queries.consultations_visible_to(_user(request)), params)
    return queries.with_outcome_counts(rows).order_by("-held_on", "-id")


@router.get(
    "/outcomes", response={200: list[OutcomeOut], 404: ErrorOut}, summary="本单位承办的协商成果（超期在前）"
)
@paginate(Pagination)
def unit_outcome_list(request: HttpRequest) -> Any:
    user = _user(request)
    if not access.unit_ids_of(user):
        raise Http404("只有承办单位可以查看")
    return queries.outcomes_for_unit(user).prefetch_related(PROGRESS)


@router.get("/plans", response=list[PlanListOut], summary="年度协商计划列表")
@paginate(Pagination)
def plan_list(request: HttpRequest, year: int | None = None) -> Any:
    plans = queries.plans_visible_to(_user(request))
    if year is not None:
        plans = plans.filter(year=year)
    return plans.order_by("-year", "committee_id")


@router.get("/plans/{plan_id}", response={200: PlanOut, 404: ErrorOut}, summary="年度协商计划及议题")
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    return queries.access_plan(_user(request), plan_id)


@router.get("/{consultation_id}", response={200: ConsultationOut, 404: ErrorOut}, summary="协商活动详情")
def consultation_detail(request: HttpRequest, consultation_id: int) -> Any:
    user = _user(request)
    consultation = queries.access_consultation(user, consultation_id)
    whole = queries.sees_whole(user, consultation)
    outcomes = list(queries.outcomes_visible_in(user, consultation, whole).prefetch_related(PROGRESS))
    consultation.api_outcomes = _with_actions(user, outcomes, consultation)  # type: ignore[attr-defined]
    consultation.api_participants = (  # type: ignore[attr-defined]
        list(consultation.participants.order_by("kind", "id")) if whole else None
    )
    consultation.outcome_count = len(outcomes)  # type: ignore[attr-defined]
    consultation.overdue_count = sum(1 for o in outcomes if queries.is_overdue(o))  # type: ignore[attr-defined]
    return consultation


def _act(
    request: HttpRequest, consultation_id: int, outcome_id: int, step: Callable[[Outcome, User], Any]
) -> Outcome:
    user = _user(request)
    consultation = queries.access_consultation(user, consultation_id)
    whole = queries.sees_whole(user, consultation)
    outcome = queries.outcomes_visible_in(user, consultation, whole).filter(pk=outcome_id).first()
    if outcome is None:
        raise Http404("未找到该协商成果")
    outcome.consultation = consultation
    try:
        with transaction.atomic():
            step(outcome, user)
    except workflow.TransitionError as exc:  # ConsultationError too
        raise HttpError(_status(exc), str(exc)) from exc
    except IntegrityError as exc:
        raise HttpError(409, "操作冲突，请刷新后重试") from exc
    # A unit that handed the item back no longer sees it; the answer shows what the step left.
    fresh = Outcome.objects.select_related("unit").prefetch_related(PROGRESS).get(pk=outcome_id)
    return _with_actions(user, [fresh], consultation)[0]


OUTCOME = "/{consultation_id}/outcomes/{outcome_id}"


@router.post(f"{OUTCOME}/transfer", response=ACT, summary="转办（机关或站点委员）")
def transfer(request: HttpRequest, consultation_id: int, outcome_id: int, data: TransferIn) -> Any:
    def step(o: Outcome, user: User) -> Any:
        unit = HandlingUnit.objects.filter(pk=data.unit_id, committee_id=o.committee_id).first()
        if unit is None:
            raise services.ConsultationError("请选择本政协的承办单位")
        return services.outcome_transfer(outcome=o, user=user, unit=unit, deadline=data.deadline)

    return _act(request, consultation_id, outcome_id, step)


@router.post(f"{OUTCOME}/respond", response=ACT, summary="承办单位采纳或不予采纳")
def respond(request: HttpRequest, consultation_id: int, outcome_id: int, data: RespondIn) -> Any:
    return _act(
        request,
        consultation_id,
        outcome_id,
        lambda o, u: services.outcome_respond(outcome=o, user=u, accept=data.accept, response=data.response),
    )


@router.post(f"{OUTCOME}/hand_back", response=ACT, summary="承办单位退回")
def hand_back(request: HttpRequest, consultation_id: int, outcome_id: int, data: ConsultationReasonIn) -> Any:
    return _act(
        request,
        consultation_id,
        outcome_id,
        lambda o, u: services.outcome_hand_back(outcome=o, user=u, reason=data.reason),
    )


@router.post(f"{OUTCOME}/progress", response=ACT, summary="报送落实进展")
def progress(request: HttpRequest, consultation_id: int, outcome_id: int, data: ProgressIn) -> Any:
    return _act(
        request,
        consultation_id,
        outcome_id,
        lambda o, u: services.outcome_progress(outcome=o, user=u, percent=data.percent, note=data.note),
    )


@router.post(f"{OUTCOME}/complete", response=ACT, summary="落实完成")
def complete(request: HttpRequest, consultation_id: int, outcome_id: int, data: NoteIn) -> Any:
    return _act(
        request,
        consultation_id,
        outcome_id,
        lambda o, u: services.outcome_complete(outcome=o, user=u, note=data.note),
    )


@router.post(f"{OUTCOME}/report_back", response=ACT, summary="反馈参加人员（办结）")
def report_back(request: HttpRequest, consultation_id: int, outcome_id: int, data: FeedbackIn) -> Any:
    return _act(
        request,
        consultation_id,
        outcome_id,
        lambda o, u: services.outcome_report_back(outcome=o, user=u, feedback=data.feedback),
    )
