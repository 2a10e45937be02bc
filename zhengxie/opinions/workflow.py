"""The opinion report's states and who moves them: one table, one function (see zhengxie.statemachine).

A second forwarding of a report already forwarded, or a second instruction, is not a state change; the
services add the row without a move.
"""

from __future__ import annotations

from zhengxie import statemachine
from zhengxie.accounts import access
from zhengxie.accounts.models import Role, User
from zhengxie.opinions.models import OpinionReport, ReportState, ReportTransition
from zhengxie.statemachine import Move, TransitionError

__all__ = ["TERMINAL", "TRANSITIONS", "Move", "TransitionError", "allowed_actions", "transition"]

S = ReportState
TRANSITIONS: tuple[Move, ...] = (
    Move("submit", S.DRAFT, S.SUBMITTED, "author", "提交"),
    # Staff record a report received on paper, or one converted from a proposal; never offered as a button.
    Move("receive", S.DRAFT, S.SUBMITTED, "office", "工作人员录入"),
    Move("withdraw", S.SUBMITTED, S.WITHDRAWN, "author", "撤回"),
    Move("archive", S.SUBMITTED, S.ARCHIVED, "office", "存档不报送"),
    Move("reopen", S.ARCHIVED, S.SUBMITTED, "office", "重新编辑"),
    Move("merge", S.SUBMITTED, S.MERGED, "office", "合并"),
    Move("forward", S.SUBMITTED, S.FORWARDED, "office", "报送"),
    Move("adopt", S.FORWARDED, S.ADOPTED, "office", "登记采用"),
)
TERMINAL = frozenset({S.WITHDRAWN, S.MERGED})
# States in which the office may still change the text (编辑).
EDITABLE = frozenset({S.SUBMITTED})
# States in which a report can be forwarded again, adopted or instructed.
OUT = frozenset({S.FORWARDED, S.ADOPTED})


def is_author(user: User, report: OpinionReport) -> bool:
    if report.created_by_id == user.pk:
        return True
    return report.authors.filter(user_id=user.pk).exists()


def actor_allowed(user: User, report: OpinionReport, actor: str) -> bool:
    if actor == "author":
        return is_author(user, report)
    return access.has_role(user, report.committee_id, {Role.OFFICE})


def allowed_actions(user: User, report: OpinionReport) -> list[Move]:
    return [
        m
        for m in TRANSITIONS
        if m.source == report.state and m.action != "receive" and actor_allowed(user, report, m.actor)
    ]


def transition(
    *,
    report: OpinionReport,
    action: str,
    user: User,
    reason: str = "",
    update_fields: dict[str, object] | None = None,
) -> OpinionReport:
    statemachine.apply(
        obj=report,
        moves=TRANSITIONS,
        action=action,
        user=user,
        allowed=actor_allowed,  # type: ignore[arg-type]
        history=statemachine.history_row(ReportTransition, "report", actor=user, reason=reason),
        update_fields=update_fields,
        stale_message="该信息已被他人处理，请刷新后重试",
    )
    return report
