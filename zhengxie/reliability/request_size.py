"""Refuse request bodies larger than any form or upload of the platform needs, before anything reads them.

Django caps the non-file part of a body (DATA_UPLOAD_MAX_MEMORY_SIZE), but a multipart upload is streamed
to a temporary file whatever its size, and only then does the view find it too large: a client could fill
the disk or hold a worker for minutes with one request. Checking Content-Length first answers such a
request at once with a Chinese 413. (Without Content-Length the WSGI handler reads no body at all; the
reverse proxy in front, README "部署", caps chunked bodies with the same figure.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def message() -> str:
    limit_mb = settings.REQUEST_MAX_BYTES // (1024 * 1024)
    return f"提交的内容过大（超过 {limit_mb} MB），未作任何更改。附件请压缩或分开上传。"


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django treats a malformed length as an empty body
        if length > settings.REQUEST_MAX_BYTES:
            return too_large(request)
        return self.get_response(request)


def too_large(request: HttpRequest) -> HttpResponse:
    text = message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": text}, status=413, json_dumps_params={"ensure_ascii": False}
        )
    else:
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>内容过大 · 政协履职平台</title><link rel="stylesheet" href="/static/css/app.css"></head>'
            f'<body><main class="container"><section class="card narrow"><h1>内容过大</h1><p>{text}</p>'
            '<p><a class="btn" href="/">返回首页</a></p></section></main></body></html>'
        )
        response = HttpResponse(page, status=413, content_type="text/html; charset=utf-8")
    response["Connection"] = "close"  # the unread body must not be taken for the next request
    return response
