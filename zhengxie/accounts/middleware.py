from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhengxie.accounts.audit import audit_context, audit_denial


class AuditContextMiddleware:
    """Binds the request's user and address to every audit row written while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        with audit_context(actor=user, ip=request.META.get("REMOTE_ADDR")):
            response = self.get_response(request)
            if response.status_code in (403, 404):
                audit_denial(request, response.status_code)
            return response
