"""花名册导入 pages: upload a roster for a committee the user may edit, and download the blank template."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from zhengxie.accounts import access
from zhengxie.org import roster
from zhengxie.org.models import Committee

TEMPLATE_FILENAME = "委员花名册模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _committee_for(request: HttpRequest) -> Committee:
    """The committee named by the `committee` parameter, or the user's first editable one; 404 otherwise."""
    user = request.user
    raw = request.POST.get("committee") or request.GET.get("committee")
    if raw:
        try:
            committee_id = int(raw)
        except ValueError as exc:
            raise Http404("参数错误") from exc
        return access.access_committee(user, committee_id, access.ORG_EDIT_ROLES)  # type: ignore[arg-type]
    allowed = access.committee_ids_with(user, access.ORG_EDIT_ROLES)  # type: ignore[arg-type]
    if not allowed:
        raise Http404("无权导入花名册")
    return access.access_committee(user, min(allowed), access.ORG_EDIT_ROLES)  # type: ignore[arg-type]


def _template_url() -> str:
    try:
        return reverse("org:roster_template")
    except NoReverseMatch:  # the route is added by urls.py; the page works without the link
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    committee = _committee_for(request)
    result: roster.RosterResult | None = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            result = roster.RosterResult(
                errors=[roster.RosterError(row=None, column="", message="请选择要导入的花名册文件（.xlsx）")]
            )
        elif upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            result = roster.RosterResult(
                errors=[roster.RosterError(row=None, column="", message=f"文件过大：不能超过{limit_mb} MB")]
            )
        else:
            result = roster.roster_import(
                committee=committee,
                data=upload.read(settings.UPLOAD_MAX_BYTES + 1),
                filename=upload.name or "",
            )
    editable = access.committee_ids_with(request.user, access.ORG_EDIT_ROLES)  # type: ignore[arg-type]
    return render(
        request,
        "org/roster_import.html",
        {
            "committee": committee,
            "committees": Committee.objects.filter(pk__in=editable),
            "result": result,
            "column_help": roster.COLUMN_HELP,
            "max_rows": roster.MAX_ROWS,
            "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
            "template_url": _template_url(),
        },
    )


@login_required
@require_GET
def roster_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(roster.template_workbook_bytes(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, TEMPLATE_FILENAME)
    return response
