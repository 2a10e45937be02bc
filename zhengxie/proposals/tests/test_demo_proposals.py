"""Demo proposals: seed_demo (org and proposals) drives proposals through the services for every demo committee."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from zhengxie.notices.models import Notification
from zhengxie.org.models import Committee
from zhengxie.proposals.demo import seed_proposals
from zhengxie.proposals.models import Proposal, State, Supervision, Transition


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", "--only", "org,proposals", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_state_exists_for_jiangmen(seeded):
    out = seeded
    assert "已生成演示提案" in out
    jiangmen = Committee.objects.get(division_code="440700")
    states = set(Proposal.objects.filter(committee=jiangmen).values_list("state", flat=True))
    assert states == set(State.values)
    count = Proposal.objects.filter(committee=jiangmen).count()
    assert 40 <= count <= 90


@pytest.mark.django_db
def test_demo_proposals_are_real(seeded):
    jiangmen = Committee.objects.get(division_code="440700")
    rows = Proposal.objects.filter(committee=jiangmen)
    # Numbers are unique per session and every submitted proposal has one.
    assert not rows.exclude(state=State.DRAFT).filter(number__isnull=True).exists()
    numbers = rows.filter(number__isnull=False).values("session", "number").annotate(n=Count("id"))
    assert all(r["n"] == 1 for r in numbers)
    # Each closed proposal went through the transitions.
    closed = rows.filter(state=State.CLOSED).first()
    assert list(Transition.objects.filter(proposal=closed).values_list("action", flat=True))[-1] == "rate"
    assert rows.filter(kind=Proposal.Kind.COLLECTIVE, party__isnull=False).exists()
    assert rows.filter(cosigners__status="confirmed").exists()
    assert Supervision.objects.filter(proposal__in=rows.filter(is_key=True)).exists()
    for session_id in rows.exclude(state=State.DRAFT).values_list("session", flat=True).distinct():
        assert rows.filter(session_id=session_id, is_first=True).count() == 1
    assert rows.filter(is_excellent=True, state=State.CLOSED).exists()
    assert (
        rows.filter(title="关于加快江门市老旧小区加装电梯的建议").exists()
        or rows.filter(title__startswith="关于").count() == rows.count()
    )


@pytest.mark.django_db
def test_demo_member_logins_have_their_own_proposals_in_several_states(seeded):
    mine = Proposal.objects.filter(created_by__username="jm_member")
    assert set(mine.values_list("state", flat=True)) >= {State.DRAFT, State.SUBMITTED, State.CLOSED}
    assert Notification.objects.filter(user__username="jm_office", verb="submitted").exists()


@pytest.mark.django_db
def test_demo_proposals_seed_only_once(seeded):
    before = Proposal.objects.count()
    assert seed_proposals() == 0
    assert Proposal.objects.count() == before
