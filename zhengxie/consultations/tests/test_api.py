# ruff: noqa: F811  (the shared `cv` fixture is imported from test_queries)
"""The consultation API: visibility per role, the closed loop of an item, fields a role may not set."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengxie.accounts.models import ApiToken
from zhengxie.consultations import services
from zhengxie.consultations.models import ConsultationPlan, Outcome, Topic
from zhengxie.consultations.tests.test_queries import cv  # noqa: F401

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user) -> None:
        _, self.key = ApiToken.issue(user=user, name="test")
        self.client = client

    def get(self, path: str = "", **params):
        return self.client.get(
            f"/api/v1/consultations{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.key}"
        )

    def post(self, path: str, data: dict | None = None):
        return self.client.post(
            f"/api/v1/consultations{path}",
            json.dumps(data or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


def outcome_path(o, action):
    return f"/{o.consultation_id}/outcomes/{o.pk}/{action}"


def test_closed_loop_through_the_api(cv, api):
    w = cv.world
    c = cv.make(state="held")
    services.participant_add(consultation=c, user=w.office, member=w.member)
    o = cv.item(c, to="draft")
    office, unit, member = api(w.office), api(w.unit_user), api(w.member_user)
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()

    r = office.post(outcome_path(o, "transfer"), {"unit_id": w.unit.pk, "deadline": deadline})
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["unit"], r.json()["deadline"]) == (
        "transferred",
        w.unit.name,
        deadline,
    )
    assert r.json()["actions"] == []

    assert unit.get(f"/{c.pk}").json()["outcomes"][0]["actions"] == ["hand_back", "accept", "decline"]
    r = unit.post(outcome_path(o, "respond"), {"accept": True, "response": "同意"})
    assert r.json()["state"] == "accepted"
    r = unit.post(outcome_path(o, "progress"), {"percent": 50, "note": "施工中"})
    assert (r.json()["percent"], r.json()["progress"][-1]["note"]) == (50, "施工中")
    r = unit.post(outcome_path(o, "complete"), {"note": "已亮灯"})
    assert (r.json()["state"], r.json()["percent"]) == ("done", 100)
    r = office.post(outcome_path(o, "report_back"), {"feedback": "已告知"})
    assert r.json()["state"] == "closed"

    detail = member.get(f"/{c.pk}").json()
    assert detail["outcomes"][0]["state_label"] == "已反馈办结"
    assert [p["name"] for p in detail["participants"]] == ["张三"]


def test_unit_sees_its_items_only_and_no_participants(cv, api):
    w = cv.world
    c = cv.make(state="held")
    services.participant_add(consultation=c, user=w.office, member=w.member)
    mine = cv.item(c)
    cv.item(c, unit=cv.other_unit)
    body = api(w.unit_user).get(f"/{c.pk}").json()
    assert [o["id"] for o in body["outcomes"]] == [mine.pk]
    assert body["participants"] == [] and body["minutes"] == ""
    assert [o["id"] for o in api(w.unit_user).get("/outcomes").json()["items"]] == [mine.pk]
    assert api(w.member_user).get("/outcomes").status_code == 404


@pytest.mark.parametrize(
    ("who", "count"),
    [
        ("office", 2),
        ("leader", 2),
        ("member_user", 1),
        ("sibling_office", 0),
        ("province_office", 0),
        ("admin", 0),
        ("auditor", 0),
        ("unit_user", 0),
    ],
)
def test_list_per_role(cv, api, who, count):
    cv.make(state="held")
    cv.make(state="cancelled")
    body = api(getattr(cv.world, who)).get("").json()
    assert body["count"] == count


@pytest.mark.parametrize("who", ["sibling_office", "province_office", "auditor", "unit_user"])
def test_detail_and_actions_answer_404_outside(cv, api, who):
    c = cv.make(state="held")
    o = cv.item(c, to="draft")
    client = api(getattr(cv.world, who))
    assert client.get(f"/{c.pk}").status_code == 404
    r = client.post(outcome_path(o, "transfer"), {"unit_id": cv.world.unit.pk, "deadline": "2099-01-01"})
    assert r.status_code == 404
    assert Outcome.objects.get(pk=o.pk).state == "draft"


def test_anonymous_gets_401(cv, client):
    c = cv.make()
    assert client.get(f"/api/v1/consultations/{c.pk}").status_code == 401
    assert client.get("/api/v1/consultations").status_code == 401


def test_member_may_not_transfer_and_unit_may_not_set_unit_or_state(cv, api):
    w = cv.world
    c = cv.make(state="held")
    draft = cv.item(c, to="draft")
    r = api(w.member_user).post(
        outcome_path(draft, "transfer"), {"unit_id": w.unit.pk, "deadline": "2099-01-01"}
    )
    assert r.status_code == 403 and r.json()["detail"] == "您无权执行此操作"
    o = cv.item(c)
    r = api(w.unit_user).post(
        outcome_path(o, "respond"),
        {"accept": True, "response": "好", "unit_id": cv.other_unit.pk, "state": "closed", "committee_id": 1},
    )
    assert r.status_code == 200
    o.refresh_from_db()
    assert (o.state, o.unit, o.committee) == ("accepted", w.unit, w.city)
    r = api(w.unit_user).post(
        outcome_path(draft, "transfer"), {"unit_id": w.unit.pk, "deadline": "2099-01-01"}
    )
    assert r.status_code == 404  # not its item


def test_bad_input_messages(cv, api):
    w = cv.world
    c = cv.make(state="held")
    o = cv.item(c, to="accepted")
    unit = api(w.unit_user)
    r = unit.post(outcome_path(o, "progress"), {"percent": 100, "note": "x"})
    assert r.status_code == 422
    r = unit.post(outcome_path(o, "progress"), {"percent": 10, "note": ""})
    assert (r.status_code, r.json()["detail"]) == (400, "进展情况不能为空")
    r = unit.post(outcome_path(o, "complete"), {"note": "\x00 "})
    assert (r.status_code, r.json()["detail"]) == (400, "落实情况不能为空")
    draft = cv.item(c, to="draft")
    r = api(w.office).post(outcome_path(draft, "transfer"), {"unit_id": 999999, "deadline": "2099-01-01"})
    assert (r.status_code, r.json()["detail"]) == (400, "请选择本政协的承办单位")
    r = api(w.office).post(outcome_path(draft, "transfer"), {"unit_id": w.unit.pk, "deadline": "2020-01-01"})
    assert (r.status_code, r.json()["detail"]) == (400, "办理期限不能早于今天")
    r = api(w.office).post(outcome_path(o, "report_back"), {"feedback": "x"})
    assert r.status_code == 400 and r.json()["detail"].startswith("当前状态")
    o.refresh_from_db()
    assert (o.state, o.percent) == ("accepted", 0)


def test_list_filters_and_query_count(cv, api, django_assert_max_num_queries):
    w = cv.world
    office = api(w.office)
    c = cv.make(state="held", series="委员议事厅")
    item = cv.item(c)
    Outcome.objects.filter(pk=item.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    with CaptureQueriesContext(connection) as one:
        office.get("")
    for _ in range(3):
        cv.item(cv.make(state="held"))
    with django_assert_max_num_queries(len(one)):
        body = office.get("").json()
    assert body["count"] == 4
    body = office.get("", overdue="true").json()
    assert [(x["id"], x["overdue_count"]) for x in body["items"]] == [(c.pk, 1)]
    assert office.get("", series="委员议事厅", form="micro").json()["count"] == 1
    assert office.get("", kind="research").json()["count"] == 0


def test_plans_per_role(cv, api):
    w = cv.world
    draft = ConsultationPlan.objects.create(committee=w.city, year=2025, title="2025计划")
    published = ConsultationPlan.objects.create(
        committee=w.city, year=2026, title="2026计划", state=ConsultationPlan.State.PUBLISHED
    )
    Topic.objects.create(plan=published, committee=w.city, title="老旧小区改造", form="standing", month=5)
    assert [p["id"] for p in api(w.office).get("/plans").json()["items"]] == [published.pk, draft.pk]
    assert [p["id"] for p in api(w.member_user).get("/plans").json()["items"]] == [published.pk]
    assert api(w.member_user).get(f"/plans/{draft.pk}").status_code == 404
    body = api(w.member_user).get(f"/plans/{published.pk}").json()
    assert [t["title"] for t in body["topics"]] == ["老旧小区改造"]
    assert api(w.sibling_office).get(f"/plans/{published.pk}").status_code == 404
    assert api(w.office).get("/plans", year=2025).json()["count"] == 1
