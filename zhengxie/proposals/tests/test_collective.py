"""集体提案 (drafted by the contact person of a party, sector or special committee) and the submission
window of a session (大会期间 / 闭会期间, closed by the office)."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengxie.accounts.models import ApiToken
from zhengxie.org.models import SpecialCommittee
from zhengxie.proposals.models import Proposal, State
from zhengxie.proposals.services import ProposalError
from zhengxie.testing.factories import PartyFactory

COLLECTIVE = Proposal.Kind.COLLECTIVE


@pytest.fixture
def party(pw):
    w = pw.world
    party = PartyFactory(committee=w.city, name="中国民主同盟江门市委员会", short_name="民盟市委")
    w.member.party = party
    w.member.save(update_fields=["party"])
    return party


def test_collective_by_own_party(pw, party):
    p = pw.draft(kind=COLLECTIVE, party_id=party.pk)
    assert p.kind == COLLECTIVE
    assert p.proposer_kind == Proposal.ProposerKind.PARTY
    assert p.author == pw.world.member
    assert p.proposer_name == "民盟市委"


def test_collective_by_own_sector(pw):
    p = pw.draft(kind=COLLECTIVE, sector_id=pw.world.member.sector_id)
    assert p.proposer_kind == Proposal.ProposerKind.SECTOR
    assert p.proposer_name == pw.world.member.sector.name


def test_collective_by_another_party_is_refused(pw, party):
    other = PartyFactory(committee=pw.world.city, short_name="民建市委")
    with pytest.raises(ProposalError, match="您不是该党派团体的成员，不能代为提交"):
        pw.draft(kind=COLLECTIVE, party_id=other.pk)
    assert not Proposal.objects.exists()


def test_party_of_another_committee_is_refused(pw):
    foreign = PartyFactory(committee=pw.world.sibling)
    with pytest.raises(ProposalError, match="党派团体不属于本政协"):
        pw.draft(kind=COLLECTIVE, party_id=foreign.pk)
    assert not Proposal.objects.exists()


def test_two_groups_or_none_are_refused(pw, party):
    with pytest.raises(ProposalError, match="集体提案须指定一个党派团体、界别或专门委员会"):
        pw.draft(kind=COLLECTIVE, party_id=party.pk, sector_id=pw.world.member.sector_id)
    with pytest.raises(ProposalError, match="集体提案须指定一个党派团体、界别或专门委员会"):
        pw.draft(kind=COLLECTIVE)
    with pytest.raises(ProposalError, match="个人提案不能指定"):
        pw.draft(party_id=party.pk)
    assert not Proposal.objects.exists()


def test_special_committee_contact_must_be_a_member(pw):
    sc = SpecialCommittee.objects.create(committee=pw.world.city, name="经济委员会")
    with pytest.raises(ProposalError, match="您不是该专门委员会的成员"):
        pw.draft(kind=COLLECTIVE, special_committee_id=sc.pk)
    assert not Proposal.objects.exists()
    pw.world.member.special_committees.add(sc)
    p = pw.draft(kind=COLLECTIVE, special_committee_id=sc.pk)
    assert p.proposer_kind == Proposal.ProposerKind.SPECIAL_COMMITTEE
    assert p.proposer_name == "经济委员会"


def test_page_drafts_a_collective_proposal(pw, party, client):
    client.force_login(pw.world.member_user)
    page = client.get(reverse("proposals:create"))
    assert "党派团体：民盟市委" in page.content.decode()
    response = client.post(
        reverse("proposals:create"),
        {
            "title": "关于发展侨乡文化旅游的建议",
            "background": "侨乡资源丰富。",
            "suggestions": "打造精品线路。",
            "category": "culture",
            "kind": "collective",
            "proposer": f"party:{party.pk}",
        },
    )
    p = Proposal.objects.get()
    assert response.status_code == 302
    assert (p.kind, p.party_id, p.author_id) == (COLLECTIVE, party.pk, pw.world.member.pk)
    assert p.proposer_name == "民盟市委"


def test_page_refuses_a_group_the_member_is_not_in(pw, party, client):
    other = PartyFactory(committee=pw.world.city, short_name="民建市委")
    client.force_login(pw.world.member_user)
    client.post(
        reverse("proposals:create"),
        {
            "title": "标题",
            "background": "案据",
            "suggestions": "建议",
            "category": "culture",
            "kind": "collective",
            "proposer": f"party:{other.pk}",
        },
    )
    assert not Proposal.objects.exists()


def test_api_creates_a_collective_proposal(pw, party, client):
    _, key = ApiToken.issue(user=pw.world.member_user, name="test")
    data = {
        "session_id": pw.session.pk,
        "title": "关于完善城市停车设施的建议",
        "background": "老城区停车难。",
        "suggestions": "建设立体停车库。",
        "kind": "collective",
        "party_id": party.pk,
    }
    response = client.post(
        "/api/v1/proposals",
        json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["proposer_kind"], body["proposer_name"]) == ("collective", "party", "民盟市委")
    refused = client.post(
        "/api/v1/proposals",
        json.dumps({**data, "sector_id": pw.world.member.sector_id}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert refused.status_code == 400
    assert Proposal.objects.count() == 1


def test_submission_refused_when_session_closed(pw):
    from zhengxie.proposals import services

    p = pw.draft()
    pw.session.proposals_open = False
    pw.session.save(update_fields=["proposals_open"])
    with pytest.raises(ProposalError, match="本次会议已停止接收提案"):
        services.proposal_submit(proposal=p, user=pw.world.member_user)
    p.refresh_from_db()
    assert p.state == State.DRAFT
    assert p.number is None


@pytest.mark.parametrize(
    ("opens", "closes", "expected"),
    [(-1, 1, True), (0, 0, True), (-10, -3, False), (2, 5, False), (None, None, False)],
)
def test_during_session_follows_the_plenary_dates(pw, opens, closes, expected):
    from zhengxie.proposals import services

    today = timezone.localdate()
    pw.session.opens_on = None if opens is None else today + timedelta(days=opens)
    pw.session.closes_on = None if closes is None else today + timedelta(days=closes)
    pw.session.save(update_fields=["opens_on", "closes_on"])
    p = services.proposal_submit(proposal=pw.draft(), user=pw.world.member_user)
    p.refresh_from_db()
    assert p.state == State.SUBMITTED
    assert p.during_session is expected
