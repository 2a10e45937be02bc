"""`manage.py evaluate_dedup --corpus CORPUS.csv --queries QUERIES.csv`: how well the duplicate check works
on an office's own data, without touching the database.

CORPUS.csv: UTF-8, columns id (integer, unique), title, body. QUERIES.csv: UTF-8, columns title, body,
expected_id (the corpus id the query repeats; empty when no duplicate exists). The corpus is indexed in
memory, each query run as the drafting panel runs it, and the result printed as JSON:
recall_at_10 (share of queries with a duplicate whose duplicate is among the first 10), false_alarm_rate
(share of queries without one that were flagged as likely duplicates), p50_ms and p95_ms per query, and
the sizes and the indexing time.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from zhengxie.textindex import dedup

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read_csv(path: str, required: tuple[str, ...], label: str) -> list[tuple[int, dict[str, str]]]:
    """The rows with their line numbers; CommandError (in Chinese) for anything unreadable."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{label}文件不存在：{path}")
    try:
        with open(file, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise CommandError(f"{label}缺少列：{'、'.join(missing)}（需要 {', '.join(required)}）")
            rows = []
            for row in reader:
                rows.append((reader.line_num, {(k or "").strip(): (v or "") for k, v in row.items()}))
    except UnicodeDecodeError as exc:
        raise CommandError(f"{label}不是 UTF-8 编码的 CSV 文件：{path}") from exc
    except csv.Error as exc:
        raise CommandError(f"{label}不是有效的 CSV 文件（{exc}）") from exc
    if not rows:
        raise CommandError(f"{label}没有数据行：{path}")
    return rows


class Command(BaseCommand):
    help = "用自己的数据评估提案查重：索引语料，逐条查询，输出召回率、误报率和耗时（JSON）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--corpus", required=True, help="语料 CSV（列：id, title, body）")
        parser.add_argument("--queries", required=True, help="查询 CSV（列：title, body, expected_id）")

    def handle(self, *args: Any, **options: Any) -> None:
        corpus_rows = read_csv(options["corpus"], ("id", "title", "body"), "语料")
        query_rows = read_csv(options["queries"], ("title", "body", "expected_id"), "查询")

        texts: dict[int, tuple[str, str]] = {}
        for line, row in corpus_rows:
            raw = row["id"].strip()
            if not raw.lstrip("-").isdigit():
                raise CommandError(f"语料第 {line} 行：id 必须是整数，而不是“{raw}”")
            pk = int(raw)
            if pk in texts:
                raise CommandError(f"语料第 {line} 行：id {pk} 重复")
            texts[pk] = (row["title"], row["body"])
        queries: list[tuple[str, str, int | None]] = []
        for line, row in query_rows:
            raw = row["expected_id"].strip()
            if raw and not raw.lstrip("-").isdigit():
                raise CommandError(f"查询第 {line} 行：expected_id 必须是整数或留空，而不是“{raw}”")
            if raw and int(raw) not in texts:
                raise CommandError(f"查询第 {line} 行：expected_id {raw} 不在语料中")
            if not (row["title"].strip() or row["body"].strip()):
                raise CommandError(f"查询第 {line} 行：标题和正文都为空")
            queries.append((row["title"], row["body"], int(raw) if raw else None))

        started = time.perf_counter()
        index = dedup.Index.build((pk, 0, title, body) for pk, (title, body) in texts.items())
        index_seconds = time.perf_counter() - started

        def fetch(ids: list[int]) -> dict[int, tuple[str, str]]:
            return {i: texts[i] for i in ids}

        latencies: list[float] = []
        hits = flagged_dup = n_dup = false_alarms = n_free = 0
        for title, body, expected in queries:
            t = time.perf_counter()
            found = index.search([0], title, body, fetch, limit=10)
            latencies.append((time.perf_counter() - t) * 1000)
            if expected is None:
                n_free += 1
                false_alarms += any(m.likely_duplicate for m in found)
            else:
                n_dup += 1
                match = next((m for m in found if m.proposal_id == expected), None)
                hits += match is not None
                flagged_dup += bool(match and match.likely_duplicate)
        result = {
            "recall_at_10": round(hits / n_dup, 4) if n_dup else None,
            "flagged_rate": round(flagged_dup / n_dup, 4) if n_dup else None,
            "false_alarm_rate": round(false_alarms / n_free, 4) if n_free else None,
            "p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "p95_ms": round(float(np.percentile(latencies, 95)), 2),
            "n_corpus": len(texts),
            "n_queries": len(queries),
            "n_with_duplicate": n_dup,
            "n_without_duplicate": n_free,
            "index_seconds": round(index_seconds, 2),
            "index_mb": round(index.nbytes() / 2**20, 1),
            "threshold": dedup.DUPLICATE_SCORE,
            "engine": dedup.VERSION,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
