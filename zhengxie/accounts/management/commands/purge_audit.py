"""Remove audit rows older than a date, never one younger than the retention period (183 days)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.accounts.audit import RETENTION_DAYS, PurgeRefused, purge_before


class Command(BaseCommand):
    help = f"清理某日期之前的审计日志；{RETENTION_DAYS}天内的日志一律不清理"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--before", required=True, help="清理这一天之前（不含当天）的日志，格式 YYYY-MM-DD"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = datetime.date.fromisoformat(options["before"].strip())
        except ValueError as exc:
            raise CommandError("--before 须为日期，格式 YYYY-MM-DD，例如 2025-01-01") from exc
        try:
            count = purge_before(before)
        except PurgeRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已清理{before.isoformat()}之前的审计日志 {count} 条" if count else "没有需要清理的审计日志"
        )
