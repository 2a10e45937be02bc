"""python manage.py annual_report --committee CODE --year YYYY [--include-children] [--output FILE]:
the figures of a committee's year as JSON (the 数读 of the annual work report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengxie.org.models import Committee
from zhengxie.reports.figures import annual_figures


class Command(BaseCommand):
    help = "生成政协年度工作报告的统计数据（JSON）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--committee", required=True, help="政协的行政区划代码，如 440700")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2026")
        parser.add_argument("--include-children", action="store_true", help="含下级政协（合计）")
        parser.add_argument("--format", default="json", choices=["json"], help="输出格式（目前为 json）")
        parser.add_argument("--output", help="写入文件（默认输出到标准输出）")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["committee"].strip()
        committee = Committee.objects.filter(division_code=code).first()
        if committee is None:
            raise CommandError(f"未找到行政区划代码为“{code}”的政协")
        year = options["year"]
        if not 1949 <= year <= 2100:
            raise CommandError("年度无效")
        figures = annual_figures(committee, year, include_children=options["include_children"])
        text = json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {options['output']}")
        else:
            self.stdout.write(text, ending="")
