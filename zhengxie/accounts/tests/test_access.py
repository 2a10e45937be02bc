"""Tenancy rules, per role, over the UI and the API: another committee's records answer 404."""

import pytest
from django.urls import reverse

from zhengxie.accounts import access
from zhengxie.accounts.models import ApiToken, Role
from zhengxie.testing.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def detail_url(member):
    return reverse("org:member_detail", args=[member.pk])


def api_detail(member):
    return f"/api/v1/org/members/{member.pk}"


def test_member_detail_other_committee_member_gets_404_over_ui(client, world):
    hezhou_user = UserFactory(username="hz_member")
    MemberFactory(committee=world.sibling, user=hezhou_user, name="贺州委员")
    grant(hezhou_user, world.sibling, Role.MEMBER)
    client.force_login(hezhou_user)
    assert client.get(detail_url(world.member)).status_code == 404


def test_member_detail_other_committee_member_gets_404_over_api(client, world):
    hezhou_user = UserFactory(username="hz_member")
    own = MemberFactory(committee=world.sibling, user=hezhou_user, name="贺州委员")
    grant(hezhou_user, world.sibling, Role.MEMBER)
    _, key = ApiToken.issue(user=hezhou_user, name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(api_detail(world.member), **auth).status_code == 404
    assert client.get(api_detail(own), **auth).status_code == 200
    listed = client.get("/api/v1/org/members", **auth).json()
    assert [row["id"] for row in listed["items"]] == [own.pk]


@pytest.mark.parametrize(
    ("who", "own_status", "colleague_status", "sibling_status"),
    [
        ("member_user", 200, 404, 404),
        ("office", 200, 200, 404),
        ("leader", 200, 200, 404),
        ("admin", 200, 200, 404),
        ("unit_user", 404, 404, 404),
        ("auditor", 404, 404, 404),
        ("sibling_office", 404, 404, 200),
        # A parent committee's office sees its children's statistics, never their members' records.
        ("province_office", 404, 404, 404),
    ],
)
def test_member_detail_access_by_role(client, world, who, own_status, colleague_status, sibling_status):
    client.force_login(getattr(world, who))
    assert client.get(detail_url(world.member)).status_code == own_status
    assert client.get(detail_url(world.other_member)).status_code == colleague_status
    assert client.get(detail_url(world.sibling_member)).status_code == sibling_status
    api = [
        client.get(api_detail(m)).status_code
        for m in (world.member, world.other_member, world.sibling_member)
    ]
    assert api == [own_status, colleague_status, sibling_status]


def test_member_detail_anonymous_redirects_to_login(client, world):
    response = client.get(detail_url(world.member))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(api_detail(world.member)).status_code == 401


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 200),
        ("leader", 200),
        ("admin", 200),
        ("member_user", 404),
        ("unit_user", 404),
        ("auditor", 404),
    ],
)
def test_member_list_by_role(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(reverse("org:member_list")).status_code == status


def test_member_list_other_committee_param_is_404(client, world):
    client.force_login(world.office)
    assert client.get(reverse("org:member_list"), {"committee": world.sibling.pk}).status_code == 404


def test_member_list_shows_only_own_committee_and_masks(client, world):
    client.force_login(world.office)
    response = client.get(reverse("org:member_list"))
    names = [m.name for m in response.context["page"]]
    assert sorted(names) == sorted(["张三", "李四"])
    body = response.content.decode()
    assert world.member.mobile not in body
    assert world.member.mobile_masked in body


def test_member_list_includes_resident_members_of_higher_committee(client, world):
    resident = MemberFactory(committee=world.province, resident_committee=world.city, name="住区委员甲")
    client.force_login(world.office)
    names = [m.name for m in client.get(reverse("org:member_list")).context["page"]]
    assert resident.name in names


def test_member_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    client.force_login(world.office)
    client.get(reverse("org:member_list"))  # warm session
    for _ in range(20):
        MemberFactory(committee=world.city)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org:member_list"))
    assert len(response.context["page"]) == 22


def test_api_member_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    client.force_login(world.office)
    for _ in range(20):
        MemberFactory(committee=world.city)
    with django_assert_max_num_queries(8):
        data = client.get("/api/v1/org/members?limit=100").json()
    assert data["count"] == 22


def test_personal_data_reveal_only_for_office_and_self_and_audited(client, world):
    from zhengxie.accounts.models import AuditLog

    client.force_login(world.leader)
    body = client.get(detail_url(world.other_member), {"reveal": "1"}).content.decode()
    assert world.other_member.mobile not in body
    client.force_login(world.office)
    body = client.get(detail_url(world.other_member), {"reveal": "1"}).content.decode()
    assert world.other_member.mobile in body
    assert AuditLog.objects.filter(action="view_personal", object_id=str(world.other_member.pk)).count() == 1
    client.force_login(world.member_user)
    body = client.get(detail_url(world.member), {"reveal": "1"}).content.decode()
    assert world.member.id_number in body


def test_statistics_committees_parent_sees_subtree_only(world):
    assert set(access.statistics_committees(world.province_office)) == {
        world.province,
        world.city,
        world.sibling,
        world.county,
    }
    assert set(access.statistics_committees(world.office)) == {world.city, world.county}
    assert set(access.statistics_committees(world.sibling_office)) == {world.sibling}
    assert list(access.statistics_committees(world.member_user)) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("province_office", 200), ("office", 404), ("sibling_office", 404), ("member_user", 404)],
)
def test_api_parent_committee_stats_of_child(client, world, who, status):
    client.force_login(getattr(world, who))
    response = client.get(f"/api/v1/org/committees/{world.city.pk}/stats")
    if who == "office":
        assert response.status_code == 200  # its own committee
        return
    assert response.status_code == status
    if status == 200:
        assert response.json()["members"] == 2


def test_deactivated_user_loses_access_on_next_request(client, world):
    client.force_login(world.office)
    assert client.get(reverse("org:member_list")).status_code == 200
    world.office.is_active = False
    world.office.save()
    assert client.get(reverse("org:member_list")).status_code == 302


def test_audit_list_only_for_auditor_of_committee(client, world):
    for who, status in [("auditor", 200), ("office", 404), ("admin", 404), ("member_user", 404)]:
        client.force_login(getattr(world, who))
        assert client.get(reverse("accounts:audit")).status_code == status


def test_audit_list_shows_no_foreign_rows(client, world):
    from zhengxie.accounts.models import AuditLog

    client.force_login(world.auditor)
    rows = list(client.get(reverse("accounts:audit")).context["page"])
    assert rows
    assert {r.committee_id for r in rows} == {world.city.pk}
    assert AuditLog.objects.filter(committee=world.sibling).exists()


def test_home_page_per_role_renders(client, world):
    for who in ["member_user", "office", "leader", "unit_user", "admin", "auditor", "province_office"]:
        client.force_login(getattr(world, who))
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert "政协履职平台" in response.content.decode()
    client.force_login(world.office)
    panel = client.get(reverse("home")).context["panels"][0]
    assert dict((label, value) for label, value, _ in panel.counts)["在任委员"] == 2
