"""Tenancy: every read and write of committee data goes through these functions.

A user's rights come from RoleGrants: (committee, role[, unit]). Objects of a committee the user has no
suitable grant in answer 404, never 403, so ids of other committees reveal nothing. Each rule sits on its
own line so the tests can prove every branch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.org.models import Committee, Member

# Who may list the members of a committee (masked personal data).
MEMBER_LIST_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})
# Who may see a member's personal data unmasked (each view is audited).
PERSONAL_DATA_ROLES = frozenset({Role.OFFICE})
# Who may import the roster and edit organisation data.
ORG_EDIT_ROLES = frozenset({Role.OFFICE, Role.ADMIN})
# Who sees counts of their committee and of every committee below it.
STATISTICS_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})
AUDIT_ROLES = frozenset({Role.AUDITOR})


def grants_of(user: User) -> list[RoleGrant]:
    """The user's grants, loaded once per request (cached on the user object)."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached: list[RoleGrant] | None = getattr(user, "_grants_cache", None)
    if cached is None:
        cached = list(
            RoleGrant.objects.filter(user=user, committee__is_active=True).select_related("committee")
        )
        user._grants_cache = cached  # type: ignore[attr-defined]
    return cached


def roles_in(user: User, committee_id: int) -> set[str]:
    return {g.role for g in grants_of(user) if g.committee_id == committee_id}


def committee_ids_with(user: User, roles: Iterable[str]) -> set[int]:
    wanted = set(roles)
    return {g.committee_id for g in grants_of(user) if g.role in wanted}


def has_role(user: User, committee_id: int, roles: Iterable[str]) -> bool:
    return bool(roles_in(user, committee_id) & set(roles))


def unit_ids_of(user: User) -> set[int]:
    return {g.handling_unit_id for g in grants_of(user) if g.role == Role.UNIT and g.handling_unit_id}


def access_committee(user: User, committee_id: int, roles: Iterable[str]) -> Committee:
    """The committee, if the user holds one of `roles` in it; otherwise 404."""
    if not has_role(user, committee_id, roles):
        raise Http404("未找到该政协")
    return Committee.objects.get(pk=committee_id)


def statistics_committees(user: User) -> QuerySet[Committee]:
    """Own committees plus all their descendants: counts only, never drafts or personal data."""
    own = committee_ids_with(user, STATISTICS_ROLES)
    if not own:
        return Committee.objects.none()
    paths = Committee.objects.filter(pk__in=own).values_list("path", flat=True)
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Committee.objects.filter(condition)


def members_visible_to(user: User) -> QuerySet[Member]:
    """Member rows a user may open: the whole roster for office, leaders and admins of the committee
    (with 住区委员 of higher committees living there); a member sees only their own records."""
    roster_committees = committee_ids_with(user, MEMBER_LIST_ROLES)
    condition = Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    if roster_committees:
        condition |= Q(committee_id__in=roster_committees)
        condition |= Q(resident_committee_id__in=roster_committees)
    return Member.objects.filter(condition)


def access_member_by_id(user: User, member_id: int) -> Member:
    member = (
        members_visible_to(user)
        .select_related("committee", "sector", "party", "station")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404("未找到该委员")
    return member


def can_see_personal_data(user: User, member: Member) -> bool:
    if member.user_id is not None and member.user_id == user.pk:
        return True
    return has_role(user, member.committee_id, PERSONAL_DATA_ROLES)


def can_edit_org(user: User, committee_id: int) -> bool:
    return has_role(user, committee_id, ORG_EDIT_ROLES)


def audit_committees(user: User) -> set[int]:
    return committee_ids_with(user, AUDIT_ROLES)


def primary_grant(user: User) -> RoleGrant | None:
    """The grant the home page opens on: the most powerful role, then the lowest committee."""
    order = [Role.ADMIN, Role.OFFICE, Role.LEADER, Role.AUDITOR, Role.UNIT, Role.MEMBER]
    grants = grants_of(user)
    if not grants:
        return None
    return sorted(grants, key=lambda g: (order.index(Role(g.role)), -len(g.committee.path)))[0]
