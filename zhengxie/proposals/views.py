"""Proposal pages. Thin: parse, check visibility (queries.access_proposal), call one service, render or
redirect. Services raise ProposalError / TransitionError with a Chinese message; it is shown with the
messages framework and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.opinions import services as opinion_services
from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Member, Session
from zhengxie.proposals import forms, queries, services, workflow
from zhengxie.proposals.models import (
    Assignment,
    Category,
    CoSigner,
    Proposal,
    State,
)
from zhengxie.textindex import similar

PAGE_SIZE = 20
ACTION_LABELS = {m.action: m.label for m in reversed(workflow.TRANSITIONS)}
UNAVAILABLE_FOR_KEY = {State.DRAFT, State.SUBMITTED, State.WITHDRAWN, State.NOT_FILED, State.MERGED}
UNAVAILABLE_FOR_FIRST = {State.DRAFT, State.WITHDRAWN, State.NOT_FILED, State.MERGED}


# ---------------------------------------------------------------- list


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = queries.proposals_visible_to(user)  # type: ignore[arg-type]
    proposals = queries.filter_proposals(visible, request.GET)
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(proposals.order_by("-session__year", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    years = sorted(set(visible.order_by().values_list("session__year", flat=True)), reverse=True)
    return render(
        request,
        "proposals/list.html",
        {
            "page": page,
            "q": q,
            "query": query.urlencode(),
            "states": State.choices,
            "categories": Category.choices,
            "years": years,
            "is_office": bool(access.committee_ids_with(user, {Role.OFFICE})),  # type: ignore[arg-type]
            "can_create": Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE).exists(),
        },
    )


# ---------------------------------------------------------------- create


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request: HttpRequest) -> HttpResponse:
    author = (
        Member.objects.filter(user_id=request.user.pk, status=Member.Status.ACTIVE)
        .select_related("committee")
        .order_by("id")
        .first()
    )
    if author is None:
        raise Http404("只有委员可以起草提案")
    session = (
        Session.objects.filter(committee_id=author.committee_id)
        .select_related("term")
        .order_by("-year", "-number")
        .first()
    )
    if session is None:
        messages.error(request, "本政协尚未设置会议，暂不能起草提案")
        return redirect("proposals:list")
    form = forms.ProposalForm(request.POST or None, author=author)
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal = _create_draft(request, author, session, form)
            except workflow.TransitionError as exc:
                messages.error(request, str(exc))
            else:
                # The similar proposals shown while drafting (if any) were seen and passed over: logged.
                similar.record_draft_saved(
                    user=request.user,  # type: ignore[arg-type]
                    log_id=request.POST.get("similar_log"),
                    proposal=proposal,
                )
                messages.success(request, "草稿已保存，确认无误后请提交")
                return redirect("proposals:detail", proposal_id=proposal.pk)
        else:
            messages.error(request, forms.first_error(form))
    # One token per form: a second save of the same form (after a timeout, a double tap) finds the first draft.
    token = request.POST.get("client_token", "")[:64] or uuid.uuid4().hex
    return render(
        request,
        "proposals/create.html",
        {"form": form, "author": author, "session": session, "client_token": token},
    )


def _create_draft(
    request: HttpRequest, author: Member, session: Session, form: forms.ProposalForm
) -> Proposal:
    data = form.cleaned_data
    with transaction.atomic():
        proposal = services.proposal_draft_create(
            user=request.user,  # type: ignore[arg-type]
            author=author,
            session=session,
            title=data["title"],
            background=data["background"],
            suggestions=data["suggestions"],
            category=data["category"],
            kind=data["kind"],
            client_token=request.POST.get("client_token", "")[:64],
            **form.group_ids(),
        )
        if data["cosigners"]:
            services.cosigner_invite(
                proposal=proposal,
                user=request.user,  # type: ignore[arg-type]
                members=list(data["cosigners"]),
            )
    return proposal


# ---------------------------------------------------------------- detail


@login_required
@require_GET
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = request.user
    proposal = queries.access_proposal(user, proposal_id)  # type: ignore[arg-type]
    moves = workflow.allowed_actions(user, proposal)  # type: ignore[arg-type]
    actions = {m.action for m in moves}
    is_office = access.has_role(user, proposal.committee_id, {Role.OFFICE})  # type: ignore[arg-type]
    my_assignment = (
        Assignment.objects.filter(
            proposal=proposal,
            status=Assignment.Status.ACTIVE,
            unit_id__in=access.unit_ids_of(user),  # type: ignore[arg-type]
        )
        .select_related("unit")
        .first()
    )
    context = {
        "proposal": proposal,
        "moves": moves,
        "actions": actions,
        "can_rate": bool(actions & {"rate", "rate_dissatisfied"}),
        "cosigners": proposal.cosigners.select_related("member").order_by("id"),
        "transitions": [
            (t, ACTION_LABELS.get(t.action, t.action))
            for t in proposal.transitions.select_related("actor").order_by("at", "id")
        ],
        "assignments": proposal.assignments.select_related("unit").order_by("assigned_at", "id"),
        "contacts": proposal.contacts.select_related("unit").order_by("at", "id"),
        "replies": proposal.replies.select_related("unit").order_by("replied_at", "id"),
        "feedback": proposal.feedback.select_related("by").order_by("at", "id"),
        "supervisions": proposal.supervisions.select_related("leader").order_by("id"),
        "pending_cosign": CoSigner.objects.filter(
            proposal=proposal, member__user_id=user.pk, status=CoSigner.Status.INVITED
        ).exists(),
        "my_assignment": my_assignment,
        "is_office": is_office,
        "client_token": uuid.uuid4().hex,
        "conversions": forms.CONVERSIONS,
        "results": forms.RESULTS,
        "ratings": forms.RATINGS,
        "categories": Category.choices,
        "attachments": proposal.attachments.order_by("uploaded_at", "id"),
        "can_attach": proposal.state == State.DRAFT and workflow.is_proposer(user, proposal),  # type: ignore[arg-type]
    }
    # 四级联动: both ends of a linkage show each other's progress.
    context["linked"] = [("来源提案", proposal.origin)] if proposal.origin_id else []
    context["linked"] += [
        ("上报提案", p) for p in proposal.escalations.select_related("committee", "session__term")
    ]
    context["escalation_targets"] = escalation_targets(user, proposal)  # type: ignore[arg-type]
    # 转社情民意: a not-filed proposal's report, or the office's button to make one.
    context["opinion_report"] = OpinionReport.objects.filter(proposal=proposal).first()
    context["can_convert"] = (
        is_office and proposal.state == State.NOT_FILED and context["opinion_report"] is None
    )
    if is_office:
        context["can_key"] = not proposal.is_key and proposal.state not in UNAVAILABLE_FOR_KEY
        context["can_first"] = (
            not proposal.is_first
            and proposal.number is not None
            and proposal.state not in UNAVAILABLE_FOR_FIRST
        )
        context["can_excellent"] = not proposal.is_excellent and proposal.state == State.CLOSED
        if actions & {"assign", "reassign"}:
            context["units"] = forms.unit_choices(proposal.committee_id)
        if context["can_key"]:
            context["leaders"] = forms.leader_choices(proposal.committee_id)
    return render(request, "proposals/detail.html", context)


# ---------------------------------------------------------------- actions


def _text(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "")


def _submit(request, proposal, user):  # type: ignore[no-untyped-def]
    services.proposal_submit(proposal=proposal, user=user, client_token=_text(request, "client_token")[:64])
    return "提案已提交"


def _withdraw(request, proposal, user):  # type: ignore[no-untyped-def]
    services.proposal_withdraw(proposal=proposal, user=user, reason=_text(request, "reason"))
    return "提案已撤回"


def _file(request, proposal, user):  # type: ignore[no-untyped-def]
    category = _text(request, "category")
    if category and category not in Category.values:
        raise services.ProposalError("类别无效")
    services.review_file(proposal=proposal, user=user, category=category or None)
    return "已立案"


def _not_file(request, proposal, user):  # type: ignore[no-untyped-def]
    services.review_not_file(
        proposal=proposal, user=user, reason=_text(request, "reason"), conversion=_text(request, "conversion")
    )
    return "已作不立案处理"


def _merge(request, proposal, user):  # type: ignore[no-untyped-def]
    raw = _text(request, "into").strip()
    if not raw.isdigit():
        raise services.ProposalError("请填写并入的提案号")
    into = (
        Proposal.objects.filter(session_id=proposal.session_id, number=int(raw))
        .select_related("session__term")
        .first()
    )
    if into is None:
        raise services.ProposalError(f"本次会议没有第{int(raw):04d}号提案")
    services.review_merge(proposal=proposal, user=user, into=into)
    return f"已并入{into.number_display}"


def _assignment_form(request, proposal) -> forms.AssignForm:  # type: ignore[no-untyped-def]
    form = forms.AssignForm(request.POST, committee_id=proposal.committee_id)
    if not form.is_valid():
        raise services.ProposalError(forms.first_error(form))
    return form


def _assign(request, proposal, user):  # type: ignore[no-untyped-def]
    data = _assignment_form(request, proposal).cleaned_data
    services.assignment_create(
        proposal=proposal,
        user=user,
        lead=data["lead"],
        co_units=list(data["co_units"]),
        split_units=list(data["split_units"]),
        deadline=data["deadline"],
    )
    return "已交办"


def _reassign(request, proposal, user):  # type: ignore[no-untyped-def]
    data = _assignment_form(request, proposal).cleaned_data
    services.assignment_reassign(
        proposal=proposal,
        user=user,
        lead=data["lead"],
        co_units=list(data["co_units"]),
        split_units=list(data["split_units"]),
        deadline=data["deadline"],
    )
    return "已重新交办"


def _request_return(request, proposal, user):  # type: ignore[no-untyped-def]
    services.assignment_request_return(proposal=proposal, user=user, reason=_text(request, "reason"))
    return "已申请退回"


def _contact(request, proposal, user):  # type: ignore[no-untyped-def]
    services.contact_record(
        proposal=proposal, user=user, method=_text(request, "method"), note=_text(request, "note")
    )
    return "沟通情况已记录"


def _reply(request, proposal, user):  # type: ignore[no-untyped-def]
    reply = services.reply_record(
        proposal=proposal,
        user=user,
        letter=_text(request, "letter"),
        result=_text(request, "result"),
        doc_number=_text(request, "doc_number"),
    )
    return "会办意见已送主办单位" if reply.role == Assignment.Role.CO else "已答复"


def _rate(request, proposal, user):  # type: ignore[no-untyped-def]
    services.feedback_record(
        proposal=proposal, user=user, rating=_text(request, "rating"), comment=_text(request, "comment")
    )
    return "评价已提交"


def _cosign_confirm(request, proposal, user):  # type: ignore[no-untyped-def]
    services.cosigner_respond(proposal=proposal, user=user, confirm=True)
    return "已确认联名"


def _cosign_decline(request, proposal, user):  # type: ignore[no-untyped-def]
    services.cosigner_respond(proposal=proposal, user=user, confirm=False)
    return "已谢绝联名"


def _key(request, proposal, user):  # type: ignore[no-untyped-def]
    form = forms.KeyForm(request.POST, committee_id=proposal.committee_id)
    if not form.is_valid():
        raise services.ProposalError(forms.first_error(form))
    services.key_mark(proposal=proposal, user=user, leaders=list(form.cleaned_data["leaders"]))
    return "已列为重点提案"


def _first(request, proposal, user):  # type: ignore[no-untyped-def]
    services.first_mark(proposal=proposal, user=user)
    return "已列为一号提案"


def _excellent(request, proposal, user):  # type: ignore[no-untyped-def]
    services.excellent_mark(proposal=proposal, user=user)
    return "已评为优秀提案"


def escalation_targets(user: User, proposal: Proposal) -> list[Member]:
    """The proposer's own memberships in committees above this one, where they may take it up."""
    if not workflow.is_proposer(user, proposal) or proposal.state in (State.DRAFT, State.WITHDRAWN):
        return []
    ancestors = proposal.committee.ancestors_ids()
    return list(
        Member.objects.filter(
            user=user, committee_id__in=ancestors, status=Member.Status.ACTIVE
        ).select_related("committee")
    )


def _escalate(request, proposal, user):  # type: ignore[no-untyped-def]
    targets = {m.pk: m for m in escalation_targets(user, proposal)}
    member = (
        targets.get(int(request.POST.get("member") or 0))
        if request.POST.get("member", "").isdigit()
        else None
    )
    if member is None:
        raise services.ProposalError("请选择要提交到的上级政协")
    session = Session.objects.filter(committee=member.committee).order_by("-year", "-number").first()
    if session is None:
        raise services.ProposalError(f"{member.committee}尚未设置会议")
    services.linkage_escalate(proposal=proposal, user=user, to_member=member, session=session)
    return f"已在{member.committee}生成提案草稿，请完善后提交"


HANDLERS: dict[str, Callable] = {
    "escalate": _escalate,
    "submit": _submit,
    "withdraw": _withdraw,
    "file": _file,
    "not_file": _not_file,
    "merge": _merge,
    "assign": _assign,
    "request_return": _request_return,
    "reassign": _reassign,
    "contact": _contact,
    "reply": _reply,
    "rate": _rate,
    "cosign_confirm": _cosign_confirm,
    "cosign_decline": _cosign_decline,
    "key": _key,
    "first": _first,
    "excellent": _excellent,
}


@require_POST
@login_required
def proposal_act(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    handler = HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    proposal = queries.access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    try:
        done = handler(request, proposal, request.user)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    if queries.proposals_visible_to(request.user).filter(pk=proposal.pk).exists():  # type: ignore[arg-type]
        return redirect("proposals:detail", proposal_id=proposal.pk)
    return redirect(reverse("proposals:list"))


@require_POST
@login_required
def proposal_to_opinion(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """转为社情民意信息: the office turns a not-filed proposal into an opinion report under its author."""
    proposal = queries.access_proposal(request.user, proposal_id)  # type: ignore[arg-type]
    try:
        report = opinion_services.report_from_proposal(proposal=proposal, user=request.user)  # type: ignore[arg-type]
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("proposals:detail", proposal_id=proposal.pk)
    messages.success(request, "已转为社情民意信息")
    return redirect("opinions:detail", pk=report.pk)
