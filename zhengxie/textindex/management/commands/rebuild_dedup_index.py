"""Rebuild the duplicate (查重) index from the database: after a restore, an import that bypassed the
signals, an upgrade of the engine, or nightly to fold the day's change log into the base. Safe while the
platform serves: the new base replaces the old one in one step and every process reloads it on its next
query."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from zhengxie.textindex import dedup


class Command(BaseCommand):
    help = "从数据库重建提案查重索引"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        index = dedup.rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"查重索引已重建：{len(index)} 件提案（用时 {seconds:.1f} 秒，索引 {index.nbytes() / 2**20:.1f} MB）"
        )
