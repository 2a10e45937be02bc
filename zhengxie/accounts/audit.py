"""The audit trail: who changed what, when, from where, before and after.

Every model of our apps is audited by signal, so a write through a service, the admin, the API or a
script leaves its row without each caller remembering to. Personal data is written masked, never in
the clear. Bulk writes (imports, seeding) bypass signals and call `audit_bulk` themselves.

The trail is a hash chain: every row carries `seq` (1, 2, 3, ... without gaps), the SM3 hash of the row
before it and SM3(prev_hash || canonical content). Appends are serialised (a transaction-scoped advisory
lock on PostgreSQL; SQLite transactions here begin IMMEDIATE and so hold the write lock), so two writers
never fork the chain; the unique `seq` refuses a fork should the lock ever be bypassed. The lock is held
until the writer's transaction commits, so code that writes audit rows should take its own row locks
first (lock the record, change it, audit) as the services do, or two transactions can deadlock.
`verify_chain` (command verify_audit_chain) recomputes every hash; `purge_before` (command purge_audit)
removes only rows older than RETENTION_DAYS and records where the chain now starts.
"""

from __future__ import annotations

import contextvars
import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

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
    object_repr: str = "",
) -> Any:
    from zhengxie.accounts.models import AuditLog

    ctx = current_context()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.actor_id
    label = (actor_label or (getattr(actor, "username", "") if actor is not None else ctx.label))[:150]
    if committee_id is None and obj is not None:
        committee_id = committee_id_of(obj)
    if committee_id is None and action in PERSON_ACTIONS:
        # Logins, failed logins and denials concern a person, not a record: file them under that
        # person's committee so its auditor sees them.
        committee_id = _user_committee(obj, actor, actor_id, label if action == "login_failed" else "")
    return AuditLog.objects.create(
        actor_id=actor_id,
        actor_label=label,
        ip=ip if ip is not None else ctx.ip,
        committee_id=committee_id,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        result=result[:200],
    )


PERSON_ACTIONS = frozenset({"login", "logout", "login_failed", "denied"})


def _user_committee(obj: models.Model | None, actor: Any, actor_id: int | None, username: str) -> int | None:
    """The committee of the user's most powerful grant (as the home page picks it), read afresh: the
    user object's cached grants may predate a grant made in the same request."""
    from zhengxie.accounts.models import Role, RoleGrant, User

    user = obj if isinstance(obj, User) else actor if isinstance(actor, User) else None
    user_id = user.pk if user is not None else actor_id
    if user_id is None and username:
        user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if user_id is None:
        return None
    order = [Role.ADMIN, Role.OFFICE, Role.LEADER, Role.AUDITOR, Role.UNIT, Role.MEMBER]
    grants = RoleGrant.objects.filter(user_id=user_id, committee__is_active=True).values_list(
        "role", "committee_id", "committee__path"
    )
    ranked = sorted(grants, key=lambda g: (order.index(Role(g[0])), -len(g[2])))
    return ranked[0][1] if ranked else None


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
# Set only inside purge_before(): the SQLite trigger then lets rows older than RETENTION_DAYS go.
_purging = contextvars.ContextVar("audit_purging", default=False)


def _register_sqlite_guard(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("zx_audit_locked", 0, lambda: 0 if PURGE_ALLOWED else 1)
        connection.connection.create_function("zx_audit_purging", 0, lambda: 1 if _purging.get() else 0)


# ------------------------------------------------------------------------------------------ hash chain

GENESIS = "0" * 64
# Rows younger than this are never purged (GB/T 22239-2019 8.1.4.3 asks for at least six months).
RETENTION_DAYS = 183
# pg_advisory_xact_lock key: "zxaudit" as an integer, so no other lock of the platform collides.
CHAIN_LOCK_KEY = int.from_bytes(b"zxaudit", "big")


def sm3_hex(data: bytes) -> str:
    """SM3 (GB/T 32905-2016) from the cryptography package's OpenSSL."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _plain_json(value: Any) -> Any:
    """The value as it reads back from a JSON column on either database: integral floats become ints
    (PostgreSQL's jsonb keeps 1e16 as 10000000000000000), tuples lists, keys strings."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    return value


def _ip_key(value: Any) -> str:
    if not value:
        return ""
    try:
        return ipaddress.ip_address(str(value)).packed.hex()
    except ValueError:
        return str(value)


def canonical(row: Any) -> bytes:
    """The bytes a row's hash covers: every column but id and the hashes, in a fixed order and form."""
    at = row.at
    if timezone.is_naive(at):
        at = timezone.make_aware(at, datetime.UTC)
    content = [
        row.seq,
        at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        row.actor_id,
        row.actor_label or "",
        _ip_key(row.ip),
        row.committee_id,
        row.action,
        row.object_type or "",
        row.object_id or "",
        row.object_repr or "",
        json.loads(json.dumps(row.before, cls=DjangoJSONEncoder)),
        json.loads(json.dumps(row.after, cls=DjangoJSONEncoder)),
        row.result or "",
    ]
    return json.dumps(
        _plain_json(content), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def row_hash(prev_hash: str, row: Any) -> str:
    return sm3_hex(prev_hash.encode() + canonical(row))


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_rows(rows: list[Any], *, using: str) -> None:
    """Give new rows their place in the chain. Call inside a transaction on `using`; the lock taken
    here is released when that transaction ends."""
    from zhengxie.accounts.models import AuditLog

    _lock_chain(using)
    last = AuditLog.objects.using(using).order_by("-seq").values_list("seq", "chain_hash").first()
    seq, prev = last if last is not None else (0, GENESIS)
    for row in rows:
        if row.at is None:
            row.at = timezone.now()
        seq += 1
        row.seq = seq
        row.prev_hash = prev
        row.chain_hash = prev = row_hash(prev, row)


@dataclass
class ChainReport:
    rows: int = 0
    first_seq: int | None = None
    head_seq: int | None = None
    head_hash: str = ""
    broken: list[tuple[int, int, str]] = dataclass_field(default_factory=list)  # (seq, id, reason)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify_chain(*, using: str = "default", limit: int = 100) -> ChainReport:
    """Recompute every row's hash in seq order. A row whose content changed fails on its own hash; a row
    removed or inserted shows as a gap or a wrong link. The start of the chain is either the genesis
    (seq 1) or the point a recorded purge says it continues from."""
    from zhengxie.accounts.models import AuditLog

    report = ChainReport()
    rows = AuditLog.objects.using(using).order_by("seq")
    anchors = {
        int(after["first_kept_seq"]): str(after.get("first_kept_prev_hash", ""))
        for after in rows.filter(action=AuditLog.Action.PURGE).values_list("after", flat=True)
        if isinstance(after, dict) and "first_kept_seq" in after
    }
    prev_seq: int | None = None
    prev_hash = ""
    for row in rows.iterator(chunk_size=2000):
        report.rows += 1
        if prev_seq is None:
            report.first_seq = row.seq
            expected = GENESIS if row.seq == 1 else anchors.get(row.seq)
            if expected is None:
                report.broken.append((row.seq, row.pk, "链首之前的记录被删除，且没有对应的清理记录"))
            elif row.prev_hash != expected:
                report.broken.append((row.seq, row.pk, "链首与清理记录不符"))
        elif row.seq != prev_seq + 1:
            report.broken.append((row.seq, row.pk, f"序号不连续：前一条为 {prev_seq}，中间的记录被删除"))
        elif row.prev_hash != prev_hash:
            report.broken.append((row.seq, row.pk, "与前一条记录的哈希不相连"))
        if row_hash(row.prev_hash, row) != row.chain_hash:
            report.broken.append((row.seq, row.pk, "记录内容与其哈希不符（已被修改）"))
        prev_seq, prev_hash = row.seq, row.chain_hash
        if len(report.broken) >= limit:
            break
    report.head_seq, report.head_hash = prev_seq, prev_hash
    return report


class PurgeRefused(Exception):
    """A purge that would remove rows younger than the retention period; the message is shown."""


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=RETENTION_DAYS)


def purge_before(before: datetime.date, *, actor_label: str = "purge_audit", using: str = "default") -> int:
    """Delete the rows written before `before` (local midnight), the oldest first and never a row younger
    than RETENTION_DAYS; records the purge (and where the chain now starts) as an audit row."""
    from zhengxie.accounts.models import AuditLog

    tz = timezone.get_current_timezone()
    cutoff = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min), tz)
    if cutoff > retention_cutoff():
        raise PurgeRefused(
            f"不能清理{RETENTION_DAYS}天内的审计日志：清理截止日期最晚为"
            f"{timezone.localtime(retention_cutoff(), tz).date().isoformat()}"
        )
    table = AuditLog._meta.db_table
    connection = connections[using]
    with transaction.atomic(using=using):
        _lock_chain(using)
        rows = AuditLog.objects.using(using)
        first_kept = rows.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        victims = rows.filter(seq__lt=first_kept) if first_kept is not None else rows.all()
        last = victims.order_by("-seq").values_list("seq", "chain_hash").first()
        if last is None:
            return 0
        count = victims.count()
        AuditLog(
            actor_label=actor_label[:150],
            action=AuditLog.Action.PURGE,
            after={
                "before": before.isoformat(),
                "deleted": count,
                "first_kept_seq": last[0] + 1,
                "first_kept_prev_hash": last[1],
            },
            result=f"清理{before.isoformat()}之前的审计日志{count}条",
        ).save(using=using)
        token = _purging.set(True)
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL zhengxie.audit_purge = 'on'")
                cursor.execute(f"DELETE FROM {table} WHERE seq <= %s", [last[0]])  # noqa: S608
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL zhengxie.audit_purge = 'off'")
        finally:
            _purging.reset(token)
    return count


# ------------------------------------------------------------------------------------------- denials

# A denied request is recorded once per user, method and path within this window, and a user's denials
# stop being recorded one by one after DENIAL_CAP in DENIAL_WINDOW (one row says so): a script probing
# ids cannot flood the trail, and the first probes are all there.
DENIAL_REPEAT = datetime.timedelta(seconds=60)
DENIAL_WINDOW = datetime.timedelta(minutes=10)
DENIAL_CAP = 100


def audit_denial(request: Any, status: int) -> None:
    """One "denied" row for a 403, or a 404 raised by a view (an object the user may not see answers
    404 by design), for a signed-in user. Unknown URLs are not denials."""
    from zhengxie.accounts.models import AuditLog

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "resolver_match", None) is None:
        return
    what = f"{request.method} {request.path}"[:200]
    now = timezone.now()
    mine = AuditLog.objects.filter(actor_id=user.pk, action=AuditLog.Action.DENIED)
    if mine.filter(at__gte=now - DENIAL_REPEAT, object_repr=what).exists():
        return
    recent = mine.filter(at__gte=now - DENIAL_WINDOW).count()
    if recent > DENIAL_CAP:
        return
    result = f"{status} 未找到或无权访问" if status == 404 else f"{status} 无权访问"
    if recent == DENIAL_CAP:
        what, result = "", f"拒绝访问过于频繁，{DENIAL_WINDOW.seconds // 60}分钟内不再逐条记录"
    audit_log(action=AuditLog.Action.DENIED, actor=user, object_repr=what, result=result)


def connect() -> None:
    connection_created.connect(_register_sqlite_guard, dispatch_uid="audit_sqlite_guard")
    pre_save.connect(_pre_save, dispatch_uid="audit_pre_save")
    post_save.connect(_post_save, dispatch_uid="audit_post_save")
    post_delete.connect(_post_delete, dispatch_uid="audit_post_delete")


def model_is_audited(model: type[models.Model]) -> bool:
    return _audited(model)


def all_audited_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if _audited(m)]
