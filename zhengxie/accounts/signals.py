from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from zhengxie.accounts.audit import audit_log, model_is_audited


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_log(action="login", obj=user, actor=user, ip=_ip(request), result="成功")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_log(action="logout", obj=user, actor=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The identifier is logged as typed only when it is not a mobile number (personal data).
    from zhengxie.accounts.crypto import MOBILE_RE, mask_mobile, normalise_mobile

    ident = str(credentials.get("username", ""))[:100]
    if MOBILE_RE.match(normalise_mobile(ident)):
        ident = mask_mobile(normalise_mobile(ident))
    result = "动态验证码错误" if credentials.get("second_factor") else "用户名或密码错误"
    audit_log(action="login_failed", actor_label=ident or "?", ip=_ip(request), result=result)


@receiver(m2m_changed, dispatch_uid="audit_m2m")
def _m2m_changed(sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"} or not model_is_audited(type(instance)):
        return
    field = sender._meta.db_table
    audit_log(
        action="update",
        obj=instance,
        after={"relation": field, "change": action.removeprefix("post_"), "ids": sorted(pk_set or [])},
    )
