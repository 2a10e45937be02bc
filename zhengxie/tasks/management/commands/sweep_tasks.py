from django.core.management.base import BaseCommand

from zhengxie.notices.mail import resend_unsent
from zhengxie.proposals.orphans import sweep_orphan_files
from zhengxie.tasks.sweeper import sweep_stale_tasks


class Command(BaseCommand):
    help = (
        "Requeue tasks left RUNNING by dead workers and e-mail copies a failed send left unsent; delete "
        "attachment files no record refers to (left by a killed upload). "
        "Run every few minutes (cron / systemd timer)."
    )

    def handle(self, *args, **options) -> None:
        count = sweep_stale_tasks()
        resent = resend_unsent()
        orphans = sweep_orphan_files()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"requeued {count} stale task(s), {resent} unsent e-mail copies; "
                f"deleted {orphans} orphan attachment file(s)"
            )
