"""Demo annual reports: each committee with demo data gets a published report of last year (figures frozen
by the office, as staff would) and this year's draft with the default narrative, so the report pages, the
publish/withdraw buttons and the frozen-versus-live difference can all be tried."""

from __future__ import annotations

from typing import TextIO

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts.audit import audit_context
from zhengxie.accounts.models import Role, RoleGrant, User
from zhengxie.org.models import Committee
from zhengxie.reports import content, services
from zhengxie.reports.models import Scope

DEMO_RESULT = "演示数据"


def seed_reports(stdout: TextIO | None = None) -> int:
    year = timezone.localdate().year
    written = 0
    offices: dict[int, User] = {}
    for grant in RoleGrant.objects.filter(role=Role.OFFICE).select_related("user").order_by("-id"):
        offices[grant.committee_id] = grant.user  # the first office login of each committee wins
    committees = Committee.objects.filter(pk__in=offices, proposals__isnull=False).distinct().order_by("path")
    with transaction.atomic(), audit_context(label=DEMO_RESULT):
        for committee in committees:
            office = offices[committee.pk]
            scope = Scope.OWN
            services.publish(office, committee, year - 1, scope, version=None)
            services.save_draft(
                office,
                committee,
                year,
                scope,
                title=services.default_title(committee, year, scope),
                narrative=content.default_narrative(),
                version=None,
            )
            written += 2
    if stdout is not None:
        stdout.write(f"已生成演示年度工作报告{written}份（上年已发布、本年草稿）\n")
    return written
