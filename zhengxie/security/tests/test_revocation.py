"""Revoked access is gone on the very next request: a unit that no longer handles a record, a grant taken
away, a user deactivated (every session and token ends, and reactivating the account does not revive them),
a member who left the committee."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import ApiToken, Role, RoleGrant
from zhengxie.consultations import services as consultations
from zhengxie.consultations.models import Form
from zhengxie.org.models import Member, Term
from zhengxie.org.models import Session as Sitting
from zhengxie.proposals import services as proposals
from zhengxie.security.tests.probe import client_for
from zhengxie.testing.factories import HandlingUnitFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def sitting(world) -> Sitting:  # type: ignore[no-untyped-def]
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    return Sitting.objects.create(committee=world.city, term=term, number=2, year=timezone.localdate().year)


def assigned_proposal(world, sitting, unit):  # type: ignore[no-untyped-def]
    p = proposals.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=sitting,
        title="关于校园周边交通的建议",
        background="拥堵。",
        suggestions="疏导。",
    )
    p = proposals.proposal_submit(proposal=p, user=world.member_user)
    p = proposals.review_file(proposal=p, user=world.office)
    return proposals.assignment_create(proposal=p, user=world.office, lead=unit, co_units=[])


def reaches(client, proposal) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """What a client gets from every route that opens this proposal, and whether the lists still hold it."""
    api_list = client.get("/api/v1/proposals")
    return {
        "page": client.get(reverse("proposals:detail", args=[proposal.pk])).status_code,
        "word": client.get(reverse("proposals:export_docx", args=[proposal.pk])).status_code,
        "api": client.get(f"/api/v1/proposals/{proposal.pk}").status_code,
        "in_api_list": int(proposal.pk in {row["id"] for row in api_list.json()["items"]}),
        "in_page_list": int(proposal.title in client.get(reverse("proposals:list")).content.decode()),
    }


GONE = {"page": 404, "word": 404, "api": 404, "in_api_list": 0, "in_page_list": 0}
THERE = {"page": 200, "word": 200, "api": 200, "in_api_list": 1, "in_page_list": 1}


def test_a_unit_that_returns_a_proposal_loses_it_at_once_and_the_next_unit_gets_it(world, sitting) -> None:  # type: ignore[no-untyped-def]
    next_unit = HandlingUnitFactory(committee=world.city, name="江门市交通运输局")
    next_user = UserFactory(username="unit-next")
    grant(next_user, world.city, Role.UNIT, next_unit)
    p = assigned_proposal(world, sitting, world.unit)
    unit, successor = client_for(world.unit_user), client_for(next_user)
    assert reaches(unit, p) == THERE
    assert reaches(successor, p) == GONE

    proposals.assignment_request_return(proposal=p, user=world.unit_user, reason="不属于本单位职责")
    assert reaches(unit, p) == GONE  # the same session, the next request

    proposals.assignment_reassign(proposal=p, user=world.office, lead=next_unit, co_units=[])
    assert reaches(unit, p) == GONE
    assert reaches(successor, p) == THERE
    # Nor may the former unit act on it any more.
    response = unit.post(
        f"/api/v1/proposals/{p.pk}/reply", json.dumps({"letter": "已办理。"}), content_type="application/json"
    )
    assert response.status_code == 404


def test_a_unit_that_hands_an_agreed_item_back_no_longer_sees_the_consultation(world) -> None:  # type: ignore[no-untyped-def]
    c = consultations.consultation_create(
        user=world.office,
        committee=world.city,
        title="关于职业教育的协商",
        held_on=timezone.localdate() - timedelta(days=2),
        form=Form.STANDING,
    )
    c = consultations.consultation_hold(consultation=c, user=world.office)
    item = consultations.outcome_add(consultation=c, user=world.office, text="扩大招生")
    item = consultations.outcome_transfer(
        outcome=item, user=world.office, unit=world.unit, deadline=timezone.localdate() + timedelta(days=30)
    )
    unit = client_for(world.unit_user)
    assert unit.get(reverse("consultations:detail", args=[c.pk])).status_code == 200
    assert unit.get(f"/api/v1/consultations/{c.pk}").status_code == 200

    consultations.outcome_hand_back(outcome=item, user=world.unit_user, reason="不属于本单位")
    assert unit.get(reverse("consultations:detail", args=[c.pk])).status_code == 404
    assert unit.get(f"/api/v1/consultations/{c.pk}").status_code == 404
    assert unit.get("/api/v1/consultations/outcomes").json()["items"] == []


def test_a_grant_taken_away_ends_the_role_on_the_next_request(world) -> None:  # type: ignore[no-untyped-def]
    office = client_for(world.office)
    url = reverse("org:member_list")
    assert office.get(url).status_code == 200
    RoleGrant.objects.filter(user=world.office, role=Role.OFFICE).delete()
    assert office.get(url).status_code == 404
    assert office.get(f"/api/v1/org/members/{world.other_member.pk}").status_code == 404


def sessions_of(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        s.session_key for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]


def test_deactivating_a_user_ends_every_session_and_token(world) -> None:  # type: ignore[no-untyped-def]
    user = world.member_user
    desk, phone = client_for(user), client_for(user)
    bystander = client_for(world.office)
    _, key = ApiToken.issue(user=user, name="手机客户端")
    token = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert desk.get(reverse("home")).status_code == 200
    assert phone.get("/api/v1/accounts/me").status_code == 200
    assert desk.get("/api/v1/accounts/me", **token).status_code == 200
    assert len(sessions_of(user)) == 2

    user.is_active = False
    user.save()

    assert sessions_of(user) == []  # ended, not merely refused
    assert bystander.get(reverse("home")).status_code == 200  # nobody else's session
    for client in (desk, phone):
        assert client.get(reverse("home"))["Location"].startswith("/accounts/login/")
        assert client.get("/api/v1/accounts/me").status_code == 401
    assert client_for(None).get("/api/v1/accounts/me", **token).status_code == 401

    # Switched back on, the account starts afresh: the old cookies and the old token stay dead.
    user.is_active = True
    user.save()
    assert desk.get(reverse("home"))["Location"].startswith("/accounts/login/")
    assert phone.get("/api/v1/accounts/me").status_code == 401
    assert client_for(None).get("/api/v1/accounts/me", **token).status_code == 401


def test_a_member_who_left_loses_the_member_s_access_on_the_next_request(world, sitting) -> None:  # type: ignore[no-untyped-def]
    c = consultations.consultation_create(
        user=world.office,
        committee=world.city,
        title="关于老旧小区改造的协商",
        held_on=timezone.localdate() + timedelta(days=5),
        form=Form.STANDING,
    )
    own = proposals.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=sitting,
        title="关于加装电梯的建议",
        background="难。",
        suggestions="装。",
    )
    own = proposals.proposal_submit(proposal=own, user=world.member_user)
    member = client_for(world.member_user)
    assert member.get(reverse("consultations:detail", args=[c.pk])).status_code == 200
    assert member.get(reverse("proposals:create")).status_code == 200

    world.member.status = Member.Status.LEFT
    world.member.save()

    # The committee's business is no longer theirs...
    assert member.get(reverse("consultations:detail", args=[c.pk])).status_code == 404
    assert member.get(f"/api/v1/consultations/{c.pk}").status_code == 404
    assert member.get(reverse("proposals:create")).status_code == 404
    assert member.get("/api/v1/duties/me").status_code == 404
    assert not RoleGrant.objects.filter(
        user=world.member_user, committee=world.city, role=Role.MEMBER
    ).exists()
    # ...what they wrote stays theirs to read.
    assert member.get(reverse("proposals:detail", args=[own.pk])).status_code == 200
