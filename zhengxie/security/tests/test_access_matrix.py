"""Tests on the access matrix's population (one build per module):

- the matrix (issue 8): every route and API operation, tried by every kind of person against their own,
  co-signed, someone else's and another committee's records. A failing case is a leak: the message lists
  each breach (who, what, status);
- downloads check permission again at every request: a link replayed without a session, or with the session
  of someone who has since logged out, gets the login page; a session whose rights were taken away gets 404.
  Files are never cached for someone else (private, no-store) nor sniffed into pages;
- mass assignment: each API write, sent with fields nobody may set through it, changes exactly what it
  changes without them (fields.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from zhengxie.accounts.models import RoleGrant
from zhengxie.security.tests import fields
from zhengxie.security.tests.matrix import CASES, DOWNLOADS, Case
from zhengxie.security.tests.probe import client_for, is_login_redirect
from zhengxie.security.tests.runner import Matrix, check, url_of
from zhengxie.security.tests.scenario import USERS


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_route(case: Case, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    cache.clear()  # the public pages' rate limits count in the cache
    problems = check(matrix, case)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------ downloads

# Staff roles: taking their grants away must close every download they had.
PREFERRED = ("office", "leader", "province_office", "unit", "member")


def downloads() -> Iterator[tuple[Case, str]]:
    """Each download of the matrix, with a person allowed to fetch it (staff first)."""
    for case in CASES:
        if case.route in DOWNLOADS and case.method == "GET" and case.allow:
            yield case, next(u for u in (*PREFERRED, *USERS) if u in case.allow)


DOWNLOAD_CASES = list(downloads())


def test_every_download_route_is_tried() -> None:
    assert {c.route for c, _ in DOWNLOAD_CASES} == DOWNLOADS


@pytest.mark.parametrize(("case", "who"), DOWNLOAD_CASES, ids=[f"{c.id} as {w}" for c, w in DOWNLOAD_CASES])
def test_download_is_checked_at_every_request(case: Case, who: str, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    user = matrix.s.users[who]
    url = url_of(case, matrix.s)
    client = client_for(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"

    # The link without any session.
    assert is_login_redirect(Client().get(url))

    # The cookie of a session that logged out.
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert is_login_redirect(replay.get(url))

    # A live session whose rights were taken away (the member's own records stay theirs by authorship).
    if who != "member":
        live = client_for(user)
        assert live.get(url).status_code == 200
        RoleGrant.objects.filter(user=user).delete()
        assert live.get(url).status_code == 404


# ------------------------------------------------------------------------------ mass assignment

WRITES = [(c, sorted(c.verifiers())[0]) for c in CASES if c.api and c.method != "GET" and c.verifiers()]


def test_every_api_write_is_tried_with_extra_fields() -> None:
    operations = {c.route for c in CASES if c.api and c.method != "GET"}
    assert {c.route for c, _ in WRITES} == operations


@pytest.mark.parametrize(("case", "who"), WRITES, ids=[f"{c.id} as {w}" for c, w in WRITES])
def test_fields_nobody_may_set_change_nothing(case: Case, who: str, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    body = case.body(matrix.s, who)
    documented = fields.documented_fields(case)
    extra = {k: v for k, v in fields.hostile(matrix.s).items() if k not in documented}
    assert extra
    plain_status, plain = fields.outcome(matrix, case, who, body)
    loaded_status, loaded = fields.outcome(matrix, case, who, {**body, **extra})
    assert 200 <= plain_status < 300, (
        f"the documented request failed ({plain_status}): it would prove nothing"
    )
    assert loaded_status == plain_status
    assert loaded == plain
