"""E-mail copies: a failed send is offered again by the sweep, and no copy ever goes out twice."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from zhengxie.notices.mail import resend_unsent, unsent
from zhengxie.notices.models import Notification
from zhengxie.proposals.tasks import send_notice_email


class RelayDown(LocmemBackend):
    """A real backend class whose relay refuses every message, as an unreachable SMTP server does."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("relay down")


@pytest.fixture
def notice(world):  # type: ignore[no-untyped-def]
    world.office.email = "office@example.gov.cn"
    world.office.save()
    row = Notification.objects.create(
        committee=world.city, user=world.office, verb="submitted", title="新提案待审查", dedupe_key="k1"
    )
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    return row


def test_a_failed_send_is_released_and_sent_once_by_the_sweep(notice):
    with override_settings(EMAIL_BACKEND="zhengxie.notices.tests.test_mail.RelayDown"):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send_notice_email.call(notice.pk)
    assert Notification.objects.get(pk=notice.pk).sent_at is None
    assert list(unsent().values_list("pk", flat=True)) == [notice.pk]

    assert resend_unsent() == 1  # the immediate backend of the tests runs the task at once
    assert [m.to for m in mail.outbox] == [["office@example.gov.cn"]]
    assert Notification.objects.get(pk=notice.pk).sent_at is not None
    assert resend_unsent() == 0
    call_command("sweep_tasks", verbosity=0)
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_fresh_old_claimed_and_addressless_copies_alone(notice, world):
    Notification.objects.filter(pk=notice.pk).update(created_at=timezone.now())  # still on its first try
    assert resend_unsent() == 0
    Notification.objects.filter(pk=notice.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert resend_unsent() == 0  # too old to be worth sending
    Notification.objects.filter(pk=notice.pk).update(
        created_at=timezone.now() - timedelta(minutes=10), sent_at=timezone.now()
    )
    assert resend_unsent() == 0  # claimed: may have gone out when its worker died, never sent again
    other = Notification.objects.create(
        committee=world.city, user=world.member_user, verb="x", title="t", dedupe_key="k2"
    )
    Notification.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    world.member_user.email = ""
    world.member_user.save()
    assert resend_unsent() == 0
    assert mail.outbox == []


def test_smtp_settings_come_from_the_environment():
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "relay.example.gov.cn",
        "EMAIL_PORT": "587",
        "EMAIL_USE_TLS": "true",
        "EMAIL_HOST_USER": "zx",
        "EMAIL_TIMEOUT": "7",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, "
        "s.EMAIL_HOST_USER, s.EMAIL_TIMEOUT]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "relay.example.gov.cn",
        587,
        True,
        "zx",
        7,
    ]
