"""A route nobody declared is a route nobody checked: every URL pattern, every method it accepts, every API
operation and every action a route dispatches on must have its case in the matrix (matrix.py). A new one
fails here until someone writes down who may use it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from zhengxie.api.api import api
from zhengxie.consultations import views as consultation_views
from zhengxie.grassroots import views as concern_views
from zhengxie.opinions import views as opinion_views
from zhengxie.proposals import views as proposal_views
from zhengxie.reports import records as drills
from zhengxie.reports import views as report_views
from zhengxie.security.tests.matrix import CASES

# Routes whose URL takes one of a fixed set of words, and the words.
DISPATCH: dict[str, tuple[str, set[str]]] = {
    "proposals:act": ("action", set(proposal_views.HANDLERS)),
    "opinions:act": ("action", set(opinion_views.HANDLERS)),
    "grassroots:act": ("action", set(concern_views.HANDLERS)),
    "consultations:act": ("action", set(consultation_views.HANDLERS)),
    "consultations:outcome_act": ("action", set(consultation_views.OUTCOME_HANDLERS)),
    "consultations:plan_act": ("action", set(consultation_views.PLAN_HANDLERS)),
    "reports:download": ("fmt", set(report_views.FORMATS)),
    "reports:records": ("key", set(drills.DRILLS)),
}


def url_patterns(patterns: Any = None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(namespaced name, pattern) of every route, recursively."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p.url_patterns, inner)
        else:
            yield f"{namespace}{p.name or ''}", p


def page_routes() -> dict[str, URLPattern]:
    """Every route but the Django admin's (test_admin_matrix) and the API operations (below)."""
    return {
        name: p
        for name, p in url_patterns()
        if not name.startswith("admin:") and p.callback.__module__ != "ninja.operation"
    }


def accepted_methods(view: Any) -> set[str] | None:
    """GET/POST a page accepts, from its require_http_methods list or its class; None if it takes anything."""
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return {m.upper() for m in ("get", "post") if m in cls.http_method_names and hasattr(cls, m)}
    func = view
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            value = cell.cell_contents
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return set(value) & {"GET", "POST"}
        func = getattr(func, "__wrapped__", None)
    return None


def api_operations() -> set[str]:
    """'METHOD /path' of every operation of the API, as the matrix names them."""
    found = set()
    routers = [("", api.default_router), *api._routers]
    for prefix, router in routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.add(f"{method} {prefix.rstrip('/')}{path}" if path else f"{method} {prefix}")
    return found


def test_every_page_and_method_is_in_the_matrix() -> None:
    declared = {(c.route, c.method) for c in CASES if not c.api}
    missing = []
    for name, pattern in page_routes().items():
        assert name and not name.endswith(":"), f"unnamed route {pattern.pattern}: name it to declare it"
        methods = accepted_methods(pattern.callback) or {m for r, m in declared if r == name} or {"GET"}
        missing += [f"{m} {name}" for m in sorted(methods) if (name, m) not in declared]
    assert not missing, "routes without a matrix case (declare who may use them in matrix.py):\n" + "\n".join(
        missing
    )


def test_every_api_operation_is_in_the_matrix() -> None:
    operations = api_operations()
    declared = {c.route for c in CASES if c.api}
    assert len(operations) > 50  # the walk found the routers
    missing = sorted(operations - declared)
    stale = sorted(declared - operations)
    assert not missing, "API operations without a matrix case:\n" + "\n".join(missing)
    assert not stale, "matrix cases for API operations that no longer exist:\n" + "\n".join(stale)


def test_every_action_of_every_route_is_in_the_matrix() -> None:
    missing = []
    for route, (argument, words) in DISPATCH.items():
        tried = {c.extra.get(argument) for c in CASES if c.route == route}
        missing += [f"{route} {argument}={w}" for w in sorted(words - tried)]
    assert not missing, "actions without a matrix case:\n" + "\n".join(missing)


def test_no_case_names_a_route_that_does_not_exist() -> None:
    routes = set(page_routes())
    stale = sorted({c.route for c in CASES if not c.api} - routes)
    assert not stale, "matrix cases for routes that no longer exist:\n" + "\n".join(stale)


def test_every_route_taking_a_word_is_listed_here() -> None:
    """A new route dispatching on a URL word must join DISPATCH, or its words go unchecked."""
    with_words = {
        name
        for name, p in page_routes().items()
        if any(conv in str(p.pattern) for conv in ("<str:", "<slug:", "<path:"))
    }
    assert with_words <= set(DISPATCH), sorted(with_words - set(DISPATCH))
