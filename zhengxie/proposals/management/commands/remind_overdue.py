"""Daily from cron or a systemd timer: queue the overdue reminders (one per unit user, proposal and day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhengxie.proposals.tasks import remind_overdue


class Command(BaseCommand):
    help = "为超期未办复的提案提醒承办单位（加入后台任务队列）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--committee", type=int, default=None, help="只处理该政协（ID）")

    def handle(self, *args: Any, **options: Any) -> None:
        result = remind_overdue.enqueue(committee_id=options["committee"])
        self.stdout.write(f"已加入队列：{result.id}")
