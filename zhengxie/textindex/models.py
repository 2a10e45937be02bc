"""The log of machine-made suggestions and what the person then chose.

Every suggestion the platform makes (a category or handling units at assignment, similar proposals while a
member drafts, duplicate candidates at review) is stored with the model that made it, so an office can see how
often people follow the machine and the router can be judged on its own committee's decisions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengxie.org.models import Committee


class Suggestion(models.Model):
    class Kind(models.TextChoices):
        CATEGORY = "category", "类别建议"
        UNITS = "units", "承办单位建议"
        SIMILAR = "similar", "相似提案提示"
        DUPLICATE = "duplicate", "疑似重复"

    class Outcome(models.TextChoices):
        PENDING = "pending", "待处理"
        ACCEPTED = "accepted", "采纳"
        PARTIAL = "partial", "部分采纳"
        OVERRIDDEN = "overridden", "未采纳"
        IGNORED = "ignored", "忽略"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("建议类型", max_length=10, choices=Kind.choices)
    # Drafting-time suggestions may concern a proposal that does not exist yet.
    proposal = models.ForeignKey(
        "proposals.Proposal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="machine_suggestions",
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    model_version = models.CharField("模型版本", max_length=60, blank=True)
    # [{"value": ..., "label": ..., "score": 0.0-1.0, "words": [...]}], best first.
    suggested = models.JSONField("建议内容", default=list)
    chosen = models.JSONField("实际选择", null=True, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "机器建议"
        indexes = [
            models.Index(fields=["committee", "kind", "created_at"], name="textidx_sugg_comm_kind"),
            models.Index(fields=["proposal", "kind"], name="textidx_sugg_proposal"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class SearchDocument(models.Model):
    """One searchable record (a proposal, a reply, an opinion report, a consultation outcome, a concern),
    denormalised so that one index query applies the words, the filters and the reader's rights together.

    `tokens` holds the record's character bigrams, its title's bigrams marked '^', and '#' tokens for the
    filters and for who may read it (zhengxie.textindex.search builds them). PostgreSQL indexes them with a GIN
    index over a tsvector expression, SQLite with an FTS5 table kept in step by triggers (migration 0002).
    Rows are written with bulk statements only: the index is derived data, not audited history.
    """

    kind = models.CharField("类型", max_length=10)
    object_id = models.BigIntegerField()
    # The page the hit opens: the proposal of a reply, the consultation of an outcome, else object_id.
    target_id = models.BigIntegerField()
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("状态", max_length=20, blank=True)
    title = models.CharField("标题", max_length=300)
    body = models.TextField("正文", blank=True)
    tokens = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "检索文档"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="textidx_doc_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class CategoryUnitRule(models.Model):
    """An office's own row of the category -> unit table used for routing suggestions while its committee
    has too little assignment history (routing.DEFAULT_RULES otherwise). Units of a category are tried in
    `position` order; the keywords found in a proposal move a unit up."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    category = models.CharField("提案类别", max_length=10)
    unit = models.ForeignKey(
        "org.HandlingUnit", verbose_name="承办单位", on_delete=models.CASCADE, related_name="+"
    )
    keywords = models.CharField("关键词（空格分隔）", max_length=500, blank=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "类别与承办单位对照"
        constraints = [
            models.UniqueConstraint(fields=["committee", "category", "unit"], name="textidx_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.unit}"
