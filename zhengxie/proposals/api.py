"""Proposal API (/api/v1/proposals). Each operation: parse, access_proposal (404 outside the caller's
reach), one service inside one transaction, then the detail. Service errors become {"detail": "…"}:
409 when someone else changed the proposal first, 403 when the caller may not act, 400 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengxie.accounts.models import User
from zhengxie.api.errors import error_status
from zhengxie.api.pagination import Pagination
from zhengxie.api.schemas import ErrorOut
from zhengxie.org.models import HandlingUnit, Member, Session
from zhengxie.proposals import services, workflow
from zhengxie.proposals.models import Proposal
from zhengxie.proposals.queries import LIST_RELATED, access_proposal, proposals_visible_to
from zhengxie.proposals.schemas import (
    AssignIn,
    ContactIn,
    CosignerInviteIn,
    CosignIn,
    FileIn,
    NotFileIn,
    ProposalCreateIn,
    ProposalListOut,
    ProposalMergeIn,
    ProposalOut,
    ProposalReasonIn,
    RateIn,
    ReplyIn,
    SubmitIn,
)

router = Router(tags=["提案"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ACT = {200: ProposalOut, **ERRORS}
# Service messages that mean "not yours to do" rather than "not valid".
FORBIDDEN_PREFIXES = ("您无权", "只有提案人", "只能以本人名义", "本单位没有")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _status(exc: workflow.TransitionError) -> int:
    return error_status(exc, FORBIDDEN_PREFIXES)


def _detail(user: User, proposal_id: int, acted: bool = False) -> Proposal:
    """The proposal with its rows. After a step the caller may have lost sight of it (a unit that
    returned it); the answer then shows the state the step left, as the caller saw it a moment ago."""
    if acted and not proposals_visible_to(user).filter(pk=proposal_id).exists():
        proposal = Proposal.objects.select_related(*LIST_RELATED).get(pk=proposal_id)
    else:
        proposal = access_proposal(user, proposal_id)
    prefetch_related_objects(
        [proposal],
        "cosigners__member",
        "assignments__unit",
        "contacts__unit",
        "replies__unit",
        "feedback",
        "transitions",
    )
    proposal.api_actions = [m.action for m in workflow.allowed_actions(user, proposal)]  # type: ignore[attr-defined]
    return proposal


def _act(request: HttpRequest, proposal_id: int, step: Callable[[Proposal, User], Any]) -> Proposal:
    user = _user(request)
    try:
        with transaction.atomic():
            step(access_proposal(user, proposal_id), user)
    except workflow.TransitionError as exc:  # ProposalError too
        raise HttpError(_status(exc), str(exc)) from exc
    except IntegrityError as exc:
        raise HttpError(409, "操作冲突，请刷新后重试") from exc
    return _detail(user, proposal_id, acted=True)


def _units(proposal: Proposal, ids: list[int]) -> list[HandlingUnit]:
    found = {u.pk: u for u in HandlingUnit.objects.filter(committee_id=proposal.committee_id, pk__in=ids)}
    if len(found) != len(set(ids)):
        raise services.ProposalError("承办单位不存在")
    return [found[i] for i in ids]


@router.get("", response=list[ProposalListOut], summary="提案列表（本人可见）")
@paginate(Pagination)
def proposal_list(
    request: HttpRequest,
    state: str | None = None,
    category: str | None = None,
    year: int | None = None,
    q: str = "",
) -> Any:
    rows = proposals_visible_to(_user(request))
    if state:
        rows = rows.filter(state=state)
    if category:
        rows = rows.filter(category=category)
    if year is not None:
        rows = rows.filter(session__year=year)
    if q:
        rows = rows.filter(title__contains=q[:50])
    return rows.order_by("-session__year", "number", "id")


@router.get("/{proposal_id}", response={200: ProposalOut, 404: ErrorOut}, summary="提案详情")
def proposal_detail(request: HttpRequest, proposal_id: int) -> Any:
    return _detail(_user(request), proposal_id)


@router.post("", response={201: ProposalOut, **ERRORS}, summary="起草提案（草稿）")
def proposal_create(request: HttpRequest, data: ProposalCreateIn) -> Any:
    user = _user(request)
    session = Session.objects.filter(pk=data.session_id).first()
    author = (
        Member.objects.filter(
            user=user, committee_id=session.committee_id, status=Member.Status.ACTIVE
        ).first()
        if session is not None
        else None
    )
    if session is None or author is None:
        raise Http404("未找到该会议")
    try:
        proposal = services.proposal_draft_create(
            user=user,
            author=author,
            session=session,
            title=data.title,
            background=data.background,
            suggestions=data.suggestions,
            category=data.category,
            kind=data.kind,
            party_id=data.party_id,
            sector_id=data.sector_id,
            special_committee_id=data.special_committee_id,
            client_token=data.client_token,
        )
    except workflow.TransitionError as exc:
        raise HttpError(_status(exc), str(exc)) from exc
    return Status(201, _detail(user, proposal.pk))


@router.post("/{proposal_id}/cosigners", response=ACT, summary="邀请联名")
def cosigner_invite(request: HttpRequest, proposal_id: int, data: CosignerInviteIn) -> Any:
    def step(p: Proposal, user: User) -> Any:
        members = list(Member.objects.filter(committee_id=p.committee_id, pk__in=data.member_ids))
        if len(members) != len(set(data.member_ids)):
            raise services.ProposalError("委员不存在")
        return services.cosigner_invite(proposal=p, user=user, members=members)

    return _act(request, proposal_id, step)


@router.post("/{proposal_id}/cosign", response=ACT, summary="确认或谢绝联名")
def cosign(request: HttpRequest, proposal_id: int, data: CosignIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.cosigner_respond(proposal=p, user=u, confirm=data.confirm),
    )


@router.post("/{proposal_id}/submit", response=ACT, summary="提交（编号）")
def submit(request: HttpRequest, proposal_id: int, data: SubmitIn) -> Any:
    done: list[Proposal] = []

    def step(p: Proposal, user: User) -> None:
        done.append(services.proposal_submit(proposal=p, user=user, client_token=data.client_token))

    _act(request, proposal_id, step)
    # A repeated token answers with the proposal it first submitted.
    return _detail(_user(request), done[0].pk, acted=True)


@router.post("/{proposal_id}/withdraw", response=ACT, summary="撤回")
def withdraw(request: HttpRequest, proposal_id: int, data: ProposalReasonIn) -> Any:
    return _act(
        request, proposal_id, lambda p, u: services.proposal_withdraw(proposal=p, user=u, reason=data.reason)
    )


@router.post("/{proposal_id}/file", response=ACT, summary="立案")
def file(request: HttpRequest, proposal_id: int, data: FileIn) -> Any:
    return _act(
        request, proposal_id, lambda p, u: services.review_file(proposal=p, user=u, category=data.category)
    )


@router.post("/{proposal_id}/not_file", response=ACT, summary="不立案")
def not_file(request: HttpRequest, proposal_id: int, data: NotFileIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.review_not_file(
            proposal=p, user=u, reason=data.reason, conversion=data.conversion
        ),
    )


@router.post("/{proposal_id}/merge", response=ACT, summary="并案")
def merge(request: HttpRequest, proposal_id: int, data: ProposalMergeIn) -> Any:
    def step(p: Proposal, user: User) -> Any:
        into = access_proposal(user, data.into_id)
        return services.review_merge(proposal=p, user=user, into=into)

    return _act(request, proposal_id, step)


def _assignment_step(service: Any, data: AssignIn) -> Any:
    def step(p: Proposal, user: User) -> Any:
        lead, *split = _units(p, [data.lead_unit_id, *data.split_unit_ids])
        co = _units(p, data.co_unit_ids) if data.co_unit_ids else []
        return service(
            proposal=p, user=user, lead=lead, split_units=split, co_units=co, deadline=data.deadline
        )

    return step


@router.post("/{proposal_id}/assign", response=ACT, summary="交办")
def assign(request: HttpRequest, proposal_id: int, data: AssignIn) -> Any:
    return _act(request, proposal_id, _assignment_step(services.assignment_create, data))


@router.post("/{proposal_id}/request_return", response=ACT, summary="承办单位申请退回")
def request_return(request: HttpRequest, proposal_id: int, data: ProposalReasonIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.assignment_request_return(proposal=p, user=u, reason=data.reason),
    )


@router.post("/{proposal_id}/reassign", response=ACT, summary="重新交办")
def reassign(request: HttpRequest, proposal_id: int, data: AssignIn) -> Any:
    return _act(request, proposal_id, _assignment_step(services.assignment_reassign, data))


@router.post("/{proposal_id}/contact", response=ACT, summary="记录与提案者的沟通")
def contact(request: HttpRequest, proposal_id: int, data: ContactIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.contact_record(proposal=p, user=u, method=data.method, note=data.note),
    )


@router.post("/{proposal_id}/reply", response=ACT, summary="答复（主办）或会办意见")
def reply(request: HttpRequest, proposal_id: int, data: ReplyIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.reply_record(
            proposal=p, user=u, letter=data.letter, result=data.result or "", doc_number=data.doc_number
        ),
    )


@router.post("/{proposal_id}/rate", response=ACT, summary="评价办理结果")
def rate(request: HttpRequest, proposal_id: int, data: RateIn) -> Any:
    return _act(
        request,
        proposal_id,
        lambda p, u: services.feedback_record(proposal=p, user=u, rating=data.rating, comment=data.comment),
    )
