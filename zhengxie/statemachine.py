"""The one way a workflow record changes state, shared by proposals, opinion reports, concerns and
consultation outcomes.

Each app declares its moves as a tuple of Move rows (action, source, target, actor, label) and a history
model. apply() checks the move is in the table and the actor qualifies, locks the row, re-checks state and
version under the lock (two clerks acting at once cannot both succeed), saves, and writes the history row;
the audit row comes from the audit signal on save.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    actor: str
    label: str


class TransitionError(Exception):
    """A move not in the table, or by the wrong actor; the message is shown to the user."""


class ConcurrentChange(TransitionError):
    pass


def find_move(moves: Sequence[Move], action: str, source: str, state_label: str) -> Move:
    for move in moves:
        if move.action == action and move.source == source:
            return move
    raise TransitionError(f"当前状态“{state_label}”不能执行此操作")


def apply(
    *,
    obj: models.Model,
    moves: Sequence[Move],
    action: str,
    user: Any,
    allowed: Callable[[Any, models.Model, str], bool],
    history: Callable[[models.Model, Move], models.Model] | None,
    update_fields: dict[str, object] | None = None,
    stale_message: str = "该记录已被他人处理，请刷新后重试",
) -> models.Model:
    """Make one move on obj (which has `state` and `version`); returns obj refreshed with the new values."""
    state_field = obj._meta.get_field("state")
    label = dict(state_field.choices or []).get(obj.state, obj.state)  # type: ignore[attr-defined]
    move = find_move(moves, action, obj.state, str(label))  # type: ignore[attr-defined]
    if not allowed(user, obj, move.actor):
        raise TransitionError("您无权执行此操作")
    model = type(obj)
    with transaction.atomic():
        locked = model.objects.select_for_update(no_key=True).get(pk=obj.pk)  # type: ignore[attr-defined]
        if locked.state != move.source or locked.version != obj.version:  # type: ignore[attr-defined]
            raise ConcurrentChange(stale_message)
        fields = {"state": move.target, "version": locked.version + 1, **(update_fields or {})}
        for name, value in fields.items():
            setattr(locked, name, value)
        names = list(fields)
        if any(f.name == "updated_at" for f in model._meta.get_fields()):
            locked.updated_at = timezone.now()
            names.append("updated_at")
        locked.save(update_fields=names)
        if history is not None:
            history(locked, move)
    for name in fields:
        setattr(obj, name, getattr(locked, name))
    return obj


def history_row(
    model: type[models.Model], fk: str, **values: Any
) -> Callable[[models.Model, Move], models.Model]:
    """A history writer for apply(): one `model` row per move, linked to the record by `fk`, with the move's
    action, from_state and to_state and the given values (a callable value is called with the locked record
    and the move)."""

    def write(locked: models.Model, move: Move) -> models.Model:
        fields = {k: (v(locked, move) if callable(v) else v) for k, v in values.items()}
        return model.objects.create(  # type: ignore[attr-defined]
            **{fk: locked}, action=move.action, from_state=move.source, to_state=move.target, **fields
        )

    return write
