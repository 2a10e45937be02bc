"""Demo duties: the demo member login of Jiangmen gets a full 履职档案 with points and a rank."""

import io

import pytest

from zhengxie.duties.demo import seed_duties
from zhengxie.duties.models import Contest, DutyRecord, Evaluation, EvaluationPoint, ScoringScheme
from zhengxie.org import demo as org_demo
from zhengxie.org.models import Committee, Member

pytestmark = pytest.mark.django_db


def test_demo_gives_jiangmen_rules_duties_claims_contests_and_ranks():
    org_demo.seed_demo()
    out = io.StringIO()
    made = seed_duties(out, only_codes=["440700"])
    assert "已生成演示履职记录" in out.getvalue() and made > 100
    jiangmen = Committee.objects.get(division_code="440700")
    year = ScoringScheme.objects.filter(committee=jiangmen).order_by("-year").first().year
    assert ScoringScheme.objects.filter(committee=jiangmen).count() == 2  # this year and last
    member = Member.objects.get(user__username="jm_member")
    mine = DutyRecord.objects.filter(member=member, year=year)
    kinds = set(mine.values_list("kind", flat=True))
    assert {"training", "reading", "visit", "volunteer", "investment", "absence", "leave"} <= kinds
    assert mine.filter(status="pending", origin="member").count() == 2
    assert mine.filter(status="rejected", origin="member").count() == 1
    assert Contest.objects.filter(member=member, state="open").count() == 1
    assert Contest.objects.filter(member=member, state="rejected").count() == 1
    investment = mine.get(kind="investment")
    assert int(investment.detail["contract_value"]) > 0
    evaluation = Evaluation.objects.get(member=member, year=year)
    points = EvaluationPoint.objects.filter(evaluation=evaluation)
    assert sum(p.points for p in points) == evaluation.points > 0
    assert points.filter(capped_from__isnull=False).exists()  # the training and reading caps are reached
    members = Member.objects.filter(committee=jiangmen, status=Member.Status.ACTIVE).count()
    assert Evaluation.objects.filter(committee=jiangmen, year=year).count() == members
    assert not Evaluation.objects.exclude(committee=jiangmen).exists()
    # Seeding again leaves a committee with this year's rules alone.
    assert seed_duties(None, only_codes=["440700"]) == 0
