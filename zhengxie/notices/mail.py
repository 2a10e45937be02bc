"""Offer unsent e-mail copies of notifications to the task queue again.

send_notice_email claims a notification (sent_at) before sending and releases the claim when the relay
refuses or cannot be reached, so an unsent copy is one whose sent_at is still empty. Nothing re-enqueued
it before: a relay down for an hour meant those copies were never sent. The sweep (run by `sweep_tasks`
and when a worker starts) enqueues each of them again; the claim keeps a copy from going out twice even
if an older task for it is still queued. A worker killed between the claim and the relay's answer leaves
sent_at set: that copy is not retried, because it may already have gone out (at most once, by design).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from zhengxie.notices.models import Notification

# A copy younger than this is probably still in the queue on its first try.
GRACE = timedelta(minutes=2)


def unsent(now: datetime | None = None):  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    oldest = now - timedelta(hours=settings.EMAIL_RESEND_HOURS)
    return (
        Notification.objects.filter(
            sent_at__isnull=True, created_at__gte=oldest, created_at__lt=now - GRACE, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("pk")
    )


def resend_unsent(now: datetime | None = None, limit: int = 5000) -> int:
    """Enqueue the unsent copies; return how many."""
    from zhengxie.proposals.tasks import send_notice_email

    ids = list(unsent(now).values_list("pk", flat=True)[:limit])
    for pk in ids:
        send_notice_email.enqueue(pk)
    return len(ids)
