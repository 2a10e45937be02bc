"""Public-opinion reports (社情民意信息) and research reports, their forwarding (报送), adoption (采用) and the
leaders' written instructions (批示).

State lives in OpinionReport.state and changes only through opinions.workflow.transition(); each change
writes a ReportTransition row and an audit row. Forwardings and instructions are rows of their own: a
report may be forwarded to several receivers and instructed more than once, and every instruction counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengxie.org.models import Committee, Member, Party, Sector, SpecialCommittee, Station


class ReportState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待编辑"
    WITHDRAWN = "withdrawn", "已撤回"
    MERGED = "merged", "已合并"
    ARCHIVED = "archived", "存档不报送"
    FORWARDED = "forwarded", "已报送"
    ADOPTED = "adopted", "已采用"


class InstructionLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


# Highest first: the ledger's 最高批示级别 and the report's badge take the first level present.
LEVEL_RANK = {
    InstructionLevel.NATIONAL: 4,
    InstructionLevel.PROVINCIAL: 3,
    InstructionLevel.CITY: 2,
    InstructionLevel.COUNTY: 1,
}


class OpinionReport(models.Model):
    class Kind(models.TextChoices):
        OPINION = "opinion", "社情民意信息"
        RESEARCH = "research", "调研报告"
        ADVICE = "advice", "建言资政报告"
        INSPECTION = "inspection", "视察报告"

    class SourceKind(models.TextChoices):
        MEMBER = "member", "委员"
        PARTY = "party", "党派团体"
        SECTOR = "sector", "界别"
        SPECIAL_COMMITTEE = "special_committee", "专门委员会"
        STATION = "station", "委员工作室"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="opinion_reports")
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("编号", null=True, blank=True)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.OPINION)
    title = models.CharField("标题", max_length=200)
    situation = models.TextField("基本情况", max_length=20000)
    suggestion = models.TextField("意见建议", max_length=20000, blank=True)
    source_kind = models.CharField(
        "反映人类别", max_length=20, choices=SourceKind.choices, default=SourceKind.MEMBER
    )
    # Credited members (the submitting member first). Collective reports name their body below.
    authors = models.ManyToManyField(
        Member, verbose_name="反映人", blank=True, related_name="opinion_reports"
    )
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    special_committee = models.ForeignKey(
        SpecialCommittee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The name as the ledger gives it (imports), or the collective body's name.
    reflector_name = models.CharField("反映人（名称）", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    submitted_on = models.DateField("提交日期", null=True, blank=True)
    archive_reason = models.CharField("不报送理由", max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    # A proposal not filed and converted (转社情民意); its author stays the report's author.
    proposal = models.OneToOneField(
        "proposals.Proposal",
        verbose_name="来源提案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinion_report",
    )
    imported = models.BooleanField("历史台账导入", default=False)
    client_token = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "社情民意信息"
        ordering = ["-year", "-id"]
        indexes = [
            models.Index(fields=["committee", "year", "state"], name="opinion_committee_year_state"),
            models.Index(fields=["committee", "state"], name="opinion_committee_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "year", "number"],
                condition=Q(number__isnull=False),
                name="opinion_unique_number",
            ),
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~Q(client_token=""),
                name="opinion_unique_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_display} {self.title}"

    @property
    def number_display(self) -> str:
        return f"{self.year}年第{self.number}期" if self.number else "（未编号）"


class ReportTransition(models.Model):
    report = models.ForeignKey(OpinionReport, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=10, choices=ReportState.choices)
    to_state = models.CharField(max_length=10, choices=ReportState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "社情民意流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class Forwarding(models.Model):
    """报送: one report sent to one receiver; adoption is recorded on the forwarding it answers."""

    class Target(models.TextChoices):
        PARTY_COMMITTEE = "party_committee", "党委"
        GOVERNMENT = "government", "政府"
        HIGHER_CPPCC = "higher_cppcc", "上级政协"
        OTHER = "other", "其他"

    report = models.ForeignKey(OpinionReport, on_delete=models.CASCADE, related_name="forwardings")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    target = models.CharField("报送对象", max_length=16, choices=Target.choices)
    receiver = models.CharField("接收单位", max_length=100, blank=True)
    issue = models.CharField("刊发期号", max_length=60, blank=True)
    forwarded_on = models.DateField("报送日期")
    adopted = models.BooleanField("已采用", default=False)
    adopted_on = models.DateField("采用日期", null=True, blank=True)
    adopted_by = models.CharField("采用单位", max_length=100, blank=True)
    adoption_note = models.CharField("采用情况", max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "报送记录"
        ordering = ["forwarded_on", "id"]
        indexes = [models.Index(fields=["committee", "forwarded_on"], name="forwarding_committee_date")]

    def __str__(self) -> str:
        return f"报送{self.get_target_display()}{self.receiver}"


class Instruction(models.Model):
    """批示: a leader's written instruction on a forwarded report."""

    report = models.ForeignKey(OpinionReport, on_delete=models.CASCADE, related_name="instructions")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    forwarding = models.ForeignKey(
        Forwarding, null=True, blank=True, on_delete=models.SET_NULL, related_name="instructions"
    )
    # Blank only for imported ledger rows whose count exceeds the levels they name.
    level = models.CharField("批示级别", max_length=10, choices=InstructionLevel.choices, blank=True)
    leader_name = models.CharField("批示领导", max_length=50, blank=True)
    leader_title = models.CharField("领导职务", max_length=100, blank=True)
    instructed_on = models.DateField("批示日期")
    text = models.TextField("批示内容", max_length=5000, blank=True)
    imported = models.BooleanField("历史台账导入", default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导批示"
        ordering = ["instructed_on", "id"]
        indexes = [models.Index(fields=["committee", "instructed_on"], name="instruction_committee_date")]

    def __str__(self) -> str:
        who = f"{self.leader_title}{self.leader_name}" or self.get_level_display()
        return f"{who}批示"
