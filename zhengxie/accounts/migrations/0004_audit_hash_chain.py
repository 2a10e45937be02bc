"""The audit trail becomes an SM3 hash chain, and purging rows older than the retention period becomes
possible (through purge_audit only; the database still refuses every other UPDATE and DELETE).

Existing rows are chained in id order. The append-only triggers are lifted for that backfill and put back
at the end; on SQLite they are also recreated because altering a column rebuilds the table, which drops
its triggers.
"""

import datetime
import ipaddress
import json

import django.utils.timezone
from cryptography.hazmat.primitives import hashes
from django.db import migrations, models

RETENTION_DAYS = 183
GENESIS = "0" * 64

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION accounts_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    -- purge_audit sets zhengxie.audit_purge for its own transaction; even then only old rows may go.
    IF TG_OP = 'DELETE' AND current_setting('zhengxie.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '{RETENTION_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'accounts_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS accounts_auditlog_no_update BEFORE UPDATE ON accounts_auditlog
       BEGIN SELECT RAISE(ABORT, 'accounts_auditlog is append-only'); END;""",
    # zx_audit_locked() and zx_audit_purging() are registered on every connection the platform opens (see
    # audit.py); any other client lacks them, so its DELETE fails. Django stores UTC as
    # 'YYYY-MM-DD HH:MM:SS.ffffff', which compares as text with strftime's output.
    f"""CREATE TRIGGER IF NOT EXISTS accounts_auditlog_no_delete BEFORE DELETE ON accounts_auditlog
       WHEN zx_audit_locked() AND NOT (
           zx_audit_purging() AND OLD.at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-{RETENTION_DAYS} days'))
       BEGIN SELECT RAISE(ABORT, 'accounts_auditlog is append-only'); END;""",
]
SQLITE_OLD_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS accounts_auditlog_no_update BEFORE UPDATE ON accounts_auditlog
       BEGIN SELECT RAISE(ABORT, 'accounts_auditlog is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS accounts_auditlog_no_delete BEFORE DELETE ON accounts_auditlog
       WHEN zx_audit_locked() BEGIN SELECT RAISE(ABORT, 'accounts_auditlog is append-only'); END;""",
]
PG_OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION accounts_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def _drop_sqlite_triggers(schema_editor):
    schema_editor.execute("DROP TRIGGER IF EXISTS accounts_auditlog_no_update;")
    schema_editor.execute("DROP TRIGGER IF EXISTS accounts_auditlog_no_delete;")


def lift_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE accounts_auditlog DISABLE TRIGGER accounts_auditlog_no_update;")
    elif vendor == "sqlite":
        _drop_sqlite_triggers(schema_editor)


def restore_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute("ALTER TABLE accounts_auditlog ENABLE TRIGGER accounts_auditlog_no_update;")
    elif vendor == "sqlite":
        _drop_sqlite_triggers(schema_editor)
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def restore_old_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_OLD_FUNCTION)
        schema_editor.execute("ALTER TABLE accounts_auditlog ENABLE TRIGGER accounts_auditlog_no_update;")
    elif vendor == "sqlite":
        _drop_sqlite_triggers(schema_editor)
        for sql in SQLITE_OLD_TRIGGERS:
            schema_editor.execute(sql)


# A frozen copy of audit.canonical() as it was when this migration was written: a migration must not
# change meaning when the application code moves on.
def _sm3(data):
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _ip_key(value):
    if not value:
        return ""
    try:
        return ipaddress.ip_address(str(value)).packed.hex()
    except ValueError:
        return str(value)


def _canonical(row):
    at = row.at
    if django.utils.timezone.is_naive(at):
        at = django.utils.timezone.make_aware(at, datetime.UTC)
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
        json.loads(json.dumps(row.before, default=str)),
        json.loads(json.dumps(row.after, default=str)),
        row.result or "",
    ]
    return json.dumps(_plain(content), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def backfill_chain(apps, schema_editor):
    AuditLog = apps.get_model("accounts", "AuditLog")
    db = schema_editor.connection.alias
    prev = GENESIS
    for seq, row in enumerate(AuditLog._base_manager.using(db).order_by("id").iterator(chunk_size=2000), 1):
        row.seq = seq
        row.prev_hash = prev
        row.chain_hash = prev = _sm3(prev.encode() + _canonical(row))
        AuditLog._base_manager.using(db).filter(pk=row.pk).update(
            seq=row.seq, prev_hash=row.prev_hash, chain_hash=row.chain_hash
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_append_only")]

    operations = [
        migrations.RunPython(lift_guard, restore_old_guard),
        migrations.AlterField(
            model_name="auditlog",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="时间"
            ),
        ),
        migrations.AlterField(
            model_name="auditlog",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "新增"),
                    ("update", "修改"),
                    ("delete", "删除"),
                    ("transition", "状态变更"),
                    ("login", "登录"),
                    ("login_failed", "登录失败"),
                    ("logout", "退出"),
                    ("denied", "拒绝访问"),
                    ("export", "导出"),
                    ("import", "导入"),
                    ("view_personal", "查看个人信息"),
                    ("purge", "清理过期日志"),
                ],
                max_length=16,
                verbose_name="动作",
            ),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditlog",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希（SM3）"),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_chain, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditlog",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        migrations.RunPython(restore_guard, lift_guard),
    ]
