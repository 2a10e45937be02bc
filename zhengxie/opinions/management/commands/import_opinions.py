"""python manage.py import_opinions FILE.xlsx --committee 440700: a historical 社情民意 ledger from Excel."""

from __future__ import annotations

from typing import Any

from zhengxie.opinions.importer import opinions_import
from zhengxie.opinions.models import ReportState
from zhengxie.org.import_command import SpreadsheetImportCommand
from zhengxie.org.models import Committee


class Command(SpreadsheetImportCommand):
    help = (
        "从Excel（.xlsx）导入社情民意历史台账（第一个工作表，第1行为中文表头）：全部正确才导入，"
        "有任何错误则不导入并列出全部错误。"
    )
    file_help = "台账文件（.xlsx）"
    nothing = "信息"

    def run_import(self, *, committee: Committee, data: bytes, filename: str) -> Any:
        return opinions_import(committee=committee, data=data, filename=filename)

    def report(self, result: Any, committee: Committee) -> None:
        states = "，".join(f"{ReportState(s).label}{n}条" for s, n in sorted(result.by_state.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"成功导入{result.created}条社情民意信息到{committee}（{states}），批示{result.instructions}次"
            )
        )
