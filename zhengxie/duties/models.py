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
    SPEECH = "speech", "大会发言"
    PROPOSAL = "proposal", "提交提案"
    PROPOSAL_COSIGN = "proposal_cosign", "联名提案"
    PROPOSAL_FILED = "proposal_filed", "提案立案"
    OPINION = "opinion", "报送社情民意"
    OPINION_FORWARDED = "opinion_forwarded", "社情民意被报送"
    OPINION_ADOPTED = "opinion_adopted", "社情民意被采用"
    INSTRUCTION = "instruction", "获领导批示"
    CONSULTATION = "consultation", "参加协商"
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
