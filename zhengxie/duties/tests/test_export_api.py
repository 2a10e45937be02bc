"""The evaluation workbook read back, and the API: own file, rankings, claims and contests."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhengxie.accounts.models import ApiToken, AuditLog
from zhengxie.duties.models import Contest, DutyKind, DutyRecord, Evaluation, EvaluationPoint
from zhengxie.duties.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def test_export_has_one_row_per_member_and_every_point(dw, client):
    client.force_login(dw.world.office)
    response = client.get(reverse("duties:export"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["年度考评", "计分明细"]
    rows = list(book["年度考评"].iter_rows(values_only=True))
    assert rows[0] == (
        "排名",
        "姓名",
        "界别",
        "党派",
        "得分",
        "履职记录数",
        "无故缺席",
        "学习培训",
        "招商引资",
    )
    sector = dw.world.member.sector.name
    assert rows[1] == (1, "张三", sector, None, 9, 4, 0, 4, 5)
    assert rows[2][:2] == (2, "李四") and rows[2][4:] == (-5, 1, -5, 0, 0)
    detail = list(book["计分明细"].iter_rows(values_only=True))
    assert detail[0][:5] == ("排名", "姓名", "日期", "履职类型", "事项")
    assert len(detail) - 1 == EvaluationPoint.objects.count() == 5
    by_name = {}
    for row in detail[1:]:
        by_name[row[1]] = by_name.get(row[1], 0) + row[7]
    assert by_name == {"张三": 9, "李四": -5}  # the sheets agree: every point has its record
    capped = [row for row in detail[1:] if row[8] is not None]
    assert [(row[4], row[7], row[8]) for row in capped] == [("参加履职培训第3期", 0, 2)]
    record_ids = {row[9] for row in detail[1:]}
    assert record_ids == set(DutyRecord.objects.values_list("id", flat=True))
    log = AuditLog.objects.get(action="export")
    assert (log.committee_id, log.after) == (dw.world.city.pk, {"year": YEAR, "count": 2})


def test_export_keeps_formulas_out(dw, client):
    dw.staff(dw.world.member, DutyKind.TRAINING, '=HYPERLINK("http://x")')
    dw.recompute()
    client.force_login(dw.world.leader)
    book = load_workbook(io.BytesIO(client.get(reverse("duties:export")).content))
    titles = [row[4] for row in book["计分明细"].iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x")' in titles
    cell = next(c for c in book["计分明细"]["E"] if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"


class Api:
    def __init__(self, client, user):
        _, self.key = ApiToken.issue(user=user, name="test")
        self.client = client

    def get(self, path, **params):
        return self.client.get(f"/api/v1/duties{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def post(self, path, data):
        return self.client.post(
            f"/api/v1/duties{path}",
            json.dumps(data),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )


def test_api_me_returns_own_records_points_and_rank(dw, client):
    body = Api(client, dw.world.member_user).get("/me", year=YEAR).json()
    assert (body["name"], body["year"]) == ("张三", YEAR)
    assert body["evaluation"]["rank"] == 1 and body["evaluation"]["of"] == 2
    assert float(body["evaluation"]["points"]) == 9
    assert sorted(r["title"] for r in body["records"]) == [
        "参加履职培训第1期",
        "参加履职培训第2期",
        "参加履职培训第3期",
        "引进冷链物流中心项目",
    ]
    capped = [r for r in body["records"] if r["capped_from"] is not None]
    assert [(r["title"], float(r["points"])) for r in capped] == [("参加履职培训第3期", 0)]
    assert Api(client, dw.world.office).get("/me").status_code == 404


def test_api_rankings_for_office_and_leader_only(dw, client):
    body = Api(client, dw.world.office).get("/rankings", year=YEAR).json()
    assert [(r["name"], r["rank"], r["below_threshold"]) for r in body["items"]] == [
        ("张三", 1, True),
        ("李四", 2, True),
    ]
    assert Api(client, dw.world.leader).get("/rankings").status_code == 200
    for who in (dw.world.member_user, dw.world.unit_user, dw.world.auditor):
        assert Api(client, who).get("/rankings").status_code == 404
    assert (
        Api(client, dw.world.sibling_office).get("/rankings", committee=dw.world.city.pk).status_code == 404
    )
    assert Api(client, dw.world.office).get("/rankings", year=1900).status_code == 400


def test_api_claim_and_contest(dw, client):
    api = Api(client, dw.world.member_user)
    data = {"kind": "volunteer", "title": "义诊", "occurred_on": f"{YEAR}-01-01", "evidence": "证明"}
    created = api.post("/claims", data)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    before = DutyRecord.objects.count()
    assert api.post("/claims", {**data, "kind": "absence"}).json() == {"detail": "该履职类型不能由委员申报"}
    assert api.post("/claims", {**data, "kind": "nope"}).status_code == 400
    assert api.post("/claims", {**data, "title": " "}).status_code == 400
    assert Api(client, dw.world.office).post("/claims", data).status_code == 403
    assert DutyRecord.objects.count() == before
    mine = DutyRecord.objects.get(title="参加履职培训第1期")
    contested = api.post(f"/records/{mine.pk}/contest", {"reason": "未参加"})
    assert contested.status_code == 201 and contested.json()["state"] == "open"
    assert api.post(f"/records/{mine.pk}/contest", {"reason": "再次"}).status_code == 400
    theirs = DutyRecord.objects.get(member=dw.world.other_member)
    assert api.post(f"/records/{theirs.pk}/contest", {"reason": "x"}).status_code == 404
    assert Contest.objects.count() == 1
    assert Evaluation.objects.get(member=dw.world.member).points == 9  # a contested record still counts
