"""The access matrix (issue 8): every route and API operation, tried by every kind of person against their
own, co-signed, someone else's and another committee's records. A failing case is a leak: the message
lists each breach (who, what, status)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from zhengxie.security.tests.matrix import CASES, Case
from zhengxie.security.tests.probe import client_for
from zhengxie.security.tests.runner import Matrix, check
from zhengxie.security.tests.scenario import build


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Matrix]:  # type: ignore[no-untyped-def]
    """One population for the whole module, in a transaction rolled back at the end; each test runs in a
    savepoint of it (the `db` fixture), and each request in a savepoint of that."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        started = time.perf_counter()
        s = build()
        m = Matrix(s=s, clients={name: client_for(user) for name, user in s.users.items()})
        m.build_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
        yield m
        transaction.set_rollback(True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_route(case: Case, matrix: Matrix, db) -> None:  # type: ignore[no-untyped-def]
    cache.clear()  # the public pages' rate limits count in the cache
    problems = check(matrix, case)
    assert not problems, "\n".join(problems)
