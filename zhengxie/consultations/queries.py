"""Who sees which consultation, plan and agreed item. Every consultation page and API operation starts from
consultations_visible_to, so tenancy holds by construction; a record outside it answers 404, never 403.

Consultations:
- office and leaders of the committee see every consultation of the committee, in any state;
- members of the committee (a member grant or an active membership) see every consultation of their
  committee that is not cancelled, with the participants' names but no personal data;
- a participant sees the consultations they were invited to, in any state (a 住区委员 of a higher
  committee too);
- a station's active members see every micro consultation held at their station (they run them);
- a handling unit sees the consultations in which it holds an agreed item, and of them only the items
  assigned to it (an item handed back is no longer theirs);
- everyone else (auditors, admins, offices of other committees, above or beside) sees nothing.

Plans (年度协商计划):
- office and leaders of the committee see every plan, draft or not;
- members of the committee see published plans;
- everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.consultations import workflow
from zhengxie.consultations.models import (
    Consultation,
    ConsultationPlan,
    Form,
    Outcome,
    Participant,
)
from zhengxie.org.models import Member

READ_ALL_ROLES = frozenset({Role.OFFICE, Role.LEADER})
LIST_RELATED = ("committee", "station", "lead", "topic")


def _memberships(user: User) -> QuerySet[Member]:
    return Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE)


def _member_condition(user: User, field: str = "committee_id") -> Q:
    """Committees the user belongs to as a member: a member grant (cached) or an active membership row."""
    condition = Q(**{f"{field}__in": _memberships(user).values("committee_id")})
    granted = access.committee_ids_with(user, {Role.MEMBER})
    if granted:
        condition |= Q(**{f"{field}__in": granted})
    return condition


def _whole_condition(user: User) -> Q:
    """Every rule but the unit's: these viewers see the whole consultation."""
    condition = _member_condition(user) & ~Q(state=Consultation.State.CANCELLED)
    condition |= Q(
        pk__in=Participant.objects.filter(member__user_id=user.pk).values("consultation_id"),
    )
    condition |= Q(form=Form.MICRO, station_id__in=_memberships(user).values("station_id"))
    committees = access.committee_ids_with(user, READ_ALL_ROLES)
    if committees:
        condition |= Q(committee_id__in=committees)
    return condition


def _unit_condition(user: User) -> Q | None:
    units = access.unit_ids_of(user)
    if not units:
        return None
    return Q(pk__in=Outcome.objects.filter(unit_id__in=units).values("consultation_id"))


def consultations_visible_to(user: User) -> QuerySet[Consultation]:
    if not user.is_authenticated or not user.is_active:
        return Consultation.objects.none()
    condition = _whole_condition(user)
    unit = _unit_condition(user)
    if unit is not None:
        condition |= unit
    return Consultation.objects.filter(condition).select_related(*LIST_RELATED)


def access_consultation(user: User, consultation_id: int) -> Consultation:
    consultation = consultations_visible_to(user).filter(pk=consultation_id).first()
    if consultation is None:
        raise Http404("未找到该协商活动")
    return consultation


def sees_whole(user: User, consultation: Consultation) -> bool:
    """False for a viewer who sees the consultation only as a unit holding some of its items."""
    if access.has_role(user, consultation.committee_id, READ_ALL_ROLES):
        return True
    return Consultation.objects.filter(_whole_condition(user), pk=consultation.pk).exists()


def outcomes_visible_in(user: User, consultation: Consultation, whole: bool) -> QuerySet[Outcome]:
    outcomes = consultation.outcomes.select_related("unit").order_by("number")
    if whole:
        return outcomes
    return outcomes.filter(unit_id__in=access.unit_ids_of(user))


def with_outcome_counts(queryset: QuerySet[Consultation]) -> QuerySet[Consultation]:
    """Annotates outcome_count and overdue_count (open items past their deadline) in the same query."""
    today = timezone.localdate()
    return queryset.annotate(
        outcome_count=Count("outcomes", distinct=True),
        overdue_count=Count(
            "outcomes",
            filter=Q(outcomes__state__in=workflow.OPEN_STATES, outcomes__deadline__lt=today),
            distinct=True,
        ),
    )


def filter_consultations(
    queryset: QuerySet[Consultation], params: Mapping[str, str]
) -> QuerySet[Consultation]:
    """The list's filters, shared by the page and the API: year, form, kind, state, series, station,
    overdue=1 (with an open item past its deadline). Unknown values are ignored."""
    year = str(params.get("year") or "")
    if year.isdigit() and len(year) == 4:
        queryset = queryset.filter(held_on__year=int(year))
    form = params.get("form") or ""
    if form in Form.values:
        queryset = queryset.filter(form=form)
    kind = params.get("kind") or ""
    if kind in Consultation.Kind.values:
        queryset = queryset.filter(kind=kind)
    state = params.get("state") or ""
    if state in Consultation.State.values:
        queryset = queryset.filter(state=state)
    series = str(params.get("series") or "").strip()[:40]
    if series:
        queryset = queryset.filter(series=series)
    station = str(params.get("station") or "")
    if station.isdigit():
        queryset = queryset.filter(station_id=int(station))
    if params.get("overdue") in ("1", 1, True):
        queryset = queryset.filter(
            pk__in=Outcome.objects.filter(
                state__in=workflow.OPEN_STATES, deadline__lt=timezone.localdate()
            ).values("consultation_id")
        )
    return queryset


def outcomes_for_unit(user: User) -> QuerySet[Outcome]:
    """The unit's to-do list (协商成果办理): every item assigned to the user's units, overdue ones first,
    then open ones by deadline, then the finished ones."""
    units = access.unit_ids_of(user)
    if not units:
        return Outcome.objects.none()
    today = timezone.localdate()
    return (
        Outcome.objects.filter(unit_id__in=units)
        .select_related("consultation", "unit", "committee")
        .annotate(
            rank=Case(
                When(state__in=workflow.OPEN_STATES, deadline__lt=today, then=Value(0)),
                When(state__in=workflow.OPEN_STATES, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "deadline", "id")
    )


def plans_visible_to(user: User) -> QuerySet[ConsultationPlan]:
    if not user.is_authenticated or not user.is_active:
        return ConsultationPlan.objects.none()
    condition = _member_condition(user) & Q(state=ConsultationPlan.State.PUBLISHED)
    committees = access.committee_ids_with(user, READ_ALL_ROLES)
    if committees:
        condition |= Q(committee_id__in=committees)
    return ConsultationPlan.objects.filter(condition).select_related("committee")


def access_plan(user: User, plan_id: int) -> ConsultationPlan:
    plan = plans_visible_to(user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("未找到该协商计划")
    return plan


def is_overdue(outcome: Outcome) -> bool:
    return bool(
        outcome.state in workflow.OPEN_STATES
        and outcome.deadline is not None
        and outcome.deadline < timezone.localdate()
    )
