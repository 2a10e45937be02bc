"""Deactivation takes effect at once, however it is done (the admin, a script, the roster):

- a user switched off (is_active=False) loses every open session and API token, not merely the next login:
  Django refuses an inactive user's session, but the session (and the token) would live on and come back
  with the account if it were switched on again;
- a member who leaves the committee (Member.status becomes left) loses the member grant of that committee,
  so its consultations, plans and reports are closed to them from the next request. What they wrote stays
  readable to them: that follows from authorship, not from the grant.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from zhengxie.accounts.models import ApiToken, Role, RoleGrant, User
from zhengxie.org.models import Member

# Session engines whose sessions live in the database table and can be found by user.
TABLE_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def end_sessions(user_id: int) -> int:
    """Delete every unexpired session of the user; returns how many. Sessions only name their user inside
    the encoded data, so the open ones are read (a few thousand at most: they expire after the idle
    timeout)."""
    if settings.SESSION_ENGINE not in TABLE_ENGINES:  # pragma: no cover - the platform uses the table
        return 0
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    wanted = str(user_id)
    ended = 0
    for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if row.get_decoded().get(SESSION_KEY) == wanted:
            store(session_key=row.session_key).delete()  # through the store: a cached copy goes too
            ended += 1
    return ended


def revoke_tokens(user_id: int) -> int:
    # One by one, so each revocation leaves its audit row.
    tokens = list(ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return len(tokens)


@receiver(post_save, sender=User, dispatch_uid="deactivation_ends_sessions")
def _user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        end_sessions(instance.pk)
        revoke_tokens(instance.pk)


@receiver(pre_save, sender=Member, dispatch_uid="deactivation_member_leaving")
def _member_saving(sender: Any, instance: Member, **kwargs: Any) -> None:
    # Only the move from active to left counts; reading the old row is needed only then.
    instance._leaving = bool(  # type: ignore[attr-defined]
        instance.pk is not None
        and instance.user_id is not None
        and instance.status == Member.Status.LEFT
        and Member.objects.filter(pk=instance.pk, status=Member.Status.ACTIVE).exists()
    )


@receiver(post_save, sender=Member, dispatch_uid="deactivation_member_left")
def _member_saved(sender: Any, instance: Member, **kwargs: Any) -> None:
    if not getattr(instance, "_leaving", False):
        return
    instance._leaving = False  # type: ignore[attr-defined]
    still_member = (
        Member.objects.filter(
            user_id=instance.user_id, committee_id=instance.committee_id, status=Member.Status.ACTIVE
        )
        .exclude(pk=instance.pk)
        .exists()
    )
    if not still_member:
        # One by one, so each removal leaves its audit row.
        for row in RoleGrant.objects.filter(
            user_id=instance.user_id, committee_id=instance.committee_id, role=Role.MEMBER
        ):
            row.delete()
