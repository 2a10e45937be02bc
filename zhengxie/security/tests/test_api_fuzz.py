"""Every API operation, fed by schemathesis with data generated from the published OpenAPI document, as a
member, office staff and a handling unit (each with an API token): no answer is a server error, and every
answer has a status code, content type and body the document declares for that operation.

Each generated request runs in a savepoint rolled back after it, so requests do not build on each other and
the run is the same every time (Hypothesis derandomised, no example database)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhengxie.accounts.models import ApiToken, User
from zhengxie.api.api import api
from zhengxie.testing.fixtures import World

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 10

ROLES: dict[str, Callable[[World], User]] = {
    "member": lambda w: w.member_user,
    "office": lambda w: w.office,
    "unit": lambda w: w.unit_user,
}


@pytest.fixture
def wsgi_app(settings: Any) -> Iterator[WSGIHandler]:
    """Django's own WSGI handler, as a server runs it. Like Django's test client, it must not close the
    database connection at the end of each request: the connection holds the test's transaction."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()  # the public endpoints' rate limits
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@functools.cache
def _operations() -> list[tuple[str, SearchStrategy[Case]]]:
    """Every operation with its strategy, built once for the three roles."""
    return [(op.label, op.as_strategy()) for op in (r.ok() for r in SCHEMA.get_all_operations())]


def _fuzz(strategy: SearchStrategy[Case], app: WSGIHandler, headers: dict[str, str]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        with transaction.atomic():
            case.call_and_validate(app=app, headers=headers, checks=CHECKS)
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(world: World, wsgi_app: WSGIHandler, role: str) -> None:
    _, key = ApiToken.issue(user=ROLES[role](world), name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    failures: dict[str, str] = {}
    for label, strategy in _operations():
        try:
            _fuzz(strategy, wsgi_app, headers)
        except (Exception, BaseExceptionGroup) as exc:  # every operation is reported, not the first only
            failures[label] = str(exc)[:1500]
    assert len(_operations()) >= 60
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
