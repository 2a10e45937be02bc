"""The audit trail as an assessor checks it: one row per event, an SM3 hash chain that shows an edited
row, serialised appends, retention, and only auditors reading it."""

from __future__ import annotations

import datetime
import itertools
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from zhengxie.accounts import audit
from zhengxie.accounts.audit import audit_context, audit_log, sm3_hex, verify_chain
from zhengxie.accounts.models import AuditLog
from zhengxie.org.models import Session, Term
from zhengxie.proposals import services
from zhengxie.proposals.models import State
from zhengxie.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
TABLE = AuditLog._meta.db_table


# ------------------------------------------------------------------------------------------- SM3


def test_sm3_matches_the_gbt_32905_2016_examples():
    # GB/T 32905-2016 Appendix A, examples 1 and 2.
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


# ------------------------------------------------------------------------------------- the chain


def make_rows(n, **kwargs):
    return [audit_log(action="export", result=f"第{i}条", **kwargs) for i in range(n)]


def test_every_write_path_extends_one_unbroken_chain(world):
    make_rows(3)
    audit.audit_bulk(action="create", objects=[world.city, world.county])
    AuditLog.objects.bulk_create([AuditLog(action="import", result="批量")])
    AuditLog.objects.create(action="login", actor_label="x")
    rows = list(AuditLog.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    assert rows[0].seq == 1 and rows[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.chain_hash
    assert all(len(r.chain_hash) == 64 for r in rows)
    report = verify_chain()
    assert report.ok, report.broken
    assert report.rows == len(rows)


def drop_guard():
    """Lift the append-only triggers inside the test's transaction (rolled back afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows' deferred foreign-key checks must run first: PostgreSQL alters no table with
            # pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP TRIGGER accounts_auditlog_no_update ON {TABLE}")
        else:
            cursor.execute("DROP TRIGGER accounts_auditlog_no_update")
            cursor.execute("DROP TRIGGER accounts_auditlog_no_delete")


def test_a_row_edited_with_raw_sql_breaks_the_chain_at_that_row(world):
    with audit_context(actor=world.office, ip="10.0.0.5"):
        rows = make_rows(6)
    assert verify_chain().ok
    victim = rows[3]
    drop_guard()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET result = %s WHERE id = %s", ["篡改后的结果", victim.pk])
    report = verify_chain()
    assert [(seq, pk) for seq, pk, _ in report.broken] == [(victim.seq, victim.pk)]
    assert "已被修改" in report.broken[0][2]

    with pytest.raises(CommandError, match="1 处异常"):
        call_command("verify_audit_chain")


@pytest.mark.parametrize(
    "column,value", [("ip", "10.9.9.9"), ("at", "2020-01-01 00:00:00"), ("actor_id", None)]
)
def test_any_column_edited_is_seen(world, column, value):
    with audit_context(actor=world.office, ip="10.0.0.5"):
        rows = make_rows(3)
    drop_guard()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, rows[1].pk])
    assert [seq for seq, _, _ in verify_chain().broken] == [rows[1].seq]


def test_a_deleted_row_shows_as_a_gap(world):
    rows = make_rows(5)
    drop_guard()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [rows[2].pk])
    broken = verify_chain().broken
    assert broken and broken[0][0] == rows[3].seq
    assert "不连续" in broken[0][2]


def test_a_rewritten_head_is_seen_with_expect_head(world):
    rows = make_rows(3)
    head = f"{rows[-1].seq}:{rows[-1].chain_hash}"
    call_command("verify_audit_chain", expect_head=head)
    drop_guard()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [rows[-1].pk])
    # The truncated chain is self-consistent; only the recorded head shows what is gone.
    assert verify_chain().ok
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", expect_head=head)


def test_verify_command_reports_an_intact_chain(world, capsys):
    make_rows(2)
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "哈希链完整" in out
    head = AuditLog.objects.order_by("-seq").first()
    assert f"{head.seq}:{head.chain_hash}" in out


def test_database_refuses_update_and_delete_even_of_the_hash_columns(monkeypatch, world):
    monkeypatch.setattr(audit, "PURGE_ALLOWED", False)
    row = make_rows(1)[0]
    for sql in (
        f"UPDATE {TABLE} SET chain_hash = 'x' WHERE id = %s",
        f"UPDATE {TABLE} SET seq = seq + 1000 WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_are_serialised():
    """Eight writers at once, each in its own transactions: one gapless chain, no fork, no lost row."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be written by threads at once")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                with transaction.atomic():
                    audit_log(action="export", result=f"{n}-{i}")
                    if i % 5 == 0:
                        audit.audit_bulk(action="create", objects=[])
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = list(AuditLog.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 201))
    assert verify_chain().ok


# -------------------------------------------------------------------------------------- retention


def old_rows(days: int, n: int) -> list[AuditLog]:
    at = timezone.now() - datetime.timedelta(days=days)
    rows = []
    for i in range(n):
        row = AuditLog(action="export", result=f"旧{i}", at=at + datetime.timedelta(seconds=i))
        row.save()
        rows.append(row)
    return rows


def test_purge_removes_only_old_rows_and_the_chain_still_verifies(monkeypatch):
    monkeypatch.setattr(audit, "PURGE_ALLOWED", False)  # the database guard as in production
    ancient = old_rows(400, 3)
    recent = old_rows(100, 2)
    before = timezone.localdate() - datetime.timedelta(days=200)
    call_command("purge_audit", before=before.isoformat())
    left = list(AuditLog.objects.order_by("seq"))
    assert {r.pk for r in ancient}.isdisjoint(r.pk for r in left)
    assert {r.pk for r in recent} <= {r.pk for r in left}
    purge = AuditLog.objects.get(action="purge")
    assert purge.after["deleted"] == 3
    report = verify_chain()
    assert report.ok, report.broken
    assert report.first_seq == ancient[-1].seq + 1


@pytest.mark.parametrize("days_ago", [0, 100, 182])
def test_purge_refuses_anything_younger_than_183_days(days_ago):
    rows = old_rows(10, 2)
    before = timezone.localdate() - datetime.timedelta(days=days_ago)
    with pytest.raises(CommandError, match="183天内"):
        call_command("purge_audit", before=before.isoformat())
    assert AuditLog.objects.filter(pk__in=[r.pk for r in rows]).count() == 2
    assert not AuditLog.objects.filter(action="purge").exists()


def test_purge_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_audit", before="去年")


def test_database_refuses_to_purge_a_young_row_even_in_purge_mode(monkeypatch):
    monkeypatch.setattr(audit, "PURGE_ALLOWED", False)
    old = old_rows(300, 1)[0]
    young = old_rows(100, 1)[0]
    token = audit._purging.set(True)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL zhengxie.audit_purge = 'on'")
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [young.pk])
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [old.pk])
    finally:
        audit._purging.reset(token)
    assert not AuditLog.objects.filter(pk=old.pk).exists()
    assert AuditLog.objects.filter(pk=young.pk).exists()


# ----------------------------------------------------------------------------------- who reads it


def test_only_auditors_read_the_trail(client, world):
    make_rows(1, committee_id=world.city.pk)
    for user in (world.member_user, world.office, world.leader, world.unit_user, world.admin):
        client.force_login(user)
        assert client.get("/accounts/audit/").status_code == 404, user
    client.force_login(world.auditor)
    page = client.get("/accounts/audit/")
    assert page.status_code == 200
    assert "第0条" in page.content.decode()


def test_the_admin_shows_the_trail_to_no_superuser(client, world):
    make_rows(1, committee_id=world.city.pk)
    boss = get_user_model().objects.create_superuser("root", password=DEFAULT_PASSWORD)
    client.force_login(boss)
    assert client.get("/admin/accounts/auditlog/").status_code == 403
    assert "auditlog" not in client.get("/admin/").content.decode()


def test_audit_page_shows_time_with_its_zone(client, world):
    make_rows(1, committee_id=world.city.pk)
    client.force_login(world.auditor)
    assert "+0800" in client.get("/accounts/audit/").content.decode()


# ----------------------------------------------------------------------------- one row per event


def rows_since(mark: int, **filters):
    return AuditLog.objects.filter(seq__gt=mark, **filters)


def mark() -> int:
    return AuditLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_login_writes_exactly_one_row_with_who_when_and_ip(client, world):
    m = mark()
    response = client.post(
        "/accounts/login/", {"username": "member1", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 302
    row = rows_since(m).get()  # last_login's update is no event
    assert (row.action, row.actor_id, row.ip, row.committee_id) == (
        "login",
        world.member_user.pk,
        "192.0.2.10",
        world.city.pk,
    )
    assert timezone.is_aware(row.at)


def test_failed_login_writes_exactly_one_row_filed_under_the_account(client, world):
    m = mark()
    client.post(
        "/accounts/login/", {"username": "office1", "password": "wrong-Pass-1"}, REMOTE_ADDR="192.0.2.11"
    )
    row = rows_since(m).get()
    assert (row.action, row.actor_label, row.ip, row.committee_id) == (
        "login_failed",
        "office1",
        "192.0.2.11",
        world.city.pk,
    )
    m = mark()
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong-Pass-1"})
    assert rows_since(m).get().action == "login_failed"


def test_a_denial_writes_one_row_and_repeats_do_not_flood(client, world):
    client.force_login(world.office)
    m = mark()
    foreign = f"/org/members/{world.sibling_member.pk}/"
    assert client.get(foreign, REMOTE_ADDR="192.0.2.12").status_code == 404
    row = rows_since(m).get()
    assert (row.action, row.actor_id, row.ip, row.committee_id) == (
        "denied",
        world.office.pk,
        "192.0.2.12",
        world.city.pk,
    )
    assert row.object_repr == f"GET {foreign}"
    assert row.result.startswith("404")
    client.get(foreign)  # the same request again within a minute: no second row
    assert rows_since(m, action="denied").count() == 1
    client.get("/org/members/999999/")
    assert rows_since(m, action="denied").count() == 2
    client.get("/no-such-page/")  # an unknown address is no denial
    assert rows_since(m, action="denied").count() == 2
    client.logout()
    client.get(foreign)  # anonymous: sent to the login page, nothing to attribute
    assert rows_since(m, action="denied").count() == 2


def test_a_probing_user_is_capped(client, world, monkeypatch):
    monkeypatch.setattr(audit, "DENIAL_CAP", 3)
    client.force_login(world.office)
    m = mark()
    for n in range(6):
        client.get(f"/org/members/{900000 + n}/")
    rows = list(rows_since(m, action="denied").order_by("seq"))
    assert len(rows) == 4
    assert "不再逐条记录" in rows[-1].result


def test_an_api_403_is_a_denial(client, world):
    client.force_login(world.member_user)
    m = mark()
    response = client.get(f"/api/v1/org/members/{world.sibling_member.pk}")
    assert response.status_code in (403, 404)
    assert rows_since(m, action="denied").count() == 1


def test_a_state_change_writes_exactly_one_row_on_the_record(world):
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    proposal = services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title="关于加装电梯的建议",
        background="老年人上下楼困难。",
        suggestions="简化审批。",
    )
    m = mark()
    with audit_context(actor=world.member_user, ip="192.0.2.13"):
        services.proposal_submit(proposal=proposal, user=world.member_user)
    on_record = rows_since(m, object_type="proposals.Proposal", object_id=str(proposal.pk))
    changes = [r for r in on_record if "state" in (r.after or {})]
    assert len(changes) == 1
    assert on_record.count() == 1
    row = changes[0]
    assert (row.before["state"], row.after["state"], row.actor_id, row.ip) == (
        State.DRAFT,
        State.SUBMITTED,
        world.member_user.pk,
        "192.0.2.13",
    )


def test_an_attachment_upload_and_removal_write_one_row_each(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhengxie.proposals import attachments

    settings.MEDIA_ROOT = tmp_path
    term = Term.objects.create(committee=world.city, number=14, start_year=2023, end_year=2027)
    session = Session.objects.create(committee=world.city, term=term, number=2, year=2026)
    proposal = services.proposal_draft_create(
        user=world.member_user,
        author=world.member,
        session=session,
        title="关于加装电梯的建议",
        background="老年人上下楼困难。",
        suggestions="简化审批。",
    )
    m = mark()
    upload = SimpleUploadedFile("调研报告.pdf", b"%PDF-1.4\n%%EOF\n")
    attachment = attachments.attachment_add(proposal=proposal, user=world.member_user, upload=upload)
    row = rows_since(m).get()
    assert (row.action, row.object_type, row.after["original_name"]) == (
        "create",
        "proposals.Attachment",
        "调研报告.pdf",
    )
    m = mark()
    attachments.attachment_remove(attachment=attachment, user=world.member_user)
    assert rows_since(m).get().action == "delete"


def test_unmasking_personal_data_writes_one_row_per_view(client, world):
    client.force_login(world.office)
    m = mark()
    client.get(f"/org/members/{world.other_member.pk}/", {"reveal": "1"})
    client.get(f"/org/members/{world.other_member.pk}/")  # masked: no row
    assert rows_since(m).filter(action="view_personal").count() == 1
    assert rows_since(m).exclude(action="view_personal").count() == 0


# ------------------------------------------------------------------------------------- migration


@pytest.mark.django_db(transaction=True)
def test_migration_chains_rows_written_before_it():
    """Rows of a deployment older than the chain get chained, in id order, and the guard is back."""
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_audit_append_only")])
    try:
        with connection.cursor() as cursor:
            for i in range(3):
                cursor.execute(
                    f"INSERT INTO {TABLE} (at, actor_label, action, object_type, object_id, object_repr,"
                    " result) VALUES (%s, %s, %s, '', '', '', %s)",
                    [timezone.now(), "旧系统", "export", f"旧{i}"],
                )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(AuditLog.objects.order_by("seq").values_list("seq", "result")) == [
        (1, "旧0"),
        (2, "旧1"),
        (3, "旧2"),
    ]
    assert verify_chain().ok
    row = AuditLog.objects.first()
    audit_saved = audit.PURGE_ALLOWED
    audit.PURGE_ALLOWED = False
    try:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET result = 'x' WHERE id = %s", [row.pk])
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [row.pk])
    finally:
        audit.PURGE_ALLOWED = audit_saved
    AuditLog.objects.create(action="login", actor_label="新")
    assert verify_chain().ok
