"""Pages of similar proposals and hot topics. Thin: parse, check role and committee, call textindex.similar
or textindex.topics, render.

- the drafting panel (htmx, inside the member's draft form): similar proposals the member may read, with
  their fate, and the offer to co-sign one instead;
- the review panel (htmx, on the proposal page of the office): candidate duplicates, each with 并案 through
  a confirmation page;
- 本年度提案议题分组 (office) and 热点议题 (statistics roles, as the dashboard).
Every suggestion is labelled as machine-made; nothing here changes a proposal unless the person asks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.org.models import Committee, Member
from zhengxie.proposals import queries, workflow
from zhengxie.proposals.models import Proposal, State
from zhengxie.reports import params
from zhengxie.tasks.queue import enqueue_on_commit
from zhengxie.textindex import similar, topics


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _author(user: User) -> Member:
    """The member drafting, as proposals:create picks them; anybody else gets 404."""
    author = (
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE)
        .select_related("committee")
        .order_by("id")
        .first()
    )
    if author is None:
        raise Http404("只有委员可以起草提案")
    return author


# --------------------------------------------------------------------------- drafting


@require_POST
@login_required
def similar_draft(request: HttpRequest) -> HttpResponse:
    """The drafting panel: POSTed by htmx with the draft form's fields as the member types."""
    user = _user(request)
    author = _author(user)
    body = "\n".join(request.POST.get(name, "") for name in ("background", "suggestions"))
    shown, log = similar.draft_suggestions(
        user,
        home=author.committee,
        title=request.POST.get("title", ""),
        body=body,
        log_id=request.POST.get("similar_log"),
    )
    return render(
        request,
        "textindex/similar_panel.html",
        {"cards": shown, "log": log, "typed": bool(request.POST.get("title", "").strip() or body.strip())},
    )


@require_POST
@login_required
def similar_cosign(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """联名: the member confirms their invitation to a similar proposal instead of drafting their own."""
    user = _user(request)
    proposal = queries.access_proposal(user, proposal_id)
    try:
        similar.cosign_from_suggestion(user=user, proposal=proposal, log_id=request.POST.get("similar_log"))
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("proposals:create")
    messages.success(request, f"已联名提案“{proposal.title}”")
    return redirect("proposals:detail", proposal_id=proposal.pk)


# --------------------------------------------------------------------------- review


def _office_proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    user = _user(request)
    proposal = queries.access_proposal(user, proposal_id)
    if not access.has_role(user, proposal.committee_id, {Role.OFFICE}):
        raise Http404("未找到该提案")
    return proposal


@require_GET
@login_required
def similar_duplicates(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Candidate duplicates of a proposal under review: the panel on its page (htmx), or a page of its own."""
    proposal = _office_proposal(request, proposal_id)
    shown, log = similar.duplicate_candidates(_user(request), proposal)
    context = {
        "proposal": proposal,
        "cards": shown,
        "log": log,
        "can_merge": proposal.state == State.SUBMITTED,
    }
    template = (
        "textindex/similar_duplicates.html" if request.htmx else "textindex/similar_duplicates_page.html"
    )  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def similar_merge(request: HttpRequest, proposal_id: int, into_id: int) -> HttpResponse:
    """并案 of a candidate: the office sees both proposals side by side and confirms."""
    user = _user(request)
    proposal = _office_proposal(request, proposal_id)
    into = queries.access_proposal(user, into_id)
    if request.method == "POST":
        try:
            similar.merge_from_candidate(user=user, proposal=proposal, into=into)
        except workflow.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("proposals:detail", proposal_id=proposal.pk)
        messages.success(request, f"已并入{into.number_display}")
        return redirect("proposals:detail", proposal_id=proposal.pk)
    return render(
        request,
        "textindex/similar_merge.html",
        {
            "proposal": proposal,
            "into": into,
            "possible": similar.can_merge_into(proposal, into) and proposal.state == State.SUBMITTED,
        },
    )


@require_POST
@login_required
def similar_dismiss(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The office marks the candidates as not duplicates (the log records it)."""
    proposal = _office_proposal(request, proposal_id)
    try:
        similar.dismiss_candidates(user=_user(request), proposal=proposal)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已记录：疑似重复提示均不属实")
    return redirect("proposals:detail", proposal_id=proposal.pk)


# --------------------------------------------------------------------------- issue groups and hot topics


def _office_committee(request: HttpRequest) -> Committee:
    user = _user(request)
    raw = request.GET.get("committee", "").strip()
    own = access.committee_ids_with(user, {Role.OFFICE})
    if raw:
        if not raw.isdigit():
            raise Http404("参数错误")
        return access.access_committee(user, int(raw), {Role.OFFICE})
    if not own:
        raise Http404("未找到该政协")
    return Committee.objects.filter(pk__in=own).order_by("path").first()  # type: ignore[return-value]


@require_GET
@login_required
def similar_groups(request: HttpRequest) -> HttpResponse:
    """本年度提案议题分组: the committee's proposals of the year grouped by issue, for the office."""
    committee = _office_committee(request)
    year = params.parse_year(request.GET.get("year", ""))
    groups = topics.issue_groups(committee.pk, year)
    ids = [pk for g in groups for pk in g.proposal_ids]
    readable = {p.pk: p for p in queries.proposals_visible_to(_user(request)).filter(pk__in=ids).order_by()}
    shown = [
        (g.keywords, [readable[pk] for pk in g.proposal_ids if pk in readable])
        for g in groups
        if len(g.proposal_ids) >= 2
    ]
    single = [
        readable[g.proposal_ids[0]]
        for g in groups
        if len(g.proposal_ids) == 1 and g.proposal_ids[0] in readable
    ]
    return render(
        request,
        "textindex/similar_groups.html",
        {"committee": committee, "year": year, "groups": shown, "single": single, "total": len(ids)},
    )


@require_GET
@login_required
def topics_page(request: HttpRequest) -> HttpResponse:
    """热点议题 of a committee's year as the background task stored them (the dashboard's table, in full)."""
    p = params.statistics_params(request)
    stored = topics.load(p.committee.pk, p.year, p.include_children)
    readable: dict[int, Proposal] = {}
    if stored:
        ids = [pk for t in stored["topics"] for pk in t["proposals"]]
        readable = {
            p.pk: p for p in queries.proposals_visible_to(_user(request)).filter(pk__in=ids).order_by()
        }
    rows = [
        {**t, "readable": [readable[pk] for pk in t["proposals"] if pk in readable]}
        for t in (stored or {}).get("topics", [])
    ]
    return render(
        request,
        "textindex/topics.html",
        {
            "p": p,
            "stored": stored,
            "rows": rows,
            "can_refresh": access.has_role(_user(request), p.committee.pk, {Role.OFFICE}),
        },
    )


@require_POST
@login_required
def topics_refresh(request: HttpRequest) -> HttpResponse:
    """The office asks for its hot topics to be computed again (by the background worker)."""
    p = params.statistics_params(request)
    if not access.has_role(_user(request), p.committee.pk, {Role.OFFICE}):
        raise Http404("未找到该政协")
    enqueue_on_commit(topics.compute_hot_topics, p.committee.pk, p.year, p.include_children)
    messages.success(request, "已提交后台计算，稍后刷新本页查看")
    return redirect(f"{reverse('textindex:topics')}?{p.query()}")
