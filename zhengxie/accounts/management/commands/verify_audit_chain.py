"""Recompute the audit trail's SM3 hash chain; exit non-zero naming every row that does not match."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.accounts.audit import verify_chain


class Command(BaseCommand):
    help = "校验审计日志的SM3哈希链：逐条重算哈希，列出被修改、删除或插入的记录"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expect-head",
            default="",
            help="上次校验记下的链尾“序号:哈希”；链尾之前的记录若被截掉或改写，这里会发现",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        expected = options["expect_head"].strip()
        if expected:
            seq_text, _, hash_text = expected.partition(":")
            if not seq_text.isdigit() or len(hash_text) != 64:
                raise CommandError("--expect-head 的格式应为“序号:64位哈希”")
            if not self._has_row(int(seq_text), hash_text.lower()):
                report.broken.append((int(seq_text), 0, "上次记下的链尾已不存在或已被改写"))
        for seq, pk, reason in report.broken:
            self.stderr.write(f"序号 {seq}（id {pk}）：{reason}")
        if not report.ok:
            raise CommandError(
                f"审计日志哈希链校验失败：{len(report.broken)} 处异常（共校验 {report.rows} 条）"
            )
        if report.rows == 0:
            self.stdout.write("审计日志为空")
            return
        self.stdout.write(
            f"审计日志哈希链完整：共 {report.rows} 条，序号 {report.first_seq}–{report.head_seq}；"
            f"链尾 {report.head_seq}:{report.head_hash}（请另行保存，供下次用 --expect-head 校验）"
        )

    @staticmethod
    def _has_row(seq: int, chain_hash: str) -> bool:
        from zhengxie.accounts.models import AuditLog

        return AuditLog.objects.filter(seq=seq, chain_hash=chain_hash).exists()
