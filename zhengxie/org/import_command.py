"""The shared shape of the spreadsheet import commands (import_roster, import_proposals, import_opinions):
find the committee by division code, read the file within the upload cap, run the all-or-nothing import
under an audit label, list every error or report what was created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengxie.accounts.audit import audit_context
from zhengxie.org.models import Committee


class SpreadsheetImportCommand(BaseCommand):
    file_help = "文件（.xlsx）"
    # What was not imported when any error is found, e.g. "委员".
    nothing = "数据"

    def run_import(self, *, committee: Committee, data: bytes, filename: str) -> Any:
        raise NotImplementedError

    def report(self, result: Any, committee: Committee) -> None:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
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
        with audit_context(label=self.__module__.rsplit(".", 1)[-1]):
            result = self.run_import(committee=committee, data=data, filename=path.name)
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入失败：共{len(result.errors)}处错误，未导入任何{self.nothing}")
        self.report(result, committee)
