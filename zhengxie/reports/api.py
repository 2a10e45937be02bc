"""Statistics API (/api/v1/reports): the annual report's figures and text as JSON, with the same access as
the report page (office, leaders, administrators of the committee or above; members and auditors only once
published). Query parameters as on the page: committee, year, scope (own|all)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from zhengxie.api.schemas import ErrorOut
from zhengxie.reports import services
from zhengxie.reports.views import report_access

router = Router(tags=["统计与年度报告"])


@router.get("/annual", response={200: dict[str, Any], 404: ErrorOut}, summary="年度工作报告数据（数读）")
def annual(
    request: HttpRequest, committee: int | None = None, year: int | None = None, scope: str = "own"
) -> Any:
    params, _ = report_access(request)
    return services.view_of(params.committee, params.year, params.scope).as_json()
