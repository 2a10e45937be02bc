"""python manage.py import_proposals FILE.xlsx --committee 440700: earlier years' proposals from Excel."""

from __future__ import annotations

from typing import Any

from zhengxie.org.import_command import SpreadsheetImportCommand
from zhengxie.org.models import Committee
from zhengxie.proposals.importer import proposals_import
from zhengxie.proposals.models import State


class Command(SpreadsheetImportCommand):
    help = (
        "从Excel（.xlsx）导入历史提案（第一个工作表，第1行为中文表头）：全部正确才导入，"
        "有任何错误则不导入并列出全部错误。"
    )
    file_help = "提案表文件（.xlsx）"
    nothing = "提案"

    def run_import(self, *, committee: Committee, data: bytes, filename: str) -> Any:
        return proposals_import(committee=committee, data=data, filename=filename)

    def report(self, result: Any, committee: Committee) -> None:
        states = "，".join(f"{State(s).label}{n}件" for s, n in sorted(result.by_state.items()))
        self.stdout.write(self.style.SUCCESS(f"成功导入{result.created}件提案到{committee}（{states}）"))
        if result.created_units:
            self.stdout.write(f"新建承办单位{len(result.created_units)}个：{'、'.join(result.created_units)}")
        if result.created_members:
            self.stdout.write(f"新建委员{len(result.created_members)}名：{'、'.join(result.created_members)}")
