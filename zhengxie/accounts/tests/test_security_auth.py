"""Authentication and sessions as an assessor (GB/T 22239-2019 level 3) would test them: one test per rule,
every login through the login page with the test client, codes computed with pyotp from the secret."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import AuditLog, Role, User
from zhengxie.accounts.twofactor.models import SecondFactor
from zhengxie.testing.factories import DEFAULT_PASSWORD, grant

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
LOGIN = reverse("accounts:login")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")
CODES = reverse("accounts:otp_codes")
HOME = reverse("home")
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def post_login(client, username, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def enrol(client, user):
    """A first login: password, then the enrolment page's secret into an 'authenticator' (pyotp)."""
    response = post_login(client, user.username)
    assert response.status_code == 302 and response["Location"] == SETUP
    page = client.get(SETUP).content.decode()
    secret = page.split('id="otp-secret" class="otp-secret">')[1].split("<")[0].replace(" ", "")
    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == CODES
    return secret


def fresh_code(user):
    """The code of a time step not yet used: what an authenticator shows up to 30 s later."""
    factor = SecondFactor.objects.get(user=user)
    totp = pyotp.TOTP(factor.secret)
    now_step = int(timezone.now().timestamp()) // 30
    step = max(now_step, factor.last_step + 1)
    return totp.at(step * 30)


def log_in_with_code(client, user):
    response = post_login(client, user.username)
    assert response.status_code == 302 and response["Location"] == VERIFY
    return client.post(VERIFY, {"code": fresh_code(user)})


def session_user(client):
    return client.session.get(SESSION_KEY)


# --- lockout -------------------------------------------------------------------------------------------


def test_lockout_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, world):
    for _ in range(4):
        assert post_login(client, "leader1", "Wrong-pass-1").status_code == 200
    assert post_login(client, "leader1", "Wrong-pass-1").status_code == 429
    response = post_login(client, "leader1")
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert session_user(client) is None
    # From another client (another address or browser) too: the lock is on the account.
    other = client_class()
    assert post_login(other, "leader1").status_code == 429
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert post_login(other, "leader1").status_code == 302


def client_class():
    from django.test import Client

    return Client(REMOTE_ADDR="10.9.8.7")


def test_lockout_wrong_second_factor_codes_count_with_wrong_passwords(client, world):
    enrol(client_class(), world.office)
    for _ in range(3):
        post_login(client, "office1", "Wrong-pass-1")
    assert post_login(client, "office1")["Location"] == VERIFY
    assert client.post(VERIFY, {"code": "000000"}).status_code == 200
    response = client.post(VERIFY, {"code": "000001"})
    assert response.status_code == 429
    # Locked: neither the right code nor the right password opens a session now.
    assert client.post(VERIFY, {"code": fresh_code(world.office)}).status_code in (302, 429)
    assert session_user(client) is None
    assert post_login(client, "office1").status_code == 429
    assert session_user(client) is None
    assert AuditLog.objects.filter(action="login_failed", result="动态验证码错误").count() == 2


# --- password policy and storage -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("Ab1!xyz", "密码太短，至少需要8个字符"),
        ("abcdefgh1", "至少3类"),
        ("Password1", "太常见"),
    ],
)
def test_password_policy_refuses_weak_passwords_on_the_change_page(client, world, weak, message):
    post_login(client, "leader1")
    data = {"old_password": DEFAULT_PASSWORD, "new_password1": weak, "new_password2": weak}
    response = client.post(reverse("accounts:password_change"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    world.leader.refresh_from_db()
    assert world.leader.check_password(DEFAULT_PASSWORD)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_passwords_are_stored_as_argon2id_and_old_hashes_upgraded_at_login(client, world):
    # An account whose hash predates argon2 (PBKDF2) is re-hashed by its first login.
    world.leader.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    world.leader.save()
    assert post_login(client, "leader1").status_code == 302
    world.leader.refresh_from_db()
    assert world.leader.password.startswith("argon2$argon2id$")
    new = "Qzhx-2026-argon"
    data = {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new}
    assert client.post(reverse("accounts:password_change"), data).status_code == 302
    world.leader.refresh_from_db()
    assert world.leader.password.startswith("argon2$argon2id$")
    assert new not in world.leader.password


# --- sessions ------------------------------------------------------------------------------------------


def test_idle_timeout_thirty_minutes_after_the_last_request(client, world):
    post_login(client, "leader1")
    key = client.cookies["sessionid"].value
    cookie = client.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes, too
    expiry = Session.objects.get(pk=key).expire_date
    assert abs((expiry - timezone.now()) - timedelta(minutes=30)) < timedelta(seconds=30)
    # Each request pushes the expiry back: 29 idle minutes are fine...
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get(HOME).status_code == 200
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=29)
    # ...the 31st is not.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_login_issues_a_new_session_key_at_each_step(client, world):
    enrol(client_class(), world.office)
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key
    post_login(client, "office1")
    pending_key = client.cookies["sessionid"].value
    assert pending_key != planted.session_key
    client.post(VERIFY, {"code": fresh_code(world.office)})
    final_key = client.cookies["sessionid"].value
    assert final_key not in (planted.session_key, pending_key)
    assert SessionStore(session_key=final_key).get(SESSION_KEY) == str(world.office.pk)
    # The keys the attacker could have known open nothing.
    for old in (planted.session_key, pending_key):
        assert SessionStore(session_key=old).get(SESSION_KEY) is None


def test_cookie_replayed_after_logout_is_refused(client, world):
    enrol(client, world.office)
    assert client.get(HOME).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    client.cookies["sessionid"] = cookie
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get("/api/v1/accounts/me").status_code == 401
    assert not Session.objects.filter(pk=cookie).exists()


# --- second factor -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "admin", "auditor"])
def test_second_factor_required_for_office_admin_and_auditor(client, world, who):
    user = getattr(world, who)
    response = post_login(client, user.username)
    assert response.status_code == 302 and response["Location"] == SETUP
    assert session_user(client) is None
    assert not AuditLog.objects.filter(action="login", actor=user).exists()


def test_second_factor_required_for_django_staff_without_grant(client, world):
    staff = User.objects.create_user("staffonly", password=DEFAULT_PASSWORD, is_staff=True)
    assert post_login(client, staff.username)["Location"] == SETUP
    assert session_user(client) is None


@pytest.mark.parametrize("who", ["member_user", "leader", "unit_user"])
def test_other_roles_log_in_with_the_password_alone(client, world, who):
    user = getattr(world, who)
    response = post_login(client, user.username)
    assert response.status_code == 302 and response["Location"] == HOME
    assert session_user(client) == str(user.pk)


def test_enrolment_at_first_login_shows_secret_as_text_and_qr_code(client, world):
    post_login(client, "office1")
    response = client.get(SETUP)
    assert response.status_code == 200
    body = response.content.decode()
    factor = SecondFactor.objects.get(user=world.office)
    assert factor.confirmed_at is None
    grouped = " ".join(factor.secret[i : i + 4] for i in range(0, len(factor.secret), 4))
    assert grouped in body
    assert len(factor.secret) == 32
    # The QR code is an SVG drawn by the server (a data: URI, allowed by the CSP), of the otpauth URI.
    import segno

    uri = pyotp.TOTP(factor.secret).provisioning_uri(name="office1", issuer_name="政协履职平台")
    assert segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff") in body
    assert "<script" not in body.split("<main")[1]
    # Stored encrypted; a reload shows the same secret until it is confirmed.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM twofactor_secondfactor")
        assert cursor.fetchone()[0].startswith("enc1:")
    assert grouped in client.get(SETUP).content.decode()
    # A wrong code does not bind it.
    response = client.post(
        SETUP, {"code": "123456" if pyotp.TOTP(factor.secret).now() != "123456" else "654321"}
    )
    assert "验证码不正确" in response.content.decode()
    assert session_user(client) is None
    # The right one does, logs in, and shows ten recovery codes once.
    response = client.post(SETUP, {"code": pyotp.TOTP(factor.secret).now()})
    assert response["Location"] == CODES
    assert session_user(client) == str(world.office.pk)
    page = client.get(CODES).content.decode()
    codes = page.split('id="recovery-codes"')[1].split("</ul>")[0].count("<code>")
    assert codes == 10
    assert 'id="recovery-codes"' not in client.get(CODES).content.decode()
    assert (
        AuditLog.objects.filter(action="update", actor=world.office, result="绑定动态口令验证器").count() == 1
    )


def test_second_factor_asked_at_every_later_login(client, world):
    enrol(client_class(), world.office)
    response = post_login(client, "office1")
    assert response["Location"] == VERIFY
    assert session_user(client) is None
    response = client.post(VERIFY, {"code": fresh_code(world.office)})
    assert response.status_code == 302 and response["Location"] == HOME
    assert session_user(client) == str(world.office.pk)
    assert client.get(HOME).status_code == 200
    assert AuditLog.objects.filter(action="login", actor=world.office).count() == 2  # enrolment + now


def test_nothing_is_reachable_between_password_and_code(client, world):
    grant(world.office, world.city, Role.ADMIN)
    world.office.is_staff = True
    world.office.save()
    enrol(client_class(), world.office)
    post_login(client, "office1")
    for url in [
        HOME,
        reverse("proposals:list"),
        reverse("org:member_list"),
        reverse("accounts:audit"),
        CODES,
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    assert client.get("/api/v1/accounts/me").status_code == 401
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert session_user(client) is None


def test_wrong_code_is_refused_with_a_chinese_message(client, world):
    enrol(client_class(), world.office)
    post_login(client, "office1")
    response = client.post(VERIFY, {"code": "12345x"})
    assert response.status_code == 200
    assert "验证码错误或已使用过" in response.content.decode()
    assert session_user(client) is None


def test_a_code_is_accepted_once(client, world):
    enrol(client_class(), world.office)
    code = fresh_code(world.office)
    post_login(client, "office1")
    assert client.post(VERIFY, {"code": code})["Location"] == HOME
    other = client_class()
    post_login(other, "office1")
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 200 and "已使用过" in response.content.decode()
    assert session_user(other) is None


def test_recovery_code_logs_in_once_instead_of_a_code(client, world):
    first = client_class()
    enrol(first, world.office)
    codes = first.get(CODES).content.decode().split('id="recovery-codes"')[1].split("</ul>")[0]
    code = codes.split("<code>")[1].split("</code>")[0]
    post_login(client, "office1")
    response = client.post(VERIFY, {"code": code.upper()})
    assert response["Location"] == HOME
    assert session_user(client) == str(world.office.pk)
    assert SecondFactor.objects.get(user=world.office).recovery_codes_left == 9
    assert AuditLog.objects.filter(actor=world.office, result="使用恢复码登录").count() == 1
    other = client_class()
    post_login(other, "office1")
    assert other.post(VERIFY, {"code": code}).status_code == 200
    assert session_user(other) is None


def test_half_way_login_expires_after_five_minutes(client, world):
    enrol(client_class(), world.office)
    post_login(client, "office1")
    session = client.session
    session["twofactor_pending"]["since"] -= 301
    session.save()
    response = client.post(VERIFY, {"code": fresh_code(world.office)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert session_user(client) is None


def test_admin_login_form_cannot_skip_the_second_factor(client, world):
    world.admin.is_staff = True
    world.admin.save()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    response = client.post("/admin/login/?next=/admin/", {"username": "admin1", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert session_user(client) is None


def test_a_password_only_session_ends_when_the_user_needs_a_second_factor(client, world):
    post_login(client, "member1")
    assert client.get(HOME).status_code == 200
    grant(world.member_user, world.city, Role.OFFICE)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert session_user(client) is None
    denied = AuditLog.objects.filter(action="denied", actor=world.member_user, result__contains="第二因素")
    assert denied.count() == 1


def test_only_sessions_opened_after_the_code_are_marked_verified(client, world):
    enrol(client, world.office)
    assert client.session[BACKEND_SESSION_KEY] == "zhengxie.accounts.twofactor.backends.VerifiedBackend"
    leader = client_class()
    post_login(leader, "leader1")
    assert leader.session[BACKEND_SESSION_KEY] == "zhengxie.accounts.backends.UsernameOrMobileBackend"


# --- installation and demo -----------------------------------------------------------------------------


def test_no_default_account_after_install():
    # The test database was built by `migrate`; running it again adds nothing either.
    call_command("migrate", verbosity=0)
    assert User.objects.count() == 0
    assert SecondFactor.objects.count() == 0


def test_demo_logins_pass_the_second_factor_with_the_printed_secret(client):
    out = StringIO()
    call_command("seed_demo", "--only", "org", stdout=out)
    printed = out.getvalue()
    office_row = next(line for line in printed.splitlines() if line.strip().startswith("jm_office"))
    secret = office_row.split()[-1]
    assert len(secret) == 32
    assert "jm_member" in printed and "manage.py demo_otp" in printed
    member_row = next(line for line in printed.splitlines() if line.strip().startswith("jm_member"))
    assert member_row.split()[-1] == "Demo@2026"  # no secret: members log in with the password alone

    from zhengxie.org.demo import DEMO_PASSWORD

    assert post_login(client, "jm_office", DEMO_PASSWORD)["Location"] == VERIFY
    assert client.post(VERIFY, {"code": pyotp.TOTP(secret).now()})["Location"] == HOME
    # The helper command prints codes for demo secrets only, never for a user's own.
    out = StringIO()
    call_command("demo_otp", "jm_auditor", stdout=out)
    assert out.getvalue().split(": ")[1][:6].isdigit()
    factor = SecondFactor.objects.get(user__username="jm_auditor")
    factor.secret = pyotp.random_base32()
    factor.save()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo_otp", "jm_auditor", stdout=StringIO())


# --- deployment ----------------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_https_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "TESTING", "TASK_BACKEND", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SECRET_KEY="prod-" + "Q7v#" * 15,
        HTTPS="true",
        ALLOWED_HOSTS="zx.example.gov.cn",
        SQLITE_PATH="/tmp/zx-deploy-check-auth.sqlite3",
    )
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SILENCED_SYSTEM_CHECKS)"
    )
    values = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert values.stdout.strip() == "True True 31536000 ['axes.W006']", values.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
