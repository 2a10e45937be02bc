"""The access tests' population, built once per test module in a transaction rolled back at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from zhengxie.security.tests.probe import client_for
from zhengxie.security.tests.runner import Matrix
from zhengxie.security.tests.scenario import build


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Matrix]:  # type: ignore[no-untyped-def]
    """Each test runs in a savepoint of the module's transaction (the `db` fixture), and the matrix runs
    each request in a savepoint of that, so nothing a test does reaches the next one."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        s = build()
        yield Matrix(s=s, clients={name: client_for(user) for name, user in s.users.items()})
        transaction.set_rollback(True)
