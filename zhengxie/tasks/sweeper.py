"""Give the tasks of dead workers back to the queue.

A worker killed in the middle of a task (OOM, deploy, power loss) leaves it RUNNING for ever. The
sweeper puts such tasks back so another worker runs them. It runs once when `run_worker` starts and
every few minutes from cron / a systemd timer (`manage.py sweep_tasks`); it is safe to run from
several machines at once.

Database backend: a DBTaskResult RUNNING for longer than settings.TASK_STALE_AFTER is reset to
READY by one conditional UPDATE, so two sweepers never both take the same row. TASK_STALE_AFTER must
therefore be longer than the longest task, or a slow task is run a second time.

RQ backend: RQ knows when a worker stopped sending heartbeats. StartedJobRegistry.cleanup() moves
such jobs to the FailedJobRegistry with an AbandonedJobError; we requeue exactly those (the
registry's ZREM makes a requeue happen once even with two sweepers).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task_backends

logger = logging.getLogger(__name__)

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
RQ_BACKEND = "django_tasks_rq.RQBackend"


def _aliases(backend_path: str) -> list[str]:
    return [alias for alias, conf in settings.TASKS.items() if conf.get("BACKEND") == backend_path]


def sweep_database(now: datetime | None = None, aliases: list[str] | None = None) -> int:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - settings.TASK_STALE_AFTER
    rows = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    if aliases is not None:
        rows = rows.filter(backend_name__in=aliases)
    # The filter is part of the UPDATE: a row another sweeper already reset no longer matches.
    # worker_ids stays: it is the history of who tried, and the next claim appends to it.
    count = rows.update(status=TaskResultStatus.READY, started_at=None, finished_at=None)
    if count:
        logger.warning("Requeued %d task(s) left RUNNING by a dead worker (started before %s)", count, cutoff)
    return count


def sweep_rq(alias: str) -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.registry import FailedJobRegistry, StartedJobRegistry
    from rq.results import Result

    count = 0
    for name in sorted(task_backends[alias].queues):
        queue = django_rq.get_queue(name, job_class=Job)
        StartedJobRegistry(queue=queue, job_class=Job).cleanup()
        failed = FailedJobRegistry(queue=queue, job_class=Job)
        for job_id in failed.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            latest = job.latest_result()
            if (
                latest is None
                or latest.type != Result.Type.FAILED
                or "AbandonedJobError" not in (latest.exc_string or "")
            ):
                continue  # a real failure: stays failed for a person to look at
            try:
                failed.requeue(job)
            except InvalidJobOperation:
                continue  # another sweeper got it first
            count += 1
    if count:
        logger.warning("Requeued %d RQ job(s) abandoned by a dead worker (backend %s)", count, alias)
    return count


def sweep_stale_tasks(now: datetime | None = None) -> int:
    """Requeue the tasks of dead workers for every configured backend; return how many."""
    count = 0
    db_aliases = _aliases(DATABASE_BACKEND)
    if db_aliases:
        count += sweep_database(now, db_aliases)
    for alias in _aliases(RQ_BACKEND):
        count += sweep_rq(alias)
    return count
