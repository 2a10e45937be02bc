"""gunicorn settings of the drills: `make serve-prod` plus preload and a warm master.

With preload_app the application is imported once, in the master, and every worker is a fork of it.
when_ready then loads what a first request would load lazily (every view module through the URL
configuration, the templates the drills render, the Chinese translation catalogue), so a worker that
replaces a killed one answers at once, without a cold first request. No database connection is opened in
the master: each worker opens its own on its first query.
"""

from __future__ import annotations

from typing import Any

preload_app = True
timeout = 60
graceful_timeout = 2

WARM_TEMPLATES = (
    "proposals/create.html",
    "proposals/detail.html",
    "proposals/list.html",
    "accounts/login.html",
    "accounts/home.html",
)


def when_ready(server: Any) -> None:
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 (imports every view and the API)
    translation.activate("zh-hans")
    for name in WARM_TEMPLATES:
        get_template(name)
    translation.deactivate()
