"""社情民意 API: the whole path, who may do what, fields a caller may not set, Chinese errors."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengxie.accounts.models import ApiToken, Role
from zhengxie.opinions.models import Instruction, OpinionReport, ReportState
from zhengxie.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user) -> None:  # type: ignore[no-untyped-def]
        _, self.key = ApiToken.issue(user=user, name="test")
        self.client = client

    def get(self, path: str = "", **params):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1/opinions{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def send(self, method: str, path: str = "", data: dict | None = None):  # type: ignore[no-untyped-def]
        return getattr(self.client, method)(
            f"/api/v1/opinions{path}",
            json.dumps(data or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )

    def post(self, path: str = "", data: dict | None = None):  # type: ignore[no-untyped-def]
        return self.send("post", path, data)


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


def body(**extra):
    return {
        "title": "关于加快老旧小区加装电梯的建议",
        "situation": "老人上下楼难。",
        "suggestion": "简化审批。",
        **extra,
    }


def lisi(world):
    user = UserFactory(username="lisi")
    world.other_member.user = user
    world.other_member.save()
    grant(user, world.city, Role.MEMBER)
    return user


def test_full_path_through_the_api(api, world):
    member, office = api(world.member_user), api(world.office)
    r = member.post("", body())
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["actions"] == ["submit", "edit"]
    assert [a["name"] for a in r.json()["authors"]] == ["张三"]

    r = member.send("put", f"/{rid}", {"title": "改过的标题", "situation": "新情况"})
    assert r.status_code == 200 and r.json()["title"] == "改过的标题"
    assert member.post(f"/{rid}/submit").json()["state"] == "submitted"
    r = office.send("put", f"/{rid}", {"title": "编辑后的标题", "situation": "编辑后", "kind": "research"})
    assert r.json()["kind"] == "research"
    assert set(office.get(f"/{rid}").json()["actions"]) == {"archive", "merge", "forward", "edit"}

    r = office.post(f"/{rid}/forward", {"target": "government", "receiver": "江门市人民政府办公室"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "forwarded" and r.json()["number_display"].endswith("第1期")
    forwarding_id = r.json()["forwardings"][0]["id"]
    r = office.post(
        f"/{rid}/adopt", {"forwarding_id": forwarding_id, "adopted_by": "市政府办", "note": "采用"}
    )
    assert r.json()["state"] == "adopted" and r.json()["forwardings"][0]["adopted"] is True
    for level in ("national", "city"):
        r = office.post(f"/{rid}/instruct", {"level": level, "leader_name": "李明", "text": "请研究。"})
        assert r.status_code == 200, r.content
    # The author sees the adoption and both instructions.
    seen = member.get(f"/{rid}").json()
    assert [i["level_label"] for i in seen["instructions"]] == ["国家级", "市级"]
    assert seen["actions"] == []
    assert [t["action"] for t in seen["transitions"]] == ["submit", "forward", "adopt"]


def test_member_cannot_set_committee_state_or_other_authors(api, world):
    member = api(world.member_user)
    r = member.post(
        "",
        body(committee_id=world.sibling.pk, state="adopted", number=7, created_by=world.office.pk),
    )
    assert r.status_code == 201
    report = OpinionReport.objects.get(pk=r.json()["id"])
    assert (report.committee, report.state, report.number, report.created_by) == (
        world.city,
        ReportState.DRAFT,
        None,
        world.member_user,
    )
    r = member.post("", body(title="另一条", author_ids=[world.other_member.pk]))
    assert r.status_code == 403 and r.json()["detail"] == "只能以本人名义报送"
    assert OpinionReport.objects.count() == 1


def test_office_enters_for_members_and_it_arrives_submitted(api, world):
    office = api(world.office)
    r = office.post("", body(author_ids=[world.member.pk, world.other_member.pk]))
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "submitted" and r.json()["committee_id"] == world.city.pk
    r = office.post("", body(author_ids=[world.sibling_member.pk]))
    assert r.status_code == 400 and r.json()["detail"] == "反映人须为本政协委员"
    r = office.post("", body(author_ids=[999999]))
    assert r.status_code == 400
    r = office.post("", body())
    assert r.status_code == 400 and r.json()["detail"] == "请选择反映人"


def test_create_refused_to_people_without_a_seat(api, world):
    r = api(world.unit_user).post("", body())
    assert r.status_code == 403 and "只有本政协委员或工作人员" in r.json()["detail"]
    assert not OpinionReport.objects.exists()


def test_bad_input_gets_chinese_400(api, world, reports):
    member, office = api(world.member_user), api(world.office)
    assert member.post("", body(title="   ")).json()["detail"] == "标题不能为空"
    assert (
        member.post("", body(source_kind="party", party_id=12345)).json()["detail"]
        == "请选择本政协的党派团体"
    )
    rid = reports.bring_to(ReportState.SUBMITTED).pk
    assert office.post(f"/{rid}/archive", {"reason": ""}).json()["detail"] == "不报送理由不能为空"
    r = office.post(f"/{rid}/instruct", {"level": "city", "leader_name": "李明"})
    assert r.status_code == 400 and r.json()["detail"] == "只有已报送的信息可以登记批示"
    assert office.post(f"/{rid}/forward", {"target": "moon"}).status_code == 422
    assert OpinionReport.objects.get(pk=rid).state == ReportState.SUBMITTED


@pytest.mark.parametrize(
    ("who", "status"),
    [("member_user", 403), ("leader", 403), ("other", 404), ("sibling_office", 404), ("unit_user", 404)],
)
def test_who_may_forward(api, world, reports, who, status):
    rid = reports.bring_to(ReportState.SUBMITTED).pk
    user = lisi(world) if who == "other" else getattr(world, who)
    r = api(user).post(f"/{rid}/forward", {"target": "government"})
    assert r.status_code == status
    assert r.json()["detail"]
    assert OpinionReport.objects.get(pk=rid).state == ReportState.SUBMITTED


def test_detail_and_list_visibility(api, world, reports):
    draft = reports.bring_to(ReportState.DRAFT)
    forwarded = reports.bring_to(ReportState.FORWARDED, kind="advice")
    assert api(world.office).get(f"/{draft.pk}").status_code == 404
    assert api(world.leader).get(f"/{forwarded.pk}").status_code == 200
    for name in ("sibling_office", "province_office", "unit_user", "auditor"):
        assert api(getattr(world, name)).get(f"/{forwarded.pk}").status_code == 404
        assert api(getattr(world, name)).get("").json()["count"] == 0
    assert api(world.office).get("").json()["count"] == 1
    assert api(world.member_user).get("").json()["count"] == 2
    assert api(world.member_user).get("", kind="advice").json()["items"][0]["id"] == forwarded.pk
    assert api(world.member_user).get("", state="draft").json()["items"][0]["id"] == draft.pk
    assert api(world.member_user).get("", q="不存在的词").json()["count"] == 0


def test_list_query_count_is_flat(api, world, reports, client):
    office = api(world.office)
    reports.bring_to(ReportState.SUBMITTED)
    with CaptureQueriesContext(connection) as one:
        office.get("")
    for state in (ReportState.FORWARDED, ReportState.ADOPTED, ReportState.ARCHIVED):
        reports.bring_to(state)
    with CaptureQueriesContext(connection) as many:
        assert office.get("").json()["count"] == 4
    assert len(many) == len(one)


def test_merge_and_withdraw_and_reopen(api, world, reports):
    office, member = api(world.office), api(world.member_user)
    a = reports.bring_to(ReportState.SUBMITTED)
    b = reports.bring_to(ReportState.SUBMITTED)
    draft = reports.bring_to(ReportState.DRAFT)
    assert office.post(f"/{a.pk}/merge", {"into_id": draft.pk}).status_code == 400
    assert office.post(f"/{a.pk}/merge", {"into_id": 999999}).status_code == 404
    r = office.post(f"/{a.pk}/merge", {"into_id": b.pk})
    assert r.json()["state"] == "merged" and r.json()["merged_into_id"] == b.pk
    # The merged report's author is credited on the one it went into.
    c = reports.bring_to(ReportState.SUBMITTED)
    assert member.post(f"/{c.pk}/withdraw", {"reason": "再调研"}).json()["state"] == "withdrawn"
    d = reports.bring_to(ReportState.ARCHIVED)
    assert office.post(f"/{d.pk}/reopen").json()["state"] == "submitted"


def test_stale_version_is_409(api, world, reports):
    office = api(world.office)
    r = reports.bring_to(ReportState.SUBMITTED)
    stale = r.version
    assert office.post(f"/{r.pk}/archive", {"reason": "重复", "version": stale}).status_code == 200
    assert office.post(f"/{r.pk}/reopen", {"version": stale + 1}).status_code == 200
    response = office.post(f"/{r.pk}/archive", {"reason": "再次", "version": stale})
    assert response.status_code == 409 and "刷新" in response.json()["detail"]
    response = office.send("put", f"/{r.pk}", {"title": "x", "situation": "y", "version": stale})
    assert response.status_code == 409


def test_adopt_and_instruct_check_the_forwarding(api, world, reports):
    office = api(world.office)
    a = reports.bring_to(ReportState.FORWARDED)
    b = reports.bring_to(ReportState.FORWARDED)
    other = b.forwardings.get().pk
    r = office.post(f"/{a.pk}/adopt", {"forwarding_id": other})
    assert r.status_code == 400 and r.json()["detail"] == "报送记录不属于该信息"
    r = office.post(f"/{a.pk}/instruct", {"level": "county", "leader_name": "陈刚", "forwarding_id": other})
    assert r.status_code == 400
    assert not Instruction.objects.exists()
    assert OpinionReport.objects.get(pk=a.pk).state == ReportState.FORWARDED


def test_anonymous_gets_401(client, reports):
    r = reports.bring_to(ReportState.SUBMITTED)
    assert client.get("/api/v1/opinions").status_code == 401
    assert client.get(f"/api/v1/opinions/{r.pk}").status_code == 401
    assert (
        client.post(f"/api/v1/opinions/{r.pk}/archive", "{}", content_type="application/json").status_code
        == 401
    )
