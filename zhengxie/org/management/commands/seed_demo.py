"""演示数据: the report committees with members, stations and one login per role, then each
capability's records (proposals, ...), every part through the same services users go through."""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.org import demo

PARTS = ("org", "proposals", "consultations", "opinions", "concerns", "duties", "reports", "text")
# Each later part: (module, function), called with stdout after the organisation exists.
SEEDERS = {
    "proposals": ("zhengxie.proposals.demo", "seed_proposals"),
    "consultations": ("zhengxie.consultations.demo", "seed_consultations"),
    "opinions": ("zhengxie.opinions.demo", "seed_opinions"),
    "concerns": ("zhengxie.grassroots.demo", "seed_concerns"),
    "duties": ("zhengxie.duties.demo", "seed_duties"),
    "reports": ("zhengxie.reports.demo", "seed_reports"),
    # Last: the search and duplicate indexes, routing models and hot topics over everything above.
    "text": ("zhengxie.textindex.demo", "seed_text"),
}


class Command(BaseCommand):
    help = "生成演示数据：13个政协、委员、站点、各角色演示账号及提案（已存在则只列出账号）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--only",
            default=",".join(PARTS),
            help=f"只生成其中几部分，逗号分隔：{','.join(PARTS)}（默认全部）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        parts = [p.strip() for p in options["only"].split(",") if p.strip()]
        unknown = sorted(set(parts) - set(PARTS))
        if unknown or not parts:
            raise CommandError(f"未知的部分：{'、'.join(unknown) or '（空）'}；可选：{','.join(PARTS)}")
        if demo.demo_exists():
            self.stdout.write(f"演示数据已存在（用户 {demo.ADMIN_USERNAME} 已存在），未做改动。")
            demo.print_logins(self.stdout)
            return
        started = time.monotonic()
        stats = demo.seed_demo()
        self.stdout.write(
            f"已生成演示数据：政协{stats['committees']}个，委员{stats['members']}名，"
            f"站点{stats['stations']}个，账号{stats['logins']}个；用时{time.monotonic() - started:.1f}秒"
        )
        for part in PARTS[1:]:
            if part in parts:
                module, function = SEEDERS[part]
                getattr(importlib.import_module(module), function)(self.stdout)
        demo.print_logins(self.stdout)
