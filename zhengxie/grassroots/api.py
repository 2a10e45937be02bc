"""HTTP API for 群众诉求 (/api/v1/concerns): thin operations over the services and the access queries.

Members and staff: list and detail (the person's name and phone masked unless the caller handles the
concern; each unmasked answer is audited), taking up, closing by one of the four outcomes, office review
and routing, recording a reception at a station. The public (no login): raising a concern and looking one
up by number, through the same body-size cap, rate limits and abuse check as the web form.
Service errors become {"detail": "…"}: 409 when someone else changed the concern first, 403 when the
caller may not act, 429 when rate-limited, 413 for an oversize body, 400 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, JsonResponse
from ninja import Router, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.api.errors import error_status
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import ErrorOut
from zhengxie.grassroots import forms, queries, services, workflow
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.grassroots.schemas import (
    ConcernListOut,
    ConcernOut,
    ConcernReasonIn,
    ConsultationIn,
    OpinionIn,
    ProposalIn,
    PublicRaiseIn,
    PublicRaiseOut,
    PublicStatusOut,
    ReceptionIn,
    ResultIn,
    RouteIn,
)
from zhengxie.org.models import Committee, Station

router = Router(tags=["群众诉求"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ACT = {200: ConcernOut, **ERRORS}
PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 429: ErrorOut}
FORBIDDEN_PREFIXES = ("您无权", "只有该站点的委员", "只有认领该诉求的委员")
NOT_FOUND = "未查询到该编号的诉求，请核对编号后重试"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _status(exc: workflow.TransitionError) -> int:
    return 429 if isinstance(exc, services.RateLimited) else error_status(exc, FORBIDDEN_PREFIXES)


def size_capped(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuses an oversize body before ninja parses it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if forms.body_too_large(request):
            return JsonResponse(
                {"detail": "提交内容过大，请精简后再提交（诉求内容不超过2000字）"}, status=413
            )
        return view(request, *args, **kwargs)

    return wrapper


def _detail(user: User, concern_id: int, acted: bool = False) -> Concern:
    """The concern with its events. After a step the caller may have lost sight of it (a rejected one
    leaves a member's view); the answer then shows the state the step left, as the caller saw it."""
    if acted and not queries.concerns_visible_to(user).filter(pk=concern_id).exists():
        concern = Concern.objects.select_related(*queries.LIST_RELATED).get(pk=concern_id)
    else:
        concern = queries.access_concern(user, concern_id)
    prefetch_related_objects([concern], "events")
    concern.api_person = queries.personal_data_for(user, concern)  # type: ignore[attr-defined]
    concern.api_is_office = access.has_role(user, concern.committee_id, {Role.OFFICE})  # type: ignore[attr-defined]
    concern.api_actions = [m.action for m in workflow.allowed_actions(user, concern)]  # type: ignore[attr-defined]
    return concern


def _act(request: HttpRequest, concern_id: int, step: Callable[[Concern, User], Any]) -> Concern:
    user = _user(request)
    try:
        with transaction.atomic():
            step(queries.access_concern(user, concern_id), user)
    except workflow.TransitionError as exc:  # ConcernError too
        raise HttpError(_status(exc), str(exc)) from exc
    return _detail(user, concern_id, acted=True)


# ---------------------------------------------------------------- public (no login)


@router.post(
    "/public",
    auth=None,
    response={201: PublicRaiseOut, **PUBLIC_ERRORS},
    summary="群众提交诉求（无需登录；限频、审核）",
)
@decorate_view(size_capped)
def public_raise(request: HttpRequest, data: PublicRaiseIn) -> Any:
    committee = forms.public_committees().filter(pk=data.committee_id).first()
    if committee is None:
        raise HttpError(404, "未找到该政协")
    station = None
    if data.station_id is not None:
        station = Station.objects.filter(pk=data.station_id, committee=committee).first()
        if station is None:
            raise HttpError(400, "请选择本政协的站点")
    try:
        concern = services.concern_raise(
            committee=committee,
            station=station,
            title=data.title,
            content=forms.normalise_newlines(data.content),
            category=data.category,
            name=data.name,
            phone=data.phone,
            channel=Concern.Channel.WEB,
            source=forms.client_source(request),
            trap=data.trap,
        )
    except workflow.TransitionError as exc:
        raise HttpError(_status(exc), str(exc)) from exc
    held = concern.state == ConcernState.REVIEW
    return Status(
        201,
        PublicRaiseOut(
            number=concern.number,
            state=concern.state,
            state_label=concern.get_state_display(),
            message="诉求已提交，等待工作人员审核；请记下编号用于查询"
            if held
            else "诉求已提交；请记下编号用于查询",
        ),
    )


@router.get(
    "/public/lookup",
    auth=None,
    response={200: PublicStatusOut, **PUBLIC_ERRORS},
    summary="群众凭编号查询诉求（无需登录；限频）",
)
def public_lookup(request: HttpRequest, number: str = "") -> Any:
    try:
        services.check_lookup_rate(forms.client_source(request))
    except services.RateLimited as exc:
        raise HttpError(429, str(exc)) from exc
    concern = services.concern_lookup(number[:40]) if number else None
    if concern is None:
        raise HttpError(404, NOT_FOUND)
    status = services.public_status(concern)
    status["events"] = [{"at": at, "note": note} for at, note in status["events"]]  # type: ignore[attr-defined]
    return status


# ---------------------------------------------------------------- members and staff


@router.get("", response=list[ConcernListOut], summary="群众诉求列表（本人可见，不含反映人信息）")
@paginate(Pagination)
def concern_list(
    request: HttpRequest,
    state: str | None = None,
    category: str | None = None,
    station: int | None = None,
    mine: bool = False,
) -> Any:
    user = _user(request)
    rows = queries.concerns_visible_to(user)
    if state:
        rows = rows.filter(state=state)
    if category:
        rows = rows.filter(category=category)
    if station is not None:
        rows = rows.filter(station_id=station)
    if mine:
        rows = rows.filter(taken_by__user_id=user.pk)
    return rows.order_by("-created_at", "-id")


@router.post("/reception", response={201: ConcernOut, **ERRORS}, summary="登记站点接待的群众诉求")
def reception(request: HttpRequest, data: ReceptionIn) -> Any:
    user = _user(request)
    station = forms.reception_stations(user).filter(pk=data.station_id).first()
    if station is None:
        raise HttpError(404, "未找到该站点")
    if data.channel not in dict(forms.RECEPTION_CHANNELS):
        raise HttpError(400, "反映方式无效")
    try:
        concern = services.concern_raise(
            committee=Committee.objects.get(pk=station.committee_id),
            station=station,
            title=data.title,
            content=forms.normalise_newlines(data.content),
            category=data.category,
            name=data.name,
            phone=data.phone,
            channel=data.channel,
            user=user,
        )
    except workflow.TransitionError as exc:
        raise HttpError(_status(exc), str(exc)) from exc
    return Status(201, _detail(user, concern.pk))


@router.get("/{concern_id}", response={200: ConcernOut, 404: ErrorOut}, summary="诉求详情")
def concern_detail(request: HttpRequest, concern_id: int) -> Any:
    return _detail(_user(request), concern_id)


@router.post("/{concern_id}/take", response=ACT, summary="认领")
def take(request: HttpRequest, concern_id: int) -> Any:
    return _act(request, concern_id, lambda c, u: services.concern_take(concern=c, user=u))


@router.post("/{concern_id}/release", response=ACT, summary="退回待认领")
def release(request: HttpRequest, concern_id: int, data: ConcernReasonIn) -> Any:
    return _act(
        request, concern_id, lambda c, u: services.concern_release(concern=c, user=u, reason=data.reason)
    )


@router.post("/{concern_id}/resolve", response=ACT, summary="直接解决并办结")
def resolve(request: HttpRequest, concern_id: int, data: ResultIn) -> Any:
    return _act(
        request,
        concern_id,
        lambda c, u: services.concern_resolve(
            concern=c, user=u, result=forms.normalise_newlines(data.result)
        ),
    )


@router.post("/{concern_id}/to_opinion", response=ACT, summary="转社情民意信息")
def to_opinion(request: HttpRequest, concern_id: int, data: OpinionIn) -> Any:
    return _act(
        request,
        concern_id,
        lambda c, u: services.concern_to_opinion(
            concern=c, user=u, title=data.title, suggestion=data.suggestion
        ),
    )


@router.post("/{concern_id}/to_proposal", response=ACT, summary="转提案（生成提案草稿）")
def to_proposal(request: HttpRequest, concern_id: int, data: ProposalIn) -> Any:
    def step(c: Concern, user: User) -> Any:
        session = forms.open_sessions(c.committee_id).filter(pk=data.session_id).first()
        if session is None:
            raise services.ConcernError("请选择正在接受提案的会议")
        return services.concern_to_proposal(
            concern=c, user=user, session=session, suggestions=data.suggestions
        )

    return _act(request, concern_id, step)


@router.post("/{concern_id}/to_consultation", response=ACT, summary="转小微协商")
def to_consultation(request: HttpRequest, concern_id: int, data: ConsultationIn) -> Any:
    return _act(
        request,
        concern_id,
        lambda c, u: services.concern_to_consultation(
            concern=c, user=u, held_on=data.held_on, title=data.title, series=data.series
        ),
    )


@router.post("/{concern_id}/approve", response=ACT, summary="审核通过（政协办公室）")
def approve(request: HttpRequest, concern_id: int) -> Any:
    return _act(request, concern_id, lambda c, u: services.concern_approve(concern=c, user=u))


@router.post("/{concern_id}/reject", response=ACT, summary="不予受理（政协办公室）")
def reject(request: HttpRequest, concern_id: int, data: ConcernReasonIn) -> Any:
    return _act(
        request, concern_id, lambda c, u: services.concern_reject(concern=c, user=u, reason=data.reason)
    )


@router.post("/{concern_id}/route", response=ACT, summary="分派站点（政协办公室）")
def route(request: HttpRequest, concern_id: int, data: RouteIn) -> Any:
    def step(c: Concern, user: User) -> Any:
        station = Station.objects.filter(pk=data.station_id, committee_id=c.committee_id).first()
        if station is None:
            raise services.ConcernError("请选择本政协的站点")
        return services.concern_route(concern=c, user=user, station=station)

    return _act(request, concern_id, step)
