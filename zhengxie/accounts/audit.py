"""The audit trail: who changed what, when, from where, before and after.

Every model of our apps is audited by signal, so a write through a service, the admin, the API or a
script leaves its row without each caller remembering to. Personal data is written masked, never in
the clear. Bulk writes (imports, seeding) bypass signals and call `audit_bulk` themselves.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save, pre_save

from zhengxie.accounts import crypto
from zhengxie.accounts.fields import EncryptedTextField


@dataclass(frozen=True)
class AuditContext:
    actor_id: int | None
    label: str
    ip: str | None


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=AuditContext(actor_id=None, label="system", ip=None),  # noqa: B039 (frozen dataclass)
)

# Fields whose every change is noise in the trail.
IGNORED_FIELDS = {"last_login", "mobile_index", "id_number_index", "path"}


@contextmanager
def audit_context(*, actor: Any = None, label: str = "", ip: str | None = None) -> Iterator[None]:
    actor_id = (
        getattr(actor, "pk", None)
        if actor is not None and getattr(actor, "is_authenticated", False)
        else None
    )
    token = _context.set(
        AuditContext(
            actor_id=actor_id, label=label or (str(getattr(actor, "username", "")) or "system"), ip=ip
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get()


def _mask(field: models.Field, value: Any) -> Any:
    if not value:
        return value
    if field.name == "mobile":
        return crypto.mask_mobile(value)
    if field.name == "id_number":
        return crypto.mask_id_number(value)
    return "***"


def snapshot(instance: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in IGNORED_FIELDS:
            continue
        value = field.value_from_object(instance)
        if isinstance(field, EncryptedTextField):
            value = _mask(field, value)
        elif field.name == "password" and value:
            # A change shows as a different tag; the hash itself never enters the trail.
            value = "已设置#" + hashlib.sha256(str(value).encode()).hexdigest()[:8]
        data[field.attname] = value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def committee_id_of(instance: models.Model) -> int | None:
    from zhengxie.org.models import Committee

    if isinstance(instance, Committee):
        return instance.pk
    return getattr(instance, "committee_id", None)


def audit_log(
    *,
    action: str,
    obj: models.Model | None = None,
    committee_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    result: str = "",
    actor: Any = None,
    actor_label: str = "",
    ip: str | None = None,
) -> Any:
    from zhengxie.accounts.models import AuditLog

    ctx = current_context()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.actor_id
    return AuditLog.objects.create(
        actor_id=actor_id,
        actor_label=(actor_label or (getattr(actor, "username", "") if actor is not None else ctx.label))[
            :150
        ],
        ip=ip if ip is not None else ctx.ip,
        committee_id=committee_id if committee_id is not None else (committee_id_of(obj) if obj else None),
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        result=result[:200],
    )


def audit_bulk(*, action: str, objects: Iterable[models.Model], result: str = "") -> int:
    """One row per object for writes that bypassed signals (bulk_create in imports)."""
    from zhengxie.accounts.models import AuditLog

    ctx = current_context()
    rows = [
        AuditLog(
            actor_id=ctx.actor_id,
            actor_label=ctx.label[:150],
            ip=ctx.ip,
            committee_id=committee_id_of(obj),
            action=action,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            after=snapshot(obj),
            result=result[:200],
        )
        for obj in objects
    ]
    AuditLog.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _audited(sender: type[models.Model]) -> bool:
    return sender._meta.app_label in AUDITED_APPS and sender._meta.model_name != "auditlog"


AUDITED_APPS = {"accounts", "org"}


def register_app(label: str) -> None:
    """Later apps (proposals, opinions, ...) register here from their AppConfig.ready()."""
    AUDITED_APPS.add(label)


def _pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _audited(sender) or instance._state.adding or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= IGNORED_FIELDS:
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old is not None else None  # type: ignore[attr-defined]


def _post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not _audited(sender):
        return
    update_fields = kwargs.get("update_fields")
    if not created and update_fields and set(update_fields) <= IGNORED_FIELDS:
        return
    after = snapshot(instance)
    if created:
        audit_log(action="create", obj=instance, after=after)
        return
    before = getattr(instance, "_audit_before", None) or {}
    changed = {k for k in after if before.get(k) != after.get(k)}
    if not changed:
        return
    audit_log(
        action="update",
        obj=instance,
        before={k: before.get(k) for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
    )


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender):
        return
    audit_log(action="delete", obj=instance, before=snapshot(instance))


# The test runner empties every table between transactional tests; nothing else may set this.
PURGE_ALLOWED = False


def _register_sqlite_guard(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("zx_audit_locked", 0, lambda: 0 if PURGE_ALLOWED else 1)


def connect() -> None:
    connection_created.connect(_register_sqlite_guard, dispatch_uid="audit_sqlite_guard")
    pre_save.connect(_pre_save, dispatch_uid="audit_pre_save")
    post_save.connect(_post_save, dispatch_uid="audit_post_save")
    post_delete.connect(_post_delete, dispatch_uid="audit_post_delete")


def model_is_audited(model: type[models.Model]) -> bool:
    return _audited(model)


def all_audited_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if _audited(m)]
