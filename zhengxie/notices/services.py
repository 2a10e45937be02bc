"""Writing notifications, for every capability. Rows go in the caller's transaction (a rolled-back step
notifies nobody); the dedupe key makes a retried step write nothing new; users with an e-mail address get a
copy, enqueued only once the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from zhengxie.accounts.models import Role, User
from zhengxie.notices.models import Notification


def notify_users(
    *,
    committee_id: int,
    users: Iterable[User],
    verb: str,
    title: str,
    key: str,
    url: str = "",
    proposal: Any = None,
) -> list[Notification]:
    made = []
    for user in {u.pk: u for u in users}.values():
        dedupe_key = f"{key}:u{user.pk}"[:200]
        try:
            with transaction.atomic():
                row, created = Notification.objects.get_or_create(
                    dedupe_key=dedupe_key,
                    defaults={
                        "committee_id": committee_id,
                        "user": user,
                        "verb": verb,
                        "title": title[:200],
                        "url": url[:300],
                        "proposal": proposal,
                    },
                )
        except IntegrityError:  # the same step, retried at the same moment elsewhere
            continue
        if not created:
            continue
        made.append(row)
        if user.email:
            from zhengxie.proposals.tasks import send_notice_email
            from zhengxie.tasks.queue import enqueue_on_commit

            enqueue_on_commit(send_notice_email, row.pk)
    return made


def office_users(committee_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, grants__committee_id=committee_id, grants__role=Role.OFFICE
        ).distinct()
    )


def member_users(members: Iterable[Any]) -> list[User]:
    ids = [m.user_id for m in members if getattr(m, "user_id", None)]
    return list(User.objects.filter(pk__in=ids, is_active=True))
