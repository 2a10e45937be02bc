"""The closed loop of an agreed item (协商成果) and who moves it (see zhengxie.statemachine).

draft -> transferred (office, or the station's members for a micro consultation; to a unit with a deadline) -> accepted | not_accepted (the unit) ;
accepted -> done (the unit, at 100%) ; done | not_accepted -> closed (office reports back to participants);
transferred -> draft (the unit hands back an item that is not theirs). Progress notes while accepted are
rows, not moves.
"""

from __future__ import annotations

from zhengxie import statemachine
from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.consultations.models import Consultation, Form, Outcome, OutcomeProgress, OutcomeState
from zhengxie.org.models import Member
from zhengxie.statemachine import Move, TransitionError

__all__ = ["OPEN_STATES", "TRANSITIONS", "Move", "TransitionError", "allowed_actions", "transition"]

S = OutcomeState
TRANSITIONS: tuple[Move, ...] = (
    Move("transfer", S.DRAFT, S.TRANSFERRED, "manager", "转办"),
    Move("hand_back", S.TRANSFERRED, S.DRAFT, "unit", "退回"),
    Move("accept", S.TRANSFERRED, S.ACCEPTED, "unit", "采纳"),
    Move("decline", S.TRANSFERRED, S.NOT_ACCEPTED, "unit", "不予采纳"),
    Move("complete", S.ACCEPTED, S.DONE, "unit", "落实完成"),
    Move("report_back", S.DONE, S.CLOSED, "manager", "反馈办结"),
    Move("report_back", S.NOT_ACCEPTED, S.CLOSED, "manager", "反馈办结"),
)
# Items still owed work; past their deadline they are overdue.
OPEN_STATES = frozenset({S.TRANSFERRED, S.ACCEPTED})


def may_manage(user: User, consultation: Consultation) -> bool:
    """Office staff manage every consultation; a station's members manage the micro consultations held at
    their own station (有事来协商 is run by the members there)."""
    if access.has_role(user, consultation.committee_id, {Role.OFFICE}):
        return True
    return (
        consultation.form == Form.MICRO
        and consultation.station_id is not None
        and Member.objects.filter(
            user_id=user.pk,
            committee_id=consultation.committee_id,
            station_id=consultation.station_id,
            status=Member.Status.ACTIVE,
        ).exists()
    )


def is_unit(user: User, outcome: Outcome) -> bool:
    return outcome.unit_id is not None and outcome.unit_id in access.unit_ids_of(user)


def actor_allowed(user: User, outcome: Outcome, actor: str) -> bool:
    if actor == "manager":
        return may_manage(user, outcome.consultation)
    return is_unit(user, outcome)


def allowed_actions(user: User, outcome: Outcome) -> list[Move]:
    return [m for m in TRANSITIONS if m.source == outcome.state and actor_allowed(user, outcome, m.actor)]


def transition(
    *,
    outcome: Outcome,
    action: str,
    user: User,
    note: str = "",
    update_fields: dict[str, object] | None = None,
) -> Outcome:
    statemachine.apply(
        obj=outcome,
        moves=TRANSITIONS,
        action=action,
        user=user,
        allowed=actor_allowed,  # type: ignore[arg-type]
        history=statemachine.history_row(
            OutcomeProgress,
            "outcome",
            committee_id=lambda locked, _: locked.committee_id,
            percent=lambda locked, _: locked.percent,
            note=note,
            by=user,
        ),
        update_fields=update_fields,
        stale_message="该协商成果已被他人处理，请刷新后重试",
    )
    return outcome
