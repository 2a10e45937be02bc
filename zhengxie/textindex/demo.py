"""The text layer over the demo records: run last by seed_demo, because some demo seeders date their
records with queryset.update(), which the index signals do not see."""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone


def seed_text(stdout: Any) -> dict[str, int]:
    from zhengxie.textindex import dedup, routing, search, topics

    started = time.monotonic()
    counts = search.rebuild()
    index = dedup.rebuild()
    models = routing.retrain()
    year = timezone.localdate().year
    computed = 0
    for committee_id in topics.committees_with_work(year):
        topics.store(topics.compute(committee_id, year, False))
        computed += 1
    stdout.write(
        f"已建立文本索引：检索文档{sum(counts.values())}篇，查重索引{len(index)}件，"
        f"交办模型{len(models)}个，热点议题{computed}份；用时{time.monotonic() - started:.1f}秒"
    )
    return {"search": sum(counts.values()), "models": len(models), "topics": computed}
