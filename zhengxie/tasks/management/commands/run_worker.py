"""`manage.py run_worker`: the task worker for whichever backend settings.TASKS configures.

database -> django_tasks_db's `db_worker`;  rq -> an RQ worker on the backend's queues (with the
scheduler, for deferred tasks). The stale-task sweeper runs once at start; in production it also
runs every few minutes from cron / a systemd timer (`manage.py sweep_tasks`).
"""

from __future__ import annotations

import os
import signal
import socket
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from zhengxie.notices.mail import resend_unsent
from zhengxie.tasks.sweeper import DATABASE_BACKEND, RQ_BACKEND, sweep_stale_tasks


@contextmanager
def _keep_signal_handlers():
    """Workers install SIGINT/SIGTERM handlers; put the old ones back when a burst run returns."""
    names = [n for n in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, n)]
    saved = {n: signal.getsignal(getattr(signal, n)) for n in names}
    try:
        yield
    finally:
        for n, handler in saved.items():
            if handler is not None:
                signal.signal(getattr(signal, n), handler)


class Command(BaseCommand):
    help = "Run the background task worker of the configured backend (database or RQ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--backend", default="default", help="Alias in settings.TASKS (default: default)")
        parser.add_argument(
            "--queues",
            default="",
            help="Comma-separated queues (default: the backend's QUEUES, else 'default')",
        )
        parser.add_argument("--burst", action="store_true", help="Run what is queued now, then exit")
        parser.add_argument(
            "--simple", action="store_true", help="RQ: run jobs in this process instead of a forked child"
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Database: seconds between polls")
        parser.add_argument("--no-sweep", action="store_true", help="Don't requeue stale tasks at start")
        parser.add_argument("--worker-id", default="", help="Worker id / name (default: host-pid-random)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["backend"]
        conf = settings.TASKS.get(alias)
        if conf is None:
            raise CommandError(f"No task backend {alias!r} in settings.TASKS")
        queues = [q for q in options["queues"].split(",") if q] or list(conf.get("QUEUES") or ["default"])
        worker_id = (
            options["worker_id"] or f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"
        )

        if not options["no_sweep"]:
            count = sweep_stale_tasks()
            if count:
                self.stderr.write(f"requeued {count} stale task(s)")
            resent = resend_unsent()
            if resent:
                self.stderr.write(f"requeued {resent} unsent e-mail copies")

        backend = conf.get("BACKEND")
        with _keep_signal_handlers():
            if backend == DATABASE_BACKEND:
                self._run_database(alias, queues, worker_id, options)
            elif backend == RQ_BACKEND:
                self._run_rq(queues, worker_id, options)
            else:
                raise CommandError(f"Backend {backend} has no worker: tasks run inline or are dropped")

    def _run_database(self, alias: str, queues: list[str], worker_id: str, options: dict[str, Any]) -> None:
        call_command(
            "db_worker",
            backend_name=alias,
            queue_name=",".join(queues),
            batch=options["burst"],
            reload=False,
            startup_delay=not options["burst"],
            interval=options["interval"],
            worker_id=worker_id[:64],
            verbosity=options["verbosity"],
            stdout=self.stdout._out,
            stderr=self.stderr._out,
        )

    def _run_rq(self, queues: list[str], worker_id: str, options: dict[str, Any]) -> None:
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker
        from django_tasks_rq.backend import Job
        from redis.exceptions import ConnectionError as RedisConnectionError
        from rq import SimpleWorker, Worker
        from rq.logutils import setup_loghandlers

        verbosity = options["verbosity"]
        level = "DEBUG" if verbosity >= 2 else "WARNING" if verbosity == 0 else "INFO"
        setup_loghandlers(level)
        worker = get_worker(
            *queues,
            job_class=Job,
            worker_class=SimpleWorker if options["simple"] else Worker,
            name=worker_id,
        )
        reset_db_connections()  # never share a database connection with a forked child
        try:
            worker.work(burst=options["burst"], with_scheduler=not options["burst"], logging_level=level)
        except RedisConnectionError as exc:
            raise CommandError(f"Redis unreachable: {exc}") from exc
