"""Nothing lost under real concurrency: threads, each with its own database connection, through the API.

These run on PostgreSQL only: SQLite takes one writer at a time, so threads against it prove nothing
about locks and constraints (and its shared in-memory test database answers "table is locked" instead of
waiting). Run them with DATABASE_URL=postgres://… .venv/bin/pytest zhengxie/reliability.
The sequential lost-update case at the end runs on both backends."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from zhengxie.accounts.models import ApiToken, AuditLog, Role, User
from zhengxie.duties.models import DutyKind, DutyRecord
from zhengxie.notices.models import Notification
from zhengxie.opinions import services as opinion_services
from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import CoSigner, Proposal, State, Transition
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="real concurrency needs PostgreSQL (SQLite serialises writers): run with DATABASE_URL=postgres://…",
)


def parallel(count: int, threads: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run attempt(0..count-1) on `threads` threads; the first wave is released at once by a barrier."""
    barrier = threading.Barrier(threads)

    def run(i: int) -> Any:
        try:
            if i < threads:
                barrier.wait(timeout=60)
            return attempt(i)
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(count)))


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


def token_of(user) -> str:  # type: ignore[no-untyped-def]
    return ApiToken.issue(user=user, name="drill")[1]


@pytest.fixture
def session(world) -> Session:  # type: ignore[no-untyped-def]
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    return Session.objects.create(committee=world.city, term=term, number=2, year=2026)


def draft(world, session, title: str = "关于完善城市公共充电设施的建议") -> Proposal:  # type: ignore[no-untyped-def]
    return services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title=title,
        background="充电桩分布不均。",
        suggestions="统筹规划布点。",
        category="economy",
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_same_submission_fifty_times_at_once_makes_one_proposal(world, session):
    proposal = draft(world, session)
    token = token_of(world.member_user)
    url = f"/api/v1/proposals/{proposal.pk}/submit"

    replies = parallel(
        50,
        25,
        lambda i: api(token).post(url, {"client_token": "dbl-click-1"}, content_type="application/json"),
    )

    statuses = Counter(r.status_code for r in replies)
    print(f"50 identical submissions: {dict(statuses)}")
    assert set(statuses) <= {200, 409}, statuses  # never a server error
    assert statuses[200] >= 1
    # Every acknowledged reply names the same, single proposal and number.
    acked = {(r.json()["id"], r.json()["number"], r.json()["state"]) for r in replies if r.status_code == 200}
    assert acked == {(proposal.pk, 1, State.SUBMITTED)}
    assert Proposal.objects.count() == 1
    proposal.refresh_from_db()
    assert (proposal.state, proposal.number, proposal.client_token) == (State.SUBMITTED, 1, "dbl-click-1")
    assert Transition.objects.filter(proposal=proposal, action="submit").count() == 1
    assert DutyRecord.objects.filter(kind=DutyKind.PROPOSAL, source_id=proposal.pk).count() == 1
    assert Notification.objects.filter(proposal=proposal, verb="submitted").count() == 1  # one office user
    state_changes = [
        row
        for row in AuditLog.objects.filter(object_type="proposals.Proposal", object_id=str(proposal.pk))
        if (row.after or {}).get("state") == State.SUBMITTED
    ]
    assert len(state_changes) == 1

    # A retry after the storm, with the same token, is answered with the same proposal.
    again = api(token).post(url, {"client_token": "dbl-click-1"}, content_type="application/json")
    assert (again.status_code, again.json()["number"]) == (200, 1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_draft_saved_twenty_times_at_once_makes_one_draft(world, session):
    token = token_of(world.member_user)
    body = {
        "session_id": session.pk,
        "title": "关于完善城市公共充电设施的建议",
        "background": "充电桩分布不均。",
        "suggestions": "统筹规划布点。",
        "client_token": "draft-retry-1",
    }
    replies = parallel(
        20, 10, lambda i: api(token).post("/api/v1/proposals", body, content_type="application/json")
    )
    statuses = Counter(r.status_code for r in replies)
    assert set(statuses) == {201}, statuses
    assert {r.json()["id"] for r in replies} == {Proposal.objects.get().pk}
    assert AuditLog.objects.filter(object_type="proposals.Proposal", action="create").count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_thousand_parallel_cosign_attempts_create_no_duplicate(world, session):
    members = []
    for i in range(40):
        user = UserFactory(username=f"cosigner{i}")
        grant(user, world.city, Role.MEMBER)
        members.append(MemberFactory(committee=world.city, user=user, name=f"联名委员{i}"))
    tokens = {m.pk: token_of(m.user) for m in members}
    author_token = token_of(world.member_user)
    proposal = draft(world, session)
    base = f"/api/v1/proposals/{proposal.pk}"

    # The author's invitations race each other (a double-clicked invite, two tabs).
    invites = parallel(
        20,
        20,
        lambda i: api(author_token).post(
            f"{base}/cosigners", {"member_ids": [m.pk for m in members]}, content_type="application/json"
        ),
    )
    assert {r.status_code for r in invites} <= {200, 409}, [r.content for r in invites]
    # Then 1,000 confirmations, 25 from each member, 20 at a time.
    replies = parallel(
        1000,
        20,
        lambda i: api(tokens[members[i % len(members)].pk]).post(
            f"{base}/cosign", {"confirm": True}, content_type="application/json"
        ),
    )

    statuses = Counter(r.status_code for r in replies)
    print(
        f"invitations x20: {dict(Counter(r.status_code for r in invites))}; confirmations x1000: {dict(statuses)}"
    )
    assert set(statuses) <= {200, 400}, statuses  # never a server error, never a conflict left unhandled
    assert statuses[200] == len(members)  # each member's first confirmation, and only that one
    assert {r.json()["detail"] for r in replies if r.status_code == 400} == {"没有待确认的联名邀请"}
    rows = CoSigner.objects.filter(proposal=proposal)
    assert rows.count() == len(members)
    assert sorted(rows.values_list("member_id", flat=True)) == sorted(m.pk for m in members)
    confirmed = rows.filter(status=CoSigner.Status.CONFIRMED).count()
    assert confirmed == len(members)
    notices = Notification.objects.filter(proposal=proposal, verb="cosign_invited")
    assert notices.count() == len(members) == notices.values("user").distinct().count()

    # Submitting credits each confirmed co-signer once.
    reply = api(author_token).post(f"{base}/submit", {"client_token": "c1"}, content_type="application/json")
    assert reply.status_code == 200
    credited = DutyRecord.objects.filter(kind=DutyKind.PROPOSAL_COSIGN, source_id=proposal.pk)
    assert credited.count() == confirmed == credited.values("member").distinct().count()


def _paper_report(world) -> OpinionReport:  # type: ignore[no-untyped-def]
    # Entered by the office from paper: already submitted, i.e. in the office's editing stage.
    return opinion_services.report_create(
        user=User.objects.get(pk=world.office.pk),  # a fresh instance: no grants cached before the grant
        committee=world.city,
        title="关于规范外卖骑手交通行为的建议",
        situation="部分骑手逆行闯灯。",
        suggestion="加强平台约束。",
        authors=[world.member],
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_clerks_saving_at_once_one_conflict_no_lost_update(world):
    report = _paper_report(world)
    clerk2 = UserFactory(username="office2")
    grant(clerk2, world.city, Role.OFFICE)
    tokens = [token_of(world.office), token_of(clerk2)]
    opened = api(tokens[0]).get(f"/api/v1/opinions/{report.pk}").json()["version"]
    assert opened == api(tokens[1]).get(f"/api/v1/opinions/{report.pk}").json()["version"]
    texts = ["第一位工作人员的修改", "第二位工作人员的修改"]

    def save(i: int) -> Any:
        return api(tokens[i]).put(
            f"/api/v1/opinions/{report.pk}",
            {"title": texts[i], "situation": texts[i], "suggestion": "", "version": opened},
            content_type="application/json",
        )

    # Many rounds: a single round could pass by luck of timing.
    for _ in range(10):
        replies = parallel(2, 2, save)
        statuses = sorted(r.status_code for r in replies)
        assert statuses == [200, 409], [r.content for r in replies]
        winner = next(i for i, r in enumerate(replies) if r.status_code == 200)
        loser = replies[1 - winner]
        assert "已被他人修改" in loser.json()["detail"]
        report.refresh_from_db()
        assert (report.title, report.situation, report.version) == (texts[winner], texts[winner], opened + 1)
        opened = report.version


@pytest.mark.django_db
def test_clerk_saving_a_stale_page_gets_a_conflict_and_the_first_edit_stays(world):
    """The everyday lost update: two clerks open the same report, one saves, then the other saves."""
    report = _paper_report(world)
    clerk2 = UserFactory(username="office2")
    grant(clerk2, world.city, Role.OFFICE)
    first, second = api(token_of(world.office)), api(token_of(clerk2))
    opened = first.get(f"/api/v1/opinions/{report.pk}").json()["version"]
    body = {"situation": "补充了调查数据。", "suggestion": "", "version": opened}
    assert (
        first.put(
            f"/api/v1/opinions/{report.pk}", {**body, "title": "甲的标题"}, content_type="application/json"
        ).status_code
        == 200
    )
    reply = second.put(
        f"/api/v1/opinions/{report.pk}", {**body, "title": "乙的标题"}, content_type="application/json"
    )
    assert reply.status_code == 409
    assert reply.json()["detail"] == "该信息已被他人修改，请刷新后重试"
    report.refresh_from_db()
    assert (report.title, report.version) == ("甲的标题", opened + 1)
