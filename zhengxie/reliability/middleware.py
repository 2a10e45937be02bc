"""While the database is unreachable (restart, failover, network cut) every request gets a short Chinese
503 with Retry-After instead of a 500 page, and the platform recovers by itself once the database is back
(CONN_HEALTH_CHECKS drops the dead persistent connection on the next request).

Where the error is caught matters. A view's exception reaches `process_exception` below. An exception
raised inside another middleware (the session lookup behind request.user, the session save after the
view) never reaches us as an exception: Django's convert_exception_to_response turns it into a 500 page
one layer down. For those, the got_request_exception signal (sent while the exception is being handled)
marks the request, and __call__ swaps the 500 for the 503. The 503 is built here from constants: it must
not touch the database, sessions, templates with context processors or the message store.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
MESSAGE = "系统正在维护或数据库暂时无法连接，请稍后再试。您已提交成功的内容不会丢失。"
MARK = "_zx_database_unavailable"
DATABASE_ERRORS = (OperationalError, InterfaceError)

PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>服务暂时不可用 · 政协履职平台</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main class="container"><section class="card narrow">
<h1>服务暂时不可用</h1>
<p>{MESSAGE}</p>
<p>页面将在约{RETRY_AFTER_SECONDS}秒后可重试。</p>
<p><a class="btn" href="/">返回首页</a></p>
</section></main></body>
</html>
"""


def is_database_outage(exc: BaseException | None) -> bool:
    """A connection-level database error (also when wrapped in another exception by a library)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": MESSAGE}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    exc = sys.exc_info()[1]
    if request is not None and is_database_outage(exc):
        setattr(request, MARK, exc)


got_request_exception.connect(_mark_request, dispatch_uid="zx_reliability_mark_database_outage")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as exc:
            # Only with DEBUG_PROPAGATE_EXCEPTIONS does an inner exception get this far.
            return self._unavailable(request, exc)
        marked = getattr(request, MARK, None)
        if marked is not None and response.status_code >= 500:
            return self._unavailable(request, marked)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return self._unavailable(request, exception)
        return None

    @staticmethod
    def _unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
        # One line for the operator (the cause without its stack); nothing of it reaches the client.
        cause = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        logger.warning(
            "Database unavailable (%s: %s): answered 503 to %s %s",
            type(exc).__name__,
            cause,
            request.method,
            request.path,
        )
        return unavailable_response(request)
