"""In-app notifications (站内通知), with an optional e-mail copy.

A notification is written in the same transaction as the step that caused it, so a rolled-back step
notifies nobody. dedupe_key is unique: a retried step (or a reminder run twice on one day) finds the row
it already wrote instead of writing a second one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengxie.org.models import Committee


class Notification(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField("类型", max_length=30)
    title = models.CharField("标题", max_length=200)
    url = models.CharField("链接", max_length=300, blank=True)
    proposal = models.ForeignKey(
        "proposals.Proposal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    # Set when the e-mail copy is handed to the mail backend; never sent twice.
    sent_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_read")]

    def __str__(self) -> str:
        return self.title
