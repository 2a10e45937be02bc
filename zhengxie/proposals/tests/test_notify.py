import io
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from zhengxie.notices.models import Notification
from zhengxie.proposals import notify, services
from zhengxie.proposals.models import Proposal, State
from zhengxie.proposals.tasks import remind_overdue, send_notice_email
from zhengxie.testing.factories import UserFactory


def who(verb: str) -> set[str]:
    return set(Notification.objects.filter(verb=verb).values_list("user__username", flat=True))


def test_submitted_goes_to_the_office_of_the_committee_only(pw):
    pw.bring_to(State.SUBMITTED)
    assert who("submitted") == {"office1"}  # not the leader, auditor, unit, nor another committee's office
    row = Notification.objects.get(verb="submitted")
    assert row.committee == pw.world.city
    assert row.url == f"/proposals/{row.proposal_id}/"
    assert "第0001号" in row.title


def test_cosign_invitation_goes_to_the_invited_members(pw):
    w = pw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    p = pw.draft()
    services.cosigner_invite(proposal=p, user=w.member_user, members=[w.other_member])
    services.cosigner_invite(proposal=p, user=w.member_user, members=[w.other_member])  # again: no new row
    assert who("cosign_invited") == {"lisi"}
    assert Notification.objects.filter(verb="cosign_invited").count() == 1


@pytest.mark.parametrize("state", [State.FILED, State.NOT_FILED, State.MERGED])
def test_review_outcome_goes_to_the_proposer(pw, state):
    pw.bring_to(state)
    verb = {State.FILED: "filed", State.NOT_FILED: "not_filed", State.MERGED: "merged"}[state]
    assert who(verb) == {"member1"}


def test_assignment_goes_to_every_assigned_unit(pw):
    pw.bring_to(State.ASSIGNED)
    assert who("assigned") == {"unit1", "unit2"}


def test_return_request_goes_to_the_office_and_reassignment_to_the_new_units(pw):
    w = pw.world
    p = pw.bring_to(State.RETURNED)
    assert who("return_requested") == {"office1"}
    Notification.objects.all().delete()
    services.assignment_reassign(proposal=p, user=w.office, lead=pw.other_unit)
    assert who("assigned") == {"unit2"}


def test_reply_goes_to_the_proposer_and_rating_to_lead_unit_and_office(pw):
    pw.bring_to(State.REPLIED)
    assert who("replied") == {"member1"}
    assert who("rated") == set()
    p = Proposal.objects.get(state=State.REPLIED)
    services.feedback_record(proposal=p, user=pw.world.member_user, rating="satisfied")
    assert who("rated") == {"unit1", "office1"}  # the co-handling unit2 is not told
    assert "满意" in Notification.objects.filter(verb="rated").first().title


def test_dissatisfied_rating_sends_the_lead_unit_back_to_work(pw):
    pw.bring_to(State.REHANDLING)
    assert who("rehandling") == {"unit1"}
    assert who("rated") == set()


def test_a_retried_step_does_not_notify_twice(pw):
    p = pw.bring_to(State.FILED)
    notify.filed(p)
    notify.filed(p)
    assert Notification.objects.filter(verb="filed").count() == 1


def test_a_rolled_back_step_notifies_nobody(pw):
    p = pw.bring_to(State.SUBMITTED)
    Notification.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.review_file(proposal=p, user=pw.world.office)
        assert who("filed") == {"member1"}
        raise RuntimeError
    assert Notification.objects.count() == 0
    assert Proposal.objects.get(pk=p.pk).state == State.SUBMITTED


def test_email_copy_is_sent_once_after_commit(pw, django_capture_on_commit_callbacks):
    w = pw.world
    w.office.email = "office@example.gov.cn"
    w.office.save()
    with django_capture_on_commit_callbacks(execute=True):
        pw.bring_to(State.SUBMITTED)
    assert [m.to for m in mail.outbox] == [["office@example.gov.cn"]]  # member1 has no address
    assert "新提案待审查" in mail.outbox[0].subject
    row = Notification.objects.get(verb="submitted")
    assert row.sent_at is not None
    assert send_notice_email.call(row.pk) is False  # a retried task sends nothing
    assert len(mail.outbox) == 1


def test_email_is_not_enqueued_when_the_step_rolls_back(pw, django_capture_on_commit_callbacks):
    w = pw.world
    w.office.email = "office@example.gov.cn"
    w.office.save()
    p = pw.draft()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.proposal_submit(proposal=p, user=w.member_user)
            raise RuntimeError
    assert mail.outbox == []


def test_overdue_reminders_once_per_unit_user_per_proposal_per_day(pw):
    p = pw.bring_to(State.ASSIGNED)
    fresh = pw.bring_to(State.ASSIGNED)  # not overdue
    yesterday = timezone.localdate() - timedelta(days=1)
    Proposal.objects.filter(pk=p.pk).update(deadline=yesterday)
    assert list(notify.overdue_proposals(pw.world.city)) == [Proposal.objects.get(pk=p.pk)]
    assert list(notify.overdue_proposals(pw.world.sibling)) == []

    remind_overdue.enqueue(pw.world.city.pk)
    remind_overdue.enqueue()
    rows = Notification.objects.filter(verb="overdue")
    assert {(r.user.username, r.proposal_id) for r in rows} == {("unit1", p.pk), ("unit2", p.pk)}
    assert not rows.filter(proposal=fresh).exists()

    tomorrow = timezone.localdate() + timedelta(days=1)
    assert len(notify.overdue_reminders(pw.world.city, today=tomorrow)) == 2
    assert Notification.objects.filter(verb="overdue").count() == 4


def test_remind_overdue_command_creates_reminders_through_the_queue(pw):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    late = pw.bring_to(State.ASSIGNED)
    Proposal.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=3))
    call_command("remind_overdue", stdout=io.StringIO())
    call_command("remind_overdue", stdout=io.StringIO())
    assert Notification.objects.filter(user=pw.world.unit_user, verb="overdue").count() == 1
