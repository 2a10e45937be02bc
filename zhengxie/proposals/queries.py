"""Who sees which proposal. Every proposal page starts from proposals_visible_to, so tenancy holds by
construction; a proposal outside it answers 404, never 403.

- the proposer (who drafted it, its author, or an invited/confirmed co-signer) sees it in any state;
- office and leaders of the committee see every proposal of the committee except drafts;
- a handling unit sees proposals it is handling or has answered (assignment active or done), not ones it
  returned or that were taken from it;
- everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.proposals.models import Assignment, Category, CoSigner, Proposal, State

READ_ALL_ROLES = frozenset({Role.OFFICE, Role.LEADER})
LIST_RELATED = ("committee", "session__term", "author", "party", "sector", "special_committee")


def proposals_visible_to(user: User) -> QuerySet[Proposal]:
    if not user.is_authenticated or not user.is_active:
        return Proposal.objects.none()
    condition = Q(created_by_id=user.pk) | Q(author__user_id=user.pk)
    condition |= Q(
        pk__in=CoSigner.objects.filter(
            member__user_id=user.pk,
            status__in=[CoSigner.Status.INVITED, CoSigner.Status.CONFIRMED],
        ).values("proposal_id")
    )
    committees = access.committee_ids_with(user, READ_ALL_ROLES)
    if committees:
        condition |= Q(committee_id__in=committees) & ~Q(state=State.DRAFT)
    units = access.unit_ids_of(user)
    if units:
        condition |= Q(
            pk__in=Assignment.objects.filter(
                unit_id__in=units, status__in=[Assignment.Status.ACTIVE, Assignment.Status.DONE]
            ).values("proposal_id")
        )
    return Proposal.objects.filter(condition).select_related(*LIST_RELATED)


def access_proposal(user: User, proposal_id: int) -> Proposal:
    proposal = proposals_visible_to(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404("未找到该提案")
    return proposal


OVERDUE_STATES = (State.ASSIGNED, State.REHANDLING)


def filter_proposals(queryset: QuerySet[Proposal], params: Mapping[str, str]) -> QuerySet[Proposal]:
    """The list page's filters, shared by the list, the Excel ledger and the API:
    state, category, year, q (in the title), key=1, overdue=1 (handling past its deadline)."""
    state = params.get("state", "")
    if state in State.values:
        queryset = queryset.filter(state=state)
    category = params.get("category", "")
    if category in Category.values:
        queryset = queryset.filter(category=category)
    year = params.get("year", "")
    if year.isdigit() and len(year) == 4:
        queryset = queryset.filter(session__year=int(year))
    q = params.get("q", "").strip()[:50]
    if q:
        queryset = queryset.filter(title__contains=q)
    if params.get("key") == "1":
        queryset = queryset.filter(is_key=True)
    if params.get("overdue") == "1":
        queryset = queryset.filter(state__in=OVERDUE_STATES, deadline__lt=timezone.localdate())
    return queryset
