"""The Django admin is for superusers (is_staff), never for a role grant: the rule for every admin route is
that no account of the platform's roles, the system administrator's included, gets a page (2xx) or changes
anything; only the admin's own login page answers. A superuser does get in, so the rule is not vacuous."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from zhengxie.accounts.models import Role
from zhengxie.security.tests.probe import client_for, recording_writes
from zhengxie.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

# Anonymous, and the two most powerful roles of a committee.
TRIED = ("anon", "admin", "office")
OPEN_TO_ALL = {"admin:login"}  # answers its form (with "not authorised" for a logged-in non-staff user)
WRITES = re.compile(r"/(add|change|delete|password)/$")


def admin_routes(patterns: Any = None, prefix: str = "/", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(name, a concrete URL) of every route under the admin, any object id filled with 1."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        piece = _concrete(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from admin_routes(p.url_patterns, prefix + piece, inner)
        elif namespace.startswith("admin:"):
            assert isinstance(p, URLPattern)
            yield f"{namespace}{p.name or ''}", prefix + piece


def _concrete(pattern: Any) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = re.sub(r"\(\?P<\w+>([^|)]+)[^)]*\)", r"\1", text)  # a named group: its first alternative
        text = text.lstrip("^").rstrip("$").replace(".*", "")
    return re.sub(r"<[^>]+>", "1", text)


@pytest.fixture
def people(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"anon": client_for(None), "admin": client_for(world.admin), "office": client_for(world.office)}


def test_admin_routes_are_found() -> None:
    routes = dict(admin_routes())
    assert "admin:index" in routes and "admin:accounts_user_changelist" in routes
    assert len(routes) > 60


def test_no_role_reaches_the_admin(people, world) -> None:  # type: ignore[no-untyped-def]
    assert not any(u.is_staff or u.is_superuser for u in (world.admin, world.office, world.auditor))
    problems = []
    for name, url in admin_routes():
        for who in TRIED:
            methods = ["GET", "POST"] if WRITES.search(url) and who != "office" else ["GET"]
            for method in methods:
                client = people[who]
                with recording_writes() as writes:
                    response = client.get(url) if method == "GET" else client.post(url, {"username": "x"})
                status = response.status_code
                if 200 <= status < 300 and name not in OPEN_TO_ALL:
                    problems.append(f"{who} {method} {url} ({name}) -> {status}")
                if writes.tables:
                    problems.append(f"{who} {method} {url} ({name}) wrote {sorted(set(writes.tables))}")
                if status >= 500:
                    problems.append(f"{who} {method} {url} ({name}) -> {status}")
    assert not problems, "\n".join(problems)


def test_a_superuser_does_get_in(world) -> None:  # type: ignore[no-untyped-def]
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    grant(root, world.city, Role.ADMIN)
    client = client_for(root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
