"""The statistics dashboard (/reports/?committee=&year=&scope=) and its Excel export (/reports/dashboard.xlsx).

Readers are those of reports.params.statistics_params (office, leaders and administrators of the committee or
of a committee above it); anyone else gets 404. The tables come from reports.dashboard; this module only
formats them, links each count to the records behind it and embeds the chart data for static/js/dashboard.js
(json_script: the page has no inline script, so a CSP without 'unsafe-inline' holds).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from zhengxie.accounts import access
from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.models import User
from zhengxie.reports import xlsx
from zhengxie.reports.dashboard import SECTIONS, Dashboard, Link, Table
from zhengxie.reports.dashboard import dashboard as build
from zhengxie.reports.models import Scope
from zhengxie.reports.params import MAX_YEAR, MIN_YEAR, ReportParams, statistics_params

YEARS_SHOWN = 10
# A national or provincial office sees thousands of committees; past this the selector lists only the
# path to the current committee, its siblings and its children (the children table links further down).
MAX_SELECTOR = 400
WIDE_TABLES = {"rates", "yoy", "proposals.by_unit", "duties.by_sector", "children"}
# A province with all its cities and counties has thousands of handling units and stations: the page shows
# the first rows of a table (largest first) and its 合计; the Excel export has every row.
DISPLAY_ROWS = 50
# Wide tables of few columns sit beside their chart on a wide screen.
SPLIT_TABLES = {"rates", "yoy", "duties.by_sector"}


def _drill_keys() -> Collection[str]:
    try:
        from zhengxie.reports import records
    except ImportError:  # the record lists are optional: counts simply stay unlinked
        return ()
    return records.DRILLS


def _query(params: ReportParams, **override: Any) -> str:
    q = QueryDict(mutable=True)
    q["committee"] = str(override.get("committee") or params.committee.pk)
    q["year"] = str(override.get("year") or params.year)
    q["scope"] = override.get("scope") or params.scope
    if override.get("table"):
        q["table"] = override["table"]
    return q.urlencode()


def _link_url(params: ReportParams, link: Link, drills: Collection[str]) -> str | None:
    if link.key not in drills:
        return None
    query = _query(params, committee=link.committee_id, year=link.year, scope=link.scope)
    return f"{reverse('reports:records', args=[link.key])}?{query}"


def format_cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.2f}%"
    if kind == "delta_rate":
        return f"{value * 100:+.2f}%" if value else "0.00%"
    if kind == "delta":
        if not value:
            return "0"
        return f"{value:+,}" if isinstance(value, int) else f"{value:+,.2f}"
    if kind in ("int", "num") and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if kind == "num" and isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _trend(value: Any) -> str:
    if not value:
        return ""
    return "up" if value > 0 else "down"


def _chart(table: Table) -> dict[str, Any] | None:
    hint = table.chart
    if not hint:
        return None
    rows = [r for r in table.rows if not r.total]
    if hint.get("sort"):  # largest first; a row without a value last
        first = hint["values"][0]
        rows.sort(key=lambda r: (r.cells[first] is None, -(r.cells[first] or 0)))
    rows = rows[: hint.get("limit") or None]
    label = hint["label"]
    series = []
    for col in hint["values"]:
        kind = table.columns[col].kind
        data = [r.cells[col] for r in rows]
        if kind == "rate":
            data = [None if v is None else round(v * 100, 2) for v in data]
        series.append({"name": table.columns[col].header, "data": data, "percent": kind == "rate"})
    return {
        "key": table.key,
        "title": table.title,
        "type": hint["type"],
        "labels": [str(r.cells[label]) for r in rows],
        "series": series,
    }


def _table_context(params: ReportParams, table: Table, drills: Collection[str]) -> dict[str, Any]:
    body = [r for r in table.rows if not r.total]
    shown = body[:DISPLAY_ROWS] + [r for r in table.rows if r.total]
    rows = []
    for row in shown:
        cells = []
        for i, (value, column) in enumerate(zip(row.cells, table.columns, strict=True)):
            link = row.links.get(i)
            # An empty list says nothing the 0 does not: only a count above zero links to its records.
            url = _link_url(params, link, drills) if link and value else None
            if i == 0 and row.committee_id:
                url = f"{reverse('reports:dashboard')}?{_query(params, committee=row.committee_id, scope='all')}"
            cells.append(
                {
                    "text": format_cell(value, column.kind),
                    "url": url,
                    "drill": link.key if link and url and not (i == 0 and row.committee_id) else "",
                    "numeric": column.kind != "text",
                    "trend": _trend(value) if column.kind in ("delta", "delta_rate") else "",
                }
            )
        rows.append({"cells": cells, "total": row.total})
    return {
        "key": table.key,
        "title": table.title,
        "headers": [{"text": c.header, "numeric": c.kind != "text"} for c in table.columns],
        "rows": rows,
        "hidden": max(0, len(body) - DISPLAY_ROWS),
        "note": table.note,
        "chart": table.chart["type"] if table.chart else "",
        "wide": table.key in WIDE_TABLES,
        "split": table.key in SPLIT_TABLES,
        "export": f"{reverse('reports:dashboard_export')}?{_query(params, table=table.key)}",
    }


def _kpis(params: ReportParams, data: Dashboard, drills: Collection[str]) -> list[dict[str, Any]]:
    out = []
    for k in data.kpis:
        change = None
        if k.change is not None:
            change = {"up": k.change > 0, "down": k.change < 0, "text": f"{abs(k.change) * 100:.1f}%"}
        elif k.kind == "rate" and k.value is not None and k.previous is not None:
            pp = (k.value - k.previous) * 100
            change = {"up": pp > 0, "down": pp < 0, "text": f"{abs(pp):.1f}个百分点"}
        out.append(
            {
                "key": k.key,
                "label": k.label,
                "value": format_cell(k.value, k.kind),
                "unit": k.unit if k.value is not None else "",
                "url": _link_url(params, k.link, drills) if k.link else None,
                "change": change,
                "previous": format_cell(k.previous, k.kind) if k.previous is not None else "",
                "note": k.note,
            }
        )
    return out


def _committee_options(user: User, params: ReportParams) -> list[dict[str, Any]]:
    visible = access.statistics_committees(user).order_by("path")
    rows = list(visible.values_list("pk", "name", "path", "parent_id")[: MAX_SELECTOR + 1])
    if len(rows) > MAX_SELECTOR:
        current = params.committee
        parent = current.parent_id
        rows = list(
            visible.filter(pk__in=[*current.ancestors_ids(), current.pk]).values_list(
                "pk", "name", "path", "parent_id"
            )
        ) + list(
            visible.filter(parent_id__in=[p for p in (parent, current.pk) if p])
            .exclude(pk=current.pk)
            .values_list("pk", "name", "path", "parent_id")
        )
        rows.sort(key=lambda r: r[2])
    top = min((p.count("/") for _, _, p, _ in rows), default=0)
    return [
        {
            "pk": pk,
            "name": name,
            "indent": "　" * (path.count("/") - top),
            "selected": pk == params.committee.pk,
        }
        for pk, name, path, _ in rows
    ]


def _years(params: ReportParams) -> list[int]:
    this = timezone.localdate().year
    years = [y for y in range(this, this - YEARS_SHOWN, -1) if MIN_YEAR <= y <= MAX_YEAR]
    if params.year not in years:
        years.append(params.year)
    return sorted(years, reverse=True)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    params = statistics_params(request)
    data = build(params.committee, params.year, params.include_children)
    drills = _drill_keys()
    raw_year = request.GET.get("year", "").strip()
    sections = []
    for key, title in SECTIONS.items():
        tables = [_table_context(params, t, drills) for t in data.tables if t.section == key]
        if tables:
            sections.append({"key": key, "title": title, "tables": tables})
    charts = [c for c in (_chart(t) for t in data.tables) if c]
    return render(
        request,
        "reports/dashboard.html",
        {
            "params": params,
            "committee": params.committee,
            "year": params.year,
            "scope": params.scope,
            "scope_label": Scope(params.scope).label,
            "has_children": data.has_children,
            "sections": sections,
            "kpis": _kpis(params, data, drills),
            "charts": charts,
            "committees": _committee_options(request.user, params),  # type: ignore[arg-type]
            "years": _years(params),
            "bad_year": bool(raw_year) and raw_year != str(params.year),
            "today": timezone.localdate(),
            "own_url": f"?{_query(params, scope=Scope.OWN)}",
            "all_url": f"?{_query(params, scope=Scope.ALL)}",
            "export_url": f"{reverse('reports:dashboard_export')}?{_query(params)}",
            "report_url": f"{reverse('reports:report')}?{_query(params)}",
        },
    )


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    params = statistics_params(request)
    data = build(params.committee, params.year, params.include_children)
    key = request.GET.get("table", "").strip()
    tables = data.tables
    if key:
        table = data.table(key)
        if table is None:
            raise Http404("未找到该统计表")
        tables = [table]
    scope_label = Scope(params.scope).label if data.has_children else ""
    content = xlsx.dashboard_xlsx(data, tables, scope_label)
    committee = params.committee
    what = tables[0].title if key else "统计数据"
    audit_log(
        action="export",
        committee_id=committee.pk,
        after={"year": params.year, "scope": params.scope, "tables": [t.key for t in tables]},
        result=f"导出{committee.name}{params.year}年度{what}（{len(tables)}张表）",
    )
    response = HttpResponse(content, content_type=xlsx.XLSX_CONTENT_TYPE)
    suffix = f"（{scope_label}）" if scope_label else ""
    filename = f"{committee.name}{params.year}年度{what}{suffix}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
