from django.core.management.base import BaseCommand

from zhengxie.tasks.sweeper import sweep_stale_tasks


class Command(BaseCommand):
    help = "Requeue tasks left RUNNING by dead workers. Run every few minutes (cron / systemd timer)."

    def handle(self, *args, **options) -> None:
        count = sweep_stale_tasks()
        if options["verbosity"] >= 1:
            self.stdout.write(f"requeued {count} stale task(s)")
