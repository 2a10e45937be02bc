import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhengxie.accounts.models import ApiToken
from zhengxie.proposals import workflow
from zhengxie.proposals.api import _status
from zhengxie.proposals.models import Proposal, Reply, State, Transition
from zhengxie.testing.factories import UserFactory, grant


class Api:
    def __init__(self, client: Client, user) -> None:
        _, self.key = ApiToken.issue(user=user, name="test")
        self.client = client

    def get(self, path: str = "", **params):
        return self.client.get(f"/api/v1/proposals{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def post(self, path: str = "", data: dict | None = None):
        return self.client.post(
            f"/api/v1/proposals{path}",
            json.dumps(data or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


def draft_data(pw, **extra):
    return {
        "session_id": pw.session.pk,
        "title": "关于完善城市停车设施的建议",
        "background": "老城区停车难。",
        "suggestions": "建设立体停车库。",
        "category": "economy",
        **extra,
    }


def test_full_lifecycle_through_the_api(pw, api):
    w = pw.world
    member, office, unit = api(w.member_user), api(w.office), api(w.unit_user)

    r = member.post("", draft_data(pw))
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["state"] == "draft"
    assert r.json()["actions"] == ["submit"]

    r = member.post(f"/{pid}/submit", {"client_token": "abc"})
    assert r.status_code == 200, r.content
    assert r.json()["number"] == 1
    assert r.json()["number_display"] == "十四届二次会议第0001号"

    assert office.post(f"/{pid}/file", {"category": "society"}).json()["state"] == "filed"
    r = office.post(f"/{pid}/assign", {"lead_unit_id": w.unit.pk, "co_unit_ids": [pw.other_unit.pk]})
    assert r.status_code == 200, r.content
    assert {(a["unit"], a["role"]) for a in r.json()["assignments"]} == {
        ("江门市教育局", "lead"),
        ("江门市住房和城乡建设局", "co"),
    }

    assert unit.post(f"/{pid}/contact", {"method": "电话", "note": "已电话沟通"}).status_code == 200
    r = unit.post(
        f"/{pid}/reply", {"letter": "已采纳，正在实施。", "result": "A", "doc_number": "江教函〔2026〕1号"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "replied"

    r = member.post(f"/{pid}/rate", {"rating": "satisfied", "comment": "很好"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "closed"
    assert body["category"] == "society"
    assert [t["action"] for t in body["transitions"]] == ["submit", "file", "assign", "reply", "rate"]
    assert body["replies"][0]["result"] == "A"
    assert body["contacts"][0]["method"] == "电话"
    assert body["feedback"][0]["rating"] == "satisfied"


def test_return_and_reassign_and_not_file_and_merge_and_withdraw(pw, api):
    w = pw.world
    member, office, unit = api(w.member_user), api(w.office), api(w.unit_user)
    p = pw.bring_to(State.ASSIGNED)
    assert unit.post(f"/{p.pk}/request_return", {"reason": "不属本单位职责"}).json()["state"] == "returned"
    r = office.post(f"/{p.pk}/reassign", {"lead_unit_id": pw.other_unit.pk})
    assert r.json()["state"] == "assigned"

    a, b, c = (pw.bring_to(State.SUBMITTED) for _ in range(3))
    assert office.post(f"/{a.pk}/not_file", {"reason": "属于个人诉求"}).json()["state"] == "not_filed"
    assert office.post(f"/{b.pk}/merge", {"into_id": p.pk}).json()["merged_into_id"] == p.pk
    assert member.post(f"/{c.pk}/withdraw", {"reason": "需补充材料"}).json()["state"] == "withdrawn"


def test_cosign_invite_and_confirm(pw, api):
    w = pw.world
    w.other_member.user = UserFactory(username="lisi")
    w.other_member.save()
    grant(w.other_member.user, w.city, "member")
    p = pw.draft()
    r = api(w.member_user).post(f"/{p.pk}/cosigners", {"member_ids": [w.other_member.pk]})
    assert r.status_code == 200, r.content
    r = api(w.other_member.user).post(f"/{p.pk}/cosign", {"confirm": True})
    assert r.json()["cosigners"] == [{"member_id": w.other_member.pk, "name": "李四", "status": "confirmed"}]
    assert api(w.other_member.user).post(f"/{p.pk}/cosign", {"confirm": False}).status_code == 400


def test_fields_a_role_may_not_set_are_ignored(pw, api):
    w = pw.world
    member = api(w.member_user)
    r = member.post(
        "",
        draft_data(
            pw, committee=w.sibling.pk, committee_id=w.sibling.pk, state="closed", author=w.other_member.pk,
            author_id=w.other_member.pk, number=99, is_key=True, created_by=w.office.pk,
        ),
    )  # fmt: skip
    assert r.status_code == 201
    p = Proposal.objects.get(pk=r.json()["id"])
    assert (p.committee, p.state, p.author, p.number, p.is_key, p.created_by) == (
        w.city, State.DRAFT, w.member, None, False, w.member_user,
    )  # fmt: skip

    p = pw.bring_to(State.ASSIGNED)
    r = api(w.unit_user).post(
        f"/{p.pk}/reply",
        {"letter": "答复", "result": "A", "unit_id": pw.other_unit.pk, "state": "closed", "number": 7},
    )
    assert r.status_code == 200
    p.refresh_from_db()
    assert (p.state, p.number) == (State.REPLIED, 1)
    assert Reply.objects.get(proposal=p).unit == w.unit


def test_wrong_role_gets_4xx_and_nothing_changes(pw, api):
    w = pw.world
    p = pw.bring_to(State.SUBMITTED)
    before = Transition.objects.count()
    r = api(w.member_user).post(f"/{p.pk}/file")
    assert (r.status_code, r.json()) == (403, {"detail": "您无权执行此操作"})
    r = api(w.leader).post(f"/{p.pk}/assign", {"lead_unit_id": w.unit.pk})
    assert r.status_code in (400, 403)
    assert api(w.unit_user).post(f"/{p.pk}/file").status_code == 404  # not theirs to see yet
    r = api(w.member_user).post(f"/{p.pk}/submit")
    assert r.status_code == 400
    assert "不能执行此操作" in r.json()["detail"]
    r = api(w.office).post(f"/{p.pk}/not_file", {"reason": "  "})
    assert (r.status_code, r.json()["detail"]) == (400, "不立案理由不能为空")
    r = api(w.office).post(f"/{p.pk}/rate", {"rating": "satisfied"})
    assert r.status_code in (400, 403)
    p.refresh_from_db()
    assert (p.state, p.version) == (State.SUBMITTED, 2)
    assert Transition.objects.count() == before


def test_bad_input_is_a_4xx_never_a_500(pw, api):
    w = pw.world
    p = pw.bring_to(State.FILED)
    office = api(w.office)
    assert office.post(f"/{p.pk}/assign", {"lead_unit_id": 999999}).status_code == 400
    assert office.post(f"/{p.pk}/assign", {"lead_unit_id": "x"}).status_code == 422
    r = office.post(f"/{p.pk}/assign", {"lead_unit_id": w.unit.pk, "deadline": "2000-01-01"})
    assert (r.status_code, r.json()["detail"]) == (400, "办理期限须晚于今天")
    assert api(w.member_user).post("", draft_data(pw, category="nonsense")).status_code == 422
    assert api(w.member_user).post("", draft_data(pw, title="")).status_code == 400
    assert api(w.office).post("", draft_data(pw)).status_code == 404  # office is not a member


def test_member_of_another_committee_gets_404(pw, api):
    w = pw.world
    w.sibling_member.user = UserFactory(username="wangwu")
    w.sibling_member.save()
    grant(w.sibling_member.user, w.sibling, "member")
    p = pw.bring_to(State.SUBMITTED)
    outsider = api(w.sibling_member.user)
    assert outsider.get(f"/{p.pk}").status_code == 404
    assert outsider.post(f"/{p.pk}/withdraw").status_code == 404
    assert api(w.sibling_office).post(f"/{p.pk}/file").status_code == 404
    assert outsider.get().json()["count"] == 0
    assert outsider.post("", draft_data(pw)).status_code == 404  # not a member of that session's committee
    assert Proposal.objects.get(pk=p.pk).state == State.SUBMITTED


def test_submit_twice_with_the_same_client_token_gives_one_number(pw, api):
    member = api(pw.world.member_user)
    p = pw.draft()
    first = member.post(f"/{p.pk}/submit", {"client_token": "tok-1"})
    second = member.post(f"/{p.pk}/submit", {"client_token": "tok-1"})
    assert first.status_code == second.status_code == 200
    assert first.json()["number"] == second.json()["number"] == 1
    assert Proposal.objects.filter(number__isnull=False).count() == 1
    assert Transition.objects.filter(proposal=p, action="submit").count() == 1


def test_concurrent_change_maps_to_409_and_other_errors_to_400_or_403():
    assert _status(workflow.ConcurrentChange("该提案已被他人处理，请刷新后重试")) == 409
    assert _status(workflow.TransitionError("您无权执行此操作")) == 403
    assert _status(workflow.TransitionError("案由不能为空")) == 400


def test_list_filters(pw, api):
    pw.bring_to(State.SUBMITTED)
    pw.draft(title="关于完善城市停车设施的建议", category="economy")
    member = api(pw.world.member_user)
    assert member.get().json()["count"] == 2
    assert [p["state"] for p in member.get(state="draft").json()["items"]] == ["draft"]
    assert member.get(category="economy").json()["count"] == 1
    assert member.get(q="停车").json()["count"] == 1
    assert member.get(year=2026).json()["count"] == 2
    assert member.get(year=2025).json()["count"] == 0
    assert api(pw.world.office).get().json()["count"] == 1  # drafts are the proposer's own


def test_list_query_count_does_not_grow_with_rows(pw, api):
    office = api(pw.world.office)
    pw.bring_to(State.ASSIGNED)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = office.get()
        assert r.status_code == 200
        return len(ctx)

    one = count()
    for _ in range(9):
        pw.bring_to(State.SUBMITTED)
    assert office.get().json()["count"] == 10
    assert count() == one


def test_session_auth_needs_csrf_for_unsafe_methods(pw):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pw.world.member_user)
    assert client.get("/api/v1/proposals").status_code == 200
    r = client.post("/api/v1/proposals", json.dumps(draft_data(pw)), content_type="application/json")
    assert r.status_code in (401, 403)
    assert not Proposal.objects.exists()


def test_openapi_lists_the_proposal_operations(client, db):
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert {"/api/v1/proposals", "/api/v1/proposals/{proposal_id}"} <= paths
    for action in [
        "submit", "withdraw", "file", "not_file", "merge", "assign", "request_return", "reassign",
        "contact", "reply", "rate", "cosign", "cosigners",
    ]:  # fmt: skip
        assert f"/api/v1/proposals/{{proposal_id}}/{action}" in paths


def test_split_assignment_over_api(pw, api):
    w = pw.world
    p = pw.bring_to(State.FILED)
    r = api(w.office).post(
        f"/{p.pk}/assign", {"lead_unit_id": w.unit.pk, "split_unit_ids": [pw.other_unit.pk]}
    )
    assert r.status_code == 200, r.content
    assert {(a["unit"], a["role"]) for a in r.json()["assignments"]} == {
        ("江门市教育局", "lead"),
        ("江门市住房和城乡建设局", "lead"),
    }
    assert (
        api(w.unit_user).post(f"/{p.pk}/reply", {"letter": "第一部分", "result": "A"}).json()["state"]
        == "assigned"
    )
    r = api(pw.other_unit_user).post(f"/{p.pk}/reply", {"letter": "第二部分", "result": "B"})
    assert r.json()["state"] == "replied"
