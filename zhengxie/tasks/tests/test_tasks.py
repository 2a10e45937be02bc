"""The task machinery end to end: each backend enqueues, a worker runs, the sweeper recovers."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks_db.models import DBTaskResult

from zhengxie.tasks.models import WorkerHeartbeat
from zhengxie.tasks.queue import enqueue_on_commit
from zhengxie.tasks.sweeper import sweep_stale_tasks
from zhengxie.tasks.tasks import record_heartbeat

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
RQ_TEST_URL = "redis://127.0.0.1:6379/15"
RQ_TEST_QUEUES = {"default": {"URL": RQ_TEST_URL, "DEFAULT_TIMEOUT": 60}}


def burst() -> None:
    call_command("run_worker", "--burst", "--simple", "--no-sweep", verbosity=0)


# (d) The immediate backend, the test default, runs the task inline, after commit.
@pytest.mark.django_db
def test_immediate_backend_runs_inline_after_commit(django_capture_on_commit_callbacks):
    assert type(task_backends["default"]).__name__ == "ImmediateBackend"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(record_heartbeat, note="inline")
    assert not WorkerHeartbeat.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    beat = WorkerHeartbeat.objects.get()
    assert (beat.backend, beat.note) == ("ImmediateBackend", "inline")
    assert beat.worker  # the immediate backend's worker id


# (a) Database backend: the row waits READY until a worker runs it.
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_database_backend_worker_runs_task():
    result = record_heartbeat.enqueue(note="db")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    assert not WorkerHeartbeat.objects.exists()

    call_command("run_worker", "--burst", "--worker-id", "test-db-worker", verbosity=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    beat = WorkerHeartbeat.objects.get()
    assert (beat.backend, beat.worker, beat.note) == ("DatabaseBackend", "test-db-worker", "db")
    assert result.return_value == beat.pk


# (c) Sweeper: a stale RUNNING task goes back to READY once; a recent one is left alone.
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS, TASK_STALE_AFTER=timedelta(minutes=30))
def test_sweeper_requeues_stale_running_task_once():
    now = timezone.now()
    stale = record_heartbeat.enqueue(note="stale")
    recent = record_heartbeat.enqueue(note="recent")
    DBTaskResult.objects.filter(pk=stale.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(hours=2), worker_ids=["dead-worker"]
    )
    DBTaskResult.objects.filter(pk=recent.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=1), worker_ids=["live-worker"]
    )

    assert sweep_stale_tasks(now=now) == 1
    assert sweep_stale_tasks(now=now) == 0  # a second sweeper finds nothing left to take
    row = DBTaskResult.objects.get(pk=stale.id)
    assert (row.status, row.started_at) == (TaskResultStatus.READY, None)
    assert DBTaskResult.objects.get(pk=recent.id).status == TaskResultStatus.RUNNING

    call_command("run_worker", "--burst", "--worker-id", "rescuer", verbosity=0)

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["dead-worker", "rescuer"]
    assert DBTaskResult.objects.get(pk=recent.id).status == TaskResultStatus.RUNNING
    assert list(WorkerHeartbeat.objects.values_list("note", flat=True)) == ["stale"]


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_sweep_tasks_command(capsys):
    call_command("sweep_tasks")
    assert "requeued 0 stale task(s)" in capsys.readouterr().out


# (b) RQ backend on a scratch Redis database.
@pytest.fixture
def rq_redis():
    import redis

    conn = redis.Redis.from_url(RQ_TEST_URL, socket_connect_timeout=1)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError as exc:
        message = f"Redis not reachable at {RQ_TEST_URL}: {exc}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    conn.flushdb()
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES=RQ_TEST_QUEUES):
        yield conn
    conn.flushdb()
    conn.close()


@pytest.mark.django_db(transaction=True)
def test_rq_backend_worker_runs_task(rq_redis):
    result = record_heartbeat.enqueue(note="rq")
    assert result.status == TaskResultStatus.READY
    assert rq_redis.llen("rq:queue:default") == 1

    burst()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    beat = WorkerHeartbeat.objects.get()
    assert (beat.backend, beat.note) == ("RQBackend", "rq")
    assert result.return_value == beat.pk


@pytest.mark.django_db(transaction=True)
def test_rq_sweeper_requeues_abandoned_job(rq_redis):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.job import JobStatus

    result = record_heartbeat.enqueue(note="abandoned")
    # Pretend a worker took the job and died: off the queue, in the started registry, long expired.
    queue = django_rq.get_queue("default", job_class=Job)
    queue.remove(result.id)
    job = Job.fetch(result.id, connection=rq_redis)
    job.set_status(JobStatus.STARTED)
    rq_redis.zadd("rq:wip:default", {f"{result.id}:dead-execution": 1})

    assert sweep_stale_tasks() == 1
    assert sweep_stale_tasks() == 0
    assert queue.get_job_ids() == [result.id]

    burst()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert WorkerHeartbeat.objects.get().note == "abandoned"
