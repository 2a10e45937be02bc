"""Who sees whose duty records and evaluation.

- a member sees their own records, points, rank and contests, and nobody else's;
- office staff and leaders of the committee see every member's records and the rankings;
- everyone else sees nothing (another committee's member answers 404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.duties.models import DutyRecord, Evaluation
from zhengxie.org.models import Member

READ_ALL_ROLES = frozenset({Role.OFFICE, Role.LEADER})


def _condition(user: User, member_field: str) -> Q:
    condition = Q(**{f"{member_field}__user_id": user.pk})
    committees = access.committee_ids_with(user, READ_ALL_ROLES)
    if committees:
        condition |= Q(committee_id__in=committees)
    return condition


def records_visible_to(user: User) -> QuerySet[DutyRecord]:
    if not user.is_authenticated or not user.is_active:
        return DutyRecord.objects.none()
    return DutyRecord.objects.filter(_condition(user, "member")).select_related("member")


def evaluations_visible_to(user: User) -> QuerySet[Evaluation]:
    if not user.is_authenticated or not user.is_active:
        return Evaluation.objects.none()
    return Evaluation.objects.filter(_condition(user, "member")).select_related(
        "member", "member__sector", "member__party"
    )


def access_member_file(user: User, member_id: int) -> Member:
    """The member whose 履职档案 the user may open: their own, or any of a committee they run."""
    member = Member.objects.select_related("committee", "sector", "party").filter(pk=member_id).first()
    if member is None:
        raise Http404("未找到该委员")
    if member.user_id == user.pk and user.is_active:
        return member
    if access.has_role(user, member.committee_id, READ_ALL_ROLES):
        return member
    raise Http404("未找到该委员")
