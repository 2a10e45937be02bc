from __future__ import annotations

from django.conf import settings
from django.db import models

from zhengxie.accounts.fields import EncryptedTextField


class SecondFactor(models.Model):
    """A user's TOTP secret (encrypted at rest) and the keyed hashes of their unused recovery codes.

    Not audited by signal: the recovery-code hashes must never enter the audit trail; enrolment, use of a
    recovery code and a reset write their own audit rows instead.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor", verbose_name="用户"
    )
    secret = EncryptedTextField("TOTP密钥")
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    # The highest time step accepted so far: a code is good once, so one seen over a shoulder is useless.
    last_step = models.BigIntegerField(default=0, editable=False)
    recovery_codes = models.JSONField(default=list, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "双因素认证"

    def __str__(self) -> str:
        return f"{self.user} · {'已启用' if self.confirmed_at else '待绑定'}"

    @property
    def recovery_codes_left(self) -> int:
        return len(self.recovery_codes)
