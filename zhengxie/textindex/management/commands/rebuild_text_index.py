"""Rebuild the search index from the database (after a restore, an import that bypassed signals, or an
upgrade that changed the tokens). Safe to run while the platform serves: the rebuild is one transaction, so
readers see the old index until it commits."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from zhengxie.textindex import search


class Command(BaseCommand):
    help = "从数据库重建全文检索索引（提案、答复、社情民意、协商成果、群众诉求）"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counts = search.rebuild(stdout=self.stdout if options["verbosity"] > 1 else None)
        seconds = time.perf_counter() - started
        parts = "，".join(f"{search.KIND_LABELS[k]} {n} 条" for k, n in counts.items()) or "没有可检索的记录"
        self.stdout.write(f"检索索引已重建：{parts}（用时 {seconds:.1f} 秒）")
