"""The annual work report pages: the report (web page, Word, JSON, HTML), its editing and publishing, and the
list of records behind each figure.

- /reports/annual/?committee=&year=&scope=   the report; every figure links to /reports/records/<key>/
- /reports/annual/edit/                      the narrative (office of the committee)
- /reports/annual/publish/, unpublish/       freeze the figures with the text / back to a draft
- /reports/annual/report.docx|json|html      downloads (audited)
- /reports/records/<key>/                    the records a figure counts

Readers: office, leaders and administrators of the committee or of a committee above it. Members and
auditors of the committee read a published report without the record lists. Everyone else gets 404.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import User
from zhengxie.org.models import Committee
from zhengxie.reports import content, documents, services
from zhengxie.reports import records as drills
from zhengxie.reports.figures import committee_ids
from zhengxie.reports.models import AnnualReport
from zhengxie.reports.params import (
    ReportParams,
    can_edit,
    can_read_published,
    parse_scope,
    parse_year,
    statistics_params,
)

PAGE_SIZE = 50
FORMATS = {
    "docx": documents.DOCX_CONTENT_TYPE,
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def report_access(request: HttpRequest) -> tuple[ReportParams, bool]:
    """The report's parameters and whether the viewer sees the record lists (statistics readers do; members
    and auditors of the committee only read a published report)."""
    try:
        return statistics_params(request), True
    except Http404:
        pass
    raw = (request.GET.get("committee") or request.POST.get("committee") or "").strip()
    if not raw.isdigit():
        raise Http404("未找到该政协")
    committee = Committee.objects.filter(pk=int(raw), is_active=True).first()
    if committee is None or not can_read_published(_user(request), committee):
        raise Http404("未找到该政协")
    params = ReportParams(
        committee, parse_year(request.GET.get("year", "")), parse_scope(request.GET.get("scope", ""))
    )
    report = services.find(committee, params.year, params.scope)
    if report is None or report.state != AnnualReport.State.PUBLISHED:
        raise Http404("该年度报告尚未发布")
    return params, False


def _records_url(params: ReportParams, key: str) -> str | None:
    if key not in drills.DRILLS:
        return None
    return f"{reverse('reports:records', args=[key])}?{params.query()}"


def _context(params: ReportParams, full: bool, user: User | None) -> dict[str, Any]:
    view = services.view_of(params.committee, params.year, params.scope)

    def link(key: str) -> str | None:
        return _records_url(params, key) if full else None

    rendered = []
    for section in content.SECTIONS:
        cards = []
        for figure in section.figures:
            value = content.value_of(view.figures, figure.key)
            cards.append(
                {
                    "key": figure.key,
                    "label": figure.label,
                    "value": content.format_value(figure.key, value),
                    "unit": figure.unit if value is not None else "",
                    "url": link(figure.key),
                }
            )
        rendered.append(
            {
                "key": section.key,
                "title": section.title,
                "html": content.render_html(view.narrative.get(section.key, ""), view.figures, link),
                "cards": cards,
            }
        )
    return {
        "params": params,
        "committee": params.committee,
        "view": view,
        "sections": rendered,
        "full": full,
        "can_edit": full and user is not None and can_edit(user, params.committee),
        "has_children": params.committee.children.exists(),
        "query": params.query(),
        "own_query": ReportParams(params.committee, params.year, "own").query(),
        "all_query": ReportParams(params.committee, params.year, "all").query(),
    }


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    params, full = report_access(request)
    return render(request, "reports/report.html", _context(params, full, _user(request)))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest) -> HttpResponse:
    params = statistics_params(request)
    user = _user(request)
    if not can_edit(user, params.committee):
        raise Http404("无权编辑该报告")
    view = services.view_of(params.committee, params.year, params.scope)
    title, narrative = view.title, dict(view.narrative)
    if request.method == "POST":
        title = request.POST.get("title", "")
        narrative = {s.key: request.POST.get(f"section_{s.key}", "") for s in content.SECTIONS}
        version = request.POST.get("version", "")
        try:
            services.save_draft(
                user,
                params.committee,
                params.year,
                params.scope,
                title=title,
                narrative=narrative,
                version=int(version) if version.isdigit() else None,
            )
        except services.ReportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "报告正文已保存")
            return redirect(f"{reverse('reports:report')}?{params.query()}")
    if view.published:
        messages.info(request, "报告已发布，如需修改请先撤回发布")
        return redirect(f"{reverse('reports:report')}?{params.query()}")
    return render(
        request,
        "reports/edit.html",
        {
            "params": params,
            "committee": params.committee,
            "title": title,
            "sections": [
                {"key": s.key, "title": s.title, "text": narrative.get(s.key, ""), "figures": s.figures}
                for s in content.SECTIONS
            ],
            "version": view.report.version if view.report else 0,
            "query": params.query(),
            "max_chars": content.MAX_SECTION_CHARS,
        },
    )


def _state_change(request: HttpRequest, step: Any, done: str) -> HttpResponse:
    params = statistics_params(request)
    user = _user(request)
    if not can_edit(user, params.committee):
        raise Http404("无权发布该报告")
    version = request.POST.get("version", "")
    try:
        step(
            user,
            params.committee,
            params.year,
            params.scope,
            version=int(version) if version.isdigit() else None,
        )
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(f"{reverse('reports:report')}?{params.query()}")


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    return _state_change(request, services.publish, "报告已发布，数据已随发布版本冻结")


@login_required
@require_POST
def unpublish(request: HttpRequest) -> HttpResponse:
    return _state_change(request, services.unpublish, "已撤回发布，报告恢复为草稿")


@login_required
@require_GET
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("不支持的格式")
    params, full = report_access(request)
    view = services.view_of(params.committee, params.year, params.scope)
    if fmt == "docx":
        body: bytes | str = documents.report_docx(view)
    elif fmt == "json":
        body = json.dumps(view.as_json(), ensure_ascii=False, indent=2)
    else:
        body = report_html(params, full, _user(request))
    audit_log(
        action="export",
        committee_id=params.committee.pk,
        after={"year": params.year, "scope": params.scope, "format": fmt},
        result=f"导出{view.title}（{fmt}）",
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{view.title}.{fmt}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def report_html(params: ReportParams, full: bool, user: User | None) -> str:
    """The report as one self-contained HTML file (styles inlined); figure links stay site-relative."""
    context = _context(params, full, user)
    context["inline_css"] = _report_css()
    return render_to_string("reports/report_document.html", context)


def _report_css() -> str:
    """The page's own stylesheet, inlined so the downloaded file needs nothing from the site to look right."""
    path = finders.find("css/report.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


@login_required
@require_GET
def records(request: HttpRequest, key: str) -> HttpResponse:
    params = statistics_params(request)
    drill = drills.DRILLS.get(key)
    if drill is None:
        raise Http404("没有这项统计")
    ids = committee_ids(params.committee, params.include_children)
    parts = []
    total = 0
    for index, part in enumerate(drill.parts):
        rows = drills.part_rows(part, ids, params.year)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get(f"page{index}"))
        total += page.paginator.count
        parts.append(
            {
                "title": part.title,
                "headers": [c.header for c in part.type.columns],
                "rows": drills.table(part.type, page.object_list),
                "page": page,
                "page_param": f"page{index}",
            }
        )
    figure = content.FIGURES.get(key)
    return render(
        request,
        "reports/records.html",
        {
            "params": params,
            "committee": params.committee,
            "key": key,
            "drill": drill,
            "label": figure.label if figure else drill.label,
            "parts": parts,
            "total": total,
            "query": params.query(),
        },
    )
