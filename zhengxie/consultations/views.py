"""Consultation pages. Thin: parse, check visibility (queries.access_*), call one service, render or redirect.
Services raise ConsultationError / TransitionError with a Chinese message; it is shown with the messages
framework and nothing changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import Role, User
from zhengxie.consultations import forms, queries, services, workflow
from zhengxie.consultations.models import (
    Consultation,
    ConsultationPlan,
    Contribution,
    DemocraticReview,
    Form,
    Outcome,
    OutcomeProgress,
    Participant,
    ReviewScore,
    Topic,
)
from zhengxie.org.models import Committee, HandlingUnit, Member, Station

PAGE_SIZE = 20
ConsultationError = services.ConsultationError
ACTION_LABELS = {m.action: m.label for m in workflow.TRANSITIONS}
PROGRESS_LABELS = {**ACTION_LABELS, "progress": "报送进展"}
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "")


def _int(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ConsultationError(forms.first_error(form))
    return form.cleaned_data  # type: ignore[no-any-return]


def _is_office(user: User, committee_id: int) -> bool:
    return access.has_role(user, committee_id, {Role.OFFICE})


# ---------------------------------------------------------------- list


def _create_scope(user: User, committee_param: str = "") -> tuple[Committee, Any, bool] | None:
    """Where the user may create: (committee, stations, station_only). The office organises any
    consultation in its committee; a station's member only micro consultations at their station."""
    office = sorted(access.committee_ids_with(user, {Role.OFFICE}))
    if office:
        wanted = _int(committee_param)
        committee = Committee.objects.get(pk=wanted if wanted in office else office[0])
        return committee, Station.objects.filter(committee=committee).order_by("name", "id"), False
    member = (
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE, station__isnull=False)
        .select_related("committee")
        .order_by("id")
        .first()
    )
    if member is None:
        return None
    return member.committee, Station.objects.filter(pk=member.station_id), True


@login_required
@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = queries.consultations_visible_to(user)
    rows = queries.with_outcome_counts(queries.filter_consultations(visible, request.GET))
    page = Paginator(rows.order_by("-held_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    years = sorted({d.year for d in visible.order_by().dates("held_on", "year")}, reverse=True)
    station_ids = visible.order_by().exclude(station=None).values("station_id")
    return render(
        request,
        "consultations/list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "years": years,
            "forms": Form.choices,
            "kinds": Consultation.Kind.choices,
            "states": Consultation.State.choices,
            "series": sorted(set(visible.order_by().exclude(series="").values_list("series", flat=True))),
            "stations": Station.objects.filter(pk__in=station_ids).order_by("name"),
            "can_create": _create_scope(user) is not None,
            "is_unit": bool(access.unit_ids_of(user)),
            "is_office": bool(access.committee_ids_with(user, {Role.OFFICE})),
        },
    )


# ---------------------------------------------------------------- create


@login_required
@require_http_methods(["GET", "POST"])
def consultation_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = _create_scope(user, request.GET.get("committee", ""))
    if scope is None:
        raise Http404("只有政协机关或站点委员可以组织协商活动")
    committee, stations, station_only = scope
    form = forms.ConsultationForm(
        request.POST or None, committee_id=committee.pk, stations=stations, station_only=station_only
    )
    if request.method == "POST":
        try:
            data = _valid(form)
            consultation = services.consultation_create(
                user=user,
                committee=committee,
                title=data["title"],
                held_on=data["held_on"],
                kind=data["kind"],
                form=data["form"],
                series=data["series"],
                topic_id=data["topic"].pk if data.get("topic") else None,
                place=data["place"],
                station_id=data["station"].pk if data.get("station") else None,
                lead_id=data["lead"].pk if data.get("lead") else None,
                summary=data["summary"],
            )
        except workflow.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "协商活动已创建，请添加参加人员")
            return redirect("consultations:detail", pk=consultation.pk)
    return render(
        request,
        "consultations/create.html",
        {"form": form, "committee": committee, "station_only": station_only},
    )


# ---------------------------------------------------------------- edit


def _posted_version(request: HttpRequest, current: int) -> int:
    """The version the page was opened at: a save over someone else's edit is refused as stale."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else current


@login_required
@require_http_methods(["GET", "POST"])
def consultation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    consultation = queries.access_consultation(user, pk)
    if not workflow.may_manage(user, consultation):
        # Like the other manager-only pages: those who may not act are not shown the page.
        raise Http404("只有政协机关或本站点委员可以修改该活动")
    if consultation.state in services.ENDED:
        messages.error(request, f"活动{consultation.get_state_display()}，不能再修改")
        return redirect("consultations:detail", pk=consultation.pk)
    with_topic = _is_office(user, consultation.committee_id)
    initial = {
        "title": consultation.title,
        "held_on": consultation.held_on,
        "place": consultation.place,
        "series": consultation.series,
        "topic": consultation.topic_id,
        "summary": consultation.summary,
        "minutes": consultation.minutes,
    }
    form = forms.ConsultationEditForm(
        request.POST or None, initial=initial, consultation=consultation, with_topic=with_topic
    )
    if request.method == "POST":
        try:
            data = _valid(form)
            fields: dict[str, Any] = {
                name: data[name] for name in ("title", "held_on", "place", "series", "summary", "minutes")
            }
            if with_topic:
                fields["topic_id"] = data["topic"].pk if data.get("topic") else None
            consultation.version = _posted_version(request, consultation.version)
            services.consultation_update(consultation=consultation, user=user, **fields)
        except workflow.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "活动信息已保存")
            return redirect("consultations:detail", pk=consultation.pk)
    return render(request, "consultations/edit.html", {"form": form, "c": consultation})


# ---------------------------------------------------------------- detail


def _outcome_actions(outcome: Outcome, manage: bool, units: set[int]) -> set[str]:
    # Same rule as workflow.allowed_actions, with may_manage computed once for the page, not per item.
    return {
        m.action
        for m in workflow.TRANSITIONS
        if m.source == outcome.state and (manage if m.actor == "manager" else outcome.unit_id in units)
    }


def _is_member_of(user: User, committee_id: int) -> Member | None:
    return (
        Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE, committee_id=committee_id)
        .order_by("id")
        .first()
    )


@login_required
@require_GET
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    consultation = queries.access_consultation(user, pk)
    whole = queries.sees_whole(user, consultation)
    manage = workflow.may_manage(user, consultation)
    is_office = _is_office(user, consultation.committee_id)
    reads_all = access.has_role(user, consultation.committee_id, queries.READ_ALL_ROLES)
    units = access.unit_ids_of(user)
    outcomes = list(
        queries.outcomes_visible_in(user, consultation, whole).prefetch_related(
            Prefetch("progress", queryset=OutcomeProgress.objects.select_related("by").order_by("at", "id"))
        )
    )
    for o in outcomes:
        o.actions = _outcome_actions(o, manage, units)  # type: ignore[attr-defined]
        o.overdue = queries.is_overdue(o)  # type: ignore[attr-defined]
        o.history = [(p, PROGRESS_LABELS.get(p.action, p.action)) for p in o.progress.all()]  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "c": consultation,
        "whole": whole,
        "manage": manage,
        "is_office": is_office,
        "outcomes": outcomes,
        "open_outcomes": sum(1 for o in outcomes if o.state != "closed"),
        "today": timezone.localdate(),
    }
    if whole:
        me = Member.objects.filter(user_id=user.pk, status=Member.Status.ACTIVE).values_list("pk", flat=True)
        participants = list(consultation.participants.order_by("kind", "id"))
        my_participant = next((p for p in participants if p.member_id in set(me)), None)
        now = timezone.now()
        rounds = list(
            consultation.online_rounds.prefetch_related(
                Prefetch(
                    "contributions",
                    queryset=Contribution.objects.filter(reply_to=None)
                    .select_related("member")
                    .prefetch_related(
                        Prefetch(
                            "replies", queryset=Contribution.objects.select_related("member").order_by("id")
                        )
                    )
                    .order_by("created_at", "id"),
                )
            )
        )
        contributor = _is_member_of(user, consultation.committee_id)
        for r in rounds:
            r.is_open = r.opens_at <= now < r.closes_at  # type: ignore[attr-defined]
            r.can_contribute = bool(contributor) and r.is_open  # type: ignore[attr-defined]
        reviews = list(
            consultation.reviews.select_related("unit").prefetch_related("questions").order_by("id")
        )
        results = {r["review_id"]: r for r in _review_results(consultation)} if reads_all and reviews else {}
        scored = set(
            ReviewScore.objects.filter(review__in=reviews, member_id__in=list(me)).values_list(
                "review_id", flat=True
            )
        )
        for review in reviews:
            review.can_score = bool(  # type: ignore[attr-defined]
                review.is_open and my_participant and my_participant.member_id and review.pk not in scored
            )
            review.scored = review.pk in scored  # type: ignore[attr-defined]
            review.result = results.get(review.pk)  # type: ignore[attr-defined]
        context.update(
            participants=participants,
            my_participant=my_participant,
            speeches=consultation.speeches.select_related("participant").order_by("order", "id"),
            visits=consultation.visits.order_by("visited_on", "id"),
            rounds=rounds,
            reviews=reviews,
            reads_all=reads_all,
        )
        if manage:
            context.update(
                members=forms.member_choices(consultation.committee_id).exclude(
                    pk__in=[p.member_id for p in participants if p.member_id]
                ),
                participant_kinds=Participant.Kind.choices,
                attendance_choices=Participant.Attendance.choices,
                units=forms.unit_choices(consultation.committee_id),
                member_participants=[p for p in participants if p.member_id],
            )
    return render(request, "consultations/detail.html", context)


def _review_results(consultation: Consultation) -> list[dict[str, Any]]:
    from zhengxie.consultations.reviews import consultation_review_results

    return consultation_review_results(consultation)


# ---------------------------------------------------------------- consultation actions


def _participant(consultation: Consultation, raw: str) -> Participant:
    pk = _int(raw)
    participant = consultation.participants.filter(pk=pk).select_related("member").first() if pk else None
    if participant is None:
        raise ConsultationError("请选择参加人员")
    return participant


def _add_participant(request, c, user):  # type: ignore[no-untyped-def]
    data = _valid(forms.ParticipantForm(request.POST, committee_id=c.committee_id))
    if data["kind"] == Participant.Kind.MEMBER and data["member"] is None:
        raise ConsultationError("请选择委员")
    member = data["member"] if data["kind"] == Participant.Kind.MEMBER else None
    p = services.participant_add(
        consultation=c,
        user=user,
        member=member,
        name=data["name"],
        kind=data["kind"],
        organisation=data["organisation"],
    )
    return f"已添加参加人员：{p.name}"


def _attendance(request, c, user):  # type: ignore[no-untyped-def]
    participant = _participant(c, _post(request, "participant"))
    services.attendance_set(
        consultation=c,
        user=user,
        participant=participant,
        attendance=_post(request, "attendance"),
        leave_reason=_post(request, "leave_reason"),
    )
    return f"已登记{participant.name}的出席情况"


def _attendance_all(request, c, user):  # type: ignore[no-untyped-def]
    """One form for the whole list: each participant's select is named attendance-<id>."""
    changed = 0
    for p in c.participants.order_by("id"):
        value = request.POST.get(f"attendance-{p.pk}")
        if value is None or value == p.attendance:
            continue
        services.attendance_set(
            consultation=c,
            user=user,
            participant=p,
            attendance=value,
            leave_reason=request.POST.get(f"leave_reason-{p.pk}", ""),
        )
        changed += 1
    return f"已登记出席情况（{changed}人）"


def _hold(request, c, user):  # type: ignore[no-untyped-def]
    services.consultation_hold(
        consultation=c, user=user, summary=_post(request, "summary"), minutes=_post(request, "minutes")
    )
    return "已登记召开"


def _cancel(request, c, user):  # type: ignore[no-untyped-def]
    services.consultation_cancel(consultation=c, user=user)
    return "活动已取消"


def _close(request, c, user):  # type: ignore[no-untyped-def]
    services.consultation_close(consultation=c, user=user)
    return "协商活动已办结"


def _outcome_add(request, c, user):  # type: ignore[no-untyped-def]
    o = services.outcome_add(consultation=c, user=user, text=_post(request, "text"))
    return f"已登记第{o.number}项协商成果"


def _speech(request, c, user):  # type: ignore[no-untyped-def]
    participant = _participant(c, _post(request, "participant"))
    services.speech_add(  # type: ignore[attr-defined]
        consultation=c,
        user=user,
        participant=participant,
        title=_post(request, "title"),
        text=_post(request, "text"),
    )
    return "发言已登记"


def _visit(request, c, user):  # type: ignore[no-untyped-def]
    data = _valid(forms.VisitForm(request.POST))
    services.visit_add(  # type: ignore[attr-defined]
        consultation=c, user=user, visited_on=data["visited_on"], place=data["place"], note=data["note"]
    )
    return "调研视察点已登记"


def _report(request, c, user):  # type: ignore[no-untyped-def]
    data = _valid(forms.ReportForm(request.POST))
    services.report_attach(  # type: ignore[attr-defined]
        consultation=c,
        user=user,
        title=data["title"],
        situation=data["situation"],
        suggestion=data["suggestion"],
        kind="research",
    )
    return "调研报告已生成"


def _case_mark(request, c, user):  # type: ignore[no-untyped-def]
    services.case_mark(consultation=c, user=user, summary=_post(request, "summary"))  # type: ignore[attr-defined]
    return "已列为优秀案例"


def _case_unmark(request, c, user):  # type: ignore[no-untyped-def]
    services.case_unmark(consultation=c, user=user)  # type: ignore[attr-defined]
    return "已取消优秀案例"


def _datetime(raw: str, label: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ConsultationError(f"{label}格式应为 年-月-日 时:分") from exc
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _round_open(request, c, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.rounds import round_open

    round_open(
        consultation=c,
        user=user,
        question=_post(request, "question"),
        opens_at=_datetime(_post(request, "opens_at"), "开始时间"),
        closes_at=_datetime(_post(request, "closes_at"), "截止时间"),
    )
    return "网络议政已开启"


def _contribute(request, c, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.rounds import contribute

    round_id = _int(_post(request, "round"))
    round_ = c.online_rounds.filter(pk=round_id).first() if round_id else None
    if round_ is None:
        raise ConsultationError("请选择网络议政议题")
    reply_to = None
    reply_id = _int(_post(request, "reply_to"))
    if reply_id:
        reply_to = round_.contributions.filter(pk=reply_id).first()
        if reply_to is None:
            raise ConsultationError("回复的发言不存在")
    contribute(round=round_, user=user, text=_post(request, "text"), reply_to=reply_to)
    return "发言已提交" if reply_to is None else "回复已提交"


QUESTION_LINE = re.compile(r"^(?P<text>.+?)(?:[\s,，|]+(?P<weight>\d{1,2})[\s,，|]+(?P<max>\d{1,3}))?$")


def parse_questions(raw: str) -> list[tuple[str, int, int]]:
    """One 测评项目 a line: "text" (weight 1, out of 10) or "text 权重 满分"."""
    questions = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = QUESTION_LINE.match(line)
        if match is None:  # pragma: no cover - the pattern matches any non-empty line
            raise ConsultationError(f"第{number}行格式有误")
        weight = int(match["weight"]) if match["weight"] else 1
        max_score = int(match["max"]) if match["max"] else 10
        questions.append((match["text"].strip(), weight, max_score))
    if not questions:
        raise ConsultationError("请填写测评项目，每行一项")
    return questions


def _review_create(request, c, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.reviews import review_create

    unit_id = _int(_post(request, "unit"))
    unit = HandlingUnit.objects.filter(pk=unit_id, committee_id=c.committee_id).first() if unit_id else None
    if unit is None:
        raise ConsultationError("请选择被评议单位")
    review_create(
        consultation=c, user=user, unit=unit, questions=parse_questions(_post(request, "questions"))
    )
    return f"已发起对{unit.name}的民主评议"


def _review(c: Consultation, raw: str) -> DemocraticReview:
    pk = _int(raw)
    review = c.reviews.filter(pk=pk).first() if pk else None
    if review is None:
        raise ConsultationError("请选择民主评议")
    return review  # type: ignore[no-any-return]


def _review_score(request, c, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.reviews import review_submit_scores

    review = _review(c, _post(request, "review"))
    scores: dict[int, int] = {}
    for question in review.questions.order_by("order", "id"):
        raw = request.POST.get(f"score-{question.pk}", "").strip()
        if not raw.isdigit() or len(raw) > 3:
            raise ConsultationError(f"请为“{question.text}”打分（0到{question.max_score}分）")
        scores[question.pk] = int(raw)
    review_submit_scores(review=review, user=user, scores=scores)
    return "评分已提交"


def _review_close(request, c, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.reviews import review_close

    review_close(review=_review(c, _post(request, "review")), user=user)
    return "民主评议已结束评分"


HANDLERS: dict[str, Callable[..., str]] = {
    "participant": _add_participant,
    "attendance": _attendance,
    "attendance_all": _attendance_all,
    "hold": _hold,
    "cancel": _cancel,
    "close": _close,
    "outcome": _outcome_add,
    "speech": _speech,
    "visit": _visit,
    "report": _report,
    "case_mark": _case_mark,
    "case_unmark": _case_unmark,
    "round": _round_open,
    "contribute": _contribute,
    "review": _review_create,
    "review_score": _review_score,
    "review_close": _review_close,
}


def _run(request: HttpRequest, step: Callable[[], str]) -> None:
    try:
        with transaction.atomic():
            done = step()
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    except IntegrityError:
        messages.error(request, "操作冲突，请刷新后重试")
    else:
        messages.success(request, done)


def _back(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    user = _user(request)
    if queries.consultations_visible_to(user).filter(pk=consultation.pk).exists():
        return redirect("consultations:detail", pk=consultation.pk)
    if access.unit_ids_of(user):
        return redirect("consultations:unit_outcomes")
    return redirect("consultations:list")


@require_POST
@login_required
def consultation_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    user = _user(request)
    consultation = queries.access_consultation(user, pk)
    _run(request, lambda: handler(request, consultation, user))
    return _back(request, consultation)


# ---------------------------------------------------------------- outcome actions


def _transfer(request, o, user):  # type: ignore[no-untyped-def]
    data = _valid(forms.TransferForm(request.POST, committee_id=o.committee_id))
    services.outcome_transfer(outcome=o, user=user, unit=data["unit"], deadline=data["deadline"])
    return f"已转{data['unit'].name}办理"


def _hand_back(request, o, user):  # type: ignore[no-untyped-def]
    services.outcome_hand_back(outcome=o, user=user, reason=_post(request, "reason"))
    return "已退回"


def _accept(request, o, user):  # type: ignore[no-untyped-def]
    services.outcome_respond(outcome=o, user=user, accept=True, response=_post(request, "response"))
    return "已采纳"


def _decline(request, o, user):  # type: ignore[no-untyped-def]
    services.outcome_respond(outcome=o, user=user, accept=False, response=_post(request, "response"))
    return "已答复不予采纳"


def _progress(request, o, user):  # type: ignore[no-untyped-def]
    data = _valid(forms.ProgressForm(request.POST))
    services.outcome_progress(outcome=o, user=user, percent=data["percent"], note=data["note"])
    return "进展已报送"


def _complete(request, o, user):  # type: ignore[no-untyped-def]
    services.outcome_complete(outcome=o, user=user, note=_post(request, "note"))
    return "已落实完成"


def _report_back(request, o, user):  # type: ignore[no-untyped-def]
    services.outcome_report_back(outcome=o, user=user, feedback=_post(request, "feedback"))
    return "已反馈参加人员，该项办结"


OUTCOME_HANDLERS: dict[str, Callable[..., str]] = {
    "transfer": _transfer,
    "hand_back": _hand_back,
    "accept": _accept,
    "decline": _decline,
    "progress": _progress,
    "complete": _complete,
    "report_back": _report_back,
}


@require_POST
@login_required
def outcome_act(request: HttpRequest, pk: int, outcome_id: int, action: str) -> HttpResponse:
    handler = OUTCOME_HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    user = _user(request)
    consultation = queries.access_consultation(user, pk)
    whole = queries.sees_whole(user, consultation)
    outcome = queries.outcomes_visible_in(user, consultation, whole).filter(pk=outcome_id).first()
    if outcome is None:
        raise Http404("未找到该协商成果")
    outcome.consultation = consultation
    _run(request, lambda: handler(request, outcome, user))
    if request.POST.get("next") == "unit":
        return redirect("consultations:unit_outcomes")
    return _back(request, consultation)


# ---------------------------------------------------------------- the unit's to-do list


@login_required
@require_GET
def unit_outcomes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not access.unit_ids_of(user):
        raise Http404("只有承办单位可以查看")
    page = Paginator(queries.outcomes_for_unit(user), PAGE_SIZE).get_page(request.GET.get("page"))
    for o in page:
        o.overdue = queries.is_overdue(o)  # type: ignore[attr-defined]
    return render(request, "consultations/unit_outcomes.html", {"page": page, "query": ""})


# ---------------------------------------------------------------- plans


def _plan_committee(user: User) -> Committee | None:
    office = sorted(access.committee_ids_with(user, {Role.OFFICE}))
    return Committee.objects.get(pk=office[0]) if office else None


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    committee = _plan_committee(user)
    form = forms.PlanForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        if committee is None:
            raise Http404("只有政协机关可以编制协商计划")
        from zhengxie.consultations.plans import plan_create

        try:
            data = _valid(form)
            with transaction.atomic():
                plan = plan_create(user=user, committee=committee, year=data["year"], title=data["title"])
        except workflow.TransitionError as exc:
            messages.error(request, str(exc))
        except IntegrityError:
            messages.error(request, "该年度已有协商计划")
        else:
            messages.success(request, "协商计划已创建，请添加议题")
            return redirect("consultations:plan_detail", pk=plan.pk)
    plans = queries.plans_visible_to(user).order_by("-year", "committee_id")
    year = _int(request.GET.get("year", ""))
    years = sorted(set(plans.values_list("year", flat=True)), reverse=True)
    if year:
        plans = plans.filter(year=year)
    return render(
        request,
        "consultations/plan_list.html",
        {"plans": plans, "years": years, "year": year, "form": form, "can_create": committee is not None},
    )


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = queries.access_plan(user, pk)
    is_office = _is_office(user, plan.committee_id)
    editable = is_office and plan.state == ConsultationPlan.State.DRAFT
    topics = list(plan.topics.select_related("lead").order_by("order", "month", "id"))
    if editable:
        for t in topics:
            t.form_obj = forms.TopicForm(  # type: ignore[attr-defined]
                committee_id=plan.committee_id,
                initial={
                    "title": t.title,
                    "form": t.form,
                    "month": t.month,
                    "lead": t.lead_id,
                    "description": t.description,
                },
                prefix=f"t{t.pk}",
            )
    return render(
        request,
        "consultations/plan_detail.html",
        {
            "plan": plan,
            "topics": topics,
            "is_office": is_office,
            "editable": editable,
            "topic_form": forms.TopicForm(committee_id=plan.committee_id) if editable else None,
            "approve_form": forms.ApproveForm() if is_office else None,
        },
    )


def _topic(plan: ConsultationPlan, raw: str) -> Topic:
    pk = _int(raw)
    topic = plan.topics.filter(pk=pk).first() if pk else None
    if topic is None:
        raise ConsultationError("议题不存在")
    return topic  # type: ignore[no-any-return]


def _topic_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "form": data["form"],
        "month": data["month"],
        "lead_id": data["lead"].pk if data.get("lead") else None,
        "description": data["description"],
    }


def _topic_add(request, plan, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.plans import topic_add

    data = _valid(forms.TopicForm(request.POST, committee_id=plan.committee_id))
    topic_add(plan=plan, user=user, **_topic_fields(data))
    return "议题已添加"


def _topic_update(request, plan, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.plans import topic_update

    topic = _topic(plan, _post(request, "topic"))
    data = _valid(forms.TopicForm(request.POST, committee_id=plan.committee_id, prefix=f"t{topic.pk}"))
    topic_update(topic=topic, user=user, **_topic_fields(data))
    return "议题已修改"


def _topic_remove(request, plan, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.plans import topic_remove

    topic_remove(topic=_topic(plan, _post(request, "topic")), user=user)
    return "议题已删除"


def _plan_approve(request, plan, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.plans import plan_approve

    data = _valid(forms.ApproveForm(request.POST))
    plan_approve(
        plan=plan, user=user, approved_on=data["approved_on"], approval_document=data["approval_document"]
    )
    return "已登记党委批准"


def _plan_publish(request, plan, user):  # type: ignore[no-untyped-def]
    from zhengxie.consultations.plans import plan_publish

    plan_publish(plan=plan, user=user)
    return "协商计划已公布"


PLAN_HANDLERS: dict[str, Callable[..., str]] = {
    "topic_add": _topic_add,
    "topic_update": _topic_update,
    "topic_remove": _topic_remove,
    "approve": _plan_approve,
    "publish": _plan_publish,
}


@require_POST
@login_required
def plan_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = PLAN_HANDLERS.get(action)
    if handler is None:
        raise Http404("未知操作")
    user = _user(request)
    plan = queries.access_plan(user, pk)
    _run(request, lambda: handler(request, plan, user))
    return redirect("consultations:plan_detail", pk=plan.pk)


# ---------------------------------------------------------------- case collection


def _case_committee(request: HttpRequest) -> Committee:
    office = sorted(access.committee_ids_with(_user(request), {Role.OFFICE}))
    if not office:
        raise Http404("只有政协机关可以编印案例选编")
    wanted = _int(request.GET.get("committee", ""))
    return Committee.objects.get(pk=wanted if wanted in office else office[0])


@login_required
@require_GET
def cases(request: HttpRequest) -> HttpResponse:
    committee = _case_committee(request)
    year = _int(request.GET.get("year", "")) or timezone.localdate().year
    rows = (
        Consultation.objects.filter(committee=committee, is_good_case=True, held_on__year=year)
        .select_related("station")
        .order_by("held_on", "id")
    )
    return render(request, "consultations/cases.html", {"committee": committee, "year": year, "cases": rows})


@login_required
@require_GET
def cases_docx(request: HttpRequest) -> HttpResponse:
    from zhengxie.consultations.documents import case_collection_docx

    committee = _case_committee(request)
    year = _int(request.GET.get("year", "")) or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise Http404("年度无效")
    data = case_collection_docx(committee=committee, year=year)
    audit_log(
        action="export",
        committee_id=committee.pk,
        after={"year": year},
        result=f"导出{year}年协商案例选编（Word）",
    )
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{committee.name}{year}年协商案例选编.docx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
