"""Pages (thin views over the services and the access queries)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def my_file(request: HttpRequest) -> HttpResponse:
    raise Http404
