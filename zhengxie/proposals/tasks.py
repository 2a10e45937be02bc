"""Background work of proposals: e-mail copies of notifications and overdue reminders."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from zhengxie.notices.models import Notification


@task()
def send_notice_email(notification_id: int) -> bool:
    """E-mail one notification to its user. sent_at is claimed by a conditional UPDATE first, so two
    workers (or a retried task) never both send it; if sending fails the claim is released."""
    claimed = Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    row = Notification.objects.select_related("user").get(pk=notification_id)
    if not row.user.email:
        return False
    body = row.title
    if row.url:
        body += f"\n\n请登录政协履职平台查看：{row.url}"
    try:
        send_mail(
            subject=f"【政协履职平台】{row.title}"[:150],
            message=body,
            from_email=None,
            recipient_list=[row.user.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(sent_at=None)
        raise
    return True


@task()
def remind_overdue(committee_id: int | None = None) -> int:
    """Remind the handling units of every overdue proposal (once per user, proposal and day)."""
    from zhengxie.org.models import Committee
    from zhengxie.proposals import notify

    committee = Committee.objects.get(pk=committee_id) if committee_id is not None else None
    with transaction.atomic():
        return len(notify.overdue_reminders(committee))
