"""群众诉求 pages. Public (no login): the raise form, the page with the new number, the look-up by number.
Members and staff (login): the list, the detail with its actions, recording a reception at a station.
Thin: parse, check visibility (queries.access_concern), call one service, render or redirect. Services
raise ConcernError / TransitionError with a Chinese message; it is shown and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.grassroots import forms, queries, services, workflow
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.org.models import Member, Station

PAGE_SIZE = 20
DONE_KEY = "concern_raised"
TOO_LARGE = "提交内容过大，请精简后再提交（诉求内容不超过2000字）"


# ---------------------------------------------------------------- public pages


@require_GET
def public_start(request: HttpRequest) -> HttpResponse:
    """Step one: which committee. Most people arrive by a station's link or QR code and skip it."""
    committees = forms.public_committees()
    chosen = request.GET.get("committee", "")
    if chosen.isdigit() and committees.filter(pk=int(chosen)).exists():
        return redirect("grassroots:public_raise", committee_id=int(chosen))
    return render(request, "grassroots/public_start.html", {"committees": committees})


def _too_large(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    return render(request, template, {**context, "error": TOO_LARGE}, status=413)


@csrf_protect
@never_cache
def _public_raise(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = get_object_or_404(forms.public_committees(), pk=committee_id)
    station_id = request.GET.get("station", "")
    initial = {"station": int(station_id)} if station_id.isdigit() else {}
    form = forms.PublicConcernForm(request.POST or None, committee=committee, initial=initial)
    error, status = "", 0
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                concern = services.concern_raise(
                    committee=committee,
                    station=data["station"],
                    title=data["title"],
                    content=data["content"],
                    category=data["category"],
                    name=data["name"],
                    phone=data["phone"],
                    channel=Concern.Channel.WEB,
                    source=forms.client_source(request),
                    trap=data["website"],
                )
            except services.RateLimited as exc:
                error, status = str(exc), 429
            except workflow.TransitionError as exc:
                error = str(exc)
            else:
                request.session[DONE_KEY] = {
                    "number": concern.number,
                    "held": concern.state == ConcernState.REVIEW,
                    "station": concern.station.name if concern.station_id else committee.name,  # type: ignore[union-attr]
                }
                return redirect("grassroots:public_done")
        else:
            error = forms.first_error(form)
    status = status or (400 if error else 200)
    return render(
        request,
        "grassroots/public_raise.html",
        {"committee": committee, "form": form, "error": error},
        status=status,
    )


@csrf_exempt  # checked by _public_raise, after the size check: the CSRF check parses the body
@require_http_methods(["GET", "POST"])
def public_raise(request: HttpRequest, committee_id: int) -> HttpResponse:
    if request.method == "POST" and forms.body_too_large(request):
        committee = get_object_or_404(forms.public_committees(), pk=committee_id)
        form = forms.PublicConcernForm(committee=committee)
        return _too_large(request, "grassroots/public_raise.html", {"committee": committee, "form": form})
    return _public_raise(request, committee_id)


@require_GET
@never_cache
def public_done(request: HttpRequest) -> HttpResponse:
    # Shown once: at a station's shared terminal the next person must not see it.
    raised = request.session.pop(DONE_KEY, None)
    if raised is None:
        return redirect("grassroots:lookup")
    return render(request, "grassroots/public_done.html", {"raised": raised})


@csrf_protect
@never_cache
def _lookup(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"number": ""}
    status = 200
    if request.method == "POST":
        number = services.normalise_number(request.POST.get("number", ""))
        context["number"] = number
        try:
            services.check_lookup_rate(forms.client_source(request))
        except services.RateLimited as exc:
            context["error"] = str(exc)
            status = 429
        else:
            concern = services.concern_lookup(number) if number else None
            if concern is None:
                # The same words whatever was wrong, so a guess learns nothing.
                context["error"] = "未查询到该编号的诉求，请核对编号后重试"
            else:
                context["status"] = services.public_status(concern)
    return render(request, "grassroots/lookup.html", context, status=status)


@csrf_exempt  # checked by _lookup, after the size check
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and forms.body_too_large(request):
        return _too_large(request, "grassroots/lookup.html", {"number": ""})
    return _lookup(request)


# ---------------------------------------------------------------- list


def _tabs(office: set[int], member_of_station: bool) -> list[tuple[str, str]]:
    tabs = [("", "全部")]
    if office:
        tabs.append(("review", "待审核"))
    tabs.append(("open", "待认领"))
    if member_of_station:
        tabs.append(("mine", "我认领的"))
    return tabs


@login_required
@require_GET
def concern_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    office = access.committee_ids_with(user, {Role.OFFICE})
    leaders = access.committee_ids_with(user, {Role.LEADER})
    own_stations = set(
        Member.objects.filter(
            user_id=user.pk, status=Member.Status.ACTIVE, station__isnull=False
        ).values_list("station_id", flat=True)
    )
    rows = queries.concerns_visible_to(user)
    tab = request.GET.get("tab", "")
    if tab == "review":
        rows = rows.filter(state=ConcernState.REVIEW)
    elif tab == "open":
        rows = rows.filter(state=ConcernState.OPEN)
    elif tab == "mine":
        rows = rows.filter(taken_by__user_id=user.pk)
    state = request.GET.get("state", "")
    if state in ConcernState.values:
        rows = rows.filter(state=state)
    category = request.GET.get("category", "")
    if category in Concern.Category.values:
        rows = rows.filter(category=category)
    station = request.GET.get("station", "")
    if station.isdigit():
        rows = rows.filter(station_id=int(station))
    q = request.GET.get("q", "").strip()[:50]
    if q:
        rows = rows.filter(Q(title__contains=q) | Q(number=services.normalise_number(q)))
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    stations = Station.objects.filter(Q(pk__in=own_stations) | Q(committee_id__in=office | leaders)).order_by(
        "committee__path", "name"
    )
    return render(
        request,
        "grassroots/list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "tab": tab,
            "tabs": _tabs(office, bool(own_stations)),
            "q": q,
            "states": ConcernState.choices,
            "categories": Concern.Category.choices,
            "stations": stations,
            "can_record": bool(own_stations or office),
            "filtered": any(request.GET.get(k) for k in ("state", "category", "station", "q")),
        },
    )


# ---------------------------------------------------------------- reception


@login_required
@require_http_methods(["GET", "POST"])
def reception(request: HttpRequest) -> HttpResponse:
    """A member or the office records a concern received at a station in person, by phone or by letter."""
    user: User = request.user  # type: ignore[assignment]
    if not forms.reception_stations(user).exists():
        raise Http404("只有站点委员和政协工作人员可以登记群众诉求")
    form = forms.ReceptionForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                concern = services.concern_raise(
                    committee=data["station"].committee,
                    station=data["station"],
                    title=data["title"],
                    content=data["content"],
                    category=data["category"],
                    name=data["name"],
                    phone=data["phone"],
                    channel=data["channel"],
                    user=user,
                )
            except workflow.TransitionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已登记，诉求编号 {concern.number}，请告知反映人用于查询")
                return redirect("grassroots:detail", pk=concern.pk)
        else:
            messages.error(request, forms.first_error(form))
    return render(request, "grassroots/reception.html", {"form": form})


# ---------------------------------------------------------------- detail


ACTION_LABELS = {
    "raise": "提交",
    "approve": "审核通过",
    "reject": "不予受理",
    "take": "认领",
    "release": "退回待认领",
    "close": "办结",
    "route": "分派站点",
}


@login_required
@require_GET
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    concern = queries.access_concern(user, pk)
    moves = workflow.allowed_actions(user, concern)
    actions = {m.action for m in moves}
    is_office = access.has_role(user, concern.committee_id, {Role.OFFICE})
    can_route = is_office and concern.state in (ConcernState.OPEN, ConcernState.REVIEW)
    context: dict[str, object] = {
        "concern": concern,
        "person": queries.personal_data_for(user, concern),
        "actions": actions,
        "is_office": is_office,
        "can_route": can_route,
        "events": [
            (e, ACTION_LABELS.get(e.action, e.action))
            for e in concern.events.select_related("actor").order_by("at", "id")
        ],
        "linked": _linked(concern),
    }
    if "close" in actions:
        context["sessions"] = forms.open_sessions(concern.committee_id)
        context["today"] = timezone.localdate()
    if can_route:
        context["route_stations"] = Station.objects.filter(committee_id=concern.committee_id).order_by(
            "level", "name"
        )
    return render(request, "grassroots/detail.html", context)


def _linked(concern: Concern) -> tuple[str, str, object] | None:
    """What the concern became: (kind, url name, object)."""
    if concern.opinion_report_id:
        return ("社情民意信息", "opinions:detail", concern.opinion_report)
    if concern.proposal_id:
        return ("提案", "proposals:detail", concern.proposal)
    if concern.consultation_id:
        return ("小微协商", "consultations:detail", concern.consultation)
    return None


# ---------------------------------------------------------------- actions


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "")


def _take(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_take(concern=concern, user=user)
    return "已认领，请尽快联系反映人办理"


def _release(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_release(concern=concern, user=user, reason=_post(request, "reason"))
    return "已退回，等待其他委员认领"


def _resolve(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_resolve(
        concern=concern, user=user, result=forms.normalise_newlines(_post(request, "result"))
    )
    return "已办结，群众可凭编号查询办理结果"


def _to_opinion(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_to_opinion(
        concern=concern,
        user=user,
        title=_post(request, "title"),
        suggestion=forms.normalise_newlines(_post(request, "suggestion")),
    )
    return "已转为社情民意信息并报送"


def _to_proposal(request, concern, user):  # type: ignore[no-untyped-def]
    raw = _post(request, "session")
    session = forms.open_sessions(concern.committee_id).filter(pk=int(raw)).first() if raw.isdigit() else None
    if session is None:
        raise services.ConcernError("请选择正在接受提案的会议")
    services.concern_to_proposal(
        concern=concern,
        user=user,
        session=session,
        suggestions=forms.normalise_newlines(_post(request, "suggestions")),
    )
    return "已生成提案草稿，请完善后提交"


def _to_consultation(request, concern, user):  # type: ignore[no-untyped-def]
    try:
        held_on = date.fromisoformat(_post(request, "held_on"))
    except ValueError:
        raise services.ConcernError("协商日期格式应为 年-月-日") from None
    services.concern_to_consultation(
        concern=concern,
        user=user,
        held_on=held_on,
        title=_post(request, "title"),
        series=_post(request, "series"),
    )
    return "已转为小微协商"


def _approve(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_approve(concern=concern, user=user)
    return "已审核通过，站点委员可以认领"


def _reject(request, concern, user):  # type: ignore[no-untyped-def]
    services.concern_reject(concern=concern, user=user, reason=_post(request, "reason"))
    return "已作不予受理处理"


def _route(request, concern, user):  # type: ignore[no-untyped-def]
    raw = _post(request, "station")
    station = Station.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if station is None:
        raise services.ConcernError("请选择站点")
    services.concern_route(concern=concern, user=user, station=station)
    return f"已分派至{station.name}"


HANDLERS: dict[str, Callable] = {
    "take": _take,
    "release": _release,
    "resolve": _resolve,
    "to_opinion": _to_opinion,
    "to_proposal": _to_proposal,
    "to_consultation": _to_consultation,
    "approve": _approve,
    "reject": _reject,
    "route": _route,
}


@require_POST
@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    user: User = request.user  # type: ignore[assignment]
    concern = queries.access_concern(user, pk)
    try:
        done = handler(request, concern, user)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    if queries.concerns_visible_to(user).filter(pk=pk).exists():
        return redirect("grassroots:detail", pk=pk)
    return redirect("grassroots:list")
