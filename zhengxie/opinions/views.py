"""社情民意 pages. Thin: parse, check visibility (queries.access_report), call one service, render or
redirect. Services raise OpinionError / TransitionError with a Chinese message; it is shown with the
messages framework and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.opinions import forms, importer, queries, services, workflow
from zhengxie.opinions.models import (
    Forwarding,
    InstructionLevel,
    OpinionReport,
    ReportState,
)
from zhengxie.org.models import Committee, Member

PAGE_SIZE = 20
ACTION_LABELS = {m.action: m.label for m in workflow.TRANSITIONS} | {"import": "历史台账导入"}
MERGE_CHOICES_LIMIT = 200


def filter_reports(rows, params: QueryDict):  # type: ignore[no-untyped-def]
    """The list's filters (year, state, kind, q in the title); unknown values match nothing."""
    year = params.get("year", "").strip()
    if year:
        rows = rows.filter(year=int(year)) if year.isdigit() and len(year) == 4 else rows.none()
    state = params.get("state", "")
    if state:
        rows = rows.filter(state=state) if state in ReportState.values else rows.none()
    kind = params.get("kind", "")
    if kind:
        rows = rows.filter(kind=kind) if kind in OpinionReport.Kind.values else rows.none()
    q = params.get("q", "").strip()[:50]
    if q:
        rows = rows.filter(title__contains=q)
    return rows


def _office_committees(user: User) -> set[int]:
    return access.committee_ids_with(user, {Role.OFFICE})


def _own_member(user: User) -> Member | None:
    return (
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE)
        .select_related("committee", "party", "sector", "station")
        .order_by("id")
        .first()
    )


# ---------------------------------------------------------------- list


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    visible = queries.opinions_visible_to(user)
    rows = filter_reports(visible, request.GET).annotate(
        instruction_count=Count("instructions", distinct=True)
    )
    page = Paginator(rows.order_by("-year", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    years = sorted(set(visible.order_by().values_list("year", flat=True).distinct()), reverse=True)
    office = _office_committees(user)
    return render(
        request,
        "opinions/list.html",
        {
            "page": page,
            "q": request.GET.get("q", "").strip()[:50],
            "query": query.urlencode(),
            "states": ReportState.choices,
            "kinds": OpinionReport.Kind.choices,
            "years": years,
            "is_office": bool(office),
            "can_create": bool(office) or _own_member(user) is not None,
        },
    )


# ---------------------------------------------------------------- create


def _create_context(request: HttpRequest) -> tuple[Committee, Member | None, bool]:
    """Office staff enter reports for their committee (the `committee` parameter picks one of several);
    a member reports in their own committee; anyone else gets 404."""
    user: User = request.user  # type: ignore[assignment]
    office = _office_committees(user)
    if office:
        raw = request.POST.get("committee") or request.GET.get("committee") or ""
        committee_id = int(raw) if raw.isdigit() else min(office)
        committee = access.access_committee(user, committee_id, {Role.OFFICE})
        return committee, None, True
    member = _own_member(user)
    if member is None:
        raise Http404("只有本政协委员或工作人员可以报送社情民意")
    return member.committee, member, False


@login_required
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    committee, member, office = _create_context(request)
    form = forms.ReportCreateForm(request.POST or None, committee=committee, member=member, office=office)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.report_create(
                    user=user,
                    committee=committee,
                    title=data["title"],
                    situation=data["situation"],
                    suggestion=data["suggestion"],
                    kind=data["kind"],
                    authors=list(data.get("authors") or []),
                    submit=request.POST.get("submit_now") == "1",
                    client_token=request.POST.get("client_token", "")[:64],
                    **form.service_kwargs(),  # type: ignore[arg-type]
                )
            except workflow.TransitionError as exc:
                messages.error(request, str(exc))
            else:
                if report.state == ReportState.DRAFT:
                    messages.success(request, "草稿已保存，确认无误后请提交")
                else:
                    messages.success(request, "社情民意信息已提交")
                return redirect("opinions:detail", pk=report.pk)
        else:
            messages.error(request, forms.first_error(form))
    return render(
        request,
        "opinions/create.html",
        {
            "form": form,
            "committee": committee,
            "member": member,
            "office": office,
            "committees": Committee.objects.filter(pk__in=_office_committees(user)) if office else [],
            "client_token": request.POST.get("client_token") or uuid.uuid4().hex,
        },
    )


# ---------------------------------------------------------------- detail


def merge_candidates(report: OpinionReport):  # type: ignore[no-untyped-def]
    """The committee's reports another may be merged into: submitted or already forwarded."""
    return (
        OpinionReport.objects.filter(
            committee_id=report.committee_id,
            state__in=[ReportState.SUBMITTED, ReportState.FORWARDED, ReportState.ADOPTED],
        )
        .exclude(pk=report.pk)
        .order_by("-year", "-id")[:MERGE_CHOICES_LIMIT]
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    report = queries.access_report(user, pk)
    actions = set(services.report_actions(user, report))
    forwardings = list(report.forwardings.order_by("forwarded_on", "id"))
    context = {
        "report": report,
        "actions": actions - {"edit", "adopt"},
        "can_edit": "edit" in actions,
        "can_adopt": "adopt" in actions,
        "authors": services.credited_members(report),
        "forwardings": forwardings,
        "instructions": report.instructions.order_by("instructed_on", "id"),
        "transitions": [
            (t, ACTION_LABELS.get(t.action, t.action))
            for t in report.transitions.select_related("actor").order_by("at", "id")
        ],
        "merged_from": report.merged_from.order_by("id"),
        "merged_into": report.merged_into,
        "proposal": report.proposal,
        "targets": Forwarding.Target.choices,
        "levels": InstructionLevel.choices,
    }
    if "merge" in actions:
        context["merge_candidates"] = merge_candidates(report)
    return render(request, "opinions/detail.html", context)


# ---------------------------------------------------------------- edit


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    report = queries.access_report(user, pk)
    if "edit" not in services.report_actions(user, report):
        messages.error(request, f"当前状态“{report.get_state_display()}”下您不能修改该信息")
        return redirect("opinions:detail", pk=report.pk)
    initial = {
        "kind": report.kind,
        "title": report.title,
        "situation": report.situation,
        "suggestion": report.suggestion,
    }
    form = forms.ReportTextForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            report.version = _posted_version(request, report.version)
            try:
                services.report_update(
                    report=report,
                    user=user,
                    title=data["title"],
                    situation=data["situation"],
                    suggestion=data["suggestion"],
                    kind=data["kind"],
                )
            except workflow.TransitionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "已保存修改")
                return redirect("opinions:detail", pk=report.pk)
        else:
            messages.error(request, forms.first_error(form))
    return render(request, "opinions/edit.html", {"form": form, "report": report})


def _posted_version(request: HttpRequest, current: int) -> int:
    """The version the page was opened at: a save over someone else's edit is refused as stale."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else current


# ---------------------------------------------------------------- actions


def _form(form_class, request: HttpRequest):  # type: ignore[no-untyped-def]
    form = form_class(request.POST)
    if not form.is_valid():
        raise services.OpinionError(forms.first_error(form))
    return form.cleaned_data


def _submit(request, report, user):  # type: ignore[no-untyped-def]
    services.report_submit(report=report, user=user)
    return "已提交"


def _withdraw(request, report, user):  # type: ignore[no-untyped-def]
    services.report_withdraw(report=report, user=user, reason=request.POST.get("reason", ""))
    return "已撤回"


def _archive(request, report, user):  # type: ignore[no-untyped-def]
    services.report_archive(report=report, user=user, reason=_form(forms.ArchiveForm, request)["reason"])
    return "已存档，不报送"


def _reopen(request, report, user):  # type: ignore[no-untyped-def]
    services.report_reopen(report=report, user=user)
    return "已重新编辑"


def _merge(request, report, user):  # type: ignore[no-untyped-def]
    raw = request.POST.get("into", "").strip()
    into = (
        OpinionReport.objects.filter(pk=int(raw), committee_id=report.committee_id).first()
        if raw.isdigit()
        else None
    )
    if into is None:
        raise services.OpinionError("请选择要并入的信息")
    services.report_merge(report=report, user=user, into=into)
    return f"已并入《{into.title}》"


def _forward(request, report, user):  # type: ignore[no-untyped-def]
    data = _form(forms.ForwardForm, request)
    forwarding = services.report_forward(
        report=report,
        user=user,
        target=data["target"],
        receiver=data["receiver"],
        issue=data["issue"],
        forwarded_on=data["forwarded_on"],
    )
    return f"已报送{forwarding.get_target_display()}{forwarding.receiver}"


def _adopt(request, report, user):  # type: ignore[no-untyped-def]
    data = _form(forms.AdoptForm, request)
    forwarding = Forwarding.objects.filter(pk=data["forwarding"], report=report).first()
    if forwarding is None:
        raise services.OpinionError("报送记录不属于该信息")
    services.report_adopt(
        report=report,
        user=user,
        forwarding=forwarding,
        adopted_on=data["adopted_on"],
        adopted_by=data["adopted_by"],
        note=data["note"],
    )
    return "已登记采用"


def _instruct(request, report, user):  # type: ignore[no-untyped-def]
    data = _form(forms.InstructionForm, request)
    services.instruction_add(
        report=report,
        user=user,
        level=data["level"],
        leader_name=data["leader_name"],
        leader_title=data["leader_title"],
        instructed_on=data["instructed_on"],
        text=data["text"],
    )
    return "已登记批示"


HANDLERS: dict[str, Callable] = {
    "submit": _submit,
    "withdraw": _withdraw,
    "archive": _archive,
    "reopen": _reopen,
    "merge": _merge,
    "forward": _forward,
    "adopt": _adopt,
    "instruct": _instruct,
}


@require_POST
@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    report = queries.access_report(request.user, pk)  # type: ignore[arg-type]
    report.version = _posted_version(request, report.version)
    try:
        done = handler(request, report, request.user)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("opinions:detail", pk=report.pk)


# ---------------------------------------------------------------- import


@login_required
@require_http_methods(["GET", "POST"])
def import_ledger(request: HttpRequest) -> HttpResponse:
    """历史台账导入 for office staff (the `committee` parameter picks one of several)."""
    user: User = request.user  # type: ignore[assignment]
    office = _office_committees(user)
    if not office:
        raise Http404("无权导入社情民意台账")
    raw = request.POST.get("committee") or request.GET.get("committee") or ""
    committee = access.access_committee(user, int(raw) if raw.isdigit() else min(office), {Role.OFFICE})
    result: importer.ImportResult | None = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        limit = settings.UPLOAD_MAX_BYTES
        if upload is None:
            result = importer.ImportResult(errors=[importer.file_error("请选择要导入的台账文件（.xlsx）")])
        elif upload.size is not None and upload.size > limit:
            result = importer.ImportResult(
                errors=[importer.file_error(f"文件过大：不能超过{limit // (1024 * 1024)} MB")]
            )
        else:
            result = importer.opinions_import(
                committee=committee, data=upload.read(limit + 1), filename=upload.name or ""
            )
    return render(
        request,
        "opinions/import.html",
        {
            "committee": committee,
            "committees": Committee.objects.filter(pk__in=office),
            "result": result,
            "column_help": importer.COLUMN_HELP,
            "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        },
    )
