"""社情民意 API (/api/v1/opinions). Each operation: parse, access_report (404 outside the caller's reach),
one service inside one transaction, then the detail. Service errors become {"detail": "…"}: 409 when
someone else changed the report first, 403 when the caller may not act, 400 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.api.errors import error_status
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import ErrorOut
from zhengxie.opinions import services, workflow
from zhengxie.opinions.models import Forwarding, OpinionReport
from zhengxie.opinions.queries import access_report, opinions_visible_to
from zhengxie.opinions.schemas import (
    AdoptIn,
    ForwardIn,
    InstructIn,
    OpinionMergeIn,
    OpinionReasonIn,
    ReportCreateIn,
    ReportListOut,
    ReportOut,
    ReportUpdateIn,
    VersionIn,
)
from zhengxie.org.models import Committee, Member

router = Router(tags=["社情民意"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ACT = {200: ReportOut, **ERRORS}
# Service messages that mean "not yours to do" rather than "not valid".
FORBIDDEN_PREFIXES = ("您无权", "只能以本人", "只有本政协委员或工作人员")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _status(exc: workflow.TransitionError) -> int:
    return error_status(exc, FORBIDDEN_PREFIXES)


def _detail(user: User, report_id: int) -> OpinionReport:
    report = access_report(user, report_id)
    prefetch_related_objects([report], "forwardings", "instructions", "transitions")
    report.api_authors = services.credited_members(report)  # type: ignore[attr-defined]
    report.api_actions = services.report_actions(user, report)  # type: ignore[attr-defined]
    return report


def _act(
    request: HttpRequest,
    report_id: int,
    step: Callable[[OpinionReport, User], Any],
    version: int | None = None,
) -> OpinionReport:
    user = _user(request)
    try:
        with transaction.atomic():
            report = access_report(user, report_id)
            if version is not None:
                report.version = version  # the caller's copy: a stale one is refused with 409
            step(report, user)
    except workflow.TransitionError as exc:  # OpinionError too
        raise HttpError(_status(exc), str(exc)) from exc
    except IntegrityError as exc:
        raise HttpError(409, "操作冲突，请刷新后重试") from exc
    return _detail(user, report_id)


@router.get("", response=list[ReportListOut], summary="社情民意列表（本人可见）")
@paginate(Pagination)
def report_list(
    request: HttpRequest,
    state: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    q: str = "",
) -> Any:
    rows = opinions_visible_to(_user(request))
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if year is not None:
        rows = rows.filter(year=year)
    if q:
        rows = rows.filter(title__contains=q[:50])
    return rows.order_by("-year", "-id")


@router.get("/{report_id}", response={200: ReportOut, 404: ErrorOut}, summary="社情民意详情")
def report_detail(request: HttpRequest, report_id: int) -> Any:
    return _detail(_user(request), report_id)


def _committee_for(user: User) -> Committee:
    """The caller's own committee: the one they are office staff of, else the one they sit on. A caller
    cannot name another committee."""
    office = access.committee_ids_with(user, {Role.OFFICE})
    if office:
        return Committee.objects.get(pk=min(office))
    member = (
        Member.objects.filter(user=user, status=Member.Status.ACTIVE)
        .select_related("committee")
        .order_by("id")
        .first()
    )
    if member is None:
        raise HttpError(403, "只有本政协委员或工作人员可以报送社情民意")
    return member.committee


@router.post("", response={201: ReportOut, **ERRORS}, summary="报送或录入社情民意")
def report_create(request: HttpRequest, data: ReportCreateIn) -> Any:
    user = _user(request)
    committee = _committee_for(user)
    authors = list(Member.objects.filter(pk__in=data.author_ids))
    if len(authors) != len(set(data.author_ids)):
        raise HttpError(400, "反映人须为本政协委员")
    by_id = {m.pk: m for m in authors}
    try:
        report = services.report_create(
            user=user,
            committee=committee,
            title=data.title,
            situation=data.situation,
            suggestion=data.suggestion,
            kind=data.kind,
            source_kind=data.source_kind,
            authors=[by_id[i] for i in dict.fromkeys(data.author_ids)],
            party_id=data.party_id,
            sector_id=data.sector_id,
            special_committee_id=data.special_committee_id,
            station_id=data.station_id,
            submit=data.submit,
            client_token=data.client_token,
        )
    except workflow.TransitionError as exc:
        raise HttpError(_status(exc), str(exc)) from exc
    return Status(201, _detail(user, report.pk))


@router.put("/{report_id}", response=ACT, summary="修改（作者改草稿，工作人员编辑待编辑的信息）")
def report_update(request: HttpRequest, report_id: int, data: ReportUpdateIn) -> Any:
    return _act(
        request,
        report_id,
        lambda r, u: services.report_update(
            report=r,
            user=u,
            title=data.title,
            situation=data.situation,
            suggestion=data.suggestion,
            kind=data.kind,
        ),
        data.version,
    )


@router.post("/{report_id}/submit", response=ACT, summary="提交")
def submit(request: HttpRequest, report_id: int, data: VersionIn) -> Any:
    return _act(request, report_id, lambda r, u: services.report_submit(report=r, user=u), data.version)


@router.post("/{report_id}/withdraw", response=ACT, summary="撤回")
def withdraw(request: HttpRequest, report_id: int, data: OpinionReasonIn) -> Any:
    return _act(
        request,
        report_id,
        lambda r, u: services.report_withdraw(report=r, user=u, reason=data.reason),
        data.version,
    )


@router.post("/{report_id}/archive", response=ACT, summary="存档不报送")
def archive(request: HttpRequest, report_id: int, data: OpinionReasonIn) -> Any:
    return _act(
        request,
        report_id,
        lambda r, u: services.report_archive(report=r, user=u, reason=data.reason),
        data.version,
    )


@router.post("/{report_id}/reopen", response=ACT, summary="重新编辑（存档的信息）")
def reopen(request: HttpRequest, report_id: int, data: VersionIn) -> Any:
    return _act(request, report_id, lambda r, u: services.report_reopen(report=r, user=u), data.version)


@router.post("/{report_id}/merge", response=ACT, summary="合并到另一条信息")
def merge(request: HttpRequest, report_id: int, data: OpinionMergeIn) -> Any:
    def step(r: OpinionReport, user: User) -> Any:
        into = OpinionReport.objects.filter(pk=data.into_id, committee_id=r.committee_id).first()
        if into is None:
            raise Http404("未找到要并入的信息")
        return services.report_merge(report=r, user=user, into=into)

    return _act(request, report_id, step, data.version)


@router.post("/{report_id}/forward", response=ACT, summary="报送（可向多个对象报送）")
def forward(request: HttpRequest, report_id: int, data: ForwardIn) -> Any:
    return _act(
        request,
        report_id,
        lambda r, u: services.report_forward(
            report=r,
            user=u,
            target=data.target,
            receiver=data.receiver,
            issue=data.issue,
            forwarded_on=data.forwarded_on,
        ),
    )


def _forwarding(report: OpinionReport, forwarding_id: int | None) -> Forwarding | None:
    if forwarding_id is None:
        return None
    forwarding = Forwarding.objects.filter(pk=forwarding_id, report=report).first()
    if forwarding is None:
        raise services.OpinionError("报送记录不属于该信息")
    return forwarding


@router.post("/{report_id}/adopt", response=ACT, summary="登记采用（按报送记录）")
def adopt(request: HttpRequest, report_id: int, data: AdoptIn) -> Any:
    def step(r: OpinionReport, user: User) -> Any:
        return services.report_adopt(
            report=r,
            user=user,
            forwarding=_forwarding(r, data.forwarding_id),  # type: ignore[arg-type]
            adopted_on=data.adopted_on,
            adopted_by=data.adopted_by,
            note=data.note,
        )

    return _act(request, report_id, step)


@router.post("/{report_id}/instruct", response=ACT, summary="登记领导批示")
def instruct(request: HttpRequest, report_id: int, data: InstructIn) -> Any:
    def step(r: OpinionReport, user: User) -> Any:
        return services.instruction_add(
            report=r,
            user=user,
            level=data.level,
            leader_name=data.leader_name,
            leader_title=data.leader_title,
            instructed_on=data.instructed_on,
            text=data.text,
            forwarding=_forwarding(r, data.forwarding_id),
        )

    return _act(request, report_id, step)
