from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class VerifiedBackend(ModelBackend):
    """Names the sessions opened after both factors (see services.finish).

    It checks no credentials itself: SecondFactorMiddleware ends any session of a user who needs a second
    factor unless this backend opened it. Listed before the password backend, so the test client's
    `force_login` (which picks the first backend able to load a user) opens fully verified sessions.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None
