"""The proposal state machine: one table of allowed moves, one function that makes a move.

transition() checks the move is in the table and the actor holds the role the table names, locks the row,
re-checks the state under the lock (so two clerks acting at once cannot both succeed), writes the
Transition row, and saves; the audit row comes from the audit signal on save.
"""

from __future__ import annotations

from typing import Literal

from zhengxie import statemachine
from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.proposals.models import Assignment, Proposal, State, Transition
from zhengxie.statemachine import ConcurrentChange, Move, TransitionError

__all__ = ["TERMINAL", "TRANSITIONS", "ConcurrentChange", "Move", "TransitionError", "transition"]

Actor = Literal["proposer", "office", "lead_unit"]


TRANSITIONS: tuple[Move, ...] = (
    Move("submit", State.DRAFT, State.SUBMITTED, "proposer", "提交"),
    Move("withdraw", State.SUBMITTED, State.WITHDRAWN, "proposer", "撤回"),
    Move("file", State.SUBMITTED, State.FILED, "office", "立案"),
    Move("not_file", State.SUBMITTED, State.NOT_FILED, "office", "不立案"),
    Move("merge", State.SUBMITTED, State.MERGED, "office", "并案"),
    Move("assign", State.FILED, State.ASSIGNED, "office", "交办"),
    Move("request_return", State.ASSIGNED, State.RETURNED, "lead_unit", "申请退回"),
    Move("reassign", State.RETURNED, State.ASSIGNED, "office", "重新交办"),
    Move("reply", State.ASSIGNED, State.REPLIED, "lead_unit", "答复"),
    Move("reply", State.REHANDLING, State.REPLIED, "lead_unit", "再次答复"),
    Move("rate", State.REPLIED, State.CLOSED, "proposer", "评价办结"),
    Move("rate_dissatisfied", State.REPLIED, State.REHANDLING, "proposer", "不满意，重新办理"),
)
TERMINAL = frozenset({State.WITHDRAWN, State.NOT_FILED, State.MERGED, State.CLOSED})


def find_move(action: str, source: str) -> Move:
    return statemachine.find_move(TRANSITIONS, action, source, State(source).label)


def is_proposer(user: User, proposal: Proposal) -> bool:
    if proposal.created_by_id == user.pk:
        return True
    return proposal.author_id is not None and proposal.author.user_id == user.pk  # type: ignore[union-attr]


def is_lead_unit(user: User, proposal: Proposal) -> bool:
    units = access.unit_ids_of(user)
    if not units:
        return False
    return Assignment.objects.filter(
        proposal=proposal, role=Assignment.Role.LEAD, status=Assignment.Status.ACTIVE, unit_id__in=units
    ).exists()


def actor_allowed(user: User, proposal: Proposal, actor: Actor) -> bool:
    if actor == "proposer":
        return is_proposer(user, proposal)
    if actor == "office":
        return access.has_role(user, proposal.committee_id, {Role.OFFICE})
    return is_lead_unit(user, proposal)


def allowed_actions(user: User, proposal: Proposal) -> list[Move]:
    return [m for m in TRANSITIONS if m.source == proposal.state and actor_allowed(user, proposal, m.actor)]


def transition(
    *,
    proposal: Proposal,
    action: str,
    user: User,
    reason: str = "",
    update_fields: dict[str, object] | None = None,
) -> Proposal:
    """Make one move. Side effects: row lock, Transition row, save (audit row by signal)."""

    statemachine.apply(
        obj=proposal,
        moves=TRANSITIONS,
        action=action,
        user=user,
        allowed=actor_allowed,  # type: ignore[arg-type]
        history=statemachine.history_row(Transition, "proposal", actor=user, reason=reason),
        update_fields=update_fields,
        stale_message="该提案已被他人处理，请刷新后重试",
    )
    return proposal
