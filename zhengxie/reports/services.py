"""Writing the annual report: staff save the narrative of a draft, publish it (which freezes the figures with
the text) and, to correct a published report, take it back to a draft. Each step is one transaction under a
row lock with a version check, so two clerks editing at once cannot overwrite each other; the audit signal
writes one row per change. Refusals raise ReportError with a Chinese message and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengxie.accounts.models import User
from zhengxie.org.models import Committee
from zhengxie.reports import content
from zhengxie.reports.figures import annual_figures
from zhengxie.reports.models import AnnualReport, Scope
from zhengxie.reports.params import can_edit
from zhengxie.text import clean_text

MAX_TITLE = 100


class ReportError(Exception):
    pass


def default_title(committee: Committee, year: int, scope: str) -> str:
    suffix = "（含下级）" if scope == Scope.ALL else ""
    return f"{committee.name}{year}年度工作报告{suffix}"


def find(committee: Committee, year: int, scope: str) -> AnnualReport | None:
    return AnnualReport.objects.filter(committee=committee, year=year, scope=scope).first()


@dataclass
class ReportView:
    """What a page, a document or the JSON shows: the figures (frozen once published) and the narrative."""

    committee: Committee
    year: int
    scope: str
    title: str
    narrative: dict[str, str]
    figures: dict[str, Any]
    report: AnnualReport | None

    @property
    def published(self) -> bool:
        return self.report is not None and self.report.state == AnnualReport.State.PUBLISHED

    def as_json(self) -> dict[str, Any]:
        data = dict(self.figures)
        data["report"] = {
            "title": self.title,
            "status": "published" if self.published else "draft",
            "published_at": self.report.published_at.isoformat()
            if self.published and self.report and self.report.published_at
            else None,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "text": content.render_text(self.narrative.get(s.key, ""), data),
                }
                for s in content.SECTIONS
            ],
        }
        return data


def view_of(committee: Committee, year: int, scope: str) -> ReportView:
    report = find(committee, year, scope)
    if report is not None and report.state == AnnualReport.State.PUBLISHED and report.figures:
        figures = report.figures
    else:
        figures = annual_figures(committee, year, include_children=scope == Scope.ALL)
    narrative = content.default_narrative()
    if report is not None:
        narrative.update({k: v for k, v in report.narrative.items() if k in content.SECTION_KEYS})
    title = report.title if report is not None else default_title(committee, year, scope)
    return ReportView(committee, year, scope, title, narrative, figures, report)


def _check_editor(user: User, committee: Committee) -> None:
    if not can_edit(user, committee):
        raise ReportError("只有本会办公室工作人员可以编辑和发布年度工作报告")


def _clean_narrative(narrative: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for section in content.SECTIONS:
        text = clean_text(
            narrative.get(section.key),
            f"“{section.title}”",
            content.MAX_SECTION_CHARS,
            required=False,
            error=ReportError,
        )
        unknown = content.unknown_tokens(text)
        if unknown:
            raise ReportError(
                f"“{section.title}”中有无法识别的数据标记：{'、'.join('{' + u + '}' for u in unknown)}"
            )
        cleaned[section.key] = text
    return cleaned


def _locked(committee: Committee, year: int, scope: str, version: int | None) -> AnnualReport:
    """The report row under lock, created as a draft on first save; a stale version is refused."""
    report = (
        AnnualReport.objects.select_for_update(no_key=True)
        .filter(committee=committee, year=year, scope=scope)
        .first()
    )
    if report is None:
        if version not in (None, 0):
            raise ReportError("该报告已被删除或尚未创建，请刷新页面")
        try:
            with transaction.atomic():
                report = AnnualReport.objects.create(
                    committee=committee,
                    year=year,
                    scope=scope,
                    title=default_title(committee, year, scope),
                    narrative=content.default_narrative(),
                )
        except IntegrityError as exc:  # another clerk created it a moment ago
            raise ReportError("报告已被他人修改，请刷新页面后重试") from exc
        return report
    if version is not None and version != report.version:
        raise ReportError("报告已被他人修改，请刷新页面后重试")
    return report


def save_draft(
    user: User,
    committee: Committee,
    year: int,
    scope: str,
    *,
    title: str,
    narrative: dict[str, str],
    version: int | None,
) -> AnnualReport:
    _check_editor(user, committee)
    title = clean_text(title, "报告标题", MAX_TITLE, error=ReportError)
    cleaned = _clean_narrative(narrative)
    with transaction.atomic():
        report = _locked(committee, year, scope, version)
        if report.state == AnnualReport.State.PUBLISHED:
            raise ReportError("报告已发布，如需修改请先撤回发布")
        report.title = title
        report.narrative = cleaned
        report.updated_by = user
        report.version += 1
        report.save()
    return report


def publish(user: User, committee: Committee, year: int, scope: str, *, version: int | None) -> AnnualReport:
    """Freeze the figures as they are now, with the narrative, and stamp who published when."""
    _check_editor(user, committee)
    if year > timezone.localdate().year:
        raise ReportError("不能发布尚未开始年度的报告")
    with transaction.atomic():
        report = _locked(committee, year, scope, version)
        if report.state == AnnualReport.State.PUBLISHED:
            raise ReportError("报告已经发布")
        report.figures = annual_figures(committee, year, include_children=scope == Scope.ALL)
        report.state = AnnualReport.State.PUBLISHED
        report.published_at = timezone.now()
        report.published_by = user
        report.updated_by = user
        report.version += 1
        report.save()
    return report


def unpublish(
    user: User, committee: Committee, year: int, scope: str, *, version: int | None
) -> AnnualReport:
    """Back to a draft whose figures are live again; the audit trail keeps the published figures."""
    _check_editor(user, committee)
    with transaction.atomic():
        report = _locked(committee, year, scope, version)
        if report.state != AnnualReport.State.PUBLISHED:
            raise ReportError("报告尚未发布")
        report.state = AnnualReport.State.DRAFT
        report.figures = None
        report.published_at = None
        report.published_by = None
        report.updated_by = user
        report.version += 1
        report.save()
    return report
