from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from zhengxie.accounts.audit import audit_log
from zhengxie.accounts.twofactor import services


class SecondFactorMiddleware:
    """A session of a user who needs a second factor counts only if it was opened after one.

    Catches every way around the login page's second step: the admin's own login form, a member given an
    office grant while logged in, a session opened by any other call to login(). Such a session is ended
    and the request goes on as anonymous (pages send it to the login page, the API answers 401).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        backend = request.session.get(BACKEND_SESSION_KEY)
        if backend is not None and backend != services.VERIFIED_BACKEND:
            user = request.user
            if user.is_authenticated and services.required_for(user):
                audit_log(
                    action="denied",
                    obj=user,
                    actor=user,
                    ip=request.META.get("REMOTE_ADDR"),
                    result="会话未经第二因素认证，已结束",
                )
                request.session.flush()
                request.user = AnonymousUser()
        return self.get_response(request)
