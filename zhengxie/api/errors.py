"""How a service's refusal becomes an HTTP status, for every API router: a stale copy is 409, a refusal
for who the caller is (the message starts with one of the router's `forbidden` prefixes) 403, anything else
about the input or the state 400. The API's own handlers below keep every refusal Chinese."""

from __future__ import annotations

import re

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from zhengxie.statemachine import ConcurrentChange


def error_status(exc: Exception, forbidden: tuple[str, ...]) -> int:
    if isinstance(exc, ConcurrentChange):
        return 409
    return 403 if str(exc).startswith(forbidden) else 400


# django-ninja's own refusals, in English; ours are Chinese already.
NINJA_MESSAGES = {
    "Unauthorized": "未登录或API令牌无效",
    "Cannot parse request body": "请求内容不是有效的JSON",
    "Forbidden": "您无权执行此操作",
}
NOT_FOUND = "未找到"
OUT_OF_RANGE = "数值超出允许范围"
INVALID = "请求数据不符合要求"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _translated(message: str) -> str:
    for english, chinese in NINJA_MESSAGES.items():
        if message.startswith(english):
            return chinese
    return message


def install_handlers(api: NinjaAPI) -> None:
    """Every refusal is {"detail": "…"} in Chinese (a 422 also lists the fields under "errors")."""

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, {"detail": _translated(str(exc))}, status=exc.status_code)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # get_object_or_404 and the URL resolver speak English ("No Proposal matches …").
        message = str(exc) if _CHINESE.search(str(exc)) else NOT_FOUND
        return api.create_response(request, {"detail": message}, status=404)

    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": INVALID, "errors": exc.errors}, status=422)

    def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A number beyond 64 bits: SQLite raises OverflowError binding it, PostgreSQL "numeric value out
        # of range" (SQLSTATE 22003). The operation's transaction has been rolled back by then. Any other
        # DataError (a text too long for its column…) is our bug and stays a 500.
        if isinstance(exc, DataError) and getattr(exc.__cause__, "sqlstate", None) != "22003":
            raise exc
        return api.create_response(request, {"detail": OUT_OF_RANGE}, status=400)

    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ValidationError, invalid)
    api.add_exception_handler(OverflowError, out_of_range)
    api.add_exception_handler(DataError, out_of_range)
