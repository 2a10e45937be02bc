"""Which committee, year and scope a statistics page shows, and who may see it.

Dashboards, the annual report and the record lists behind each figure are for the office, leaders and
administrators of a committee or of any committee above it (access.statistics_committees). Anything else
answers 404, so another committee's id reveals nothing. Members of the committee may read a published report
(its figures only, not the record lists)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, QueryDict
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.org.models import Committee
from zhengxie.reports.models import Scope

# Office staff edit and publish the report of their own committee (not of a committee below).
EDIT_ROLES = frozenset({Role.OFFICE})
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class ReportParams:
    committee: Committee
    year: int
    scope: str

    @property
    def include_children(self) -> bool:
        return self.scope == Scope.ALL

    def query(self, **extra: object) -> str:
        q = QueryDict(mutable=True)
        q["committee"], q["year"], q["scope"] = str(self.committee.pk), str(self.year), self.scope
        for key, value in extra.items():
            q[key] = str(value)
        return q.urlencode()


def _raw(request: HttpRequest, name: str) -> str:
    return (request.GET.get(name) or request.POST.get(name) or "").strip()


def parse_year(raw: str) -> int:
    if raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw)
    return timezone.localdate().year


def parse_scope(raw: str) -> str:
    return Scope.ALL if raw == Scope.ALL else Scope.OWN


def statistics_params(request: HttpRequest) -> ReportParams:
    """The committee given by ?committee= (default: the user's highest committee with a statistics role)
    if the user may see its statistics; otherwise 404."""
    user: User = request.user  # type: ignore[assignment]
    visible = access.statistics_committees(user)
    raw = _raw(request, "committee")
    if raw:
        if not raw.isdigit():
            raise Http404("参数错误")
        committee = visible.filter(pk=int(raw)).first()
    else:
        own = access.committee_ids_with(user, access.STATISTICS_ROLES)
        # The highest committee first: its dashboard can also show everything below it.
        mine = sorted(Committee.objects.filter(pk__in=own), key=lambda c: (c.path.count("/"), c.pk))
        committee = mine[0] if mine else None
    if committee is None:
        raise Http404("未找到该政协")
    return ReportParams(committee, parse_year(_raw(request, "year")), parse_scope(_raw(request, "scope")))


def can_edit(user: User, committee: Committee) -> bool:
    return access.has_role(user, committee.pk, EDIT_ROLES)


def can_read_published(user: User, committee: Committee) -> bool:
    """Members of the committee read the published report (figures and text, no record lists)."""
    return (
        access.has_role(user, committee.pk, {Role.MEMBER, Role.AUDITOR})
        or access.statistics_committees(user).filter(pk=committee.pk).exists()
    )
