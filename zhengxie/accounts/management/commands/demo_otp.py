"""The current TOTP code of a demo login, for a tester without an authenticator app at hand."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengxie.accounts.twofactor import services
from zhengxie.accounts.twofactor.models import SecondFactor
from zhengxie.org.demo import demo_totp_secret


class Command(BaseCommand):
    help = "显示演示账号当前的动态验证码（只对仍使用公开演示密钥的演示账号有效）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("usernames", nargs="+", help="演示账号用户名，如 jm_office")

    def handle(self, *args: Any, **options: Any) -> None:
        for username in options["usernames"]:
            factor = SecondFactor.objects.filter(user__username=username, confirmed_at__isnull=False).first()
            # Only the published demo secret: a real user's secret never leaves the database this way.
            if factor is None or factor.secret != demo_totp_secret(username):
                raise CommandError(f"{username} 不是使用演示密钥的演示账号，无法显示验证码。")
            step = services.current_step()
            seconds = services.STEP_SECONDS - int(time.time()) % services.STEP_SECONDS
            self.stdout.write(
                f"{username}: {services.code_for_step(factor.secret, step)}（约{seconds}秒后更换；每个验证码只能用一次）"
            )
