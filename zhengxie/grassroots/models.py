"""Concerns raised by the public (群众诉求) at members' stations or on the public web form.

A concern carries an unguessable public number (the person's only key to it), the person's name and phone
(optional, encrypted at rest, shown only to those handling it), and a history of events, the public ones of
which the person sees on the look-up page. Suspicious submissions wait in a review queue for staff.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengxie.accounts.fields import EncryptedTextField
from zhengxie.org.models import Committee, Member, Station


class ConcernState(models.TextChoices):
    REVIEW = "review", "待审核"
    OPEN = "open", "待认领"
    TAKEN = "taken", "办理中"
    CLOSED = "closed", "已办结"
    REJECTED = "rejected", "不予受理"


class Concern(models.Model):
    class Channel(models.TextChoices):
        VISIT = "visit", "来访接待"
        WEB = "web", "网上留言"
        PHONE = "phone", "电话"
        LETTER = "letter", "来信"

    class Category(models.TextChoices):
        # The provincial message board's first-level classes, so the routing model can learn from its data.
        URBAN = "urban", "城乡建设"
        ENVIRONMENT = "environment", "环境保护"
        TRANSPORT = "transport", "交通运输"
        EDUCATION = "education", "教育文体"
        LABOUR = "labour", "劳动和社会保障"
        COMMERCE = "commerce", "商贸旅游"
        HEALTH = "health", "卫生计生"
        OTHER = "other", "其他"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "直接解决"
        CONSULTATION = "consultation", "转小微协商"
        OPINION = "opinion", "转社情民意信息"
        PROPOSAL = "proposal", "转提案"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="concerns")
    station = models.ForeignKey(
        Station, verbose_name="站点", null=True, blank=True, on_delete=models.PROTECT, related_name="concerns"
    )
    number = models.CharField("诉求编号", max_length=20, unique=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices, default=Channel.WEB)
    category = models.CharField("类别", max_length=12, choices=Category.choices, default=Category.OTHER)
    title = models.CharField("标题", max_length=100)
    content = models.TextField("诉求内容", max_length=2000)
    name = EncryptedTextField("姓名", blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    state = models.CharField("状态", max_length=10, choices=ConcernState.choices, default=ConcernState.OPEN)
    # Why the automatic check held it for review (links, repeated post, ...).
    flags = models.JSONField("审核原因", default=list, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    taken_by = models.ForeignKey(
        Member,
        verbose_name="认领委员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns_taken",
    )
    taken_at = models.DateTimeField("认领时间", null=True, blank=True)
    outcome = models.CharField("办理方式", max_length=12, choices=Outcome.choices, blank=True)
    result = models.TextField("办理结果", max_length=5000, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    reject_reason = models.CharField("不予受理理由", max_length=500, blank=True)
    opinion_report = models.ForeignKey(
        "opinions.OpinionReport", null=True, blank=True, on_delete=models.PROTECT, related_name="concerns"
    )
    proposal = models.ForeignKey(
        "proposals.Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="concerns"
    )
    consultation = models.ForeignKey(
        "consultations.Consultation", null=True, blank=True, on_delete=models.PROTECT, related_name="concerns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "群众诉求"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["committee", "state", "created_at"], name="concern_committee_state"),
            models.Index(fields=["committee", "station", "state"], name="concern_station_state"),
            models.Index(fields=["committee", "created_at"], name="concern_committee_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ConcernEvent(models.Model):
    """History of a concern; public rows are what the person sees when looking it up."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=10, choices=ConcernState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=ConcernState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=500, blank=True)
    public = models.BooleanField("向群众公开", default=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "诉求办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"
