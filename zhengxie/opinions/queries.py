"""Who sees which opinion report; a report outside opinions_visible_to answers 404.

- its authors and whoever drafted it (a collective body's contact person, or the staff who entered it)
  see it in any state, with its forwardings, adoption and instructions;
- office staff and leaders of the committee see every report of the committee except drafts;
- everyone else sees nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.opinions.models import OpinionReport, ReportState

READ_ALL_ROLES = frozenset({Role.OFFICE, Role.LEADER})
LIST_RELATED = ("committee", "party", "sector", "special_committee", "station")


def opinions_visible_to(user: User) -> QuerySet[OpinionReport]:
    if not user.is_authenticated or not user.is_active:
        return OpinionReport.objects.none()
    condition = Q(created_by_id=user.pk) | Q(
        pk__in=OpinionReport.authors.through.objects.filter(member__user_id=user.pk).values(
            "opinionreport_id"
        )
    )
    committees = access.committee_ids_with(user, READ_ALL_ROLES)
    if committees:
        condition |= Q(committee_id__in=committees) & ~Q(state=ReportState.DRAFT)
    return OpinionReport.objects.filter(condition).select_related(*LIST_RELATED)


def access_report(user: User, report_id: int) -> OpinionReport:
    report = opinions_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise Http404("未找到该信息")
    return report
