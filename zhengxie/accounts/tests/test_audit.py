import pytest
from django.db import DatabaseError, connection, transaction

from zhengxie.accounts.audit import audit_context
from zhengxie.accounts.models import AuditLog, Role, RoleGrant
from zhengxie.org.models import HandlingUnit, Member, Party, Sector, Session, SpecialCommittee, Station, Term
from zhengxie.testing.factories import CommitteeFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def rows_for(obj, action):
    return AuditLog.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk), action=action)


def exercise(model_cls, create_kwargs, field, new_value):
    obj = model_cls.objects.create(**create_kwargs)
    assert rows_for(obj, "create").count() == 1
    setattr(obj, field, new_value)
    obj.save()
    update = rows_for(obj, "update").get()
    assert update.after == {field: new_value}
    pk = obj.pk
    obj.delete()
    obj.pk = pk
    assert rows_for(obj, "delete").count() == 1


def test_every_org_model_write_leaves_audit_rows():
    committee = CommitteeFactory()
    sector = Sector.objects.create(committee=committee, name="经济界")
    term = Term.objects.create(committee=committee, number=6, start_year=2022, end_year=2026)
    exercise(Sector, {"committee": committee, "name": "教育界"}, "name", "科技界")
    exercise(
        Party,
        {"committee": committee, "name": "中国民主同盟", "short_name": "民盟", "kind": "democratic"},
        "short_name",
        "盟",
    )
    exercise(SpecialCommittee, {"committee": committee, "name": "提案委员会"}, "name", "经济委员会")
    exercise(
        Station,
        {"committee": committee, "name": "礼乐街道协商议事室", "kind": "room", "level": "street"},
        "address",
        "礼乐街道",
    )
    exercise(HandlingUnit, {"committee": committee, "name": "教育局"}, "contact_name", "陈科长")
    exercise(
        Term, {"committee": committee, "number": 7, "start_year": 2027, "end_year": 2031}, "end_year", 2032
    )
    exercise(Session, {"committee": committee, "term": term, "number": 1, "year": 2022}, "year", 2023)
    exercise(Member, {"committee": committee, "name": "赵六", "sector": sector}, "enterprise", "五邑大学")
    exercise(
        RoleGrant, {"user": UserFactory(), "committee": committee, "role": Role.OFFICE}, "role", Role.LEADER
    )


def test_committee_update_records_actor_ip_before_and_after(world):
    with audit_context(actor=world.admin, ip="10.1.2.3"):
        world.city.name = "江门市政协（新）"
        world.city.save()
    row = rows_for(world.city, "update").get()
    assert (row.actor_id, row.actor_label, row.ip, row.committee_id) == (
        world.admin.pk,
        "admin1",
        "10.1.2.3",
        world.city.pk,
    )
    assert row.before == {"name": "江门市政协"}
    assert row.after == {"name": "江门市政协（新）"}


def test_audit_row_masks_personal_data():
    member = MemberFactory(mobile="13812345678", id_number="440700198001011234")
    row = rows_for(member, "create").get()
    assert row.after["mobile"] == "138****5678"
    assert row.after["id_number"] == "4407**********1234"
    member.mobile = "13987654321"
    member.save()
    row = rows_for(member, "update").get()
    assert row.before == {"mobile": "138****5678"}
    assert row.after == {"mobile": "139****4321"}


def test_m2m_change_is_audited():
    member = MemberFactory()
    special = SpecialCommittee.objects.create(committee=member.committee, name="提案委员会")
    member.special_committees.add(special)
    row = AuditLog.objects.filter(object_id=str(member.pk), action="update").get()
    assert row.after["ids"] == [special.pk]


def test_save_without_change_writes_no_row():
    sector = Sector.objects.create(committee=CommitteeFactory(), name="农业界")
    sector.save()
    assert rows_for(sector, "update").count() == 0


def test_audit_log_refuses_update_and_delete_in_orm():
    row = AuditLog.objects.create(action="login", actor_label="x")
    row.result = "篡改"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=row.pk).update(result="篡改")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()


def test_audit_log_refuses_update_and_delete_in_database(monkeypatch):
    from zhengxie.accounts import audit

    monkeypatch.setattr(audit, "PURGE_ALLOWED", False)
    row = AuditLog.objects.create(action="login", actor_label="x")
    table = AuditLog._meta.db_table
    for sql in (f"UPDATE {table} SET result = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert AuditLog.objects.get(pk=row.pk).result == ""


def test_personal_data_is_encrypted_at_rest():
    member = MemberFactory(mobile="13812345678", id_number="440700198001011234")
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile, id_number FROM org_member WHERE id = %s", [member.pk])
        mobile, id_number = cursor.fetchone()
    assert mobile.startswith("enc1:")
    assert "13812345678" not in mobile
    assert "440700198001011234" not in id_number
    assert Member.objects.get(pk=member.pk).mobile == "13812345678"


def test_web_request_write_is_audited_with_request_ip(client, world):
    client.force_login(world.office)
    client.get("/org/members/", REMOTE_ADDR="192.0.2.7")
    client.get(f"/org/members/{world.other_member.pk}/", {"reveal": "1"}, REMOTE_ADDR="192.0.2.7")
    row = AuditLog.objects.get(action="view_personal")
    assert (row.actor_id, row.ip, row.committee_id) == (world.office.pk, "192.0.2.7", world.city.pk)
