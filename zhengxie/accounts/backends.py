from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from zhengxie.accounts import crypto
from zhengxie.accounts.models import User


def resolve_login(identifier: str) -> User | None:
    """A login name is a username or the user's mobile number (found by its blind index)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    mobile = crypto.normalise_mobile(identifier)
    if crypto.MOBILE_RE.match(mobile):
        # Only by blind index: a query by username would carry the number in the clear (SQL logs).
        return User.objects.filter(mobile_index=crypto.blind_index(mobile)).first()
    return User.objects.filter(username=identifier).first()


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Lockout counts per account: failures by username and by mobile of one user add up."""
    raw = (credentials or {}).get("username") or (
        request.POST.get("username", "") if request is not None else ""
    )
    user = resolve_login(str(raw))
    if user is not None:
        return user.username
    # A mobile number that belongs to nobody is still personal data: the lockout table (and so a
    # database dump) holds its blind index, which counts repeated tries just as well.
    mobile = crypto.normalise_mobile(str(raw).strip())
    if crypto.MOBILE_RE.match(mobile):
        return "mobile:" + crypto.blind_index(mobile)[:32]
    return str(raw).strip()[:150]


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = resolve_login(username)
        if user is None:
            # Same cost as a real check, so timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
