"""演示数据: the report committees with members, stations and one login per role."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from zhengxie.org import demo


class Command(BaseCommand):
    help = "生成演示数据：13个政协、委员、站点和各角色演示账号（已存在则只列出账号）"

    def handle(self, *args: Any, **options: Any) -> None:
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
        demo.print_logins(self.stdout)
