"""TOTP codes, recovery codes and the pending state between the password and the code.

The pending state lives in the session under PENDING_KEY and is not a login: `request.user` stays
anonymous until `finish()` calls `login()` with VERIFIED_BACKEND, the backend SecondFactorMiddleware
requires of every session of a user who needs a second factor.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from typing import Any

import pyotp
import segno
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from zhengxie.accounts import crypto
from zhengxie.accounts.access import grants_of
from zhengxie.accounts.models import Role, User
from zhengxie.accounts.twofactor.models import SecondFactor

ISSUER = "政协履职平台"
STEP_SECONDS = 30
DIGITS = 6
# A phone's clock may be a few seconds off: the codes of the steps either side are accepted too.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Ten characters from 31 (no 0/o, 1/l/i) is about 50 bits per code.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10

SECOND_FACTOR_ROLES = frozenset({Role.OFFICE, Role.ADMIN, Role.AUDITOR})
VERIFIED_BACKEND = "zhengxie.accounts.twofactor.backends.VerifiedBackend"
PENDING_KEY = "twofactor_pending"
NEW_CODES_KEY = "twofactor_new_codes"
# Between the password and the code: long enough to open an authenticator, short enough to be useless later.
PENDING_SECONDS = 300


def required_for(user: Any) -> bool:
    """Office staff, administrators (a grant, or the Django admin's staff flag) and auditors."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(g.role in SECOND_FACTOR_ROLES for g in grants_of(user))


def confirmed_factor(user: User) -> SecondFactor | None:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()


# --- the pending state -------------------------------------------------------------------------------


def begin(request: HttpRequest, user: User, next_url: str) -> None:
    """The password was right: remember who is half-way, under a new session key (no fixation)."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "hash": user.get_session_auth_hash(),
        "since": int(time.time()),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> User | None:
    """The half-way user, if the password step was theirs, recent, and their password is unchanged."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - int(data.get("since", 0)) > PENDING_SECONDS:
        cancel(request)
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or not hmac.compare_digest(user.get_session_auth_hash(), str(data.get("hash", ""))):
        cancel(request)
        return None
    return user


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def finish(request: HttpRequest, user: User) -> str:
    """Both factors passed: the real login (a new session key again). Returns where to go next."""
    data = request.session.pop(PENDING_KEY, {}) or {}
    login(request, user, backend=VERIFIED_BACKEND)
    return str(data.get("next") or "/")


# --- TOTP ----------------------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code this is, within the allowed drift; None if it matches none."""
    code = re.sub(r"\s", "", code or "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = current_step(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def use_totp(factor: SecondFactor, code: str) -> bool:
    step = matching_step(factor.secret, code)
    if step is None:
        return False
    # A conditional update: a code is accepted once, even by two requests racing with it.
    return SecondFactor.objects.filter(pk=factor.pk, last_step__lt=step).update(last_step=step) == 1


def provisioning_uri(factor: SecondFactor) -> str:
    return _totp(factor.secret).provisioning_uri(name=factor.user.username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI drawn here, so no script and no third party sees the secret."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def start_enrolment(user: User) -> SecondFactor:
    """The user's unconfirmed factor; the same secret on every visit until a code confirms it."""
    factor, _ = SecondFactor.objects.get_or_create(user=user, defaults={"secret": new_secret()})
    return factor


def confirm_enrolment(factor: SecondFactor, code: str) -> list[str] | None:
    """A code from the new secret binds it; returns the recovery codes (shown once), or None."""
    step = matching_step(factor.secret, code)
    if step is None:
        return None
    factor.confirmed_at = timezone.now()
    factor.last_step = step
    codes = _new_codes()
    factor.recovery_codes = [_recovery_digest(c) for c in codes]
    factor.save(update_fields=["confirmed_at", "last_step", "recovery_codes"])
    return codes


# --- recovery codes ------------------------------------------------------------------------------------


def _new_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _normalise_recovery(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").lower()


def _recovery_digest(code: str) -> str:
    # Keyed (HMAC under the personal-data key): a stolen table alone does not allow guessing codes offline.
    return crypto.blind_index("recovery-code:" + _normalise_recovery(code))


def regenerate_recovery_codes(factor: SecondFactor) -> list[str]:
    codes = _new_codes()
    factor.recovery_codes = [_recovery_digest(c) for c in codes]
    factor.save(update_fields=["recovery_codes"])
    return codes


def use_recovery_code(factor: SecondFactor, code: str) -> bool:
    normalised = _normalise_recovery(code)
    if len(normalised) != RECOVERY_LENGTH:
        return False
    digest = _recovery_digest(normalised)
    with transaction.atomic():
        locked = SecondFactor.objects.select_for_update(no_key=True).get(pk=factor.pk)
        if digest not in locked.recovery_codes:
            return False
        locked.recovery_codes = [d for d in locked.recovery_codes if d != digest]
        locked.save(update_fields=["recovery_codes"])
    factor.recovery_codes = locked.recovery_codes
    return True


def check_code(factor: SecondFactor, code: str) -> str | None:
    """'totp' or 'recovery' for a good code (now spent), None otherwise."""
    if use_totp(factor, code):
        return "totp"
    if use_recovery_code(factor, code):
        return "recovery"
    return None
