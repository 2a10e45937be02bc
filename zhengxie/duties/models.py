"""Duty records (履职档案): one row per duty a member performed.

Rows the platform saw happen (a proposal filed, a report adopted, an instruction, a concern resolved) are
written by the capability's service through duties.services.record_duty, keyed by (member, kind, source
object) so a retried step writes nothing new. Staff record what happened off the platform; members add
duties with evidence for staff to confirm. Scoring (issue 6) reads these rows; it never writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from zhengxie.org.models import Committee, Member


class DutyKind(models.TextChoices):
    ATTENDANCE = "attendance", "出席会议"
    LEAVE = "leave", "请假"
    ABSENCE = "absence", "无故缺席"
    SPEECH = "speech", "大会发言"
    PROPOSAL = "proposal", "提交提案"
    PROPOSAL_COSIGN = "proposal_cosign", "联名提案"
    PROPOSAL_FILED = "proposal_filed", "提案立案"
    PROPOSAL_KEY = "proposal_key", "重点提案"
    PROPOSAL_EXCELLENT = "proposal_excellent", "优秀提案"
    OPINION = "opinion", "报送社情民意"
    OPINION_FORWARDED = "opinion_forwarded", "社情民意被报送"
    OPINION_ADOPTED = "opinion_adopted", "社情民意被采用"
    INSTRUCTION = "instruction", "获领导批示"
    CONSULTATION = "consultation", "参加协商"
    OUTCOME_DONE = "outcome_done", "协商成果落实"
    RESEARCH = "research", "调研视察"
    TRAINING = "training", "学习培训"
    READING = "reading", "读书活动"
    STATION_DUTY = "station_duty", "站点值班接待"
    CONCERN = "concern", "办理群众诉求"
    VISIT = "visit", "走访委员企业"
    VOLUNTEER = "volunteer", "志愿服务与捐赠"
    INVESTMENT = "investment", "招商引资"
    OTHER = "other", "其他履职"


class DutyRecord(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "已确认"
        PENDING = "pending", "待确认"
        REJECTED = "rejected", "未通过"
        CONTESTED = "contested", "有异议"

    class Origin(models.TextChoices):
        PLATFORM = "platform", "平台自动记录"
        STAFF = "staff", "工作人员录入"
        MEMBER = "member", "委员申报"
        IMPORT = "import", "历史台账导入"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="duty_records")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("履职类型", max_length=20, choices=DutyKind.choices)
    title = models.CharField("事项", max_length=200)
    occurred_on = models.DateField("日期")
    detail = models.JSONField("详情", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    origin = models.CharField("来源", max_length=10, choices=Origin.choices, default=Origin.PLATFORM)
    # The record that earned it; empty for duties entered by hand.
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    url = models.CharField("链接", max_length=300, blank=True)
    evidence = models.TextField("佐证材料", max_length=5000, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "履职记录"
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["committee", "year", "kind"], name="duty_committee_year_kind"),
            models.Index(fields=["member", "year"], name="duty_member_year"),
            models.Index(fields=["source_type", "source_id"], name="duty_source"),
            # The office's counters of claims waiting for confirmation, without reading the year's records.
            models.Index(
                fields=["committee", "status"], name="duty_committee_pending", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "source_type", "source_id"],
                condition=Q(source_id__isnull=False),
                name="duty_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.title}"


class ScoringScheme(models.Model):
    """履职考评办法: one version of a committee's rules for one year. A new version is a new row; the newest
    published version is the one scores are computed with, so earlier results stay explainable."""

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="scoring_schemes")
    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveSmallIntegerField("版本")
    name = models.CharField("名称", max_length=100)
    # Members below this many points are listed for a talk (约谈).
    threshold = models.DecimalField("约谈分数线", max_digits=7, decimal_places=2, default=0)
    note = models.CharField("修订说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "履职考评办法"
        ordering = ["committee", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year", "version"], name="scheme_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"


class ScoringRule(models.Model):
    """Points per duty of one kind; negative points are deductions. cap bounds the year's total for the kind
    (for a deduction, the most that can be taken off)."""

    scheme = models.ForeignKey(ScoringScheme, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField("履职类型", max_length=20, choices=DutyKind.choices)
    points = models.DecimalField("每项分值", max_digits=6, decimal_places=2)
    cap = models.DecimalField("年度上限", max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "计分规则"
        ordering = ["scheme", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="rule_unique_kind"),
            models.CheckConstraint(condition=Q(cap__isnull=True) | Q(cap__gte=0), name="rule_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points}"


class Evaluation(models.Model):
    """年度考评 of one member: the total and rank under the scheme it was computed with."""

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="evaluations")
    scheme = models.ForeignKey(ScoringScheme, on_delete=models.PROTECT, related_name="evaluations")
    points = models.DecimalField("得分", max_digits=8, decimal_places=2, default=0)
    rank = models.PositiveIntegerField("排名")
    records = models.PositiveIntegerField("履职记录数", default=0)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "年度考评"
        ordering = ["committee", "year", "rank"]
        indexes = [
            models.Index(fields=["committee", "year", "points"], name="evaluation_committee_points"),
            # The ranking list pages through a committee-year in rank order.
            models.Index(fields=["committee", "year", "rank", "member"], name="evaluation_committee_rank"),
        ]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="evaluation_once_per_year")]

    def __str__(self) -> str:
        return f"{self.member} {self.year}年 {self.points}分"


class EvaluationPoint(models.Model):
    """The points one duty record earned under the scheme: every point links to its record."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="points_detail")
    record = models.ForeignKey(DutyRecord, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField("得分", max_digits=6, decimal_places=2)
    # The rule's full value, when a cap cut this record's points.
    capped_from = models.DecimalField("封顶前分值", max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "计分明细"
        ordering = ["evaluation", "id"]

    def __str__(self) -> str:
        return f"{self.points}"


class Contest(models.Model):
    """A member's objection to one of their duty records (or its points); staff uphold or reject it."""

    class State(models.TextChoices):
        OPEN = "open", "待处理"
        UPHELD = "upheld", "异议成立"
        REJECTED = "rejected", "异议不成立"

    record = models.ForeignKey(DutyRecord, on_delete=models.CASCADE, related_name="contests")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("异议理由", max_length=2000)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.CharField("处理意见", max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "履职记录异议"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(state="open"), name="contest_one_open_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member}对“{self.record.title}”的异议"
