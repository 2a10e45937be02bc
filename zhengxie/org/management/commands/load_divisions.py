"""载入行政区划: one committee per province, prefecture and county (GB/T 2260, from the cpca package)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from zhengxie.org.divisions import load_divisions
from zhengxie.org.models import Committee


class Command(BaseCommand):
    help = "按 GB/T 2260 行政区划代码建立全国、省、市、县四级政协（可重复运行）"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        stats = load_divisions()
        levels = dict(Committee.Level.choices)
        counts = "，".join(f"{levels[level]}{n}个" for level, n in stats.by_level.items())
        self.stdout.write(f"行政区划共{stats.total}个政协（{counts}）")
        self.stdout.write(
            f"新增{stats.created}个，更名{stats.renamed}个，调整上级{stats.moved}个，未变{stats.unchanged}个；"
            f"用时{time.monotonic() - started:.1f}秒"
        )
