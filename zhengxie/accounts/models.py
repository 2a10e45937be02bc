"""Users, their roles per committee, API tokens and the append-only audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone

from zhengxie.accounts import crypto
from zhengxie.accounts.fields import EncryptedTextField


class Role(models.TextChoices):
    MEMBER = "member", "委员"
    OFFICE = "office", "机关工作人员"
    LEADER = "leader", "领导"
    UNIT = "unit", "承办单位"
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计员"


class User(AbstractUser):
    """A login. What it may do comes from its RoleGrants, never from flags on the user."""

    display_name = models.CharField("姓名", max_length=30, blank=True)
    mobile = EncryptedTextField("手机号", blank=True)
    mobile_index = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(
                fields=["mobile_index"], condition=~Q(mobile_index=""), name="user_unique_mobile"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.mobile = crypto.normalise_mobile(self.mobile)
        self.mobile_index = crypto.blind_index(self.mobile)
        if kwargs.get("update_fields") and "mobile" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "mobile_index"}
        super().save(*args, **kwargs)

    @property
    def mobile_masked(self) -> str:
        return crypto.mask_mobile(self.mobile)


class RoleGrant(models.Model):
    """A user's role in one committee; a unit clerk's grant names the unit they act for."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    committee = models.ForeignKey("org.Committee", on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("角色", max_length=10, choices=Role.choices)
    handling_unit = models.ForeignKey(
        "org.HandlingUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "committee", "role"],
                condition=Q(handling_unit__isnull=True),
                name="grant_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "committee", "handling_unit"],
                condition=Q(handling_unit__isnull=False),
                name="grant_unique_unit",
            ),
            models.CheckConstraint(
                condition=Q(role="unit", handling_unit__isnull=False)
                | (~Q(role="unit") & Q(handling_unit__isnull=True)),
                name="grant_unit_iff_unit_role",
            ),
        ]
        indexes = [models.Index(fields=["committee", "role"], name="grant_committee_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.committee} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for API clients; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        key = "zx_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8])
        return token, key


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("审计日志不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("审计日志不可删除")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[AuditLog]:
        from zhengxie.accounts import audit

        objs = list(objs)
        if not objs:
            return objs
        with transaction.atomic(using=self.db):
            audit.chain_rows(objs, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)


class AuditLog(models.Model):
    """Append-only and hash-chained: the ORM refuses updates and deletes, database triggers refuse them
    too, and each row carries the SM3 hash of its content and of the row before it (see audit.py), so a
    row edited behind the triggers' back breaks the chain at that row."""

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        TRANSITION = "transition", "状态变更"
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        DENIED = "denied", "拒绝访问"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"
        VIEW_PERSONAL = "view_personal", "查看个人信息"
        PURGE = "purge", "清理过期日志"

    # Set under the chain lock just before the insert (not auto_now_add, which would change it after the
    # hash was computed). Stored with its time zone (timestamptz on PostgreSQL, UTC on SQLite).
    at = models.DateTimeField("时间", default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人标识", max_length=150, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    committee = models.ForeignKey(
        "org.Committee",
        verbose_name="所属政协",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("动作", max_length=16, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    result = models.CharField("结果", max_length=200, blank=True)
    seq = models.BigIntegerField("链序号", unique=True, editable=False)
    prev_hash = models.CharField("前一条哈希", max_length=64, editable=False)
    chain_hash = models.CharField("本条哈希（SM3）", max_length=64, editable=False)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["committee", "-at"], name="audit_committee_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("审计日志不可修改")
        from zhengxie.accounts import audit

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            audit.chain_rows([self], using=using)
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("审计日志不可删除")
