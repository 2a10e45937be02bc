"""转为社情民意信息 from the proposal page: the office's button on a not-filed proposal, the link after."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengxie.opinions.models import OpinionReport, ReportState
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services as proposal_services
from zhengxie.proposals.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(world):
    term = Term.objects.create(committee=world.city, number=14, start_year=2022, end_year=2027)
    session = Session.objects.create(
        committee=world.city, term=term, number=5, year=timezone.localdate().year
    )
    p = proposal_services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title="关于小区停车难的建议",
        background="老旧小区停车位不足。",
        suggestions="利用边角地建设停车场。",
    )
    return proposal_services.proposal_submit(proposal=p, user=world.member_user)


def convert_url(p):
    return reverse("proposals:to_opinion", args=[p.pk])


def test_office_converts_not_filed_proposal_and_both_pages_link(proposal, client, world):
    client.force_login(world.office)
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "转为社情民意信息" not in page  # still submitted
    response = client.post(convert_url(proposal))
    assert not OpinionReport.objects.exists()
    proposal_services.review_not_file(proposal=proposal, user=world.office, reason="属个案问题")
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "转为社情民意信息" in page
    response = client.post(convert_url(proposal))
    report = OpinionReport.objects.get()
    assert response["Location"] == reverse("opinions:detail", args=[report.pk])
    assert report.proposal == proposal and list(report.authors.all()) == [world.member]
    assert report.state == ReportState.SUBMITTED
    # Once converted: a link instead of the button, and a second conversion is refused.
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert reverse("opinions:detail", args=[report.pk]) in page and "已转为社情民意信息" in page
    assert 'action="' + convert_url(proposal) not in page
    client.post(convert_url(proposal))
    assert OpinionReport.objects.count() == 1
    # The author sees the report, linked back to the proposal.
    client.force_login(world.member_user)
    page = client.get(reverse("opinions:detail", args=[report.pk])).content.decode()
    assert reverse("proposals:detail", args=[proposal.pk]) in page
    proposal.refresh_from_db()
    assert proposal.state == State.NOT_FILED and proposal.conversion == "opinion"


@pytest.mark.parametrize("who", ["member_user", "leader"])
def test_only_office_converts(proposal, client, world, who):
    proposal_services.review_not_file(proposal=proposal, user=world.office, reason="属个案问题")
    client.force_login(getattr(world, who))
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "转为社情民意信息" not in page
    response = client.post(convert_url(proposal))
    assert response.status_code == 302
    assert not OpinionReport.objects.exists()


@pytest.mark.parametrize("who", ["sibling_office", "province_office", "unit_user"])
def test_conversion_of_unseen_proposal_is_404(proposal, client, world, who):
    proposal_services.review_not_file(proposal=proposal, user=world.office, reason="属个案问题")
    client.force_login(getattr(world, who))
    assert client.post(convert_url(proposal)).status_code == 404
    assert not OpinionReport.objects.exists()


def test_conversion_needs_login_and_post(proposal, client, world):
    response = client.post(convert_url(proposal))
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(world.office)
    assert client.get(convert_url(proposal)).status_code == 405
