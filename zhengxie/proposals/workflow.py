"""The proposal state machine: one table of allowed moves, one function that makes a move.

transition() checks the move is in the table and the actor holds the role the table names, locks the row,
re-checks the state under the lock (so two clerks acting at once cannot both succeed), writes the
Transition row, and saves; the audit row comes from the audit signal on save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.utils import timezone

from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.proposals.models import Assignment, Proposal, State, Transition

Actor = Literal["proposer", "office", "lead_unit"]


@dataclass(frozen=True)
class Move:
    action: str
    source: State
    target: State
    actor: Actor
    label: str


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


class TransitionError(Exception):
    """A move not in the table, or by the wrong actor; the message is shown to the user."""


class ConcurrentChange(TransitionError):
    pass


def find_move(action: str, source: str) -> Move:
    for move in TRANSITIONS:
        if move.action == action and move.source == source:
            return move
    raise TransitionError(f"当前状态“{State(source).label}”不能执行此操作")


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
    move = find_move(action, proposal.state)
    if not actor_allowed(user, proposal, move.actor):
        raise TransitionError("您无权执行此操作")
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state != move.source or locked.version != proposal.version:
            raise ConcurrentChange("该提案已被他人处理，请刷新后重试")
        fields = {"state": move.target, "version": locked.version + 1, **(update_fields or {})}
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
        Transition.objects.create(
            proposal=locked,
            action=move.action,
            from_state=move.source,
            to_state=move.target,
            actor=user,
            reason=reason,
        )
    for name in ("state", "version", *fields):
        setattr(proposal, name, getattr(locked, name))
    return proposal
