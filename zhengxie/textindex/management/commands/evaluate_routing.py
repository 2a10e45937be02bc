"""`manage.py evaluate_routing --train TRAIN.csv --test TEST.csv`: how well the routing suggestion works on
an office's own data, without touching the database.

Both files: UTF-8 CSV with columns title and label, optionally detail (the body; its beginning is read
with the title). The router is trained on TRAIN, scores TEST and the result is printed as JSON: macro_f1,
accuracy, top2_accuracy, n_train, n_test, train_seconds, p50_ms (routing one document).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.textindex import routing

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read_labelled(path: str, name: str) -> tuple[list[str], list[str]]:
    """Texts and labels; CommandError (in Chinese) for anything unreadable or unusable."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{name}文件不存在：{path}")
    texts: list[str] = []
    labels: list[str] = []
    try:
        with open(file, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [(h or "").strip() for h in (reader.fieldnames or [])]
            missing = [c for c in ("title", "label") if c not in header]
            if missing:
                raise CommandError(f"{name}缺少列：{'、'.join(missing)}（需要 title, label，可选 detail）")
            for row in reader:
                row = {(k or "").strip(): (v or "") for k, v in row.items()}
                title, label = row["title"].strip(), row["label"].strip()
                detail = row.get("detail", "").strip()
                if not label:
                    raise CommandError(f"{name}第 {reader.line_num} 行：label 为空")
                if not (title or detail):
                    raise CommandError(f"{name}第 {reader.line_num} 行：title 和 detail 都为空")
                texts.append(routing.document_text(title, detail))
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{name}不是 UTF-8 编码的 CSV 文件：{path}") from exc
    except csv.Error as exc:
        raise CommandError(f"{name}不是有效的 CSV 文件（{exc}）") from exc
    if not texts:
        raise CommandError(f"{name}没有数据行：{path}")
    return texts, labels


class Command(BaseCommand):
    help = "用自己的数据评估交办建议：在训练集上训练，在测试集上评分，输出宏平均 F1、准确率、前二准确率和耗时（JSON）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--train", required=True, help="训练 CSV（列：title, label，可选 detail）")
        parser.add_argument("--test", required=True, help="测试 CSV（列：title, label，可选 detail）")

    def handle(self, *args: Any, **options: Any) -> None:
        train_texts, train_labels = read_labelled(options["train"], "训练集")
        test_texts, test_labels = read_labelled(options["test"], "测试集")
        if len(set(train_labels)) < 2:
            raise CommandError("训练集至少需要两个不同的类别（label）")
        result = routing.evaluate(train_texts, train_labels, test_texts, test_labels)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
