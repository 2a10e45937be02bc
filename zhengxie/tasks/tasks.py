"""Background tasks of the platform.

Tasks take only ids and strings (they are serialised to JSON or Redis) and are enqueued after the
caller's transaction commits: `zhengxie.tasks.queue.enqueue_on_commit(task, ...)`.
"""

from __future__ import annotations

from django_tasks import TaskContext, task

from zhengxie.tasks.models import WorkerHeartbeat


@task(takes_context=True)
def record_heartbeat(context: TaskContext, note: str = "") -> int:
    """Write a heartbeat row naming the backend and worker that ran this task; returns its id."""
    result = context.task_result
    backend = type(result.task.get_backend()).__name__
    worker = result.worker_ids[-1] if result.worker_ids else ""
    return WorkerHeartbeat.objects.create(backend=backend, worker=str(worker)[:100], note=note[:200]).pk
