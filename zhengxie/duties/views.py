"""Pages of the duty records and the annual evaluation. Thin: parse, check access through queries / access
(404 outside the caller's reach), call one service, render or redirect. Services raise DutyError with a
Chinese message; it is shown with the messages framework and nothing changes.

- /duties/                 the logged-in member's own 履职档案 (claims and contests from there)
- /duties/member/<id>/     a member's 履职档案 for office and leaders of the committee
- /duties/office/...       rankings, claims and contests to decide, staff entry, scoring rules, export
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import Role, User
from zhengxie.duties import documents, forms, queries, scoring, services
from zhengxie.duties.models import (
    Contest,
    DutyKind,
    DutyRecord,
    Evaluation,
    EvaluationPoint,
    ScoringScheme,
)
from zhengxie.org.models import Committee, Member, Party, Sector

PAGE_SIZE = 30
OFFICE = frozenset({Role.OFFICE})
READERS = queries.READ_ALL_ROLES  # office and leaders
KIND_ORDER = {k.value: i for i, k in enumerate(DutyKind)}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate().year


def own_member(user: User) -> Member | None:
    return (
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE)
        .select_related("committee", "sector", "party")
        .order_by("id")
        .first()
    )


# ---------------------------------------------------------------- a member's file


@dataclass
class KindGroup:
    kind: str
    label: str
    items: list[DutyRecord] = field(default_factory=list)
    points: Decimal = Decimal(0)


def _file_context(viewer: User, member: Member, year: int) -> dict[str, object]:
    records = list(DutyRecord.objects.filter(member=member, year=year).order_by("-occurred_on", "-id"))
    evaluation = Evaluation.objects.filter(member=member, year=year).select_related("scheme").first()
    earned: dict[int, EvaluationPoint] = {}
    total_members = 0
    if evaluation is not None:
        earned = {p.record_id: p for p in EvaluationPoint.objects.filter(evaluation=evaluation)}
        total_members = Evaluation.objects.filter(committee_id=evaluation.committee_id, year=year).count()
    open_contests = set(
        Contest.objects.filter(record__in=records, state=Contest.State.OPEN).values_list(
            "record_id", flat=True
        )
    )
    groups: dict[str, KindGroup] = OrderedDict()
    for record in sorted(records, key=lambda r: KIND_ORDER.get(r.kind, 99)):
        group = groups.setdefault(record.kind, KindGroup(kind=record.kind, label=record.get_kind_display()))
        point = earned.get(record.pk)
        record.earned = point  # type: ignore[attr-defined]
        record.detail_rows = [  # type: ignore[attr-defined]
            (forms.DETAIL_LABELS.get(k, k), v)
            for k, v in (record.detail or {}).items()
            if v not in ("", None)
        ]
        record.can_contest = (  # type: ignore[attr-defined]
            member.user_id == viewer.pk
            and record.status == DutyRecord.Status.CONFIRMED
            and record.pk not in open_contests
        )
        group.items.append(record)
        if point is not None:
            group.points += point.points
    years = set(DutyRecord.objects.filter(member=member).values_list("year", flat=True).distinct())
    years |= set(Evaluation.objects.filter(member=member).values_list("year", flat=True))
    years.add(timezone.localdate().year)
    years.add(year)
    is_reader = access.has_role(viewer, member.committee_id, READERS)
    below = evaluation is not None and is_reader and evaluation.points < evaluation.scheme.threshold
    return {
        "member": member,
        "year": year,
        "years": sorted(years, reverse=True),
        "evaluation": evaluation,
        "total_members": total_members,
        "groups": list(groups.values()),
        "record_count": len(records),
        "pending": [r for r in records if r.status == DutyRecord.Status.PENDING],
        "contests": Contest.objects.filter(member=member, record__year=year)
        .select_related("record")
        .order_by("-created_at", "-id"),
        "is_self": member.user_id == viewer.pk,
        "is_reader": is_reader,
        "below_threshold": below,
        "claim_form": forms.ClaimForm(),
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def my_file(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    member = own_member(user)
    if member is None:
        if access.committee_ids_with(user, READERS):
            return redirect("duties:office")
        raise Http404("只有委员有履职档案")
    return render(request, "duties/file.html", _file_context(user, member, _year(request)))


@login_required
@require_GET
def member_file(request: HttpRequest, member_id: int) -> HttpResponse:
    user = _user(request)
    member = queries.access_member_file(user, member_id)
    return render(request, "duties/file.html", _file_context(user, member, _year(request)))


@login_required
@require_POST
def claim(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if own_member(user) is None:
        raise Http404("只有委员可以申报履职")
    form = forms.ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, forms.first_error(form))
        return redirect("duties:mine")
    data = form.cleaned_data
    try:
        record = services.duty_claim(
            user=user,
            kind=data["kind"],
            title=data["title"],
            occurred_on=data["occurred_on"],
            evidence=data["evidence"],
        )
    except services.DutyError as exc:
        messages.error(request, str(exc))
        return redirect("duties:mine")
    messages.success(request, "已申报，待工作人员确认后计分")
    return redirect(f"{reverse('duties:mine')}?year={record.year}")


@login_required
@require_POST
def contest(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _user(request)
    record = queries.records_visible_to(user).filter(pk=record_id, member__user_id=user.pk).first()
    if record is None:
        raise Http404("未找到该履职记录")
    back = f"{reverse('duties:mine')}?year={record.year}"
    form = forms.ContestForm(request.POST)
    if not form.is_valid():
        messages.error(request, forms.first_error(form))
        return redirect(back)
    try:
        services.contest_open(record=record, user=user, reason=form.cleaned_data["reason"])
    except services.DutyError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, "异议已提交，工作人员处理后会在此显示结果")
    return redirect(back)


# ---------------------------------------------------------------- office


def office_committee(request: HttpRequest, roles: frozenset[str]) -> Committee:
    """The `committee` parameter, or the user's first committee where they hold one of `roles`; else 404."""
    user = _user(request)
    raw = request.GET.get("committee", "") or request.POST.get("committee", "")
    if raw:
        if not raw.isdigit():
            raise Http404("参数错误")
        return access.access_committee(user, int(raw), roles)
    allowed = access.committee_ids_with(user, roles)
    if not allowed:
        raise Http404("未找到该政协")
    return access.access_committee(user, min(allowed), roles)


def _committee_query(committee: Committee, year: int) -> str:
    return f"committee={committee.pk}&year={year}"


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else None


def ranking_rows(
    committee: Committee, year: int, *, sector: int | None, party: int | None, below: bool
) -> QuerySet[Evaluation]:
    rows = Evaluation.objects.filter(committee=committee, year=year).select_related(
        "member", "member__sector", "member__party", "scheme"
    )
    if sector is not None:
        rows = rows.filter(member__sector_id=sector)
    if party is not None:
        rows = rows.filter(member__party_id=party)
    if below:
        # Each row against the threshold of the rules it was computed with.
        rows = rows.filter(points__lt=F("scheme__threshold"))
    # Ties share a rank and keep the roster's order; (rank, member) is indexed for paging.
    return rows.order_by("rank", "member_id")


@login_required
@require_GET
def office(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    committee = office_committee(request, READERS)
    year = _year(request)
    sector, party = _int_param(request, "sector"), _int_param(request, "party")
    tab = "below" if request.GET.get("tab") == "below" else "all"
    rows = ranking_rows(committee, year, sector=sector, party=party, below=tab == "below")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["committee"], query["year"] = str(committee.pk), str(year)
    scheme = scoring.current_scheme(committee.pk, year)
    # Any row tells when and under which rules the year was computed; the (rank, member) index finds one at once.
    computed = (
        Evaluation.objects.filter(committee=committee, year=year)
        .select_related("scheme")
        .order_by("rank", "member_id")
        .first()
    )
    is_office = access.has_role(user, committee.pk, OFFICE)
    return render(
        request,
        "duties/office.html",
        {
            "committee": committee,
            "year": year,
            "years": _office_years(committee),
            "page": page,
            "query": query.urlencode(),
            "base_query": _committee_query(committee, year),
            "tab": tab,
            "sector": sector,
            "party": party,
            "sectors": Sector.objects.filter(committee=committee).order_by("sort_order", "id"),
            "parties": Party.objects.filter(committee=committee).order_by("sort_order", "id"),
            "scheme": scheme,
            "computed_scheme": computed.scheme if computed else None,
            "computed_at": computed.computed_at if computed else None,
            "total": Evaluation.objects.filter(committee=committee, year=year).count(),
            "is_office": is_office,
            "pending_count": DutyRecord.objects.filter(
                committee=committee, status=DutyRecord.Status.PENDING
            ).count()
            if is_office
            else 0,
            "contest_count": Contest.objects.filter(committee=committee, state=Contest.State.OPEN).count()
            if is_office
            else 0,
        },
    )


def _office_years(committee: Committee) -> list[int]:
    years = set(ScoringScheme.objects.filter(committee=committee).values_list("year", flat=True))
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    committee = office_committee(request, OFFICE)
    return render(
        request,
        "duties/review.html",
        {
            "committee": committee,
            "claims": DutyRecord.objects.filter(committee=committee, status=DutyRecord.Status.PENDING)
            .select_related("member")
            .order_by("created_at", "id"),
            "contests": Contest.objects.filter(committee=committee, state=Contest.State.OPEN)
            .select_related("record", "member")
            .order_by("created_at", "id"),
        },
    )


def _back_to_review(committee_id: int) -> HttpResponse:
    return redirect(f"{reverse('duties:review')}?committee={committee_id}")


@login_required
@require_POST
def review_claim(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _user(request)
    record = DutyRecord.objects.filter(pk=record_id).first()
    if record is None or not access.has_role(user, record.committee_id, OFFICE):
        raise Http404("未找到该履职申报")
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        messages.error(request, "请选择确认或不予确认")
        return _back_to_review(record.committee_id)
    try:
        services.duty_review(
            record=record, user=user, approve=decision == "approve", note=request.POST.get("note", "")
        )
    except services.DutyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已确认该履职申报" if decision == "approve" else "已不予确认")
    return _back_to_review(record.committee_id)


@login_required
@require_POST
def resolve_contest(request: HttpRequest, contest_id: int) -> HttpResponse:
    user = _user(request)
    item = Contest.objects.select_related("record").filter(pk=contest_id).first()
    if item is None or not access.has_role(user, item.committee_id, OFFICE):
        raise Http404("未找到该异议")
    decision = request.POST.get("decision", "")
    if decision not in ("uphold", "reject"):
        messages.error(request, "请选择异议成立或不成立")
        return _back_to_review(item.committee_id)
    try:
        services.contest_resolve(
            contest=item,
            user=user,
            uphold=decision == "uphold",
            resolution=request.POST.get("resolution", ""),
        )
    except services.DutyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "异议成立，该记录不再计分" if decision == "uphold" else "异议不成立，记录保留"
        )
    return _back_to_review(item.committee_id)


@login_required
@require_http_methods(["GET", "POST"])
def staff_add(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    committee = office_committee(request, OFFICE)
    form = forms.StaffDutyForm(request.POST or None, committee_id=committee.pk)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = services.duty_add_by_staff(
                    user=user,
                    member=data["member"],
                    kind=data["kind"],
                    title=data["title"],
                    occurred_on=data["occurred_on"],
                    detail=form.detail(),
                )
            except services.DutyError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已为{record.member.name}录入：{record.title}")
                return redirect(f"{reverse('duties:add')}?committee={committee.pk}")
        else:
            messages.error(request, forms.first_error(form))
    return render(request, "duties/add.html", {"committee": committee, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    committee = office_committee(request, OFFICE)
    year = _year(request) if request.method == "GET" else _post_year(request)
    scheme = scoring.current_scheme(committee.pk, year)
    if request.method == "POST":
        form = forms.SchemeForm(request.POST)
        if form.is_valid():
            try:
                created = services.scheme_create(
                    user=user,
                    committee=committee,
                    year=year,
                    name=form.cleaned_data["name"],
                    rules=form.rules(),  # type: ignore[arg-type]
                    threshold=form.cleaned_data["threshold"],
                    note=form.cleaned_data["note"],
                )
            except services.DutyError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已发布{created}，得分正在重新计算")
                return redirect(f"{reverse('duties:rules')}?{_committee_query(committee, year)}")
        else:
            messages.error(request, forms.first_error(form))
    else:
        form = forms.SchemeForm(initial_scheme=scheme)
        if scheme is None:
            form.initial.setdefault("name", f"{year}年度委员履职考评办法")
    return render(
        request,
        "duties/rules.html",
        {
            "committee": committee,
            "year": year,
            "years": _office_years(committee),
            "scheme": scheme,
            "current_rules": scheme.rules.order_by("id") if scheme else [],
            "versions": ScoringScheme.objects.filter(committee=committee, year=year)
            .select_related("created_by")
            .order_by("-version"),
            "form": form,
        },
    )


def _post_year(request: HttpRequest) -> int:
    raw = request.POST.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    raise Http404("年度无效")


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    committee = office_committee(request, OFFICE)
    year = _post_year(request)
    services.schedule_recompute(committee.pk, year)
    messages.success(request, f"已安排重新计算{year}年度得分与排名")
    return redirect(f"{reverse('duties:office')}?{_committee_query(committee, year)}")


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    committee = office_committee(request, READERS)
    year = _year(request)
    data, count = documents.evaluation_xlsx(committee, year)
    audit_log(
        action="export",
        committee_id=committee.pk,
        after={"year": year, "count": count},
        result=f"导出{year}年度委员履职考评（{count}人）",
    )
    response = HttpResponse(data, content_type=documents.XLSX_CONTENT_TYPE)
    filename = f"{committee.name}{year}年度委员履职考评.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
