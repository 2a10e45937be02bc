"""python manage.py import_opinions FILE.xlsx --committee 440700: a historical 社情民意 ledger from Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengxie.accounts.audit import audit_context
from zhengxie.opinions.importer import opinions_import
from zhengxie.opinions.models import ReportState
from zhengxie.org.models import Committee


class Command(BaseCommand):
    help = (
        "从Excel（.xlsx）导入社情民意历史台账（第一个工作表，第1行为中文表头）：全部正确才导入，"
        "有任何错误则不导入并列出全部错误。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="台账文件（.xlsx）")
        parser.add_argument("--committee", required=True, help="政协的行政区划代码，如 440700")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["committee"].strip()
        committee = Committee.objects.filter(division_code=code).first()
        if committee is None:
            raise CommandError(f"未找到行政区划代码为“{code}”的政协")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        if path.stat().st_size > settings.UPLOAD_MAX_BYTES:
            raise CommandError(f"文件过大：不能超过{settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
        with audit_context(label="import_opinions"):
            result = opinions_import(committee=committee, data=data, filename=path.name)
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入失败：共{len(result.errors)}处错误，未导入任何信息")
        states = "，".join(f"{ReportState(s).label}{n}条" for s, n in sorted(result.by_state.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"成功导入{result.created}条社情民意信息到{committee}（{states}），批示{result.instructions}次"
            )
        )
