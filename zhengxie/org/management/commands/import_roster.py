"""python manage.py import_roster FILE.xlsx --committee 440700: the 花名册导入 service from the command line."""

from __future__ import annotations

from typing import Any

from zhengxie.org.import_command import SpreadsheetImportCommand
from zhengxie.org.models import Committee
from zhengxie.org.roster import roster_import


class Command(SpreadsheetImportCommand):
    help = "从Excel（.xlsx）花名册导入委员：全部正确才导入，有任何错误则不导入并列出全部错误。"
    file_help = "花名册文件（.xlsx）"
    nothing = "委员"

    def run_import(self, *, committee: Committee, data: bytes, filename: str) -> Any:
        return roster_import(committee=committee, data=data, filename=filename)

    def report(self, result: Any, committee: Committee) -> None:
        self.stdout.write(self.style.SUCCESS(f"成功导入{result.created}名委员到{committee}"))
