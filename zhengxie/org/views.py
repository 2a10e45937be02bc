"""Member roster pages. Every query starts from access.members_visible_to, so tenancy holds by construction."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_log
from zhengxie.org.models import Committee, Member, Sector

STANDING_POSITIONS = ["chair", "vice_chair", "secretary_general", "standing"]


@login_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    allowed = access.committee_ids_with(user, access.MEMBER_LIST_ROLES)  # type: ignore[arg-type]
    if not allowed:
        raise Http404("无权查看委员名单")
    try:
        committee_id = int(request.GET.get("committee") or min(allowed))
    except ValueError as exc:
        raise Http404("参数错误") from exc
    committee = access.access_committee(user, committee_id, access.MEMBER_LIST_ROLES)  # type: ignore[arg-type]
    members = (
        access.members_visible_to(user)  # type: ignore[arg-type]
        .filter(Q(committee=committee) | Q(resident_committee=committee))
        .select_related("committee", "sector", "party", "station")
        .order_by("id")
    )
    q = request.GET.get("q", "").strip()[:30]
    if q:
        members = members.filter(Q(name__contains=q) | Q(enterprise__contains=q))
    sector = request.GET.get("sector", "")
    if sector.isdigit():
        members = members.filter(sector_id=int(sector))
    if request.GET.get("position") == "standing":
        members = members.filter(position__in=STANDING_POSITIONS)
    if request.GET.get("cpc") in {"0", "1"}:
        members = members.filter(is_cpc_member=request.GET["cpc"] == "1")
    page = Paginator(members, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "org/member_list.html",
        {
            "committee": committee,
            "committees": Committee.objects.filter(pk__in=allowed),
            "sectors": Sector.objects.filter(committee=committee),
            "page": page,
            "q": q,
            "query": query.urlencode(),
            "can_import": access.can_edit_org(user, committee.pk),  # type: ignore[arg-type]
        },
    )


@login_required
@require_GET
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member: Member = access.access_member_by_id(request.user, member_id)  # type: ignore[arg-type]
    can_reveal = access.can_see_personal_data(request.user, member)  # type: ignore[arg-type]
    reveal = can_reveal and request.GET.get("reveal") == "1"
    if reveal:
        audit_log(action="view_personal", obj=member, result="查看完整身份证号和手机号")
    return render(
        request,
        "org/member_detail.html",
        {
            "member": member,
            "special_committees": list(member.special_committees.all()),
            "can_reveal": can_reveal,
            "reveal": reveal,
        },
    )
