import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhengxie.accounts.models import AuditLog
from zhengxie.testing.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_by_username_succeeds_and_rotates_session_key(client, world):
    # A leader needs no second factor (test_security_auth covers the office's two steps).
    client.get(LOGIN)
    before = client.cookies.get("sessionid")
    response = post_login(client, "leader1", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.cookies["sessionid"].value != (before.value if before else None)
    assert AuditLog.objects.filter(action="login", actor=world.leader).count() == 1


def test_login_by_mobile_succeeds(client, world):
    world.member_user.mobile = "138 0013 5678"
    world.member_user.save()
    response = post_login(client, "13800135678", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.member_user.pk


def test_login_wrong_password_shows_chinese_error_and_audits(client, world):
    response = post_login(client, "office1", "wrong-Pass-1")
    assert response.status_code == 200
    assert "用户名（手机号）或密码错误" in response.content.decode()
    assert AuditLog.objects.filter(action="login_failed", actor_label="office1").count() == 1


def test_lockout_after_five_failures_even_with_right_password(client, world):
    for _ in range(5):
        post_login(client, "office1", "wrong-Pass-1")
    response = post_login(client, "office1", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_counts_username_and_mobile_together(client, world):
    world.office.mobile = "13900001111"
    world.office.save()
    for _ in range(3):
        post_login(client, "office1", "wrong-Pass-1")
    for _ in range(2):
        post_login(client, "13900001111", "wrong-Pass-1")
    assert post_login(client, "office1", DEFAULT_PASSWORD).status_code == 429


def test_four_failures_do_not_lock(client, world):
    for _ in range(4):
        post_login(client, "office1", "wrong-Pass-1")
    assert post_login(client, "office1", DEFAULT_PASSWORD).status_code == 302


def test_lockout_expires_after_cooloff(client, world):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for _ in range(5):
        post_login(client, "office1", "wrong-Pass-1")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert post_login(client, "office1", DEFAULT_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Qzhx2026x", True),
        ("qzhx202!", True),
        ("QZHX202!", True),
        ("abcdefgh", False),
        ("abcdefg1", False),
        ("Ab1!", False),
    ],
)
def test_password_policy_eight_chars_three_classes(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_inactive_user_cannot_log_in(client):
    UserFactory(username="gone", is_active=False)
    assert post_login(client, "gone", DEFAULT_PASSWORD).status_code == 200


def test_api_token_revoked_is_refused(client, world):
    from django.utils import timezone

    from zhengxie.accounts.models import ApiToken

    token, key = ApiToken.issue(user=world.office, name="客户端")
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert ApiToken.objects.get().key_hash != key


def test_password_change_enforces_policy_with_chinese_message(client, world):
    client.force_login(world.office)
    url = reverse("accounts:password_change")
    weak = {"old_password": DEFAULT_PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"}
    response = client.post(url, weak)
    assert response.status_code == 200
    assert "至少3类" in response.content.decode()
    world.office.refresh_from_db()
    assert world.office.check_password(DEFAULT_PASSWORD)
    strong = {"old_password": DEFAULT_PASSWORD, "new_password1": "Qzhx-2026x", "new_password2": "Qzhx-2026x"}
    assert client.post(url, strong).status_code == 302
    world.office.refresh_from_db()
    assert world.office.check_password("Qzhx-2026x")
    # check_password may also re-hash (a write of its own); every such row carries a tag, never the hash.
    rows = AuditLog.objects.filter(
        object_type="accounts.User", object_id=str(world.office.pk), action="update"
    )
    assert rows.count() >= 1
    assert [set(r.after) for r in rows] == [{"password"}] * rows.count()
    assert world.office.password not in str([r.after for r in rows])
