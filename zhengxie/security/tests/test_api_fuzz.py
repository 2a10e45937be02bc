"""Every API operation, fed by schemathesis with data generated from the published OpenAPI document, as a
member, office staff and a handling unit (each with an API token): no answer is a server error, and every
answer has a status code, content type and body the document declares for that operation.

Operations on a proposal, a member or a committee get half their examples on real rows of the `world`
(random ids find nothing). Each generated request runs in a savepoint rolled back after it, so requests
do not build on each other, and the run is the same every time (Hypothesis derandomised, no example
database)."""

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
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhengxie.accounts.models import ApiToken, User
from zhengxie.api.api import api
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import Proposal
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
def _operations() -> list[tuple[APIOperation, SearchStrategy[Case]]]:
    """Every operation with its strategy, built once for the three roles."""
    return [(op, op.as_strategy()) for op in (r.ok() for r in SCHEMA.get_all_operations())]


def _real_ids(world: World) -> dict[str, int]:
    """Rows the generated requests may reach (random ids find nothing): a submitted proposal and one
    assigned to the world's unit, the member and the committee."""
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)

    def submitted(title: str) -> Proposal:
        draft = services.proposal_draft_create(
            user=world.member_user,
            author=world.member,
            session=session,
            title=title,
            background="全市老旧小区多，老年人上下楼困难。",
            suggestions="一是简化审批；二是加大补贴。",
            category="society",
        )
        return services.proposal_submit(proposal=draft, user=world.member_user)

    submitted("关于加快老旧小区加装电梯的建议")
    assigned = services.assignment_create(
        proposal=services.review_file(proposal=submitted("关于完善停车设施的建议"), user=world.office),
        user=world.office,
        lead=world.unit,
    )
    return {
        "proposal_id": assigned.pk,
        "member_id": world.member.pk,
        "committee_id": world.city.pk,
    }


def _strategy(
    operation: APIOperation, base: SearchStrategy[Case], ids: dict[str, int]
) -> SearchStrategy[Case]:
    """Half the examples on real rows when the operation's path names one."""
    names = {p.name for p in operation.iter_parameters() if p.location.value == "path"}
    if not names or not names <= ids.keys():
        return base
    return st.one_of(base, operation.as_strategy(path_parameters={n: ids[n] for n in names}))


def _fuzz(
    strategy: SearchStrategy[Case], app: WSGIHandler, headers: dict[str, str], statuses: set[int]
) -> None:
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
            response = case.call_and_validate(app=app, headers=headers, checks=CHECKS)
            statuses.add(response.status_code)
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(world: World, wsgi_app: WSGIHandler, role: str) -> None:
    _, key = ApiToken.issue(user=ROLES[role](world), name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    ids = _real_ids(world)
    failures: dict[str, str] = {}
    answered: dict[str, set[int]] = {}
    for operation, strategy in _operations():
        answered[operation.label] = set()
        try:
            _fuzz(_strategy(operation, strategy, ids), wsgi_app, headers, answered[operation.label])
        except (Exception, BaseExceptionGroup) as exc:  # every operation is reported, not the first only
            failures[operation.label] = str(exc)[:1500]
    assert len(_operations()) >= 60
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    # The requests got past authentication and, on the real rows, to the operations themselves.
    assert 200 in answered["GET /api/v1/accounts/me"]
    assert 200 in answered["GET /api/v1/proposals/{proposal_id}"]
    # Handling units see no member list; the others read the member.
    assert (200 in answered["GET /api/v1/org/members/{member_id}"]) == (role != "unit")
    assert all(401 not in codes for codes in answered.values())
