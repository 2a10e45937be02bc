import pytest

from zhengxie.accounts.models import AuditLog
from zhengxie.proposals import services, workflow
from zhengxie.proposals.models import Assignment, CoSigner, Feedback, Proposal, Reply, State, Transition
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

ROLE_USERS = [
    "member_user",
    "office",
    "leader",
    "unit_user",
    "admin",
    "auditor",
    "province_office",
    "sibling_office",
]


def do_move(pw, proposal, move, user):
    w = pw.world
    if move.action == "submit":
        return services.proposal_submit(proposal=proposal, user=user)
    if move.action == "withdraw":
        return services.proposal_withdraw(proposal=proposal, user=user)
    if move.action == "file":
        return services.review_file(proposal=proposal, user=user)
    if move.action == "not_file":
        return services.review_not_file(
            proposal=proposal, user=user, reason="建议以社情民意形式反映", conversion="opinion"
        )
    if move.action == "merge":
        target = services.proposal_submit(proposal=pw.draft(title="并案目标"), user=w.member_user)
        return services.review_merge(proposal=proposal, user=user, into=target)
    if move.action == "assign":
        return services.assignment_create(proposal=proposal, user=user, lead=w.unit)
    if move.action == "request_return":
        return services.assignment_request_return(proposal=proposal, user=user, reason="非本单位职责")
    if move.action == "reassign":
        return services.assignment_reassign(proposal=proposal, user=user, lead=pw.other_unit)
    if move.action == "reply":
        services.reply_record(proposal=proposal, user=user, letter="答复如下……", result="A")
        proposal.refresh_from_db()
        return proposal
    rating = "dissatisfied" if move.action == "rate_dissatisfied" else "satisfied"
    services.feedback_record(proposal=proposal, user=user, rating=rating)
    proposal.refresh_from_db()
    return proposal


def right_user(pw, move):
    return {"proposer": pw.world.member_user, "office": pw.world.office, "lead_unit": pw.world.unit_user}[
        move.actor
    ]


@pytest.mark.parametrize("move", workflow.TRANSITIONS, ids=lambda m: f"{m.action}:{m.source}->{m.target}")
def test_every_edge_with_right_role_and_refused_with_wrong_roles(pw, move):
    proposal = pw.bring_to(move.source)
    allowed = right_user(pw, move)
    for name in ROLE_USERS:
        user = getattr(pw.world, name)
        if user == allowed:
            continue
        with pytest.raises(workflow.TransitionError):
            do_move(pw, Proposal.objects.get(pk=proposal.pk), move, user)
        assert Proposal.objects.get(pk=proposal.pk).state == move.source
    transitions_before = Transition.objects.filter(proposal=proposal).count()
    result = do_move(pw, Proposal.objects.get(pk=proposal.pk), move, allowed)
    assert Proposal.objects.get(pk=proposal.pk).state == move.target == result.state
    last = Transition.objects.filter(proposal=proposal).last()
    assert (last.from_state, last.to_state, last.actor_id) == (move.source, move.target, allowed.pk)
    assert Transition.objects.filter(proposal=proposal).count() == transitions_before + 1
    audit = AuditLog.objects.filter(
        object_type="proposals.Proposal", object_id=str(proposal.pk), action="update"
    ).first()
    assert audit.after["state"] == move.target


@pytest.mark.parametrize("state", sorted(workflow.TERMINAL))
def test_no_move_from_a_terminal_state(pw, state):
    proposal = pw.bring_to(state)
    for move in workflow.TRANSITIONS:
        with pytest.raises(workflow.TransitionError):
            do_move(pw, Proposal.objects.get(pk=proposal.pk), move, right_user(pw, move))
    assert Proposal.objects.get(pk=proposal.pk).state == state


def test_submit_numbers_within_session(pw):
    first = pw.bring_to(State.SUBMITTED)
    second = pw.bring_to(State.SUBMITTED)
    assert (first.number, second.number) == (1, 2)
    assert first.number_display == "十四届二次会议第0001号"


def test_submit_twice_with_same_token_creates_one_submission(pw):
    p = pw.draft()
    a = services.proposal_submit(proposal=p, user=pw.world.member_user, client_token="tok-1")
    b = services.proposal_submit(
        proposal=Proposal.objects.get(pk=p.pk), user=pw.world.member_user, client_token="tok-1"
    )
    assert a.pk == b.pk
    assert Proposal.objects.filter(state=State.SUBMITTED).count() == 1
    assert Transition.objects.filter(proposal=p, action="submit").count() == 1


def test_two_clerks_on_one_step_only_first_succeeds(pw):
    p = pw.bring_to(State.SUBMITTED)
    clerk2 = UserFactory(username="office2")
    grant(clerk2, pw.world.city, "office")
    stale = Proposal.objects.get(pk=p.pk)
    services.review_file(proposal=p, user=pw.world.office)
    with pytest.raises(workflow.TransitionError):
        services.review_not_file(proposal=stale, user=clerk2, reason="重复")
    assert Proposal.objects.get(pk=p.pk).state == State.FILED


def test_cosigners_confirm_and_decline(pw):
    p = pw.draft()
    invited = [
        pw.world.other_member,
        MemberFactory(committee=pw.world.city, user=UserFactory(username="co2")),
    ]
    pw.world.other_member.user = UserFactory(username="co1")
    pw.world.other_member.save()
    services.cosigner_invite(proposal=p, user=pw.world.member_user, members=invited)
    services.cosigner_respond(proposal=p, user=pw.world.other_member.user, confirm=True)
    services.cosigner_respond(proposal=p, user=invited[1].user, confirm=False)
    assert dict(CoSigner.objects.values_list("member__name", "status")) == {
        pw.world.other_member.name: "confirmed",
        invited[1].name: "declined",
    }
    with pytest.raises(services.ProposalError):
        services.cosigner_invite(proposal=p, user=pw.world.member_user, members=[pw.world.sibling_member])


def test_co_unit_opinion_goes_first_and_changes_no_state(pw):
    p = pw.bring_to(State.ASSIGNED)
    services.reply_record(proposal=p, user=pw.other_unit_user, letter="会办意见：支持。")
    assert Proposal.objects.get(pk=p.pk).state == State.ASSIGNED
    assert Reply.objects.get(proposal=p).role == "co"


def test_dissatisfied_twice_closes_after_one_rehandling(pw):
    p = pw.bring_to(State.REHANDLING)
    assert p.rehandle_count == 1
    services.reply_record(proposal=p, user=pw.world.unit_user, letter="再次答复", result="A")
    p.refresh_from_db()
    services.feedback_record(proposal=p, user=pw.world.member_user, rating="dissatisfied")
    p.refresh_from_db()
    assert p.state == State.CLOSED
    assert list(Feedback.objects.filter(proposal=p).values_list("round", "rating")) == [
        (1, "dissatisfied"),
        (2, "dissatisfied"),
    ]


def test_returned_unit_no_longer_acts(pw):
    p = pw.bring_to(State.RETURNED)
    p = services.assignment_reassign(proposal=p, user=pw.world.office, lead=pw.other_unit)
    with pytest.raises(workflow.TransitionError):
        services.reply_record(proposal=p, user=pw.world.unit_user, letter="x", result="A")
    services.reply_record(proposal=p, user=pw.other_unit_user, letter="已解决", result="A")
    assert Proposal.objects.get(pk=p.pk).state == State.REPLIED
    assert list(Assignment.objects.filter(proposal=p).values_list("unit__name", "status").order_by("id")) == [
        ("江门市教育局", "returned"),
        ("江门市住房和城乡建设局", "returned"),
        ("江门市住房和城乡建设局", "done"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "案由不能为空"),
        ("title", "长" * 10_000_000, "案由不能超过200字"),
        ("suggestions", "  ", "建议不能为空"),
    ],
)
def test_bad_draft_input_is_refused_and_creates_nothing(pw, field, value, message):
    with pytest.raises(services.ProposalError, match=message):
        pw.draft(**{field: value})
    assert Proposal.objects.count() == 0


def test_unit_of_another_committee_is_refused(pw):
    from zhengxie.testing.factories import HandlingUnitFactory

    p = pw.bring_to(State.FILED)
    foreign = HandlingUnitFactory(committee=pw.world.sibling)
    with pytest.raises(services.ProposalError, match="不属于本政协"):
        services.assignment_create(proposal=p, user=pw.world.office, lead=foreign)
    assert Proposal.objects.get(pk=p.pk).state == State.FILED
    assert Assignment.objects.count() == 0


def test_key_first_and_excellent(pw):
    p = pw.bring_to(State.CLOSED)
    chair = MemberFactory(committee=pw.world.city, position="chair")
    services.key_mark(proposal=p, user=pw.world.office, leaders=[chair])
    services.first_mark(proposal=p, user=pw.world.office)
    services.excellent_mark(proposal=p, user=pw.world.office)
    p.refresh_from_db()
    assert (p.is_key, p.is_first, p.is_excellent) == (True, True, True)
    with pytest.raises(services.ProposalError):
        services.excellent_mark(proposal=pw.bring_to(State.ASSIGNED), user=pw.world.office)


def test_linkage_escalate_to_parent_committee(pw):
    from zhengxie.org.models import Session, Term

    local = pw.bring_to(State.FILED)
    prov_user = UserFactory(username="provmember")
    prov_member = MemberFactory(committee=pw.world.province, user=prov_user)
    term = Term.objects.create(committee=pw.world.province, number=13, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=pw.world.province, term=term, number=4, year=2026)
    up = services.linkage_escalate(proposal=local, user=prov_user, to_member=prov_member, session=session)
    assert (up.committee_id, up.origin_id, up.state) == (pw.world.province.pk, local.pk, State.DRAFT)
    assert list(local.escalations.all()) == [up]
    sibling_member = MemberFactory(committee=pw.world.sibling, user=UserFactory(username="hz9"))
    with pytest.raises(services.ProposalError):
        services.linkage_escalate(
            proposal=local, user=sibling_member.user, to_member=sibling_member, session=session
        )


def test_control_characters_are_removed_before_saving(pw):
    p = pw.draft(title="关于\x00加装\x07电梯的建议", background="第一段\n第二段\t续")
    p.refresh_from_db()
    assert (p.title, p.background) == ("关于加装电梯的建议", "第一段\n第二段\t续")


def test_split_assignment_is_replied_when_every_lead_has_answered(pw):
    p = pw.bring_to(State.FILED)
    p = services.assignment_create(
        proposal=p, user=pw.world.office, lead=pw.world.unit, split_units=[pw.other_unit]
    )
    services.reply_record(proposal=p, user=pw.world.unit_user, letter="教育部分已落实", result="A")
    p.refresh_from_db()
    assert p.state == State.ASSIGNED
    with pytest.raises(workflow.TransitionError):
        services.reply_record(proposal=p, user=pw.world.unit_user, letter="再答一次", result="A")
    services.reply_record(proposal=p, user=pw.other_unit_user, letter="住建部分列入计划", result="B")
    p.refresh_from_db()
    assert p.state == State.REPLIED
    assert list(Reply.objects.filter(proposal=p).values_list("unit__name", "result").order_by("id")) == [
        ("江门市教育局", "A"),
        ("江门市住房和城乡建设局", "B"),
    ]
    assert Transition.objects.filter(proposal=p, action="reply").count() == 1


def test_split_assignment_rehandling_needs_every_lead_again(pw):
    p = pw.bring_to(State.FILED)
    p = services.assignment_create(
        proposal=p, user=pw.world.office, lead=pw.world.unit, split_units=[pw.other_unit]
    )
    for user in (pw.world.unit_user, pw.other_unit_user):
        services.reply_record(proposal=p, user=user, letter="答复", result="B")
    p.refresh_from_db()
    services.feedback_record(proposal=p, user=pw.world.member_user, rating="dissatisfied")
    p.refresh_from_db()
    services.reply_record(proposal=p, user=pw.world.unit_user, letter="再次答复", result="A")
    p.refresh_from_db()
    assert p.state == State.REHANDLING
    services.reply_record(proposal=p, user=pw.other_unit_user, letter="再次答复", result="A")
    p.refresh_from_db()
    assert p.state == State.REPLIED


def test_split_with_the_same_unit_twice_is_refused(pw):
    p = pw.bring_to(State.FILED)
    with pytest.raises(services.ProposalError, match="承办单位重复"):
        services.assignment_create(
            proposal=p, user=pw.world.office, lead=pw.world.unit, split_units=[pw.world.unit]
        )
    assert Assignment.objects.count() == 0
