"""A concern's states and who moves them (see zhengxie.statemachine).

review -> open (staff clear a held submission) | rejected; open -> taken (a member of the concern's station);
taken -> closed (that member: resolved directly or turned into a consultation, report or proposal);
taken -> open (the member hands it back).
"""

from __future__ import annotations

from zhengxie import statemachine
from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.grassroots.models import Concern, ConcernEvent, ConcernState
from zhengxie.org.models import Member
from zhengxie.statemachine import Move, TransitionError

__all__ = ["TRANSITIONS", "Move", "TransitionError", "allowed_actions", "transition"]

S = ConcernState
TRANSITIONS: tuple[Move, ...] = (
    Move("approve", S.REVIEW, S.OPEN, "office", "审核通过"),
    Move("reject", S.REVIEW, S.REJECTED, "office", "不予受理"),
    Move("reject", S.OPEN, S.REJECTED, "office", "不予受理"),
    Move("take", S.OPEN, S.TAKEN, "station_member", "认领"),
    Move("release", S.TAKEN, S.OPEN, "taker", "退回待认领"),
    Move("close", S.TAKEN, S.CLOSED, "taker", "办结"),
)
# What the person sees on the look-up page for each move (public history).
PUBLIC_NOTES = {
    "raise": "诉求已提交",
    "approve": "诉求已受理",
    "reject": "诉求不予受理",
    "take": "委员已认领，正在办理",
    "release": "诉求重新等待委员认领",
    "close": "诉求已办结",
}


def station_member(user: User, concern: Concern) -> Member | None:
    """The user's active member record at the concern's station (a concern without a station is routed by
    the office first)."""
    if concern.station_id is None:
        return None
    return Member.objects.filter(
        user_id=user.pk,
        committee_id=concern.committee_id,
        station_id=concern.station_id,
        status=Member.Status.ACTIVE,
    ).first()


def is_taker(user: User, concern: Concern) -> bool:
    return concern.taken_by_id is not None and concern.taken_by.user_id == user.pk  # type: ignore[union-attr]


def actor_allowed(user: User, concern: Concern, actor: str) -> bool:
    if actor == "office":
        return access.has_role(user, concern.committee_id, {Role.OFFICE})
    if actor == "station_member":
        return station_member(user, concern) is not None
    return is_taker(user, concern)


def allowed_actions(user: User, concern: Concern) -> list[Move]:
    return [m for m in TRANSITIONS if m.source == concern.state and actor_allowed(user, concern, m.actor)]


def transition(
    *,
    concern: Concern,
    action: str,
    user: User,
    note: str = "",
    update_fields: dict[str, object] | None = None,
) -> Concern:
    statemachine.apply(
        obj=concern,
        moves=TRANSITIONS,
        action=action,
        user=user,
        allowed=actor_allowed,  # type: ignore[arg-type]
        history=statemachine.history_row(
            ConcernEvent,
            "concern",
            actor=user,
            note=lambda _, move: (note or PUBLIC_NOTES.get(move.action, move.label))[:500],
        ),
        update_fields=update_fields,
        stale_message="该诉求已被他人处理，请刷新后重试",
    )
    return concern
