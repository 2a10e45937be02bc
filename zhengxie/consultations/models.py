"""Consultation (协商议政): the annual plan and its topics, consultations of the seven forms (and research and
inspection trips, organised the same way), participants and speeches, online rounds, democratic
evaluation of departments, and the agreed items (协商清单) with their closed loop.

A consultation closes only when every one of its outcome items is closed; outcome items change state only
through consultations.workflow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengxie.org.models import Committee, HandlingUnit, Member, SpecialCommittee, Station


class Form(models.TextChoices):
    PLENARY = "plenary", "全体会议协商"
    STANDING = "standing", "专题议政性常委会议"
    RESEARCH = "research", "专题调研协商"
    PROPOSAL = "proposal", "提案办理协商"
    SUPERVISORY = "supervisory", "监督式协商"
    MICRO = "micro", "基层小微协商"
    OPEN = "open", "开放式协商"


class ConsultationPlan(models.Model):
    """年度协商计划: drafted by the office, approved by the Party committee, published to members."""

    class State(models.TextChoices):
        DRAFT = "draft", "草拟"
        APPROVED = "approved", "党委已批准"
        PUBLISHED = "published", "已公布"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="consultation_plans")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=100)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    approved_on = models.DateField("党委批准日期", null=True, blank=True)
    approval_document = models.CharField("批准文件", max_length=100, blank=True)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度协商计划"
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="plan_one_per_year")]

    def __str__(self) -> str:
        return self.title


class Topic(models.Model):
    """协商议题 of the plan."""

    plan = models.ForeignKey(ConsultationPlan, on_delete=models.CASCADE, related_name="topics")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("议题", max_length=200)
    form = models.CharField("协商形式", max_length=12, choices=Form.choices)
    lead = models.ForeignKey(
        SpecialCommittee,
        verbose_name="牵头专委会",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.PositiveSmallIntegerField("计划月份")
    description = models.TextField("说明", max_length=5000, blank=True)
    order = models.PositiveSmallIntegerField("序号", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "协商议题"
        ordering = ["plan", "order", "month", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="topic_month_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Consultation(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "协商活动"
        RESEARCH = "research", "调研"
        INSPECTION = "inspection", "视察"

    class State(models.TextChoices):
        PLANNED = "planned", "筹备中"
        HELD = "held", "已召开"
        CLOSED = "closed", "已办结"
        CANCELLED = "cancelled", "已取消"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="consultations")
    kind = models.CharField("活动类型", max_length=12, choices=Kind.choices, default=Kind.CONSULTATION)
    form = models.CharField("协商形式", max_length=12, choices=Form.choices, blank=True)
    # A named series run under a form: 有事来协商, 委员议事厅, 有事好商量, 邑事好商量 ...
    series = models.CharField("协商品牌", max_length=40, blank=True)
    topic = models.ForeignKey(
        Topic,
        verbose_name="计划议题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    title = models.CharField("主题", max_length=200)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=200, blank=True)
    station = models.ForeignKey(
        Station,
        verbose_name="站点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    lead = models.ForeignKey(
        SpecialCommittee,
        verbose_name="牵头专委会",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PLANNED)
    summary = models.TextField("协商情况", max_length=20000, blank=True)
    minutes = models.TextField("会议纪要", max_length=50000, blank=True)
    # A research or inspection trip's report, which can receive instructions like an opinion report.
    report = models.ForeignKey(
        "opinions.OpinionReport",
        verbose_name="调研报告",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    is_good_case = models.BooleanField("优秀案例", default=False)
    case_summary = models.TextField("案例简介", max_length=5000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "协商活动"
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["committee", "held_on"], name="consultation_committee_date"),
            models.Index(fields=["committee", "form", "state"], name="consultation_committee_form"),
            models.Index(fields=["committee", "station"], name="consultation_committee_station"),
        ]
        constraints = [
            # A consultation has a form; research and inspection trips need none.
            models.CheckConstraint(
                condition=~Q(kind="consultation") | ~Q(form=""), name="consultation_has_form"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", "政协委员"
        OFFICIAL = "official", "党政部门负责人"
        EXPERT = "expert", "专家学者"
        PUBLIC = "public", "群众代表"
        OTHER = "other", "其他"

    class Attendance(models.TextChoices):
        INVITED = "invited", "已邀请"
        ATTENDED = "attended", "出席"
        LEAVE = "leave", "请假"
        ABSENT = "absent", "缺席"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="participants")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("身份", max_length=10, choices=Kind.choices, default=Kind.MEMBER)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="consultation_participations"
    )
    name = models.CharField("姓名", max_length=30)
    organisation = models.CharField("单位/身份", max_length=100, blank=True)
    attendance = models.CharField(
        "出席情况", max_length=10, choices=Attendance.choices, default=Attendance.INVITED
    )
    leave_reason = models.CharField("请假事由", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "参加人员"
        ordering = ["consultation", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "member"],
                condition=Q(member__isnull=False),
                name="participant_member_once",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Speech(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="speeches")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="speeches")
    title = models.CharField("发言题目", max_length=200)
    text = models.TextField("发言内容", max_length=20000, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "发言"
        ordering = ["consultation", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Visit(models.Model):
    """A stop on a research or inspection trip."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="visits")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField("日期")
    place = models.CharField("地点", max_length=200)
    note = models.TextField("情况", max_length=5000, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "调研视察点"
        ordering = ["visited_on", "id"]

    def __str__(self) -> str:
        return self.place


class OnlineRound(models.Model):
    """网络议政: members contribute in writing to a topic within a time window."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="online_rounds")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    question = models.CharField("议题", max_length=200)
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")

    class Meta:
        verbose_name = verbose_name_plural = "网络议政"
        ordering = ["opens_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="round_window")
        ]

    def __str__(self) -> str:
        return self.question


class Contribution(models.Model):
    round = models.ForeignKey(OnlineRound, on_delete=models.CASCADE, related_name="contributions")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="contributions")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField("内容", max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "议政发言"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.member}：{self.text[:20]}"


class OutcomeState(models.TextChoices):
    DRAFT = "draft", "待转办"
    TRANSFERRED = "transferred", "已转办"
    ACCEPTED = "accepted", "已采纳，落实中"
    NOT_ACCEPTED = "not_accepted", "未采纳"
    DONE = "done", "已落实"
    CLOSED = "closed", "已反馈办结"


class Outcome(models.Model):
    """One agreed item of the 协商清单, followed round the closed loop."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="outcomes")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField("序号")
    text = models.TextField("协商成果", max_length=5000)
    unit = models.ForeignKey(
        HandlingUnit,
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcomes",
    )
    deadline = models.DateField("办理期限", null=True, blank=True)
    state = models.CharField("状态", max_length=14, choices=OutcomeState.choices, default=OutcomeState.DRAFT)
    percent = models.PositiveSmallIntegerField("落实进度", default=0)
    response = models.TextField("采纳情况", max_length=5000, blank=True)
    feedback = models.TextField("反馈情况", max_length=5000, blank=True)
    transferred_at = models.DateTimeField("转办时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "协商成果"
        ordering = ["consultation", "number"]
        indexes = [
            models.Index(fields=["committee", "state", "deadline"], name="outcome_committee_state"),
            models.Index(fields=["committee", "unit", "state"], name="outcome_committee_unit"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="outcome_unique_number"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="outcome_percent_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:30]}"


class OutcomeProgress(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="progress")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=14, choices=OutcomeState.choices)
    to_state = models.CharField(max_length=14, choices=OutcomeState.choices)
    percent = models.PositiveSmallIntegerField("进度", default=0)
    note = models.TextField("进展情况", max_length=5000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "落实进展"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_to_state_display()} {self.percent}%"


class DemocraticReview(models.Model):
    """民主评议: a supervisory consultation's scored questionnaire on one government department."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="reviews")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        HandlingUnit, verbose_name="被评议单位", on_delete=models.PROTECT, related_name="reviews"
    )
    is_open = models.BooleanField("开放评分", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "民主评议"
        constraints = [models.UniqueConstraint(fields=["consultation", "unit"], name="review_unit_once")]

    def __str__(self) -> str:
        return f"{self.unit}民主评议"


class ReviewQuestion(models.Model):
    review = models.ForeignKey(DemocraticReview, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField("测评项目", max_length=200)
    weight = models.PositiveSmallIntegerField("权重", default=1)
    max_score = models.PositiveSmallIntegerField("满分", default=10)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "测评项目"
        ordering = ["review", "order", "id"]

    def __str__(self) -> str:
        return self.text


class ReviewScore(models.Model):
    question = models.ForeignKey(ReviewQuestion, on_delete=models.CASCADE, related_name="scores")
    review = models.ForeignKey(DemocraticReview, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField("得分")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "测评得分"
        constraints = [models.UniqueConstraint(fields=["question", "member"], name="review_score_once")]

    def __str__(self) -> str:
        return f"{self.score}"
