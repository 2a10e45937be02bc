from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from zhengxie.accounts import crypto
from zhengxie.accounts.models import AuditLog, Role, RoleGrant, User
from zhengxie.org import demo
from zhengxie.org.divisions import load_divisions
from zhengxie.org.models import Committee, Member, Party, Station

CODES = [s.code for s in demo.COMMITTEES]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--only", "org", stdout=out)
    return out.getvalue()


def _committee(code: str | None) -> Committee:
    if code is None:
        return Committee.objects.get(level=Committee.Level.NATIONAL)
    return Committee.objects.get(division_code=code)


@pytest.mark.django_db
def test_seed_demo_creates_13_committees_with_members():
    output = _seed()

    committees = {code: _committee(code) for code in CODES}
    assert len(committees) == 13
    assert [c.name for c in committees.values()][:2] == ["全国政协", "广东省政协"]
    assert committees["440704"].parent_id == committees["440700"].pk
    assert committees["440704"].path == f"{committees['440700'].path}{committees['440704'].pk}/"
    small = {c.name: c.members.count() for c in committees.values() if c.members.count() < 100}
    assert small == {}
    assert all(c.terms.count() == 1 and c.sessions.count() >= 4 for c in committees.values())
    assert "jm_member" in output
    assert demo.DEMO_PASSWORD in output


@pytest.mark.django_db
def test_seed_demo_members_have_consistent_positions_parties_and_ids():
    _seed()

    jiangmen = _committee("440700")
    members = list(Member.objects.filter(committee=jiangmen).select_related("sector", "party"))
    positions = [m.position for m in members]
    assert positions.count(Member.Position.CHAIR) == 1
    assert positions.count(Member.Position.SECRETARY_GENERAL) == 1
    assert 4 <= positions.count(Member.Position.VICE_CHAIR) <= 6
    party_sector = [m for m in members if m.sector.name in {"民革", "民盟", "九三学社", "中共"}]
    assert [m for m in party_sector if m.party.short_name != m.sector.name] == []
    assert [
        m for m in members if m.is_cpc_member != (m.party is not None and m.party.kind == Party.Kind.CPC)
    ] == []
    assert [m for m in members if not crypto.id_number_valid(m.id_number)] == []
    assert [m for m in members if not crypto.MOBILE_RE.match(m.mobile)] == []
    assert [m for m in members if m.is_hk_macao != (m.sector.name == "港澳")] == []
    local_ids = [m.id_number[:6] for m in members if not m.is_hk_macao]
    assert set(local_ids) == {"440700"}
    all_mobiles = [m.mobile for m in Member.objects.all()]
    assert len(set(all_mobiles)) == len(all_mobiles)
    with_station = sum(1 for m in members if m.station_id)
    assert 0.45 < with_station / len(members) < 0.75


@pytest.mark.django_db
def test_seed_demo_jianghai_runs_1_plus_5_plus_n_stations_and_has_resident_members():
    _seed()

    jianghai = _committee("440704")
    hall = Station.objects.get(committee=jianghai, kind=Station.Kind.HALL)
    rooms = Station.objects.filter(committee=jianghai, level=Station.Level.STREET)
    homes = Station.objects.filter(committee=jianghai, level=Station.Level.VILLAGE)
    assert hall.name == "江海区委员议事厅"
    assert sorted(r.name for r in rooms) == sorted(
        f"{s}街道协商议事室" for s in ["外海", "礼乐", "江南", "滘头", "滘北"]
    )
    assert {r.parent_id for r in rooms} == {hall.pk}
    assert homes.count() >= 5
    assert set(homes.values_list("parent__level", flat=True)) == {Station.Level.STREET}
    residents = Member.objects.filter(
        committee=_committee("440000"), resident_committee__in=[jianghai, _committee("440700")]
    )
    assert residents.filter(resident_committee=jianghai).count() == 3
    assert residents.filter(resident_committee__division_code="440700").count() == 6
    guangan = Station.objects.filter(committee=_committee("511602")).values_list("name", flat=True)
    assert "浓洒镇“有事来协商”委员工作室" in guangan


@pytest.mark.django_db
def test_seed_demo_logins_hold_their_grants():
    _seed()

    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff) == (True, True)
    assert list(admin.grants.values_list("role", "committee__name")) == [(Role.ADMIN, "全国政协")]
    for prefix, code in demo.LOGIN_COMMITTEES.items():
        grants = RoleGrant.objects.filter(user__username__startswith=f"{prefix}_")
        got = sorted((g.user.username, g.role, g.committee.division_code) for g in grants)
        want = sorted((f"{prefix}_{suffix}", role, code) for suffix, role in demo.LOGIN_ROLES)
        assert got == want
    unit_grant = RoleGrant.objects.get(user__username="jm_unit")
    assert unit_grant.handling_unit.name == "江门市教育局"
    member = Member.objects.get(user__username="jm_member")
    assert member.committee.division_code == "440700"
    assert User.objects.get(username="jm_member").mobile == member.mobile
    chair = Member.objects.get(committee__division_code="440700", position=Member.Position.CHAIR)
    assert User.objects.get(username="jm_leader").display_name == chair.name
    assert User.objects.count() == 1 + 5 * len(demo.LOGIN_COMMITTEES)


@pytest.mark.django_db
def test_seed_demo_member_authenticates_by_mobile():
    _seed()
    mobile = User.objects.get(username="jm_member").mobile
    request = RequestFactory().post("/accounts/login/")

    user = authenticate(request=request, username=mobile, password=demo.DEMO_PASSWORD)

    assert user is not None
    assert user.username == "jm_member"


@pytest.mark.django_db
def test_seed_demo_stores_personal_data_encrypted_and_audited():
    _seed()

    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile, id_number FROM org_member")
        rows = cursor.fetchall()
        cursor.execute("SELECT mobile FROM accounts_user WHERE username = %s", ["jm_member"])
        user_mobile = cursor.fetchone()[0]
    assert [r for r in rows if not (r[0].startswith("enc1:") and r[1].startswith("enc1:"))] == []
    assert user_mobile.startswith("enc1:")
    member = Member.objects.filter(committee__division_code="440700").first()
    assert member.mobile_index == crypto.blind_index(member.mobile)
    assert member.id_number_index == crypto.blind_index(member.id_number)
    assert AuditLog.objects.filter(result=demo.DEMO_RESULT).count() == Member.objects.count()


@pytest.mark.django_db
def test_seed_demo_second_run_changes_nothing():
    _seed()
    counts = (
        Committee.objects.count(),
        Member.objects.count(),
        User.objects.count(),
        AuditLog.objects.count(),
    )

    output = _seed()

    assert (
        Committee.objects.count(),
        Member.objects.count(),
        User.objects.count(),
        AuditLog.objects.count(),
    ) == counts
    assert "已存在" in output
    assert "jm_office" in output


@pytest.mark.django_db
def test_seed_demo_reuses_committees_from_load_divisions():
    load_divisions()
    before = Committee.objects.count()

    _seed()

    assert Committee.objects.count() == before
    assert _committee("440704").members.count() >= 100
    assert load_divisions().created == 0
