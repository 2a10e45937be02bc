"""Read-side queries for the home page: a fixed number of queries per panel, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import AuditLog, Role, RoleGrant, User
from zhengxie.org.models import Committee, HandlingUnit, Member, Station


@dataclass
class Panel:
    role: str
    role_label: str
    committee: Committee
    title: str
    counts: list[tuple[str, int | str, str]] = field(default_factory=list)  # (label, value, link)
    extra: dict[str, object] = field(default_factory=dict)


def _member_counts(committee: Committee) -> dict[str, int]:
    return Member.objects.filter(committee=committee, status=Member.Status.ACTIVE).aggregate(
        total=Count("id"),
        standing=Count("id", filter=Q(position__in=["chair", "vice_chair", "secretary_general", "standing"])),
        non_cpc=Count("id", filter=Q(is_cpc_member=False)),
        hk_macao=Count("id", filter=Q(is_hk_macao=True)),
    )


def home_panels(user: User) -> list[Panel]:
    panels: list[Panel] = []
    for grant in access.grants_of(user):
        committee = grant.committee
        label = Role(grant.role).label
        panel = Panel(
            role=grant.role, role_label=label, committee=committee, title=f"{committee.name} · {label}"
        )
        if grant.role == Role.MEMBER:
            mine = list(
                Member.objects.filter(user=user, committee=committee).select_related(
                    "sector", "party", "station"
                )
            )
            panel.extra["members"] = mine
            for m in mine:
                panel.counts.append(("我的委员档案", m.name, f"/org/members/{m.pk}/"))
        elif grant.role in (Role.OFFICE, Role.ADMIN):
            c = _member_counts(committee)
            panel.counts += [
                ("在任委员", c["total"], f"/org/members/?committee={committee.pk}"),
                ("常委及以上", c["standing"], f"/org/members/?committee={committee.pk}&position=standing"),
                ("党外委员", c["non_cpc"], f"/org/members/?committee={committee.pk}&cpc=0"),
                ("委员工作站点", Station.objects.filter(committee=committee).count(), ""),
                ("承办单位", HandlingUnit.objects.filter(committee=committee, is_active=True).count(), ""),
            ]
            if grant.role == Role.ADMIN:
                panel.counts.append(
                    (
                        "授权账号",
                        RoleGrant.objects.filter(committee=committee).values("user").distinct().count(),
                        "",
                    )
                )
        elif grant.role == Role.LEADER:
            c = _member_counts(committee)
            subtree = committee.descendants()
            panel.counts += [
                ("在任委员", c["total"], f"/org/members/?committee={committee.pk}"),
                ("港澳委员", c["hk_macao"], ""),
                ("下级政协", subtree.count(), ""),
                (
                    "下级政协委员合计",
                    Member.objects.filter(committee__in=subtree, status=Member.Status.ACTIVE).count(),
                    "",
                ),
            ]
        elif grant.role == Role.UNIT:
            panel.title = f"{grant.handling_unit} · 承办单位"
            panel.counts.append(("所属政协", committee.name, ""))
        elif grant.role == Role.AUDITOR:
            today = timezone.localdate()
            logs = AuditLog.objects.filter(committee=committee)
            panel.counts += [
                ("今日审计记录", logs.filter(at__date=today).count(), "/accounts/audit/"),
            ]
        panels.append(panel)
    return panels
