"""python manage.py annual_report --committee CODE --year YYYY [--include-children] [--format json|docx|html]
[--output FILE]: a committee's annual work report. A published report gives its frozen figures and text; a
draft (or no report yet) gives the figures counted now with the draft's or the default text."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengxie.org.models import Committee
from zhengxie.reports import services
from zhengxie.reports.documents import report_docx
from zhengxie.reports.models import Scope
from zhengxie.reports.params import MAX_YEAR, MIN_YEAR, ReportParams
from zhengxie.reports.views import report_html


class Command(BaseCommand):
    help = "生成政协年度工作报告（JSON、Word 或网页）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--committee", required=True, help="政协的行政区划代码，如 440700")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2026")
        parser.add_argument("--include-children", action="store_true", help="含下级政协（合计）")
        parser.add_argument("--format", default="json", choices=["json", "docx", "html"], help="输出格式")
        parser.add_argument("--output", help="写入文件（默认输出到标准输出）")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["committee"].strip()
        committee = Committee.objects.filter(division_code=code).first()
        if committee is None:
            raise CommandError(f"未找到行政区划代码为“{code}”的政协")
        year = options["year"]
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError("年度无效")
        scope = Scope.ALL if options["include_children"] else Scope.OWN
        fmt = options["format"]
        if fmt == "docx":
            data: bytes = report_docx(services.view_of(committee, year, scope))
        elif fmt == "html":
            data = report_html(ReportParams(committee, year, scope), True, None).encode()
        else:
            text = json.dumps(
                services.view_of(committee, year, scope).as_json(), ensure_ascii=False, indent=2
            )
            data = (text + "\n").encode()
        if options["output"]:
            try:
                Path(options["output"]).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"无法写入 {options['output']}：{exc.strerror}") from exc
            self.stdout.write(f"已写入 {options['output']}")
        elif fmt == "docx" and sys.stdout.isatty():
            raise CommandError("Word 格式请用 --output 指定文件")
        else:
            self.stdout.flush()
            if fmt == "json" or fmt == "html":
                self.stdout.write(data.decode(), ending="")
            else:
                sys.stdout.buffer.write(data)
