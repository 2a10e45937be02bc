"""Enqueueing from request code: only after the transaction that produced the data commits."""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task, *args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Enqueue `task(*args, **kwargs)` once the current transaction commits (at once outside one).

    A worker must never see a task whose rows are not committed yet, and a rolled-back request must
    not leave a task behind. Arguments must be ids and strings. If the enqueue itself fails (Redis
    down) the data is already committed: Django logs the error (robust=True) and the request goes on.
    """
    transaction.on_commit(functools.partial(task.enqueue, *args, **kwargs), using=using, robust=True)
