"""Proposals (提案): drafting, co-signing, review, assignment, handling, reply and the proposer's rating.

State lives in Proposal.state and changes only through workflow.transition(); every change also writes a
Transition row (history as data) and an audit row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengxie.org.models import (
    Committee,
    HandlingUnit,
    Member,
    Party,
    Sector,
    Session,
    SpecialCommittee,
    chinese_number,
)


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审查"
    WITHDRAWN = "withdrawn", "已撤回"
    FILED = "filed", "已立案"
    NOT_FILED = "not_filed", "不立案"
    MERGED = "merged", "已并案"
    ASSIGNED = "assigned", "办理中"
    RETURNED = "returned", "申请退回"
    REPLIED = "replied", "已答复"
    REHANDLING = "rehandling", "重新办理"
    CLOSED = "closed", "已办结"


class Category(models.TextChoices):
    ECONOMY = "economy", "经济建设"
    POLITICS = "politics", "政治建设"
    CULTURE = "culture", "文化建设"
    SOCIETY = "society", "社会建设"
    ECOLOGY = "ecology", "生态文明建设"
    OTHER = "other", "其他"


class Proposal(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "个人提案"
        COLLECTIVE = "collective", "集体提案"

    class ProposerKind(models.TextChoices):
        MEMBER = "member", "委员"
        PARTY = "party", "党派团体"
        SECTOR = "sector", "界别"
        SPECIAL_COMMITTEE = "special_committee", "专门委员会"

    class Conversion(models.TextChoices):
        NONE = "", "不转"
        OPINION = "opinion", "转社情民意"
        LETTER = "letter", "转意见建议函"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="proposals")
    session = models.ForeignKey(
        Session, verbose_name="会议", on_delete=models.PROTECT, related_name="proposals"
    )
    number = models.PositiveIntegerField("提案号", null=True, blank=True)
    during_session = models.BooleanField("大会期间提交", default=True)
    title = models.CharField("案由", max_length=200)
    background = models.TextField("案据", max_length=20000)
    suggestions = models.TextField("建议", max_length=20000)
    category = models.CharField("类别", max_length=10, choices=Category.choices, default=Category.OTHER)
    kind = models.CharField("提案类型", max_length=10, choices=Kind.choices, default=Kind.INDIVIDUAL)
    proposer_kind = models.CharField(
        "提案者类别", max_length=20, choices=ProposerKind.choices, default=ProposerKind.MEMBER
    )
    author = models.ForeignKey(
        Member,
        verbose_name="提案人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    sector = models.ForeignKey(
        Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    special_committee = models.ForeignKey(
        SpecialCommittee, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    # The login that drafted it: the member, or the contact person of a collective proposer.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_at = models.DateTimeField("审查时间", null=True, blank=True)
    not_filed_reason = models.CharField("不立案理由", max_length=500, blank=True)
    conversion = models.CharField(
        "转办方式", max_length=10, choices=Conversion.choices, blank=True, default=""
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入提案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    deadline = models.DateField("办理期限", null=True, blank=True)
    rehandle_count = models.PositiveSmallIntegerField("重新办理次数", default=0)
    is_key = models.BooleanField("重点提案", default=False)
    is_first = models.BooleanField("一号提案", default=False)
    is_excellent = models.BooleanField("优秀提案", default=False)
    # 四级联动: the local proposal this one was taken up from (in a higher committee).
    origin = models.ForeignKey(
        "self",
        verbose_name="来源提案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    # A retried or double-clicked submission carries the same token and finds the first proposal.
    client_token = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "提案"
        ordering = ["-session__year", "number", "id"]
        indexes = [
            models.Index(fields=["committee", "state"], name="proposal_committee_state"),
            models.Index(fields=["committee", "session", "number"], name="proposal_committee_number"),
            models.Index(fields=["committee", "deadline"], name="proposal_committee_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "number"], condition=Q(number__isnull=False), name="proposal_unique_number"
            ),
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~Q(client_token=""),
                name="proposal_unique_token",
            ),
            models.UniqueConstraint(
                fields=["session"], condition=Q(is_first=True), name="proposal_one_first_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_display} {self.title}"

    @property
    def number_display(self) -> str:
        if self.number is None:
            return "（未编号）"
        term = chinese_number(self.session.term.number)
        return f"{term}届{chinese_number(self.session.number)}次会议第{self.number:04d}号"

    @property
    def proposer_name(self) -> str:
        if self.kind == self.Kind.INDIVIDUAL and self.author_id:
            return self.author.name  # type: ignore[union-attr]
        for obj in (self.party, self.sector, self.special_committee):
            if obj is not None:
                return str(obj)
        return ""


class CoSigner(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "待确认"
        CONFIRMED = "confirmed", "已确认"
        DECLINED = "declined", "已谢绝"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="cosigners")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="cosigned")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.INVITED)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "联名人"
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="cosigner_unique")]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"

    @property
    def committee_id(self) -> int:
        return self.proposal.committee_id


class Transition(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=12, choices=State.choices)
    to_state = models.CharField(max_length=12, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "提案流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class Assignment(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "主办"
        CO = "co", "会办"

    class Status(models.TextChoices):
        ACTIVE = "active", "办理中"
        RETURNED = "returned", "已退回"
        DONE = "done", "已答复"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="assignments")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(HandlingUnit, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("办理方式", max_length=4, choices=Role.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    deadline = models.DateField("办理期限")
    assigned_at = models.DateTimeField(auto_now_add=True)
    return_reason = models.CharField("退回理由", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "交办"
        indexes = [models.Index(fields=["committee", "unit", "status"], name="assignment_unit_status")]
        constraints = [
            # One active task per unit and proposal; several active leads mean 分办.
            models.UniqueConstraint(
                fields=["proposal", "unit"],
                condition=Q(status="active"),
                name="assignment_one_active_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}（{self.get_role_display()}）"


class Contact(models.Model):
    """沟通: a unit's contact with the proposer before replying."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="contacts")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(HandlingUnit, on_delete=models.PROTECT, related_name="+")
    method = models.CharField("方式", max_length=20)
    note = models.TextField("情况", max_length=5000)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "沟通记录"

    def __str__(self) -> str:
        return f"{self.unit} {self.method}"


class Reply(models.Model):
    class Result(models.TextChoices):
        A = "A", "A 所提问题已经解决或采纳"
        B = "B", "B 正在解决或列入计划拟解决"
        C = "C", "C 因条件限制留作参考"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="replies")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(HandlingUnit, on_delete=models.PROTECT, related_name="replies")
    role = models.CharField("办理方式", max_length=4, choices=Assignment.Role.choices)
    result = models.CharField("办理结果", max_length=1, choices=Result.choices, blank=True)
    letter = models.TextField("答复内容", max_length=50000)
    doc_number = models.CharField("文号", max_length=60, blank=True)
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    replied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "答复"
        ordering = ["replied_at", "id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.result}"


class Feedback(models.Model):
    class Rating(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        BASIC = "basic", "基本满意"
        DISSATISFIED = "dissatisfied", "不满意"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="feedback")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField("评价", max_length=12, choices=Rating.choices)
    comment = models.CharField("意见", max_length=2000, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办理评价"
        constraints = [models.UniqueConstraint(fields=["proposal", "round"], name="feedback_one_per_round")]

    def __str__(self) -> str:
        return self.get_rating_display()


class Supervision(models.Model):
    """督办: a named leader supervising a key proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supervisions")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(
        Member, verbose_name="督办领导", on_delete=models.PROTECT, related_name="supervisions"
    )

    class Meta:
        verbose_name = verbose_name_plural = "督办"
        constraints = [models.UniqueConstraint(fields=["proposal", "leader"], name="supervision_unique")]

    def __str__(self) -> str:
        return str(self.leader)


def _attachment_path(instance: Attachment, filename: str) -> str:
    """Random name on disk (never the user's); only the checked extension is kept."""
    import uuid

    from django.utils import timezone

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"proposals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """附件 of a proposal, added by the proposer while it is a draft."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
