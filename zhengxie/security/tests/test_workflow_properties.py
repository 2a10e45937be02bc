"""Random action sequences against each workflow (proposals, opinion reports, concerns, agreed items of a
consultation), through the services, by random people. After every step:

- a state change is a move of the workflow's table, from the state the record was in, by the person the
  move names (checked against this file's own statement of who is who, not the code's);
- a move the table and the person allow does happen, exactly once: one history row, version + 1;
- anything else is refused and the record is as it was;
- once the record is in a terminal state nothing writes anything, whoever tries what.

Each sequence starts from a record already in one of the workflow's states (made through the services by
the right people), and a savepoint is rolled back after it: Hypothesis explores thousands of sequences in all,
from every state, without rebuilding the world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengxie.accounts.models import Role, User
from zhengxie.consultations import services as consultations
from zhengxie.consultations import workflow as outcome_workflow
from zhengxie.consultations.models import Form, Outcome
from zhengxie.grassroots import services as concerns
from zhengxie.grassroots import workflow as concern_workflow
from zhengxie.grassroots.models import Concern
from zhengxie.opinions import services as opinions
from zhengxie.opinions import workflow as opinion_workflow
from zhengxie.opinions.models import OpinionReport
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services as proposals
from zhengxie.proposals import workflow as proposal_workflow
from zhengxie.proposals.models import Assignment, Proposal
from zhengxie.security.tests.probe import recording_writes
from zhengxie.statemachine import Move, TransitionError
from zhengxie.testing.factories import HandlingUnitFactory, MemberFactory, StationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

# Sequences per workflow: 2,000 in all, in well under a minute.
EXAMPLES = {"proposal": 450, "opinion": 450, "concern": 550, "outcome": 550}
STEPS = 3
SETTINGS = settings(
    deadline=None,
    derandomize=True,  # the same sequences at every run: a failure is reproducible, never a fluke
    database=None,  # nothing written to the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Spec:
    """A workflow under test: its table, its record, what each action calls, and who may do what."""

    moves: tuple[Move, ...]
    terminal: frozenset[str]
    fresh: Callable[[], models.Model]  # a new record in the first state
    paths: list[list[tuple[str, str]]]  # (action, person) steps to each state sequences start from
    people: dict[str, User]
    actions: dict[str, Callable[[Any, User], Any]]
    history: str  # the related name of its history rows
    # The move an action would make from the record's current state (None: it makes none).
    move_of: Callable[[Any, str], Move | None]
    # Whether this person is the one the move's actor names, for this record as it stands.
    is_actor: Callable[[Any, str, str], bool]
    # Actions that add a row without moving the state, and when they may: (record, who) -> bool.
    stays: dict[str, Callable[[Any, str], bool]]
    untried: frozenset[str] = frozenset()  # moves no action of a sequence can make (and why, at the spec)
    starts: list[models.Model] = field(default_factory=list)
    made: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, source) of the moves made
    ended: set[str] = field(default_factory=set)  # terminal states reached


def table_move(moves: tuple[Move, ...], action: str, state: str) -> Move | None:
    return next((m for m in moves if m.action == action and m.source == state), None)


def terminal_states(moves: tuple[Move, ...], declared: frozenset[str] | None = None) -> frozenset[str]:
    """The workflow's declared terminal states; without a declaration, the states its table has no way out
    of. (An opinion report once adopted has no move left but may still be sent to more receivers.)"""
    if declared is not None:
        return frozenset(declared)
    states = {m.target for m in moves} | {m.source for m in moves}
    return frozenset(s for s in states if not any(m.source == s for m in moves))


def snapshot(spec: Spec, start: models.Model) -> tuple[Any, dict[str, Any]]:
    """The record as stored, and its values with the number of its history rows."""
    model = type(start)
    obj = model.objects.get(pk=start.pk)
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    # Counted in plain SQL: the ORM's query building costs more than the query, many thousand times over.
    history = model._meta.get_field(spec.history)
    table = connection.ops.quote_name(history.related_model._meta.db_table)
    column = connection.ops.quote_name(history.field.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = %s", [start.pk])
        values["_history"] = cursor.fetchone()[0]
    return obj, values


def prepare(spec: Spec) -> Spec:
    """One record in each starting state, each brought there by the spec's own actions."""
    for path in spec.paths:
        record = spec.fresh()
        for action, who in path:
            spec.actions[action](type(record).objects.get(pk=record.pk), spec.people[who])
        spec.starts.append(type(record).objects.get(pk=record.pk))
    states = {r.state for r in spec.starts}  # type: ignore[attr-defined]
    assert len(states) == len(spec.paths), "each path leads to its own state"
    return spec


def legal_steps(spec: Spec, obj: Any) -> list[tuple[str, str]]:
    """Every (action, person) this file's statement allows on the record as it stands."""
    out = []
    for action in spec.actions:
        move = spec.move_of(obj, action)
        for who in spec.people:
            if (move is not None and spec.is_actor(obj, who, move.actor)) or (
                action in spec.stays and spec.stays[action](obj, who)
            ):
                out.append((action, who))
    return out


def run_sequence(spec: Spec, data: st.DataObject) -> None:
    """A quarter of the steps are drawn among the allowed ones, so sequences move on through the workflow;
    the others are anything by anybody."""
    actions, people = sorted(spec.actions), sorted(spec.people)
    start = data.draw(st.sampled_from(spec.starts), label="start")
    with transaction.atomic():
        obj, before = snapshot(spec, start)
        for _ in range(data.draw(st.integers(1, STEPS), label="steps")):
            allowed = legal_steps(spec, obj) if data.draw(st.integers(0, 3), label="allowed?") == 0 else []
            if allowed:
                action, who = data.draw(st.sampled_from(allowed), label="step")
            else:
                action, who = data.draw(
                    st.tuples(st.sampled_from(actions), st.sampled_from(people)), label="step"
                )
            obj, before = step(spec, start, obj, before, action, who)
        transaction.set_rollback(True)


def walk_every_move(spec: Spec) -> None:
    """Each move of the table once, from a record in its source state, by its actor: every check of a step
    applies, and the random sequences below are not the only proof that the allowed moves work."""
    for move in spec.moves:
        if move.action in spec.untried:
            continue
        start = next(r for r in spec.starts if r.state == move.source)  # type: ignore[attr-defined]
        with transaction.atomic():
            obj, before = snapshot(spec, start)
            action = next(a for a in spec.actions if spec.move_of(obj, a) == move)
            who = next(w for w in spec.people if spec.is_actor(obj, w, move.actor))
            step(spec, start, obj, before, action, who)
            transaction.set_rollback(True)


def explore(spec: Spec, examples: int) -> None:
    @settings(SETTINGS, max_examples=examples)
    @given(data=st.data())
    def sequences(data: st.DataObject) -> None:
        run_sequence(spec, data)

    prepare(spec)
    walk_every_move(spec)
    walked = sum(spec.made.values())
    spec.ended.clear()
    sequences()
    # Not vacuous: the sequences made moves by the hundred and reached every way the workflow ends.
    assert sum(spec.made.values()) - walked > examples // 5
    reachable = spec.terminal & {m.target for m in spec.moves}
    assert reachable <= spec.ended, sorted(reachable - spec.ended)


def step(
    spec: Spec, start: models.Model, obj: Any, before: dict[str, Any], action: str, who: str
) -> tuple[Any, dict[str, Any]]:
    state = before["state"]
    move = spec.move_of(obj, action)
    moves = move is not None and spec.is_actor(obj, who, move.actor)
    stays = action in spec.stays and spec.stays[action](obj, who)
    error: Exception | None = None
    with recording_writes() as writes:
        try:
            with transaction.atomic():
                spec.actions[action](obj, spec.people[who])
        except TransitionError as exc:  # the services' refusals are TransitionErrors
            error = exc
    obj, after = snapshot(spec, start)
    where = f"{action} by {who} in {state}"
    if state in spec.terminal:
        assert not writes.tables, f"{where}: wrote {sorted(set(writes.tables))} after a terminal state"
        assert after == before, f"{where}: changed a record in a terminal state"
    if moves:
        assert error is None, f"{where}: a move of the table by its actor was refused: {error}"
        assert move is not None
        assert after["state"] == move.target, f"{where}: went to {after['state']}, not {move.target}"
        assert after["version"] == before["version"] + 1
        assert after["_history"] == before["_history"] + 1
        spec.made[(move.action, move.source)] += 1
        if move.target in spec.terminal:
            spec.ended.add(move.target)
    elif stays:
        assert error is None, f"{where}: refused: {error}"
        assert after["state"] == state
    else:
        assert error is not None, f"{where}: allowed, though the table or the person does not allow it"
        assert after == before, f"{where}: refused but changed the record"
    return obj, after


def staff(username: str, committee: Any, role: str, unit: Any = None) -> User:
    user = UserFactory(username=username)
    grant(user, committee, role, unit)
    user.__dict__.pop("_grants_cache", None)
    return user


# ---------------------------------------------------------------------------------------------- proposals

SUBMIT, FILE, ASSIGN, REPLY = (
    ("submit", "member"),
    ("file", "office"),
    ("assign", "office"),
    ("reply", "unit"),
)


@pytest.fixture
def proposal_spec(world) -> Spec:  # type: ignore[no-untyped-def]
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(
        committee=world.city, term=term, number=2, year=timezone.localdate().year
    )
    unit2 = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    other_user = UserFactory(username="other1")
    world.other_member.user = other_user
    world.other_member.save()
    grant(other_user, world.city, Role.MEMBER)
    people = {
        "member": world.member_user,
        "other": other_user,
        "office": world.office,
        "leader": world.leader,
        "unit": world.unit_user,
        "unit2": staff("unit2", world.city, Role.UNIT, unit2),
        "sibling_office": world.sibling_office,
    }

    def draft(title: str) -> Proposal:
        return proposals.proposal_draft_create(
            user=world.member_user,
            author=world.member,
            session=session,
            title=title,
            background="情况。",
            suggestions="建议。",
        )

    into = proposals.proposal_submit(proposal=draft("并案目标"), user=world.member_user)

    def cosigned() -> Proposal:
        # 李四 co-signs it: a co-signer is not its proposer, and may make none of the proposer's moves.
        p = draft("关于老旧小区加装电梯的建议")
        proposals.cosigner_invite(proposal=p, user=world.member_user, members=[world.other_member])
        proposals.cosigner_respond(proposal=p, user=other_user, confirm=True)
        return p

    units = {"unit": world.unit.pk, "unit2": unit2.pk}

    def rating(rating: str) -> Callable[[Any, User], Any]:
        return lambda p, u: proposals.feedback_record(proposal=p, user=u, rating=rating)

    actions: dict[str, Callable[[Any, User], Any]] = {
        "submit": lambda p, u: proposals.proposal_submit(proposal=p, user=u),
        "withdraw": lambda p, u: proposals.proposal_withdraw(proposal=p, user=u, reason="重复"),
        "file": lambda p, u: proposals.review_file(proposal=p, user=u),
        "not_file": lambda p, u: proposals.review_not_file(proposal=p, user=u, reason="不属于提案范围"),
        "merge": lambda p, u: proposals.review_merge(proposal=p, user=u, into=into),
        "assign": lambda p, u: proposals.assignment_create(proposal=p, user=u, lead=world.unit),
        "request_return": lambda p, u: proposals.assignment_request_return(
            proposal=p, user=u, reason="职责不符"
        ),
        "reassign": lambda p, u: proposals.assignment_reassign(proposal=p, user=u, lead=unit2),
        "reply": lambda p, u: proposals.reply_record(proposal=p, user=u, letter="已办理。", result="A"),
        "rate": rating("satisfied"),
        "rate_dissatisfied": rating("dissatisfied"),
        "contact": lambda p, u: proposals.contact_record(proposal=p, user=u, method="电话", note="已沟通"),
    }

    def lead_unit(p: Proposal) -> int | None:
        # Read once per step: each step works on a freshly loaded record.
        if "_lead" not in p.__dict__:
            p.__dict__["_lead"] = (
                Assignment.objects.filter(
                    proposal=p, role=Assignment.Role.LEAD, status=Assignment.Status.ACTIVE
                )
                .values_list("unit_id", flat=True)
                .first()
            )
        return p.__dict__["_lead"]

    def move_of(p: Proposal, action: str) -> Move | None:
        if action == "rate_dissatisfied" and p.rehandle_count > 0:
            action = "rate"  # 不满意 a second time closes it (one re-handling only)
        return table_move(proposal_workflow.TRANSITIONS, action, p.state)

    def is_actor(p: Proposal, who: str, actor: str) -> bool:
        if actor == "proposer":
            return who == "member"
        if actor == "office":
            return who == "office"
        return units.get(who) == lead_unit(p)

    return Spec(
        moves=proposal_workflow.TRANSITIONS,
        terminal=terminal_states(proposal_workflow.TRANSITIONS, proposal_workflow.TERMINAL),
        fresh=cosigned,
        paths=[
            [],
            [SUBMIT],
            [SUBMIT, ("withdraw", "member")],
            [SUBMIT, FILE],
            [SUBMIT, ("not_file", "office")],
            [SUBMIT, ("merge", "office")],
            [SUBMIT, FILE, ASSIGN],
            [SUBMIT, FILE, ASSIGN, ("request_return", "unit")],
            [SUBMIT, FILE, ASSIGN, REPLY],
            [SUBMIT, FILE, ASSIGN, REPLY, ("rate_dissatisfied", "member")],
            [SUBMIT, FILE, ASSIGN, REPLY, ("rate", "member")],
        ],
        people=people,
        actions=actions,
        history="transitions",
        move_of=move_of,
        is_actor=is_actor,
        # The unit handling it records its contacts with the proposer while it handles it.
        stays={
            "contact": lambda p, who: p.state in ("assigned", "rehandling") and units.get(who) == lead_unit(p)
        },
    )


def test_proposal_sequences(proposal_spec: Spec) -> None:
    explore(proposal_spec, EXAMPLES["proposal"])


# ---------------------------------------------------------------------------------------- opinion reports

OUT = ("forwarded", "adopted")


@pytest.fixture
def opinion_spec(world) -> Spec:  # type: ignore[no-untyped-def]
    other_user = UserFactory(username="other1")
    world.other_member.user = other_user
    world.other_member.save()
    grant(other_user, world.city, Role.MEMBER)
    people = {
        "member": world.member_user,
        "other": other_user,
        "office": world.office,
        "leader": world.leader,
        "sibling_office": world.sibling_office,
    }

    def create(title: str, submit: bool) -> OpinionReport:
        return opinions.report_create(
            user=world.member_user, committee=world.city, title=title, situation="情况。", submit=submit
        )

    into = create("合并目标", submit=True)

    def forward(receiver: str) -> Callable[[Any, User], Any]:
        return lambda r, u: opinions.report_forward(
            report=r, user=u, target="party_committee", receiver=receiver
        )

    def adopt(r: OpinionReport, u: User) -> Any:
        forwarding = r.forwardings.filter(adopted=False).order_by("pk").first()
        if forwarding is None:
            raise opinions.OpinionError("没有可登记采用的报送")
        return opinions.report_adopt(report=r, user=u, forwarding=forwarding)

    actions: dict[str, Callable[[Any, User], Any]] = {
        "submit": lambda r, u: opinions.report_submit(report=r, user=u),
        "withdraw": lambda r, u: opinions.report_withdraw(report=r, user=u),
        "archive": lambda r, u: opinions.report_archive(report=r, user=u, reason="已有反映"),
        "reopen": lambda r, u: opinions.report_reopen(report=r, user=u),
        "merge": lambda r, u: opinions.report_merge(report=r, user=u, into=into),
        "forward_a": forward("江门市委办公室"),
        "forward_b": forward("江门市政府办公室"),
        "adopt": adopt,
        "instruct": lambda r, u: opinions.instruction_add(
            report=r, user=u, level="city", leader_name="王市长"
        ),
    }

    def move_of(r: OpinionReport, action: str) -> Move | None:
        # A leader's instruction on a report only forwarded so far also records its adoption.
        action = {"forward_a": "forward", "forward_b": "forward", "instruct": "adopt"}.get(action, action)
        return table_move(opinion_workflow.TRANSITIONS, action, r.state)

    def is_actor(r: OpinionReport, who: str, actor: str) -> bool:
        return who == ("member" if actor == "author" else "office")

    def forward_again(receiver: str) -> Callable[[Any, str], bool]:
        # Once out, the office may send it to another receiver (a row, no move); the same one only once.
        return lambda r, who: (
            who == "office" and r.state in OUT and not r.forwardings.filter(receiver=receiver).exists()
        )

    return Spec(
        moves=opinion_workflow.TRANSITIONS,
        terminal=terminal_states(opinion_workflow.TRANSITIONS, opinion_workflow.TERMINAL),
        fresh=lambda: create("关于学校周边交通拥堵的建议", submit=False),
        # The office's entry of a report received on paper is made when the office creates it, never on a
        # member's draft (which is what every sequence here works on).
        untried=frozenset({"receive"}),
        paths=[
            [],
            [("submit", "member")],
            [("submit", "member"), ("withdraw", "member")],
            [("submit", "member"), ("archive", "office")],
            [("submit", "member"), ("merge", "office")],
            [("submit", "member"), ("forward_a", "office")],
            [("submit", "member"), ("forward_a", "office"), ("adopt", "office")],
        ],
        people=people,
        actions=actions,
        history="transitions",
        move_of=move_of,
        is_actor=is_actor,
        stays={
            "forward_a": forward_again("江门市委办公室"),
            "forward_b": forward_again("江门市政府办公室"),
            # A second receiver's adoption, once adopted: a row, no move.
            "adopt": lambda r, who: (
                who == "office" and r.state == "adopted" and r.forwardings.filter(adopted=False).exists()
            ),
            "instruct": lambda r, who: who == "office" and r.state == "adopted",
        },
    )


def test_opinion_report_sequences(opinion_spec: Spec) -> None:
    explore(opinion_spec, EXAMPLES["opinion"])


# ---------------------------------------------------------------------------------------------- concerns


@pytest.fixture
def concern_spec(world) -> Spec:  # type: ignore[no-untyped-def]
    station = StationFactory(committee=world.city, name="江海区委员工作室")
    world.member.station = station
    world.member.save()
    colleague = UserFactory(username="colleague")
    MemberFactory(committee=world.city, user=colleague, station=station, name="陈静")
    grant(colleague, world.city, Role.MEMBER)
    other = UserFactory(username="other1")
    world.other_member.user = other
    world.other_member.save()
    grant(other, world.city, Role.MEMBER)
    people = {
        "member": world.member_user,
        "colleague": colleague,
        "other": other,
        "office": world.office,
        "leader": world.leader,
        "sibling_office": world.sibling_office,
    }

    def raise_one() -> Concern:
        # From the public form with its trap filled in: it waits for the office's review.
        return concerns.concern_raise(
            committee=world.city,
            station=station,
            title="小区门口路灯不亮",
            content="两个月了。",
            trap="http://x",
        )

    def is_actor(c: Concern, who: str, actor: str) -> bool:
        if actor == "office":
            return who == "office"
        if actor == "station_member":
            return who in ("member", "colleague")
        return c.taken_by_id is not None and c.taken_by.user_id == people[who].pk  # type: ignore[union-attr]

    return Spec(
        moves=concern_workflow.TRANSITIONS,
        terminal=terminal_states(concern_workflow.TRANSITIONS),
        fresh=raise_one,
        paths=[
            [],
            [("approve", "office")],
            [("approve", "office"), ("take", "member")],
            [("approve", "office"), ("take", "member"), ("resolve", "member")],
            [("reject", "office")],
        ],
        people=people,
        actions={
            "approve": lambda c, u: concerns.concern_approve(concern=c, user=u),
            "reject": lambda c, u: concerns.concern_reject(concern=c, user=u, reason="不属于受理范围"),
            "take": lambda c, u: concerns.concern_take(concern=c, user=u),
            "release": lambda c, u: concerns.concern_release(concern=c, user=u),
            "resolve": lambda c, u: concerns.concern_resolve(concern=c, user=u, result="已修复。"),
        },
        history="events",
        move_of=lambda c, action: table_move(
            concern_workflow.TRANSITIONS, "close" if action == "resolve" else action, c.state
        ),
        is_actor=is_actor,
        stays={},
    )


def test_concern_sequences(concern_spec: Spec) -> None:
    explore(concern_spec, EXAMPLES["concern"])


# ------------------------------------------------------------------------ agreed items of a consultation


@pytest.fixture
def outcome_spec(world) -> Spec:  # type: ignore[no-untyped-def]
    unit2 = HandlingUnitFactory(committee=world.city, name="江门市住房和城乡建设局")
    people = {
        "office": world.office,
        "member": world.member_user,
        "leader": world.leader,
        "unit": world.unit_user,
        "unit2": staff("unit2", world.city, Role.UNIT, unit2),
        "sibling_office": world.sibling_office,
    }
    units = {"unit": world.unit.pk, "unit2": unit2.pk}
    c = consultations.consultation_create(
        user=world.office,
        committee=world.city,
        title="关于职业教育的协商",
        held_on=timezone.localdate() - timedelta(days=2),
        form=Form.STANDING,
    )
    c = consultations.consultation_hold(consultation=c, user=world.office)
    deadline = timezone.localdate() + timedelta(days=30)

    def transfer(unit: Any) -> Callable[[Any, User], Any]:
        return lambda o, u: consultations.outcome_transfer(outcome=o, user=u, unit=unit, deadline=deadline)

    def is_actor(o: Outcome, who: str, actor: str) -> bool:
        if actor == "manager":
            return who == "office"  # a standing consultation: the office manages it
        return o.unit_id is not None and units.get(who) == o.unit_id

    return Spec(
        moves=outcome_workflow.TRANSITIONS,
        terminal=terminal_states(outcome_workflow.TRANSITIONS),
        fresh=lambda: consultations.outcome_add(consultation=c, user=world.office, text="扩大招生"),
        paths=[
            [],
            [("transfer_a", "office")],
            [("transfer_a", "office"), ("accept", "unit")],
            [("transfer_a", "office"), ("decline", "unit")],
            [("transfer_a", "office"), ("accept", "unit"), ("complete", "unit")],
            [("transfer_a", "office"), ("accept", "unit"), ("complete", "unit"), ("report_back", "office")],
        ],
        people=people,
        actions={
            "transfer_a": transfer(world.unit),
            "transfer_b": transfer(unit2),
            "hand_back": lambda o, u: consultations.outcome_hand_back(
                outcome=o, user=u, reason="不属于本单位"
            ),
            "accept": lambda o, u: consultations.outcome_respond(
                outcome=o, user=u, accept=True, response="同意"
            ),
            "decline": lambda o, u: consultations.outcome_respond(
                outcome=o, user=u, accept=False, response="无资金"
            ),
            "progress": lambda o, u: consultations.outcome_progress(
                outcome=o, user=u, percent=50, note="过半"
            ),
            "complete": lambda o, u: consultations.outcome_complete(outcome=o, user=u, note="已完成"),
            "report_back": lambda o, u: consultations.outcome_report_back(
                outcome=o, user=u, feedback="已反馈"
            ),
        },
        history="progress",
        move_of=lambda o, action: table_move(
            outcome_workflow.TRANSITIONS,
            {"transfer_a": "transfer", "transfer_b": "transfer"}.get(action, action),
            o.state,
        ),
        is_actor=is_actor,
        # The unit reports progress while implementing (a row; 50% only once, as progress never goes back).
        stays={
            "progress": lambda o, who: (
                o.state == "accepted" and units.get(who) == o.unit_id and o.percent <= 50
            )
        },
    )


def test_agreed_item_sequences(outcome_spec: Spec) -> None:
    explore(outcome_spec, EXAMPLES["outcome"])
