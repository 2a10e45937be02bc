"""Who hears about each step of a proposal.

Services call these after their state change. Rows are written in the caller's transaction (a rolled-back
step notifies nobody); each has a dedupe_key built from the proposal's version, so a retried step writes
nothing new. Users with an e-mail address also get a copy, enqueued only once the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import Role, User
from zhengxie.notices.models import Notification
from zhengxie.notices.services import notify_users, office_users
from zhengxie.proposals.models import Assignment, CoSigner, Proposal, State


def _url(proposal: Proposal) -> str:
    return reverse("proposals:detail", args=[proposal.pk])


def _name(proposal: Proposal) -> str:
    return f"《{proposal.title}》"


def unit_users(committee_id: int, unit_ids: Iterable[int]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            grants__committee_id=committee_id,
            grants__role=Role.UNIT,
            grants__handling_unit_id__in=list(unit_ids),
        ).distinct()
    )


def proposer_users(proposal: Proposal) -> list[User]:
    condition = Q(pk=proposal.created_by_id)
    if proposal.author_id is not None:
        condition |= Q(memberships__pk=proposal.author_id)
    return list(User.objects.filter(condition, is_active=True).distinct())


def lead_unit_users(proposal: Proposal) -> list[User]:
    """Users of the lead unit of the current round (active, or done once it replied)."""
    lead = (
        Assignment.objects.filter(proposal=proposal, role=Assignment.Role.LEAD)
        .exclude(status=Assignment.Status.RETURNED)
        .order_by("-assigned_at", "-id")
        .values_list("unit_id", flat=True)
        .first()
    )
    return unit_users(proposal.committee_id, [lead]) if lead else []


def notify(
    *, proposal: Proposal | None, committee_id: int, users: Iterable[User], verb: str, title: str, key: str
) -> list[Notification]:
    """One notification per user (key + user id is the dedupe key); returns the rows written now."""
    return notify_users(
        committee_id=committee_id,
        users=users,
        verb=verb,
        title=title,
        key=key,
        url=_url(proposal) if proposal is not None else "",
        proposal=proposal,
    )


def _step(proposal: Proposal, verb: str, users: Iterable[User], title: str) -> list[Notification]:
    return notify(
        proposal=proposal,
        committee_id=proposal.committee_id,
        users=users,
        verb=verb,
        title=title,
        key=f"p{proposal.pk}:v{proposal.version}:{verb}",
    )


def submitted(proposal: Proposal) -> list[Notification]:
    return _step(
        proposal,
        "submitted",
        office_users(proposal.committee_id),
        f"新提案待审查：{proposal.number_display}{_name(proposal)}（{proposal.proposer_name}）",
    )


def cosign_invited(proposal: Proposal, cosigners: Iterable[CoSigner]) -> list[Notification]:
    made = []
    for row in cosigners:
        if row.member.user_id is None:
            continue
        made += notify(
            proposal=proposal,
            committee_id=proposal.committee_id,
            users=[row.member.user],  # type: ignore[list-item]
            verb="cosign_invited",
            title=f"{proposal.proposer_name}邀请您联名提案{_name(proposal)}",
            key=f"p{proposal.pk}:cosign{row.pk}",
        )
    return made


def filed(proposal: Proposal) -> list[Notification]:
    return _step(
        proposal,
        "filed",
        proposer_users(proposal),
        f"您的提案{_name(proposal)}已立案（{proposal.number_display}）",
    )


def not_filed(proposal: Proposal) -> list[Notification]:
    reason = f"，理由：{proposal.not_filed_reason}" if proposal.not_filed_reason else ""
    return _step(
        proposal, "not_filed", proposer_users(proposal), f"您的提案{_name(proposal)}未予立案{reason}"
    )


def merged(proposal: Proposal) -> list[Notification]:
    into = proposal.merged_into
    target = f"并入{into.number_display}" if into is not None else "并案处理"
    return _step(proposal, "merged", proposer_users(proposal), f"您的提案{_name(proposal)}已{target}")


def assigned(proposal: Proposal) -> list[Notification]:
    units = Assignment.objects.filter(proposal=proposal, status=Assignment.Status.ACTIVE).values_list(
        "unit_id", flat=True
    )
    deadline = f"，请于{proposal.deadline:%Y年%m月%d日}前办复" if proposal.deadline else ""
    return _step(
        proposal,
        "assigned",
        unit_users(proposal.committee_id, units),
        f"交办提案：{proposal.number_display}{_name(proposal)}{deadline}",
    )


def return_requested(proposal: Proposal) -> list[Notification]:
    return _step(
        proposal,
        "return_requested",
        office_users(proposal.committee_id),
        f"承办单位申请退回提案{proposal.number_display}{_name(proposal)}",
    )


def replied(proposal: Proposal) -> list[Notification]:
    return _step(
        proposal, "replied", proposer_users(proposal), f"您的提案{_name(proposal)}已答复，请评价办理情况"
    )


def rated(proposal: Proposal, rating_label: str) -> list[Notification]:
    users = lead_unit_users(proposal) + office_users(proposal.committee_id)
    return _step(
        proposal, "rated", users, f"提案{proposal.number_display}{_name(proposal)}办理评价：{rating_label}"
    )


def rehandling(proposal: Proposal) -> list[Notification]:
    return _step(
        proposal,
        "rehandling",
        lead_unit_users(proposal),
        f"提案者对{proposal.number_display}{_name(proposal)}的办理不满意，请重新办理",
    )


def overdue_proposals(committee: object | None = None, today: date | None = None) -> QuerySet[Proposal]:
    """Proposals in handling (assigned or rehandling) whose deadline has passed."""
    rows = Proposal.objects.filter(
        state__in=[State.ASSIGNED, State.REHANDLING], deadline__lt=today or timezone.localdate()
    )
    if committee is not None:
        rows = rows.filter(committee=committee)
    return rows


def overdue_reminders(committee: object | None = None, today: date | None = None) -> list[Notification]:
    """One reminder per unit user per overdue proposal per day."""
    today = today or timezone.localdate()
    made: list[Notification] = []
    rows = overdue_proposals(committee, today).select_related("session__term")
    for proposal in rows:
        units = Assignment.objects.filter(proposal=proposal, status=Assignment.Status.ACTIVE).values_list(
            "unit_id", flat=True
        )
        made += notify(
            proposal=proposal,
            committee_id=proposal.committee_id,
            users=unit_users(proposal.committee_id, units),
            verb="overdue",
            title=f"提案{proposal.number_display}{_name(proposal)}已超过办理期限（{proposal.deadline:%Y-%m-%d}），请尽快办复",
            key=f"p{proposal.pk}:overdue:{today:%Y%m%d}",
        )
    return made
