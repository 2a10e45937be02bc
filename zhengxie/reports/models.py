"""The annual work report (年度工作报告) as staff edit and publish it.

While a report is a draft its figures are counted live from the records; publishing freezes them, with the
narrative, in this row, so the published text and its numbers never drift apart when records change later.
One row per committee, year and scope (the committee alone, or with every committee below it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengxie.org.models import Committee


class Scope(models.TextChoices):
    OWN = "own", "本级"
    ALL = "all", "含下级合计"


class AnnualReport(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="annual_reports")
    year = models.PositiveSmallIntegerField("年度")
    scope = models.CharField("统计范围", max_length=3, choices=Scope.choices, default=Scope.OWN)
    title = models.CharField("标题", max_length=100)
    # Section key -> text with {section.figure} tokens; see zhengxie.reports.content.
    narrative = models.JSONField("报告正文", default=dict, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    figures = models.JSONField("发布时冻结的数据", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度工作报告"
        ordering = ["committee", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year", "scope"], name="annual_report_unique"),
        ]

    def __str__(self) -> str:
        return self.title
