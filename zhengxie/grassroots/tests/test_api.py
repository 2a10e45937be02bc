"""Concern API: the public raise and look-up (no login) through the same checks as the form; list and
detail with masking; the actions; fields a caller may not set."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from zhengxie.accounts.models import ApiToken, AuditLog
from zhengxie.grassroots import services
from zhengxie.grassroots.models import Concern, ConcernState
from zhengxie.org.models import Session, Term
from zhengxie.testing.factories import StationFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/concerns"


class Api:
    def __init__(self, client: Client, user=None) -> None:
        self.client = client
        self.headers = {}
        if user is not None:
            _, key = ApiToken.issue(user=user, name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path: str = "", **params):
        return self.client.get(f"{BASE}{path}", params, **self.headers)

    def post(self, path: str = "", data: dict | None = None, **extra):
        return self.client.post(
            f"{BASE}{path}", json.dumps(data or {}), content_type="application/json", **self.headers, **extra
        )


@pytest.fixture
def api(client):
    return lambda user=None: Api(client, user)


def raise_data(cw, **extra):
    return {
        "committee_id": cw.world.city.pk,
        "station_id": cw.station.pk,
        "title": "公园健身器材损坏",
        "content": "江翠公园的健身器材坏了半年没人修。",
        "category": "urban",
        "name": "何先生",
        "phone": "13600001111",
        **extra,
    }


# ---------------------------------------------------------------- public


def test_public_raise_and_lookup_without_login(cw, api):
    public = api()
    r = public.post("/public", raise_data(cw))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "open" and "请记下编号用于查询" in body["message"]
    concern = Concern.objects.get(number=body["number"])
    assert concern.source_hash == services.source_hash("127.0.0.1") and concern.name == "何先生"
    services.concern_take(concern=concern, user=cw.world.member_user)
    concern.refresh_from_db()
    services.concern_resolve(concern=concern, user=cw.world.member_user, result="已报修，器材已更换")
    r = public.get("/public/lookup", number=body["number"].lower())
    assert r.status_code == 200
    status = r.json()
    assert status["state"] == "已办结" and status["result"] == "已报修，器材已更换"
    assert status["events"][0]["note"] == "诉求已提交"
    assert "何先生" not in r.content.decode() and "13600001111" not in r.content.decode()


def test_public_raise_ignores_fields_the_person_may_not_set(cw, api):
    r = api().post(
        "/public",
        raise_data(
            cw,
            state="closed",
            taken_by_id=cw.world.member.pk,
            number="2026AAAAAAAA",
            channel="visit",
            flags=[],
            result="已解决",
        ),
    )
    assert r.status_code == 201
    concern = Concern.objects.get()
    assert concern.state == ConcernState.OPEN and concern.taken_by is None
    assert concern.number != "2026AAAAAAAA" and concern.channel == "web" and concern.result == ""


def test_public_raise_checks(cw, api):
    public = api()
    r = public.post("/public", raise_data(cw, trap="x"))
    assert (
        r.status_code == 201 and r.json()["state"] == "review" and "等待工作人员审核" in r.json()["message"]
    )
    r = public.post("/public", raise_data(cw, title="广告", content="加微信 abc 领补贴"))
    assert r.json()["state"] == "review"
    r = public.post("/public", raise_data(cw, title=""))
    assert r.status_code == 400 and r.json()["detail"] == "标题不能为空"
    r = public.post("/public", raise_data(cw, station_id=StationFactory(committee=cw.world.sibling).pk))
    assert r.status_code == 400 and r.json()["detail"] == "请选择本政协的站点"
    r = public.post("/public", raise_data(cw, committee_id=cw.world.county.pk))  # runs no station
    assert r.status_code == 404, r.content
    assert Concern.objects.count() == 2


def test_public_raise_rate_limit_and_size_cap(cw, api):
    public = api()
    # The rate limit counts attempts from this address, the two held ones above included in real life.
    for i in range(services.RATE_LIMIT):
        assert public.post("/public", raise_data(cw, title=f"问题{i}", content=f"情况{i}")).status_code == 201
    r = public.post("/public", raise_data(cw, title="又一条", content="又一条"))
    assert r.status_code == 429 and r.json()["detail"] == "提交过于频繁，请一小时后再试"
    before = Concern.objects.count()
    r = public.post("/public", raise_data(cw, content="大" * 12000), REMOTE_ADDR="192.0.2.77")
    assert r.status_code == 413 and "提交内容过大" in r.json()["detail"]
    assert Concern.objects.count() == before


def test_public_lookup_is_neutral_and_throttled(cw, api):
    concern = cw.raise_one()
    public = api()
    r = public.get("/public/lookup", number="2026ZZZZZZZZ")
    assert r.status_code == 404 and r.json()["detail"] == "未查询到该编号的诉求，请核对编号后重试"
    for _ in range(services.LOOKUP_LIMIT - 1):
        public.get("/public/lookup", number="nope")
    r = public.get("/public/lookup", number=concern.number)
    assert r.status_code == 429 and concern.title not in r.content.decode()


# ---------------------------------------------------------------- members and staff


def test_list_and_detail_by_role_with_masking(cw, api):
    w = cw.world
    concern = cw.raise_one()
    expected = {
        w.member_user: 200,
        cw.colleague_user: 200,
        cw.other_station_user: 404,
        w.office: 200,
        w.sibling_office: 404,
        w.province_office: 404,
        w.leader: 200,
        w.unit_user: 404,
        w.auditor: 404,
    }
    assert {u: api(u).get(f"/{concern.pk}").status_code for u in expected} == expected
    assert api().get(f"/{concern.pk}").status_code == 401
    assert [c["id"] for c in api(w.leader).get().json()["items"]] == [concern.pk]
    assert api(w.unit_user).get().json()["items"] == []
    assert "13800138000" not in api(w.office).get().content.decode()  # lists carry no personal data

    before = AuditLog.objects.filter(action="view_personal").count()
    assert api(w.leader).get(f"/{concern.pk}").json()["person"] == {
        "name": "赵*",
        "phone": "138****8000",
        "masked": True,
    }
    assert AuditLog.objects.filter(action="view_personal").count() == before
    office = api(w.office).get(f"/{concern.pk}").json()
    assert office["person"] == {"name": "赵大妈", "phone": "13800138000", "masked": False}
    assert AuditLog.objects.filter(action="view_personal").count() == before + 1
    assert api(w.member_user).get(f"/{concern.pk}").json()["actions"] == ["take"]


def test_take_and_each_outcome_through_the_api(cw, api):
    w = cw.world
    member = api(w.member_user)
    term = Term.objects.create(committee=w.city, number=13, start_year=2022, end_year=2027)
    session = Session.objects.create(committee=w.city, term=term, number=4, year=timezone.localdate().year)

    def taken(title):
        concern = cw.raise_one(title=title, content=f"{title}的具体情况")
        r = member.post(f"/{concern.pk}/take")
        assert r.status_code == 200 and r.json()["state"] == "taken", r.content
        assert r.json()["person"]["masked"] is False
        return concern.pk

    pk = taken("路灯不亮")
    assert api(cw.colleague_user).post(f"/{pk}/resolve", {"result": "x"}).status_code == 403
    r = member.post(f"/{pk}/resolve", {"result": "已修复"})
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["outcome"] == "resolved"
    assert member.post(f"/{pk}/resolve", {"result": "再办一次"}).status_code == 403

    pk = taken("噪音扰民")
    r = member.post(f"/{pk}/to_opinion", {"suggestion": "加强夜间巡查"})
    assert r.json()["outcome"] == "opinion" and r.json()["opinion_report_id"]

    pk = taken("停车难")
    assert (
        member.post(f"/{pk}/to_proposal", {"session_id": 999999}).json()["detail"]
        == "请选择正在接受提案的会议"
    )
    r = member.post(f"/{pk}/to_proposal", {"session_id": session.pk})
    assert r.json()["outcome"] == "proposal" and r.json()["proposal_id"]

    pk = taken("学校门口拥堵")
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    r = member.post(f"/{pk}/to_consultation", {"held_on": day})
    assert r.json()["outcome"] == "consultation" and r.json()["consultation_id"]

    pk = taken("退回试试")
    r = member.post(f"/{pk}/release", {})
    assert r.json()["state"] == "open" and r.json()["taken_by"] == ""


def test_office_review_and_route_through_the_api(cw, api):
    w = cw.world
    held = cw.raise_one(trap="bot", source="192.0.2.5")
    office = api(w.office)
    assert api(w.member_user).post(f"/{held.pk}/approve").status_code == 404
    assert api(w.leader).post(f"/{held.pk}/approve").status_code == 404  # leaders see published ones only
    assert api(w.sibling_office).post(f"/{held.pk}/approve").status_code == 404
    assert office.get(f"/{held.pk}").json()["flags"] == ["疑似自动提交"]
    r = office.post(f"/{held.pk}/route", {"station_id": cw.other_station.pk})
    assert r.status_code == 200 and r.json()["station_id"] == cw.other_station.pk
    r = office.post(f"/{held.pk}/approve")
    assert r.json()["state"] == "open"
    assert api(w.leader).post(f"/{held.pk}/reject", {"reason": "x"}).status_code == 403
    r = office.post(f"/{held.pk}/reject", {"reason": "不属于政协职能范围"})
    assert r.json()["state"] == "rejected" and r.json()["reject_reason"] == "不属于政协职能范围"
    r = office.post(f"/{held.pk}/route", {"station_id": cw.station.pk})
    assert r.status_code == 400 and r.json()["detail"] == "只有待认领的诉求可以分派站点"


def test_reception_through_the_api_sets_no_forbidden_fields(cw, api):
    w = cw.world
    data = {
        "station_id": cw.station.pk,
        "channel": "phone",
        "title": "独居老人无人照看",
        "content": "邻居是独居老人，近来行动不便。",
        "category": "labour",
        "state": "closed",
        "committee_id": w.sibling.pk,
        "taken_by_id": w.member.pk,
    }
    r = api(w.member_user).post("/reception", data)
    assert r.status_code == 201, r.content
    concern = Concern.objects.get()
    assert concern.committee == w.city and concern.state == ConcernState.OPEN and concern.taken_by is None
    assert concern.channel == "phone" and concern.created_by == w.member_user
    assert api(cw.other_station_user).post("/reception", data).status_code == 404
    assert api(w.member_user).post("/reception", {**data, "channel": "web"}).status_code == 400
    assert Concern.objects.count() == 1
